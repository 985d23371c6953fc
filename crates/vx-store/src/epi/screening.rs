//! Campaigns, rounds, samples (entry, households, bulk import), sampling lists, coverage.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::QueryBuilder;
use vx_domain::epi::{
    epi_day, in_force, round_targets, AgeBounds, Campaign, Candidate, CoverageRow, LabResult,
    NewCampaign, NewRound, NewSample, PersonRef, Round, Sample, SampleCode, SampleMethod,
    SampleResult, SampleRow, TargetGroup,
};
use vx_domain::{fold, Birth, Person, Relation, Unit, UnitCode};

use super::{id_list, invalid, not_found, word, CHUNK};
use crate::bulk::{BulkInsert, Cell};
use crate::import::settle_problems;
use crate::{
    audit_log, path_end, with_pool, Actor, ImportOptions, ImportSummary, Located, PeopleQuery,
    Result, RowProblem, Store, StoreError,
};

const BATCH_INSERT: &str =
    "INSERT INTO import_batches (kind, file_name, sha256, actor, at, created, \
     updated, unchanged, skipped) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";

const SAMPLE_SELECT: &str = "SELECT id, code, round_id, method, pooled, high_risk, retest_order_id, \
     collected_at, collected_day, collector, laboratory, unit_id, result, ct, tested_at, result_lab \
     FROM samples";

/// New rows of a bulk import inside the caller's transaction: `COPY` on PostgreSQL; on
/// SQLite, multi-row INSERTs of a fixed size, so that one prepared statement is cached and
/// reused (a fresh 30,000-parameter statement per chunk costs more than it saves).
trait LoadRows {
    async fn load_rows(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Cell<'_>>],
    ) -> Result<()>;
}

impl LoadRows for sqlx::PgConnection {
    async fn load_rows(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Cell<'_>>],
    ) -> Result<()> {
        self.bulk_insert(table, columns, rows).await
    }
}

impl LoadRows for sqlx::SqliteConnection {
    async fn load_rows(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Cell<'_>>],
    ) -> Result<()> {
        const ROWS: usize = 64;
        let head = format!("INSERT INTO {table} ({}) ", columns.join(", "));
        for chunk in rows.chunks(ROWS) {
            let mut qb = QueryBuilder::new(&head);
            qb.push_values(chunk, |mut b, row| {
                for cell in row {
                    match cell {
                        Cell::Null => b.push_bind(None::<i64>),
                        Cell::Int(v) => b.push_bind(*v),
                        Cell::Bool(v) => b.push_bind(*v),
                        Cell::Text(v) => b.push_bind(v.to_string()),
                        Cell::Date(v) => b.push_bind(*v),
                        Cell::Instant(v) => b.push_bind(*v),
                    };
                }
            });
            qb.build().execute(&mut *self).await?;
        }
        Ok(())
    }
}

const SAMPLE_COLUMNS: [&str; 13] = [
    "code",
    "round_id",
    "method",
    "pooled",
    "high_risk",
    "retest",
    "collected_at",
    "collected_day",
    "collector",
    "laboratory",
    "unit_id",
    "import_id",
    "created_at",
];

pub(super) const MEMBER_COLUMNS: [&str; 6] = [
    "sample_id",
    "person_id",
    "round_id",
    "unit_id",
    "household_id",
    "retest",
];

/// A collected-at instant this far after the clock is refused as a future date.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(10);

/// A stored sample as an upload's check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleState {
    pub unit_id: i64,
    /// A result is recorded (a new one for it is a change, or a conflict).
    pub has_result: bool,
}

#[derive(sqlx::FromRow)]
struct SampleStateRow {
    code: String,
    unit_id: i64,
    has_result: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct SampleDbRow {
    pub id: i64,
    pub code: String,
    pub round_id: i64,
    pub method: String,
    pub pooled: bool,
    pub high_risk: bool,
    pub retest_order_id: Option<i64>,
    pub collected_at: DateTime<Utc>,
    pub collected_day: NaiveDate,
    pub collector: String,
    pub laboratory: String,
    pub unit_id: i64,
    pub result: Option<String>,
    pub ct: Option<f64>,
    pub tested_at: Option<DateTime<Utc>>,
    pub result_lab: Option<String>,
}

impl SampleDbRow {
    pub(super) fn stored_result(&self) -> Option<SampleResult> {
        Some(SampleResult {
            result: word(LabResult::parse, self.result.as_deref()?),
            ct: self.ct.and_then(|c| vx_domain::epi::Ct::new(c).ok()),
            tested_at: self.tested_at?,
            laboratory: self.result_lab.clone().unwrap_or_default(),
        })
    }
    fn into_sample(self, members: Vec<i64>) -> Sample {
        let result = self.stored_result();
        Sample {
            id: self.id,
            code: SampleCode::parse(&self.code).expect("stored codes are valid"),
            round_id: self.round_id,
            method: word(SampleMethod::parse, &self.method),
            pooled: self.pooled,
            high_risk: self.high_risk,
            collected_at: self.collected_at,
            collected_day: self.collected_day,
            collector: self.collector,
            laboratory: self.laboratory,
            unit_id: self.unit_id,
            members,
            result,
            retest_order_id: self.retest_order_id,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    name: String,
    target_kind: String,
    age_from: Option<i64>,
    age_to: Option<i64>,
    business: Option<String>,
}

fn target_columns(t: &TargetGroup) -> (Option<i64>, Option<i64>, Option<&str>) {
    match t {
        TargetGroup::Ages { from, to } => (Some(i64::from(*from)), Some(i64::from(*to)), None),
        TargetGroup::Workers { business } => (None, None, Some(business.as_str())),
        _ => (None, None, None),
    }
}

/// A person as the sample entry needs it.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub(crate) struct Member {
    pub(crate) id: i64,
    unit_id: i64,
    household_id: i64,
    active: bool,
}

impl Store {
    // -----------------------------------------------------------------------------------
    // Campaigns and rounds

