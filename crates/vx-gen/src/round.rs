//! One screening round over a generated registry, and vaccination doses, in the interchange
//! formats that `vungxanh import samples|results|vaccinations` read.
//!
//! The registry is streamed again (same seed ⇒ same people), so a province round of
//! 270,000 pooled samples never sits in memory: people of each hamlet are taken in
//! registry order, each is sampled with probability `coverage`, and the sampled ones are
//! pooled `pool_size` at a time within the hamlet. A pool is positive with probability
//! `positive_rate`; results come from one laboratory.

use std::fmt::Write as _;
use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{csv_err, registry, GenConfig, PersonRow, UnitRow};

/// What a round looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundSpec {
    /// Round number, part of every sample code (`R{number}-{hamlet}-{n}`).
    pub number: u32,
    /// The day samples are collected, `YYYY-MM-DD` (local time).
    pub day: String,
    /// Share of the registry sampled (0–1).
    pub coverage: f64,
    /// People per pooled sample.
    pub pool_size: usize,
    /// Probability that a pool is positive.
    pub positive_rate: f64,
    pub laboratory: String,
}

impl RoundSpec {
    /// Bến Tre's rounds of September 2021: 85 % of people, pools of 4, RT-PCR, 2 positive
    /// pools in 1,000, one provincial laboratory.
    pub fn september_2021(number: u32, day: &str) -> RoundSpec {
        RoundSpec {
            number,
            day: day.to_string(),
            coverage: 0.85,
            pool_size: 4,
            positive_rate: 0.002,
            laboratory: "CDC Bến Tre".to_string(),
        }
    }
}

/// What [`write_round_csv`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundCounts {
    pub samples: u64,
    /// Rows of the samples file: one per person sampled.
    pub members: u64,
    pub positives: u64,
}

const DOM_ROUND: u64 = 0x726f_756e_6400_0001;
const DOM_VACCINE: u64 = 0x7661_6363_0000_0001;

/// The person columns shared by the samples and vaccinations files: the citizen ID when
/// the person has one, else household, name and birth.
fn person_cells(p: &PersonRow) -> [&str; 4] {
    match &p.citizen_id {
        Some(id) => [id.as_str(), "", "", ""],
        None => ["", &p.household_code, &p.full_name, &p.birth],
    }
}

