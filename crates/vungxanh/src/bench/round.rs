//! `vungxanh bench round`: one province screening round (pooled samples, then results)
//! through vungxanh's importer, beside the same rows loaded by the database's bulk path.

use std::time::Instant;

use anyhow::Result;
use vx_domain::epi::{NewCampaign, NewRound, TargetGroup};
use vx_domain::UnitCode;
use vx_store::{Actor, ImportOptions, Store};

use super::{Line, Table};
use crate::gen::{communes_under, scale_config, Scale, ROUND_DAY};

/// The files of one generated scale: registry and one screening round.
pub struct RoundData {
    pub code: &'static str,
    pub units: Vec<u8>,
    pub households: Vec<u8>,
    pub people: Vec<u8>,
    pub samples: Vec<u8>,
    pub results: Vec<u8>,
    pub counts: vx_gen::round::RoundCounts,
}

impl RoundData {
    pub fn generate(scale: Scale, seed: u64) -> Result<RoundData> {
        let (code, cfg) = scale_config(scale, seed);
        let hamlets = vx_gen::hamlets(&communes_under(code)?, &cfg);
        let mut d = RoundData {
            code,
            units: Vec::new(),
            households: Vec::new(),
            people: Vec::new(),
            samples: Vec::new(),
            results: Vec::new(),
            counts: Default::default(),
        };
        vx_gen::write_units_csv(&mut d.units, &hamlets)?;
        vx_gen::write_registry_csv(&mut d.households, &mut d.people, &hamlets, &cfg)?;
        d.counts = vx_gen::round::write_round_csv(
            &mut d.samples,
            &mut d.results,
            &hamlets,
            &cfg,
            &vx_gen::round::RoundSpec::september_2021(1, ROUND_DAY),
        )?;
        Ok(d)
    }
}

/// Creates the campaign and round the generated samples belong to; returns the round id.
pub async fn create_round(store: &Store, code: &str) -> Result<i64> {
    let actor = Actor::system("bench");
    let campaign = store
        .create_campaign(
            &actor,
            &NewCampaign {
                name: "Xét nghiệm toàn dân đợt 1".into(),
                target_units: vec![UnitCode::parse(code)?],
                target: TargetGroup::Everyone,
            },
        )
        .await?;
    let day = ROUND_DAY.parse()?;
    let round = store
        .create_round(
            &actor,
            &NewRound {
                campaign_id: campaign.id,
                number: 1,
                start: day,
                end: day,
            },
        )
        .await?;
    store.refresh_round_targets(&actor, round.id).await?;
    Ok(round.id)
}

/// Measures the round's import on one backend whose registry is loaded; appends its lines
/// to `table`.
pub async fn run(backend: &str, store: &Store, data: &RoundData, table: &mut Table) -> Result<()> {
    let round = create_round(store, data.code).await?;
    let actor = Actor::system("bench");
    let today = vx_domain::vn_date(chrono::Utc::now());

    // Samples: read, check, match people, write (as `vungxanh import samples`).
    let started = Instant::now();
    let t = vx_import::read_table_from_bytes("samples.csv", &data.samples)?;
    let parsed = vx_import::epi::parse_samples(&t, Some(round), today, |_| {})?;
    anyhow::ensure!(
        parsed.problems.is_empty(),
        "generated samples refused: {:?}",
        &parsed.problems[..1]
    );
    let opts = ImportOptions {
        file_name: "samples.csv".into(),
        sha256: "bench-samples".into(),
        ..Default::default()
    };
    store.import_samples(&actor, parsed.rows, &opts).await?;
    let samples_secs = started.elapsed().as_secs_f64();
    drop(t);

    let raw = store.bench_take_round(round).await?;
    let started = Instant::now();
    store.bench_raw_load_round(&raw).await?;
    let raw_secs = started.elapsed().as_secs_f64();
    let rows = data.counts.members;
    table.push(
        Line::new(
            backend,
            "round: samples import (1 row a member)",
            rows,
            samples_secs,
        )
        .beside(rows as f64 / raw_secs),
    );

    // Results: read, check, compare with stored ones, write, start retests.
    let started = Instant::now();
    let t = vx_import::read_table_from_bytes("results.csv", &data.results)?;
    let parsed = vx_import::epi::parse_results(&t, |_| {})?;
    anyhow::ensure!(
        parsed.problems.is_empty(),
        "generated results refused: {:?}",
        &parsed.problems[..1]
    );
    let opts = ImportOptions {
        file_name: "results.csv".into(),
        sha256: "bench-results".into(),
        ..Default::default()
    };
    store
        .import_results(&actor, "CDC Bến Tre", parsed.rows, &opts)
        .await?;
    let results_secs = started.elapsed().as_secs_f64();
    let raw = store.bench_take_results(round).await?;
    let started = Instant::now();
    store.bench_raw_load_results(&raw).await?;
    let raw_secs = started.elapsed().as_secs_f64();
    let rows = data.counts.samples;
    table.push(
        Line::new(
            backend,
            "round: results import (1 row a sample)",
            rows,
            results_secs,
        )
        .beside(rows as f64 / raw_secs),
    );
    Ok(())
}