    pub async fn campaign(&self, id: i64) -> Result<Option<Campaign>> {
        let row: Option<CampaignRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, name, target_kind, age_from, age_to, business FROM campaigns WHERE id = $1",
        ).bind(id).fetch_optional(p).await?);
        let Some(r) = row else { return Ok(None) };
        let units: Vec<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT unit_code FROM campaign_units WHERE campaign_id = $1 ORDER BY unit_code",
        ).bind(id).fetch_all(p).await?);
        let target = match r.target_kind.as_str() {
            "everyone" => TargetGroup::Everyone,
            "one-per-household" => TargetGroup::OnePerHousehold,
            "ages" => TargetGroup::Ages {
                from: r.age_from.unwrap_or(0).clamp(0, 255) as u8,
                to: r.age_to.unwrap_or(0).clamp(0, 255) as u8,
            },
            _ => TargetGroup::Workers {
                business: r.business.unwrap_or_default(),
            },
        };
        Ok(Some(Campaign {
            id: r.id,
            data: NewCampaign {
                name: r.name,
                target_units: units
                    .into_iter()
                    .map(|(c,)| UnitCode::parse(&c).expect("stored codes are valid"))
                    .collect(),
                target,
            },
        }))
    }

    /// All campaigns, newest first.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>> {
        let ids: Vec<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id FROM campaigns ORDER BY id DESC",
        ).fetch_all(p).await?);
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            out.extend(self.campaign(id).await?);
        }
        Ok(out)
    }

    async fn check_campaign(&self, c: &NewCampaign) -> Result<()> {
        c.validate().map_err(invalid)?;
        for code in &c.target_units {
            if self.unit(code.as_str()).await?.is_none() {
                return Err(invalid(format!("no unit with code {code}")));
            }
        }
        Ok(())
    }

    pub async fn create_campaign(&self, actor: &Actor, c: &NewCampaign) -> Result<Campaign> {
        self.check_campaign(c).await?;
        let (age_from, age_to, business) = target_columns(&c.target);
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO campaigns (name, target_kind, age_from, age_to, business, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(c.name.trim()).bind(c.target.as_str()).bind(age_from).bind(age_to).bind(business)
            .bind(Utc::now())
            .fetch_one(&mut *tx).await?;
            let codes: HashSet<&str> = c.target_units.iter().map(UnitCode::as_str).collect();
            for code in codes {
                sqlx::query("INSERT INTO campaign_units (campaign_id, unit_code) VALUES ($1, $2)")
                    .bind(id).bind(code).execute(&mut *tx).await?;
            }
            audit_log!(tx, actor, "create", "campaign", id, None::<&()>, Some(c));
            tx.commit().await?;
            id
        });
        self.campaign(id)
            .await?
            .ok_or_else(|| not_found(format!("campaign {id}")))
    }

    /// Changes a campaign (audited) and recounts the people targeted by its rounds.
    pub async fn update_campaign(
        &self,
        actor: &Actor,
        id: i64,
        c: &NewCampaign,
    ) -> Result<Campaign> {
        let before = self
            .campaign(id)
            .await?
            .ok_or_else(|| not_found(format!("campaign {id}")))?;
        self.check_campaign(c).await?;
        let (age_from, age_to, business) = target_columns(&c.target);
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE campaigns SET name = $1, target_kind = $2, age_from = $3, age_to = $4, \
                         business = $5 WHERE id = $6")
                .bind(c.name.trim()).bind(c.target.as_str()).bind(age_from).bind(age_to).bind(business)
                .bind(id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM campaign_units WHERE campaign_id = $1").bind(id).execute(&mut *tx).await?;
            let codes: HashSet<&str> = c.target_units.iter().map(UnitCode::as_str).collect();
            for code in codes {
                sqlx::query("INSERT INTO campaign_units (campaign_id, unit_code) VALUES ($1, $2)")
                    .bind(id).bind(code).execute(&mut *tx).await?;
            }
            audit_log!(tx, actor, "update", "campaign", id, Some(&before.data), Some(c));
            tx.commit().await?;
        });
        for round in self.rounds(id).await? {
            self.refresh_round_targets(actor, round.id).await?;
        }
        self.campaign(id)
            .await?
            .ok_or_else(|| not_found(format!("campaign {id}")))
    }

    pub async fn round(&self, id: i64) -> Result<Option<Round>> {
        let row: Option<(i64, i64, i64, NaiveDate, NaiveDate)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, campaign_id, number, start_date, end_date FROM rounds WHERE id = $1",
        ).bind(id).fetch_optional(p).await?);
        Ok(row.map(round_from))
    }

    /// The rounds of a campaign, by number.
    pub async fn rounds(&self, campaign_id: i64) -> Result<Vec<Round>> {
        let rows: Vec<(i64, i64, i64, NaiveDate, NaiveDate)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, campaign_id, number, start_date, end_date FROM rounds WHERE campaign_id = $1 ORDER BY number",
        ).bind(campaign_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(round_from).collect())
    }

    /// Creates a round and counts the people it targets in each unit (from the registry as
    /// it is now; [`Store::refresh_round_targets`] counts again).
    pub async fn create_round(&self, actor: &Actor, r: &NewRound) -> Result<Round> {
        r.validate().map_err(invalid)?;
        if self.campaign(r.campaign_id).await?.is_none() {
            return Err(invalid(format!("no campaign {}", r.campaign_id)));
        }
        let exists: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id FROM rounds WHERE campaign_id = $1 AND number = $2",
        ).bind(r.campaign_id).bind(i64::from(r.number)).fetch_optional(p).await?);
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "round {} of campaign {} exists already",
                r.number, r.campaign_id
            )));
        }
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO rounds (campaign_id, number, start_date, end_date) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(r.campaign_id).bind(i64::from(r.number)).bind(r.start).bind(r.end)
            .fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "create", "round", id, None::<&()>, Some(r));
            tx.commit().await?;
            id
        });
        self.refresh_round_targets(actor, id).await?;
        self.round(id)
            .await?
            .ok_or_else(|| not_found(format!("round {id}")))
    }

    /// Changes a round's number or days (audited; the campaign stays) and counts its
    /// targets again (ages are taken on the first day).
    pub async fn update_round(&self, actor: &Actor, id: i64, r: &NewRound) -> Result<Round> {
        r.validate().map_err(invalid)?;
        let before = self
            .round(id)
            .await?
            .ok_or_else(|| not_found(format!("round {id}")))?;
        if r.campaign_id != before.data.campaign_id {
            return Err(invalid("a round stays in its campaign"));
        }
        let clash: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id FROM rounds WHERE campaign_id = $1 AND number = $2 AND id <> $3",
        ).bind(r.campaign_id).bind(i64::from(r.number)).bind(id).fetch_optional(p).await?);
        if clash.is_some() {
            return Err(StoreError::Conflict(format!(
                "round {} of campaign {} exists already",
                r.number, r.campaign_id
            )));
        }
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE rounds SET number = $1, start_date = $2, end_date = $3 WHERE id = $4")
                .bind(i64::from(r.number)).bind(r.start).bind(r.end).bind(id)
                .execute(&mut *tx).await?;
            audit_log!(tx, actor, "update", "round", id, Some(&before.data), Some(r));
            tx.commit().await?;
        });
        self.refresh_round_targets(actor, id).await?;
        self.round(id)
            .await?
            .ok_or_else(|| not_found(format!("round {id}")))
    }

    /// Counts again the people (or households) a round targets in each unit, from the
    /// registry as it is now (audited with the totals).
    pub async fn refresh_round_targets(&self, actor: &Actor, round_id: i64) -> Result<i64> {
        let round = self
            .round(round_id)
            .await?
            .ok_or_else(|| not_found(format!("round {round_id}")))?;
        let campaign = self
            .campaign(round.data.campaign_id)
            .await?
            .ok_or_else(|| not_found(format!("campaign {}", round.data.campaign_id)))?;
        let mut units = Vec::new();
        for code in &campaign.data.target_units {
            units.extend(self.unit(code.as_str()).await?);
        }
        // Nested target units would count twice: keep the outermost.
        let paths: Vec<String> = units.iter().map(|u| u.path.clone()).collect();
        units.retain(|u| {
            !paths
                .iter()
                .any(|p| p != &u.path && u.path.starts_with(p.as_str()))
        });
        let count = match &campaign.data.target {
            TargetGroup::OnePerHousehold => "COUNT(DISTINCT x.household_id)",
            _ => "COUNT(*)",
        };
        let ages = match &campaign.data.target {
            TargetGroup::Ages { from, to } => Some(AgeBounds::new(*from, *to, round.data.start)),
            _ => None,
        };
        let age_sql = if ages.is_some() {
            " AND ((x.birth_date IS NOT NULL AND x.birth_date > $3 AND x.birth_date <= $4) \
              OR (x.birth_date IS NULL AND x.birth_year >= $5 AND x.birth_year <= $6))"
        } else {
            " AND $3 IS NULL AND $4 IS NULL AND $5 IS NULL AND $6 IS NULL"
        };
        let sql = format!(
            "SELECT x.unit_id, {count} FROM people x JOIN units u ON u.id = x.unit_id \
             WHERE x.active AND u.path >= $1 AND u.path < $2{age_sql} GROUP BY x.unit_id"
        );
        let workers = matches!(campaign.data.target, TargetGroup::Workers { .. });
        let mut counts: Vec<(i64, i64)> = Vec::new();
        if !workers {
            for u in &units {
                let rows: Vec<(i64, i64)> = with_pool!(self, p => sqlx::query_as(&sql)
                    .bind(&u.path).bind(path_end(&u.path))
                    .bind(ages.map(|a| a.born_after)).bind(ages.map(|a| a.born_on_or_before))
                    .bind(ages.map(|a| a.year_min)).bind(ages.map(|a| a.year_max))
                    .fetch_all(p).await?);
                counts.extend(rows);
            }
        }
        let total: i64 = counts.iter().map(|(_, n)| n).sum();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE round_unit_stats SET targeted = 0 WHERE round_id = $1")
                .bind(round_id).execute(&mut *tx).await?;
            for chunk in counts.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("INSERT INTO round_unit_stats (round_id, unit_id, targeted) ");
                qb.push_values(chunk, |mut b, (unit_id, n)| {
                    b.push_bind(round_id).push_bind(*unit_id).push_bind(*n);
                });
                qb.push(" ON CONFLICT (round_id, unit_id) DO UPDATE SET targeted = excluded.targeted");
                qb.build().execute(&mut *tx).await?;
            }
            audit_log!(tx, actor, "count-targets", "round", round_id, None::<&()>,
                Some(&serde_json::json!({ "targeted": total, "units": counts.len() })));
            tx.commit().await?;
        });
        Ok(total)
    }

    /// The people a round targets in one hamlet (or commune without hamlets), each with
    /// whether they are in a sample of the round; by household, head first. For a
    /// one-per-household campaign: one person per household (the head, else the first
    /// registered), sampled when any member is.
    pub async fn sampling_list(
        &self,
        round_id: i64,
        hamlet_code: &str,
    ) -> Result<Vec<(Person, bool)>> {
        let round = self
            .round(round_id)
            .await?
            .ok_or_else(|| not_found(format!("round {round_id}")))?;
        let campaign = self
            .campaign(round.data.campaign_id)
            .await?
            .ok_or_else(|| not_found(format!("campaign {}", round.data.campaign_id)))?;
        let hamlet = self.require_unit(hamlet_code).await?;
        let mut targeted = false;
        for code in &campaign.data.target_units {
            if let Some(u) = self.unit(code.as_str()).await? {
                targeted |= u.contains(&hamlet);
            }
        }
        if !targeted || matches!(campaign.data.target, TargetGroup::Workers { .. }) {
            return Ok(Vec::new());
        }
        let mut people = self
            .people(&PeopleQuery {
                within: hamlet.path.clone(),
                limit: i64::MAX,
                ..Default::default()
            })
            .await?;
        let sampled: Vec<(i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT m.person_id, m.household_id FROM sample_members m JOIN units u ON u.id = m.unit_id \
             WHERE m.round_id = $1 AND NOT m.retest AND u.path >= $2 AND u.path < $3",
        ).bind(round_id).bind(&hamlet.path).bind(path_end(&hamlet.path)).fetch_all(p).await?);
        let sampled_people: HashSet<i64> = sampled.iter().map(|(p, _)| *p).collect();
        let sampled_households: HashSet<i64> = sampled.iter().map(|(_, h)| *h).collect();
        people.sort_by(|a, b| {
            (
                a.data.household_code.as_str(),
                a.data.relation != Relation::Head,
                a.id,
            )
                .cmp(&(
                    b.data.household_code.as_str(),
                    b.data.relation != Relation::Head,
                    b.id,
                ))
        });
        let candidates: Vec<Candidate> = people
            .iter()
            .map(|p| Candidate {
                household_id: p.household_id,
                birth: p.data.birth,
                sampled: sampled_people.contains(&p.id),
            })
            .collect();
        let picked = round_targets(
            &campaign.data.target,
            round.data.start,
            &candidates,
            &sampled_households,
        );
        let mut people: Vec<Option<Person>> = people.into_iter().map(Some).collect();
        let out = picked
            .into_iter()
            .filter_map(|(i, sampled)| people[i].take().map(|p| (p, sampled)))
            .collect();
        Ok(out)
    }

    // -----------------------------------------------------------------------------------
    // Samples

    pub async fn sample(&self, id: i64) -> Result<Option<Sample>> {
        let sql = format!("{SAMPLE_SELECT} WHERE id = $1");
        let row: Option<SampleDbRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        self.with_members(row).await
    }

    pub async fn sample_by_code(&self, code: &SampleCode) -> Result<Option<Sample>> {
        let sql = format!("{SAMPLE_SELECT} WHERE code = $1");
        let row: Option<SampleDbRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(code.as_str()).fetch_optional(p).await?);
        self.with_members(row).await
    }

    /// Of these sample codes, the stored ones: their unit and whether a result is recorded, in
    /// one query per few thousand codes (an upload's check reads this for every row of a file).
    pub async fn sample_states(&self, codes: &[&str]) -> Result<HashMap<String, SampleState>> {
        let rows = super::fetch_keyed!(
            self,
            "SELECT code, unit_id, result IS NOT NULL AS has_result FROM samples WHERE",
            "code",
            codes,
            SampleStateRow
        );
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.code,
                    SampleState {
                        unit_id: r.unit_id,
                        has_result: r.has_result,
                    },
                )
            })
            .collect())
    }

    /// The samples a person was in (pools and retests too), by collection time.
    pub async fn samples_of_person(&self, person_id: i64) -> Result<Vec<Sample>> {
        let ids: Vec<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT DISTINCT sample_id FROM sample_members WHERE person_id = $1",
        ).bind(person_id).fetch_all(p).await?);
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            out.extend(self.sample(id).await?);
        }
        out.sort_by_key(|s| (s.collected_at, s.id));
        Ok(out)
    }

    async fn with_members(&self, row: Option<SampleDbRow>) -> Result<Option<Sample>> {
        let Some(row) = row else { return Ok(None) };
        let members: Vec<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT person_id FROM sample_members WHERE sample_id = $1 ORDER BY person_id",
        ).bind(row.id).fetch_all(p).await?);
        Ok(Some(
            row.into_sample(members.into_iter().map(|(m,)| m).collect()),
        ))
    }

    /// People by id (in id order: the table is read front to back, not at random).
    async fn members_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Member>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let rows = super::fetch_keyed!(
            self,
            "SELECT id, unit_id, household_id, active FROM people WHERE",
            "id",
            &ids[..],
            Member
        );
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }

    /// Of these people, those already in a (non-retest) sample of the round, with its code.
    async fn already_sampled(&self, round_id: i64, ids: &[i64]) -> Result<HashMap<i64, String>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT m.person_id, s.code FROM sample_members m JOIN samples s ON s.id = m.sample_id \
                 WHERE m.round_id = $1 AND NOT m.retest AND m.person_id IN ({})",
                id_list(chunk)
            );
            let rows: Vec<(i64, String)> =
                with_pool!(self, p => sqlx::query_as(&sql).bind(round_id).fetch_all(p).await?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// Checks the members of a new sample or of an addition to one.
    async fn check_members(&self, round_id: i64, ids: &[i64], retest: bool) -> Result<Vec<Member>> {
        let mut seen = HashSet::new();
        if let Some(dup) = ids.iter().find(|id| !seen.insert(**id)) {
            return Err(invalid(format!("person #{dup} is listed twice")));
        }
        let found = self.members_by_ids(ids).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match found.get(id) {
                None => return Err(invalid(format!("no person #{id}"))),
                Some(m) if !m.active => {
                    return Err(invalid(format!("person #{id} is no longer active")))
                }
                Some(m) => out.push(*m),
            }
        }
        if !retest {
            if let Some((id, code)) = self
                .already_sampled(round_id, ids)
                .await?
                .into_iter()
                .next()
            {
                return Err(StoreError::Conflict(format!(
                    "person #{id} is already in sample {code} of this round"
                )));
            }
        }
        Ok(out)
    }

    /// Records a sample and its members (audited): the pool size limit in force on the day
    /// of collection holds, and nobody is sampled twice in a round (except for a retest).
    pub async fn create_sample(&self, actor: &Actor, s: &NewSample) -> Result<Sample> {
        let round = self
            .round(s.round_id)
            .await?
            .ok_or_else(|| invalid(format!("no round {}", s.round_id)))?;
        if s.collected_at > Utc::now() + CLOCK_SKEW {
            return Err(invalid(format!(
                "collected at {} is in the future",
                s.collected_at
            )));
        }
        let day = epi_day(s.collected_at);
        let limits = self.pool_limits().await?;
        let limit = in_force(&limits, day).cloned().unwrap_or_default();
        limit
            .check(s.method, s.pooled, s.high_risk, s.members.len())
            .map_err(|e| invalid(e.to_string()))?;
        if self.sample_by_code(&s.code).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "sample {} exists already",
                s.code
            )));
        }
        let retest = s.retest_order_id.is_some();
        if let Some(order_id) = s.retest_order_id {
            let order: Option<(i64, i64, String)> = with_pool!(self, p => sqlx::query_as(
                "SELECT person_id, round_id, status FROM retest_orders WHERE id = $1",
            ).bind(order_id).fetch_optional(p).await?);
            match order {
                None => return Err(invalid(format!("no retest order {order_id}"))),
                Some((_, _, status)) if status != "open" => {
                    return Err(StoreError::Conflict(format!(
                        "retest order {order_id} is done already"
                    )))
                }
                Some((person, order_round, _)) => {
                    if s.pooled || s.members != [person] || order_round != round.id {
                        return Err(invalid(format!(
                            "retest order {order_id} is answered by an individual sample of person #{person} in round {order_round}"
                        )));
                    }
                }
            }
        }
        let members = self.check_members(round.id, &s.members, retest).await?;
        let unit_id = members[0].unit_id;
        let mut units: Vec<i64> = members.iter().map(|m| m.unit_id).collect();
        units.sort_unstable();
        units.dedup();
        let now = Utc::now();
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO samples (code, round_id, method, pooled, high_risk, retest, retest_order_id, \
                 collected_at, collected_day, collector, laboratory, unit_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(s.code.as_str()).bind(round.id).bind(s.method.as_str()).bind(s.pooled).bind(s.high_risk)
            .bind(retest).bind(s.retest_order_id).bind(s.collected_at).bind(day).bind(s.collector.trim())
            .bind(s.laboratory.trim()).bind(unit_id).bind(now)
            .fetch_one(&mut *tx).await?;
            let mut qb = QueryBuilder::new(
                "INSERT INTO sample_members (sample_id, person_id, round_id, unit_id, household_id, retest) ",
            );
            qb.push_values(&members, |mut b, m| {
                b.push_bind(id).push_bind(m.id).push_bind(round.id).push_bind(m.unit_id)
                    .push_bind(m.household_id).push_bind(retest);
            });
            qb.build().execute(&mut *tx).await?;
            if let Some(order_id) = s.retest_order_id {
                sqlx::query("UPDATE retest_orders SET status = 'done', done_sample_id = $1 WHERE id = $2")
                    .bind(id).bind(order_id).execute(&mut *tx).await?;
            }
            mark_contact_tests!(tx, day, day);
            if !retest {
                refresh_round_stats!(tx, round.id, &units);
            }
            audit_log!(tx, actor, "create", "sample", id, None::<&()>, Some(s));
            tx.commit().await?;
            id
        });
        self.sample(id)
            .await?
            .ok_or_else(|| not_found(format!("sample {id}")))
    }

    /// Adds the active members of a household to a sample not yet tested, in one action
    /// (audited): those already in it are left as they are; the pool limit and the once-a-
    /// round rule hold.
    pub async fn add_household_to_sample(
        &self,
        actor: &Actor,
        sample_id: i64,
        household_id: i64,
    ) -> Result<Sample> {
        let sample = self
            .sample(sample_id)
            .await?
            .ok_or_else(|| not_found(format!("sample {sample_id}")))?;
        if sample.result.is_some() {
            return Err(StoreError::Conflict(format!(
                "sample {} has a result already",
                sample.code
            )));
        }
        if sample.retest_order_id.is_some() {
            return Err(invalid("a retest sample holds its one person"));
        }
        let household = self
            .household(household_id)
            .await?
            .ok_or_else(|| not_found(format!("household {household_id}")))?;
        let people = self
            .people(&PeopleQuery {
                within: "/".into(),
                household_id: Some(household.id),
                limit: i64::MAX,
                ..Default::default()
            })
            .await?;
        let new: Vec<i64> = people
            .iter()
            .map(|p| p.id)
            .filter(|id| !sample.members.contains(id))
            .collect();
        if new.is_empty() {
            return Ok(sample);
        }
        let limits = self.pool_limits().await?;
        let limit = in_force(&limits, sample.collected_day)
            .cloned()
            .unwrap_or_default();
        limit
            .check(
                sample.method,
                sample.pooled,
                sample.high_risk,
                sample.members.len() + new.len(),
            )
            .map_err(|e| invalid(e.to_string()))?;
        let members = self.check_members(sample.round_id, &new, false).await?;
        let mut units: Vec<i64> = members.iter().map(|m| m.unit_id).collect();
        units.push(sample.unit_id);
        units.sort_unstable();
        units.dedup();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut qb = QueryBuilder::new(
                "INSERT INTO sample_members (sample_id, person_id, round_id, unit_id, household_id, retest) ",
            );
            qb.push_values(&members, |mut b, m| {
                b.push_bind(sample.id).push_bind(m.id).push_bind(sample.round_id).push_bind(m.unit_id)
                    .push_bind(m.household_id).push_bind(false);
            });
            qb.build().execute(&mut *tx).await?;
            mark_contact_tests!(tx, sample.collected_day, sample.collected_day);
            refresh_round_stats!(tx, sample.round_id, &units);
            audit_log!(tx, actor, "add-household", "sample", sample.id, Some(&sample.members),
                Some(&serde_json::json!({ "household": household.data.code, "added": new })));
            tx.commit().await?;
        });
        self.sample(sample_id)
            .await?
            .ok_or_else(|| not_found(format!("sample {sample_id}")))
    }

    // -----------------------------------------------------------------------------------
    // Bulk import of samples

    /// Resolves the people named by import rows (the answer is aligned with `refs`): citizen
    /// IDs and household + folded name + birth (a birth year in the registry also matches a
    /// full date of that year; a year in the file, the one full date of that year).
    ///
    /// Keys are looked up sorted (index order); the people of households are read by
    /// household id, the order they were written in.
    pub(crate) async fn resolve_people(&self, refs: &[&PersonRef]) -> Result<Vec<Option<Member>>> {
        let mut ids: Vec<&str> = Vec::new();
        let mut households: Vec<&str> = Vec::new();
        for r in refs {
            match r {
                PersonRef::CitizenId(c) => ids.push(c.as_str()),
                PersonRef::Household { household_code, .. } => {
                    households.push(household_code.as_str())
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        households.sort_unstable();
        households.dedup();
        // People by citizen ID, and the members of the named households, at once (each
        // on its own connection).
        #[allow(clippy::type_complexity)]
        let (found, (codes, rows)) = futures::try_join!(
            async {
                let found = super::fetch_keyed!(
                    self,
                    "SELECT citizen_id, id, unit_id, household_id, active FROM people WHERE",
                    "citizen_id",
                    &ids[..],
                    (String, i64, i64, i64, bool)
                );
                Ok::<_, StoreError>(found)
            },
            async {
                let codes = super::fetch_keyed!(
                    self,
                    "SELECT id, code FROM households WHERE",
                    "code",
                    &households[..],
                    (i64, String)
                );
                let mut household_ids: Vec<i64> = codes.iter().map(|c| c.0).collect();
                household_ids.sort_unstable();
                let rows = super::fetch_keyed!(
                    self,
                    "SELECT household_id, name_folded, birth_date, birth_year, id, unit_id, active \
                     FROM people WHERE",
                    "household_id",
                    &household_ids[..],
                    (i64, String, Option<NaiveDate>, i32, i64, i64, bool)
                );
                Ok::<_, StoreError>((codes, rows))
            },
        )?;
        let by_id: HashMap<&str, Member> = found
            .iter()
            .map(|(c, id, unit_id, household_id, active)| {
                let m = Member {
                    id: *id,
                    unit_id: *unit_id,
                    household_id: *household_id,
                    active: *active,
                };
                (c.as_str(), m)
            })
            .collect();
        let code_of: HashMap<i64, &str> = codes.iter().map(|(id, c)| (*id, c.as_str())).collect();
        // (household code, folded name, (year, month, day)) with 0, 0 for a year alone.
        type NameKey<'a> = (&'a str, &'a str, (i32, u32, u32));
        let mut by_name: HashMap<NameKey<'_>, Member> = HashMap::with_capacity(rows.len());
        let mut by_year: HashMap<(&str, &str, i32), Option<Member>> =
            HashMap::with_capacity(rows.len());
        for (household_id, name, date, year, id, unit_id, active) in &rows {
            let Some(code) = code_of.get(household_id).copied() else {
                continue;
            };
            let m = Member {
                id: *id,
                unit_id: *unit_id,
                household_id: *household_id,
                active: *active,
            };
            let birth = date.map_or((*year, 0, 0), |d| (d.year(), d.month(), d.day()));
            by_name.insert((code, name.as_str(), birth), m);
            // A file giving only the year finds a full date of that year, if only one.
            by_year
                .entry((code, name.as_str(), *year))
                .and_modify(|e| *e = None)
                .or_insert(Some(m));
        }
        let out = refs
            .iter()
            .map(|r| match r {
                PersonRef::CitizenId(c) => by_id.get(c.as_str()).copied(),
                PersonRef::Household {
                    household_code,
                    full_name,
                    birth,
                } => {
                    let name = fold(full_name.as_str());
                    let code = household_code.as_str();
                    let year = birth.year();
                    let exact = match birth {
                        Birth::Date(d) => (d.year(), d.month(), d.day()),
                        Birth::Year(y) => (*y, 0, 0),
                    };
                    by_name
                        .get(&(code, name.as_str(), exact))
                        .or_else(|| by_name.get(&(code, name.as_str(), (year, 0, 0))))
                        .or_else(|| {
                            by_year
                                .get(&(code, name.as_str(), year))
                                .and_then(Option::as_ref)
                        })
                        .copied()
                }
            })
            .collect();
        Ok(out)
    }

    /// Imports samples, one row per member (the rows of a sample repeat its fields). All or
    /// nothing unless `skip_bad_rows` (a sample with a bad row is refused whole); a sample
    /// whose code is stored with the same fields and members is unchanged, with others a
    /// problem. The summary counts samples. Multi-row inserts in one transaction.
    pub async fn import_samples(
        &self,
        actor: &Actor,
        rows: Vec<Located<SampleRow>>,
        opts: &ImportOptions,
    ) -> Result<ImportSummary> {
        let now = Utc::now();
        let mut problems: Vec<RowProblem> = Vec::new();
        let mut summary = ImportSummary::default();

        // Rounds.
        let mut rounds: HashMap<i64, bool> = HashMap::new();
        for r in &rows {
            if let std::collections::hash_map::Entry::Vacant(e) = rounds.entry(r.value.round_id) {
                e.insert(self.round(r.value.round_id).await?.is_some());
            }
        }
        let limits = self.pool_limits().await?;

        // Group rows by sample, in file order.
        struct Group {
            first: usize,
            rows: Vec<usize>,
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of: HashMap<SampleCode, usize> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            match group_of.get(&r.value.sample_code) {
                Some(&g) => groups[g].rows.push(i),
                None => {
                    group_of.insert(r.value.sample_code.clone(), groups.len());
                    groups.push(Group {
                        first: i,
                        rows: vec![i],
                    });
                }
            }
        }

        let refs: Vec<&PersonRef> = rows.iter().map(|r| &r.value.person).collect();
        let phase = std::time::Instant::now();
        // `people[i]`: the person of row `i`.
        let people = self.resolve_people(&refs).await?;
        tracing::debug!(
            ms = phase.elapsed().as_millis(),
            "samples import: people resolved"
        );
        drop(refs);

        // Stored samples with these codes, and their members.
        let codes: Vec<&str> = groups
            .iter()
            .map(|g| rows[g.first].value.sample_code.as_str())
            .collect();
        let mut stored: HashMap<String, (SampleDbRow, HashSet<i64>)> = HashMap::new();
        let all_found = super::fetch_keyed!(
            self,
            format!("{SAMPLE_SELECT} WHERE"),
            "code",
            &codes[..],
            SampleDbRow
        );
        let ids: Vec<i64> = all_found.iter().map(|s| s.id).collect();
        let members = super::fetch_keyed!(
            self,
            "SELECT sample_id, person_id FROM sample_members WHERE",
            "sample_id",
            &ids[..],
            (i64, i64)
        );
        let mut by_sample: HashMap<i64, HashSet<i64>> = HashMap::new();
        for (s, m) in members {
            by_sample.entry(s).or_default().insert(m);
        }
        for s in all_found {
            let m = by_sample.remove(&s.id).unwrap_or_default();
            stored.insert(s.code.clone(), (s, m));
        }

        // People already sampled in these rounds (skipped when the rounds have no samples).
        let mut round_has_members = false;
        for round_id in rounds.keys() {
            let n: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
                "SELECT sample_id FROM sample_members WHERE round_id = $1 LIMIT 1",
            ).bind(round_id).fetch_optional(p).await?);
            round_has_members |= n.is_some();
        }
        let mut sampled_before: HashMap<(i64, i64), String> = HashMap::new();
        if round_has_members {
            // Only the members of samples not stored yet can clash.
            let mut ids: Vec<i64> = groups
                .iter()
                .filter(|g| !stored.contains_key(rows[g.first].value.sample_code.as_str()))
                .flat_map(|g| g.rows.iter())
                .filter_map(|&i| people[i].map(|m| m.id))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let found = super::fetch_keyed!(
                self,
                "SELECT m.round_id, m.person_id, s.code FROM sample_members m \
                 JOIN samples s ON s.id = m.sample_id WHERE NOT m.retest AND",
                "m.person_id",
                &ids[..],
                (i64, i64, String)
            );
            for (r, m, code) in found {
                sampled_before.insert((r, m), code);
            }
        }

        tracing::debug!(
            ms = phase.elapsed().as_millis(),
            "samples import: stored samples read"
        );
        // Check each sample.
        struct NewOne {
            group: usize,
            members: Vec<Member>,
        }
        let mut creates: Vec<NewOne> = Vec::new();
        let mut in_file: HashMap<(i64, i64), (u32, &str)> = HashMap::new();
        for (gi, g) in groups.iter().enumerate() {
            let head = &rows[g.first];
            let h = &head.value;
            let mut group_problems: Vec<RowProblem> = Vec::new();
            if !rounds[&h.round_id] {
                group_problems.push(RowProblem::new(
                    head.row,
                    "round",
                    format!("no round {}", h.round_id),
                ));
            }
            if h.collected_at > now + CLOCK_SKEW {
                group_problems.push(RowProblem::new(
                    head.row,
                    "collected_at",
                    format!("{} is in the future", h.collected_at),
                ));
            }
            let mut members: Vec<Member> = Vec::with_capacity(g.rows.len());
            let mut seen_here: HashSet<i64> = HashSet::new();
            for &i in &g.rows {
                let Located { row, value: r } = &rows[i];
                if i != g.first {
                    let differs = [
                        ("round", r.round_id != h.round_id),
                        ("method", r.method != h.method),
                        ("pooled", r.pooled != h.pooled),
                        ("high_risk", r.high_risk != h.high_risk),
                        ("collected_at", r.collected_at != h.collected_at),
                        ("collector", r.collector.trim() != h.collector.trim()),
                        ("laboratory", r.laboratory.trim() != h.laboratory.trim()),
                    ];
                    for (column, bad) in differs {
                        if bad {
                            group_problems.push(RowProblem::new(
                                *row,
                                column,
                                format!(
                                    "sample {} has another {column} on row {}",
                                    h.sample_code, head.row
                                ),
                            ));
                        }
                    }
                }
                match &people[i] {
                    None => group_problems.push(RowProblem::new(
                        *row,
                        r.person.column(),
                        format!("no person with {} in the registry", r.person),
                    )),
                    Some(m) if !m.active => group_problems.push(RowProblem::new(
                        *row,
                        r.person.column(),
                        format!("{} is no longer active in the registry", r.person),
                    )),
                    Some(m) if !seen_here.insert(m.id) => group_problems.push(RowProblem::new(
                        *row,
                        r.person.column(),
                        format!("{} is twice in sample {}", r.person, h.sample_code),
                    )),
                    Some(m) => members.push(*m),
                }
            }
            if group_problems.is_empty() {
                if let Some((old, old_members)) = stored.get(h.sample_code.as_str()) {
                    let ids: HashSet<i64> = members.iter().map(|m| m.id).collect();
                    let same = old.round_id == h.round_id
                        && old.method == h.method.as_str()
                        && old.pooled == h.pooled
                        && old.high_risk == h.high_risk
                        && old.collected_at == h.collected_at
                        && old.collector == h.collector.trim()
                        && old.laboratory == h.laboratory.trim()
                        && *old_members == ids;
                    if same {
                        summary.unchanged += 1;
                    } else {
                        group_problems.push(RowProblem::new(
                            head.row,
                            "sample_code",
                            format!(
                                "sample {} is stored already with other fields or members",
                                h.sample_code
                            ),
                        ));
                    }
                    problems.append(&mut group_problems);
                    continue;
                }
                let day = epi_day(h.collected_at);
                let limit = in_force(&limits, day).cloned().unwrap_or_default();
                if let Err(e) = limit.check(h.method, h.pooled, h.high_risk, members.len()) {
                    group_problems.push(RowProblem::new(head.row, "sample_code", e.to_string()));
                }
                for (&i, m) in g.rows.iter().zip(&members) {
                    let Located { row, value: r } = &rows[i];
                    if let Some(code) = sampled_before.get(&(h.round_id, m.id)) {
                        group_problems.push(RowProblem::new(
                            *row,
                            r.person.column(),
                            format!("{} is already in sample {code} of this round", r.person),
                        ));
                    } else if let Some((first, code)) = in_file.get(&(h.round_id, m.id)) {
                        group_problems.push(RowProblem::new(
                            *row,
                            r.person.column(),
                            format!(
                                "{} is already in sample {code} (row {first}) of this round",
                                r.person
                            ),
                        ));
                    }
                }
            }
            if group_problems.is_empty() {
                for (&i, m) in g.rows.iter().zip(&members) {
                    in_file.insert((h.round_id, m.id), (rows[i].row, h.sample_code.as_str()));
                }
                creates.push(NewOne { group: gi, members });
            } else {
                if opts.skip_bad_rows {
                    let blamed: HashSet<u32> = group_problems.iter().map(|p| p.row).collect();
                    for &i in &g.rows {
                        if !blamed.contains(&rows[i].row) {
                            group_problems.push(RowProblem::new(
                                rows[i].row,
                                "sample_code",
                                format!("sample {} is refused for its other rows", h.sample_code),
                            ));
                        }
                    }
                }
                problems.append(&mut group_problems);
            }
        }
        summary.created = creates.len() as u64;
        settle_problems(problems, opts, &mut summary)?;
        if opts.dry_run || creates.is_empty() {
            return Ok(summary);
        }

        tracing::debug!(ms = phase.elapsed().as_millis(), "samples import: checked");
        // Write.
        let mut affected: HashMap<i64, HashSet<i64>> = HashMap::new();
        let (mut min_day, mut max_day) = (NaiveDate::MAX, NaiveDate::MIN);
        for c in &creates {
            let h = &rows[groups[c.group].first].value;
            let set = affected.entry(h.round_id).or_default();
            set.extend(c.members.iter().map(|m| m.unit_id));
            let day = epi_day(h.collected_at);
            min_day = min_day.min(day);
            max_day = max_day.max(day);
        }
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (batch,): (i64,) = sqlx::query_as(BATCH_INSERT)
                .bind("samples").bind(&opts.file_name).bind(&opts.sha256).bind(&actor.name).bind(now)
                .bind(summary.created as i64).bind(0i64).bind(summary.unchanged as i64)
                .bind(summary.skipped.len() as i64)
                .fetch_one(&mut *tx).await?;
            // The fastest path of each backend (COPY on PostgreSQL, multi-row prepared
            // INSERTs on SQLite), then the new ids by the batch (one index range).
            let days: Vec<NaiveDate> = creates
                .iter()
                .map(|c| epi_day(rows[groups[c.group].first].value.collected_at))
                .collect();
            let sample_cells: Vec<Vec<Cell>> = creates
                .iter()
                .zip(&days)
                .map(|(c, day)| {
                    let h = &rows[groups[c.group].first].value;
                    vec![
                        Cell::Text(h.sample_code.as_str()), Cell::Int(h.round_id), Cell::Text(h.method.as_str()),
                        Cell::Bool(h.pooled), Cell::Bool(h.high_risk), Cell::Bool(false),
                        Cell::Instant(h.collected_at), Cell::Date(*day), Cell::Text(h.collector.trim()),
                        Cell::Text(h.laboratory.trim()), Cell::Int(c.members[0].unit_id), Cell::Int(batch),
                        Cell::Instant(now),
                    ]
                })
                .collect();
            tx.load_rows("samples", &SAMPLE_COLUMNS, &sample_cells).await?;
            tracing::debug!(ms = phase.elapsed().as_millis(), "samples import: samples written");
            drop(sample_cells);
            let got: Vec<(i64, String)> = sqlx::query_as("SELECT id, code FROM samples WHERE import_id = $1")
                .bind(batch).fetch_all(&mut *tx).await?;
            let ids: HashMap<String, i64> = got.into_iter().map(|(id, code)| (code, id)).collect();
            let all: Vec<(i64, i64, &Member)> = creates
                .iter()
                .flat_map(|c| {
                    let h = &rows[groups[c.group].first].value;
                    let id = ids[h.sample_code.as_str()];
                    c.members.iter().map(move |m| (id, h.round_id, m))
                })
                .collect();
            let member_cells: Vec<Vec<Cell>> = all
                .iter()
                .map(|(sample_id, round_id, m)| vec![
                    Cell::Int(*sample_id), Cell::Int(m.id), Cell::Int(*round_id), Cell::Int(m.unit_id),
                    Cell::Int(m.household_id), Cell::Bool(false),
                ])
                .collect();
            tx.load_rows("sample_members", &MEMBER_COLUMNS, &member_cells).await?;
            tracing::debug!(ms = phase.elapsed().as_millis(), "samples import: members written");
            drop(member_cells);
            mark_contact_tests!(tx, min_day, max_day);
            tracing::debug!(ms = phase.elapsed().as_millis(), "samples import: contact tests marked");
            for (round_id, units) in &affected {
                let mut units: Vec<i64> = units.iter().copied().collect();
                units.sort_unstable();
                refresh_round_stats!(tx, *round_id, &units);
            }
            tracing::debug!(ms = phase.elapsed().as_millis(), "samples import: round stats refreshed");
            audit_log!(tx, actor, "import", "import_batch", batch, None::<&()>, Some(&serde_json::json!({
                "kind": "samples", "file": opts.file_name, "sha256": opts.sha256,
                "created": summary.created, "unchanged": summary.unchanged,
                "members": all.len(), "skipped": summary.skipped.len(),
            })));
            tx.commit().await?;
            tracing::debug!(ms = phase.elapsed().as_millis(), "samples import: committed");
        });
        Ok(summary)
    }

    // -----------------------------------------------------------------------------------
    // Coverage

    /// Coverage and positivity of a round for a unit and each of its current children,
    /// summed from the per-unit aggregate over each subtree's path range.
    pub async fn coverage(&self, round_id: i64, unit: &Unit) -> Result<Vec<CoverageRow>> {
        let round = self
            .round(round_id)
            .await?
            .ok_or_else(|| not_found(format!("round {round_id}")))?;
        let campaign = self
            .campaign(round.data.campaign_id)
            .await?
            .ok_or_else(|| not_found(format!("campaign {}", round.data.campaign_id)))?;
        let households = campaign.data.target.counts_households();
        let mut units = vec![unit.clone()];
        units.extend(self.children(Some(&unit.code)).await?);
        let mut out = Vec::with_capacity(units.len());
        for u in units {
            let (targeted, people, hh, samples, resulted, positives): (
                i64,
                i64,
                i64,
                i64,
                i64,
                i64,
            ) = with_pool!(self, p => sqlx::query_as(
                    "SELECT CAST(COALESCE(SUM(s.targeted), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(s.sampled_people), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(s.sampled_households), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(s.samples), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(s.resulted), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(s.positives), 0) AS BIGINT) \
                     FROM round_unit_stats s JOIN units u ON u.id = s.unit_id \
                     WHERE s.round_id = $1 AND u.path >= $2 AND u.path < $3",
                ).bind(round_id).bind(&u.path).bind(path_end(&u.path)).fetch_one(p).await?);
            let sampled = if households { hh } else { people };
            out.push(CoverageRow::new(
                u.code.to_string(),
                u.name.clone(),
                targeted,
                sampled,
                samples,
                resulted,
                positives,
            ));
        }
        Ok(out)
    }
}

fn round_from(
    (id, campaign_id, number, start, end): (i64, i64, i64, NaiveDate, NaiveDate),
) -> Round {
    Round {
        id,
        data: NewRound {
            campaign_id,
            number: number.clamp(0, i64::from(u32::MAX)) as u32,
            start,
            end,
        },
    }
}