/// Writes `samples.csv` (`sample_code,method,pooled,high_risk,collected_at,collector,
/// laboratory,citizen_id,household_code,full_name,birth`, one row per member; the round is
/// given at import with `--round`) and `results.csv` (`sample_code,result,ct,tested_at`).
pub fn write_round_csv<W1: Write, W2: Write>(
    samples: W1,
    results: W2,
    hamlets: &[UnitRow],
    cfg: &GenConfig,
    spec: &RoundSpec,
) -> std::io::Result<RoundCounts> {
    let mut sw = csv::Writer::from_writer(samples);
    let mut rw = csv::Writer::from_writer(results);
    sw.write_record([
        "sample_code",
        "method",
        "pooled",
        "high_risk",
        "collected_at",
        "collector",
        "laboratory",
        "citizen_id",
        "household_code",
        "full_name",
        "birth",
    ])
    .map_err(csv_err)?;
    rw.write_record(["sample_code", "result", "ct", "tested_at"])
        .map_err(csv_err)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ DOM_ROUND ^ u64::from(spec.number));
    let mut counts = RoundCounts::default();
    let mut err: Option<std::io::Error> = None;
    // The open pool: its hamlet, its code and how many members it has.
    let mut hamlet = String::new();
    let mut in_hamlet = 0u32;
    let mut members = 0usize;
    let mut code = String::new();
    let mut collected_at = String::new();
    let collector = |hamlet: &str| format!("Tổ lấy mẫu {hamlet}");
    let tested_at = format!("{} 22:00", spec.day);
    let close =
        |code: &str, rng: &mut ChaCha8Rng, rw: &mut csv::Writer<W2>, counts: &mut RoundCounts| {
            let positive = rng.gen_bool(spec.positive_rate);
            let ct = if positive {
                format!("{:.1}", rng.gen_range(18.0..32.0))
            } else {
                String::new()
            };
            counts.samples += 1;
            counts.positives += u64::from(positive);
            let result = if positive { "positive" } else { "negative" };
            rw.write_record([code, result, &ct, &tested_at])
                .map_err(csv_err)
        };
    registry(
        hamlets,
        cfg,
        |_| {},
        |p| {
            if err.is_some() || !rng.gen_bool(spec.coverage) {
                return;
            }
            let unit = &p.household_code[..p.household_code.find('-').unwrap_or(0)];
            if unit != hamlet || members == spec.pool_size {
                if members > 0 {
                    if let Err(e) = close(&code, &mut rng, &mut rw, &mut counts) {
                        err = Some(e);
                        return;
                    }
                }
                if unit != hamlet {
                    hamlet.clear();
                    hamlet.push_str(unit);
                    in_hamlet = 0;
                }
                in_hamlet += 1;
                members = 0;
                code.clear();
                let _ = write!(code, "R{}-{hamlet}-{in_hamlet:04}", spec.number);
                collected_at.clear();
                // Teams work from 06:30 to 17:30, a pool every few minutes.
                let minutes = 390 + (in_hamlet * 3) % 660;
                let _ = write!(
                    collected_at,
                    "{} {:02}:{:02}",
                    spec.day,
                    minutes / 60,
                    minutes % 60
                );
            }
            members += 1;
            counts.members += 1;
            let [cid, hh, name, birth] = person_cells(p);
            if let Err(e) = sw.write_record([
                code.as_str(),
                "rt-pcr",
                "true",
                "false",
                &collected_at,
                &collector(&hamlet),
                &spec.laboratory,
                cid,
                hh,
                name,
                birth,
            ]) {
                err = Some(csv_err(e));
            }
        },
    );
    if let Some(e) = err {
        return Err(e);
    }
    if members > 0 {
        close(&code, &mut rng, &mut rw, &mut counts)?;
    }
    sw.flush()?;
    rw.flush()?;
    Ok(counts)
}

/// Writes `vaccinations.csv` (`citizen_id,household_code,full_name,birth,dose,date`):
/// adults of Bến Tre in Aug–Oct 2021, about 70 % with a first dose and a third of those
/// with a second one 4 weeks later. Returns the number of doses written.
pub fn write_vaccinations_csv<W: Write>(
    w: W,
    hamlets: &[UnitRow],
    cfg: &GenConfig,
) -> std::io::Result<u64> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "citizen_id",
        "household_code",
        "full_name",
        "birth",
        "dose",
        "date",
    ])
    .map_err(csv_err)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ DOM_VACCINE);
    let start = chrono::NaiveDate::from_ymd_opt(2021, 8, 1).expect("date");
    let mut n = 0u64;
    let mut err = None;
    registry(
        hamlets,
        cfg,
        |_| {},
        |p| {
            let year: i32 = p.birth[..4].parse().unwrap_or(2000);
            if err.is_some() || 2021 - year < 18 || !rng.gen_bool(0.7) {
                return;
            }
            let first = start + chrono::Days::new(rng.gen_range(0..70));
            let mut doses = vec![(1, first)];
            if rng.gen_bool(0.33) {
                doses.push((2, first + chrono::Days::new(28)));
            }
            let [cid, hh, name, birth] = person_cells(p);
            for (dose, day) in doses {
                n += 1;
                let (dose, day) = (dose.to_string(), day.to_string());
                if let Err(e) = out.write_record([cid, hh, name, birth, &dose, &day]) {
                    err = Some(csv_err(e));
                }
            }
        },
    );
    if let Some(e) = err {
        return Err(e);
    }
    out.flush()?;
    Ok(n)
}
