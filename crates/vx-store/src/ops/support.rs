//! Aid programmes, eligibility over household facts, distributions and the gap report.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use vx_domain::ops::support::{eligible_by, AidKind, Combine, HouseholdFacts, NewProgramme, Rule};
use vx_domain::{Birth, Unit, UnitCode};

use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// A stored programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Programme {
    pub id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    pub programme: NewProgramme,
    pub created_by: String,
}

type ProgrammeRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
    String,
    String,
    String,
);

const PROGRAMME_SELECT: &str = "SELECT g.id, g.unit_id, u.path, u.code, g.name, g.kind, \
     g.amount_vnd, g.goods, g.rules, g.combine, g.created_by FROM programmes g \
     JOIN units u ON u.id = g.unit_id";

fn programme_from(r: ProgrammeRow) -> Programme {
    Programme {
        id: r.0,
        unit_id: r.1,
        unit_path: r.2,
        programme: NewProgramme {
            unit_code: UnitCode::parse(&r.3).expect("stored codes are valid"),
            name: r.4,
            kind: AidKind::parse(&r.5).unwrap_or(AidKind::Goods),
            amount_vnd: r.6,
            goods: r.7,
            rules: Rule::split(&r.8).unwrap_or_default(),
            combine: if r.9 == "all" {
                Combine::All
            } else {
                Combine::Any
            },
        },
        created_by: r.10,
    }
}

/// A distribution to record: what was handed over, when, by whom, with which receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDistribution {
    pub programme_id: i64,
    pub household_id: i64,
    pub handed_on: NaiveDate,
    pub handed_by: String,
    pub what: String,
    pub amount_vnd: Option<i64>,
    /// The receipt's number (biên nhận).
    pub receipt: String,
}

/// A recorded distribution with its household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Distribution {
    pub id: i64,
    pub household_code: String,
    pub head_name: String,
    pub unit_code: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub distribution: NewDistribution,
}

#[derive(sqlx::FromRow)]
struct DistributionRow {
    id: i64,
    programme_id: i64,
    household_id: i64,
    household_code: String,
    head_name: String,
    unit_code: String,
    handed_on: NaiveDate,
    handed_by: String,
    what: String,
    amount_vnd: Option<i64>,
    receipt: String,
    recorded_by: String,
    recorded_at: DateTime<Utc>,
}

const DISTRIBUTION_SELECT: &str = "SELECT d.id, d.programme_id, d.household_id, \
     h.code AS household_code, h.head_name, u.code AS unit_code, d.handed_on, d.handed_by, d.what, \
     d.amount_vnd, d.receipt, d.recorded_by, d.recorded_at FROM distributions d \
     JOIN households h ON h.id = d.household_id JOIN units u ON u.id = d.unit_id";

fn distribution_from(r: DistributionRow) -> Distribution {
    Distribution {
        id: r.id,
        household_code: r.household_code,
        head_name: r.head_name,
        unit_code: r.unit_code,
        recorded_by: r.recorded_by,
        recorded_at: r.recorded_at,
        distribution: NewDistribution {
            programme_id: r.programme_id,
            household_id: r.household_id,
            handed_on: r.handed_on,
            handed_by: r.handed_by,
            what: r.what,
            amount_vnd: r.amount_vnd,
            receipt: r.receipt,
        },
    }
}

/// What [`Store::distribute`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Handed {
    /// Recorded now.
    Recorded(Distribution),
    /// Refused: the household had already received the programme's aid; the earlier record.
    Earlier(Distribution),
}

/// A household with the rules that make it eligible, and its distribution if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibleHousehold {
    pub household_id: i64,
    pub code: String,
    pub head_name: String,
    pub unit_id: i64,
    pub rules: Vec<Rule>,
    pub distribution: Option<Distribution>,
}

/// One unit of a gap report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GapRow {
    pub unit_code: String,
    pub unit_name: String,
    pub eligible: i64,
    /// Eligible and supported.
    pub supported: i64,
    /// Eligible and not yet supported.
    pub gap: i64,
    /// Supported although not eligible on the day (e.g. quarantine ended since).
    pub supported_other: i64,
}

type HouseholdFactRow = (i64, String, String, i64, bool, bool);
type MemberFactRow = (i64, Option<NaiveDate>, i32, bool, bool);

impl Store {
    pub async fn create_programme(&self, actor: &Actor, g: &NewProgramme) -> Result<Programme> {
        g.validate()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let unit = self.unit(g.unit_code.as_str()).await?.ok_or_else(|| {
            StoreError::Invalid(format!("unit: no unit with code {}", g.unit_code))
        })?;
        let id = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO programmes (name, kind, amount_vnd, goods, unit_id, rules, combine, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(g.name.trim()).bind(g.kind.as_str()).bind(g.amount_vnd).bind(g.goods.trim())
            .bind(unit.id).bind(Rule::join(&g.rules))
            .bind(if g.combine == Combine::All { "all" } else { "any" })
            .bind(&actor.name).bind(Utc::now())
            .fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "create", "programmes", id, None::<&()>, Some(g));
            tx.commit().await?;
            id
        });
        self.programme(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("programme {id}")))
    }

    pub async fn programme(&self, id: i64) -> Result<Option<Programme>> {
        let sql = format!("{PROGRAMME_SELECT} WHERE g.id = $1");
        let row: Option<ProgrammeRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(programme_from))
    }

    pub async fn programmes(&self) -> Result<Vec<Programme>> {
        let sql = format!("{PROGRAMME_SELECT} ORDER BY g.id");
        let rows: Vec<ProgrammeRow> =
            with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
        Ok(rows.into_iter().map(programme_from).collect())
    }

    /// The facts the eligibility rules look at, for the active households of a subtree on
    /// a day: (id, code, head, unit id) and facts.
    async fn household_facts(
        &self,
        root: &Unit,
        day: NaiveDate,
    ) -> Result<Vec<((i64, String, String, i64), HouseholdFacts)>> {
        let end = path_end(&root.path);
        let households: Vec<HouseholdFactRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT h.id, h.code, h.head_name, h.unit_id, h.poor, h.lost_income FROM households h \
             JOIN units u ON u.id = h.unit_id WHERE u.path >= $1 AND u.path < $2 AND h.active \
             ORDER BY h.code",
        ).bind(&root.path).bind(&end).fetch_all(p).await?);
        let members: Vec<MemberFactRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT x.household_id, x.birth_date, x.birth_year, \
             EXISTS (SELECT 1 FROM contacts c WHERE c.person_id = x.id AND c.start_date <= $3 \
                AND c.end_date >= $3 AND (c.closed_on IS NULL OR c.closed_on > $3)), \
             EXISTS (SELECT 1 FROM cases k WHERE k.person_id = x.id AND k.isolation_start <= $3 \
                AND (k.released_on IS NULL OR k.released_on > $3) \
                AND (k.outcome_on IS NULL OR k.outcome_on > $3)) \
             FROM people x JOIN units u ON u.id = x.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND x.active",
        ).bind(&root.path).bind(&end).bind(day).fetch_all(p).await?);
        let mut facts: HashMap<i64, HouseholdFacts> = HashMap::new();
        for (hh, birth_date, birth_year, quarantine, treatment) in members {
            let f = facts.entry(hh).or_default();
            let birth = match birth_date {
                Some(d) => Birth::Date(d),
                None => Birth::Year(birth_year),
            };
            f.ages.push(birth.age_on(day));
            f.in_quarantine += u32::from(quarantine);
            f.in_treatment += u32::from(treatment);
        }
        Ok(households
            .into_iter()
            .map(|(id, code, head, unit_id, poor, lost_income)| {
                let mut f = facts.remove(&id).unwrap_or_default();
                f.poor = poor;
                f.lost_income = lost_income;
                ((id, code, head, unit_id), f)
            })
            .collect())
    }

    /// Distributions of a programme in a subtree, by household code.
    pub async fn distributions(&self, programme_id: i64, root: &Unit) -> Result<Vec<Distribution>> {
        let sql = format!(
            "{DISTRIBUTION_SELECT} WHERE d.programme_id = $1 AND u.path >= $2 AND u.path < $3 \
             ORDER BY u.path, h.code"
        );
        let rows = with_pool!(self, p => sqlx::query_as::<_, DistributionRow>(&sql)
            .bind(programme_id).bind(&root.path).bind(path_end(&root.path)).fetch_all(p).await?);
        Ok(rows.into_iter().map(distribution_from).collect())
    }

    /// Households of a subtree eligible for a programme on a day, with the rules that hold
    /// and their distribution if any. Only inside the programme's unit.
    pub async fn eligible_households(
        &self,
        g: &Programme,
        root: &Unit,
        day: NaiveDate,
    ) -> Result<Vec<EligibleHousehold>> {
        if !root.path.starts_with(&g.unit_path) && !g.unit_path.starts_with(&root.path) {
            return Ok(vec![]);
        }
        let root_for_facts = if root.path.starts_with(&g.unit_path) {
            root.clone()
        } else {
            self.unit_by_id(g.unit_id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("unit {}", g.unit_id)))?
        };
        let mut given: HashMap<i64, Distribution> = self
            .distributions(g.id, &root_for_facts)
            .await?
            .into_iter()
            .map(|d| (d.distribution.household_id, d))
            .collect();
        Ok(self
            .household_facts(&root_for_facts, day)
            .await?
            .into_iter()
            .filter_map(|((id, code, head, unit_id), f)| {
                let rules = eligible_by(&g.programme.rules, g.programme.combine, &f);
                let distribution = given.remove(&id);
                (!rules.is_empty() || distribution.is_some()).then_some(EligibleHousehold {
                    household_id: id,
                    code,
                    head_name: head,
                    unit_id,
                    rules,
                    distribution,
                })
            })
            .collect())
    }

    /// Records a distribution (audited). A household already supported by the programme is
    /// refused with the earlier record: [`Handed::Earlier`]. The UNIQUE constraint on
    /// (programme, household) decides between concurrent entries. A household outside the
    /// programme's unit, or not eligible on the day, is refused as invalid.
    pub async fn distribute(&self, actor: &Actor, d: &NewDistribution) -> Result<Handed> {
        let g = self
            .programme(d.programme_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("programme {}", d.programme_id)))?;
        let household = self
            .household(d.household_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("household {}", d.household_id)))?;
        let unit = self
            .unit_by_id(household.unit_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("unit {}", household.unit_id)))?;
        if let Some(earlier) = self.distribution_of(d.programme_id, d.household_id).await? {
            return Ok(Handed::Earlier(earlier));
        }
        let eligible = self
            .eligible_households(&g, &unit, d.handed_on)
            .await?
            .into_iter()
            .any(|e| e.household_id == d.household_id && !e.rules.is_empty());
        if !eligible {
            return Err(StoreError::Invalid(format!(
                "household {}: not eligible for programme \"{}\" on {}",
                household.data.code, g.programme.name, d.handed_on
            )));
        }
        if d.handed_by.trim().is_empty() || d.receipt.trim().is_empty() {
            return Err(StoreError::Invalid(
                "handed_by and receipt: required".into(),
            ));
        }
        let what = if d.what.trim().is_empty() {
            match g.programme.kind {
                AidKind::Cash => format!("{} đ", g.programme.amount_vnd.unwrap_or(0)),
                AidKind::Goods => g.programme.goods.clone(),
            }
        } else {
            d.what.trim().to_string()
        };
        let amount = d.amount_vnd.or(match g.programme.kind {
            AidKind::Cash => g.programme.amount_vnd,
            AidKind::Goods => None,
        });
        let inserted: Option<i64> = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let row: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO distributions (programme_id, household_id, unit_id, handed_on, handed_by, \
                 what, amount_vnd, receipt, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, \
                 $7, $8, $9, $10) ON CONFLICT (programme_id, household_id) DO NOTHING RETURNING id",
            )
            .bind(d.programme_id).bind(d.household_id).bind(unit.id).bind(d.handed_on)
            .bind(d.handed_by.trim()).bind(&what).bind(amount).bind(d.receipt.trim())
            .bind(&actor.name).bind(Utc::now())
            .fetch_optional(&mut *tx).await?;
            if let Some((id,)) = row {
                let after = serde_json::json!({"programme": d.programme_id,
                    "household": household.data.code.as_str(), "handed_on": d.handed_on,
                    "handed_by": d.handed_by.trim(), "what": what, "amount_vnd": amount,
                    "receipt": d.receipt.trim()});
                audit_log!(tx, actor, "create", "distributions", id, None::<&()>, Some(&after));
            }
            tx.commit().await?;
            row.map(|(id,)| id)
        });
        let found = self
            .distribution_of(d.programme_id, d.household_id)
            .await?
            .ok_or_else(|| StoreError::NotFound("distribution".into()))?;
        Ok(match inserted {
            Some(_) => Handed::Recorded(found),
            None => Handed::Earlier(found),
        })
    }

    /// The distribution of a programme to a household, if any.
    pub async fn distribution_of(
        &self,
        programme_id: i64,
        household_id: i64,
    ) -> Result<Option<Distribution>> {
        let sql =
            format!("{DISTRIBUTION_SELECT} WHERE d.programme_id = $1 AND d.household_id = $2");
        let row = with_pool!(self, p => sqlx::query_as::<_, DistributionRow>(&sql)
            .bind(programme_id).bind(household_id).fetch_optional(p).await?);
        Ok(row.map(distribution_from))
    }

    /// Eligible, supported and not yet supported households per unit holding households in
    /// a subtree, on a day; units with nothing to report are left out.
    pub async fn gap_report(
        &self,
        g: &Programme,
        root: &Unit,
        day: NaiveDate,
    ) -> Result<Vec<GapRow>> {
        let list = self.eligible_households(g, root, day).await?;
        let mut rows: BTreeMap<i64, GapRow> = BTreeMap::new();
        for e in &list {
            let r = rows.entry(e.unit_id).or_insert_with(|| GapRow {
                unit_code: String::new(),
                unit_name: String::new(),
                eligible: 0,
                supported: 0,
                gap: 0,
                supported_other: 0,
            });
            match (e.rules.is_empty(), e.distribution.is_some()) {
                (false, true) => {
                    r.eligible += 1;
                    r.supported += 1;
                }
                (false, false) => {
                    r.eligible += 1;
                    r.gap += 1;
                }
                (true, _) => r.supported_other += 1,
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for (unit_id, mut r) in rows {
            if let Some(u) = self.unit_by_id(unit_id).await? {
                r.unit_code = u.code.to_string();
                r.unit_name = u.name.clone();
                out.push((u.path, r));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }
}
