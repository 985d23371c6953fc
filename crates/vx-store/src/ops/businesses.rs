//! Businesses, their workers and the workers' tests; the level in force for a unit.

use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;
use vx_domain::ops::business::{
    decide, test_interval_days, Arrangements, Decision, Sector, WorkforceState,
};
use vx_domain::ops::permit::Shown;
use vx_domain::Unit;

use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// A business to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewBusiness {
    pub name: String,
    pub sector: Sector,
    /// A household business (hộ kinh doanh) rather than a company.
    pub household: bool,
    pub address: String,
    pub arrangements: Arrangements,
}

/// A registered business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Business {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_path: String,
    pub business: NewBusiness,
    pub workers: i64,
}

type BusinessRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    bool,
    String,
    bool,
    bool,
    bool,
    i64,
);

const BUSINESS_SELECT: &str = "SELECT b.id, b.unit_id, u.code, u.name, u.path, b.name, b.sector, \
     b.household, b.address, b.safety_plan, b.three_on_site, b.one_route, \
     (SELECT COUNT(*) FROM business_workers w WHERE w.business_id = b.id) \
     FROM businesses b JOIN units u ON u.id = b.unit_id";

fn business_from(r: BusinessRow) -> Business {
    Business {
        id: r.0,
        unit_id: r.1,
        unit_code: r.2,
        unit_name: r.3,
        unit_path: r.4,
        business: NewBusiness {
            name: r.5,
            sector: Sector::parse(&r.6).unwrap_or(Sector::Services),
            household: r.7,
            address: r.8,
            arrangements: Arrangements {
                safety_plan: r.9,
                three_on_site: r.10,
                one_route: r.11,
            },
        },
        workers: r.12,
    }
}

/// One worker on a day: last negative test, last positive, and whether the test is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerState {
    pub person_id: i64,
    pub name: String,
    /// The worker's home unit.
    pub unit_id: i64,
    pub last_negative: Option<NaiveDate>,
    /// Confirmed F0 or a positive worker test in the 14 days up to the day.
    pub positive_on: Option<NaiveDate>,
    /// When the next routine test is due (`None`: no routine testing at this level).
    pub due: Option<NaiveDate>,
    pub overdue: bool,
}

type WorkerRow = (
    i64,
    String,
    i64,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

fn minus(day: NaiveDate, n: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(n)).unwrap_or(day)
}

impl Store {
    pub async fn create_business(
        &self,
        actor: &Actor,
        unit: &Unit,
        b: &NewBusiness,
    ) -> Result<Business> {
        if b.name.trim().is_empty() {
            return Err(StoreError::Invalid("name: required".into()));
        }
        let id = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO businesses (unit_id, name, sector, household, address, safety_plan, \
                 three_on_site, one_route, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING id",
            )
            .bind(unit.id).bind(b.name.trim()).bind(b.sector.as_str()).bind(b.household)
            .bind(b.address.trim()).bind(b.arrangements.safety_plan)
            .bind(b.arrangements.three_on_site).bind(b.arrangements.one_route).bind(Utc::now())
            .fetch_one(&mut *tx).await?;
            let after = serde_json::json!({"unit": unit.code.as_str(), "business": b});
            audit_log!(tx, actor, "create", "businesses", id, None::<&()>, Some(&after));
            tx.commit().await?;
            id
        });
        self.business(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("business {id}")))
    }

    pub async fn business(&self, id: i64) -> Result<Option<Business>> {
        let sql = format!("{BUSINESS_SELECT} WHERE b.id = $1");
        let row: Option<BusinessRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(business_from))
    }

    /// Businesses of a subtree, by unit then name.
    pub async fn businesses_under(&self, root: &Unit) -> Result<Vec<Business>> {
        let sql = format!(
            "{BUSINESS_SELECT} WHERE u.path >= $1 AND u.path < $2 ORDER BY u.path, b.name, b.id"
        );
        let rows: Vec<BusinessRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(&root.path).bind(path_end(&root.path)).fetch_all(p).await?);
        Ok(rows.into_iter().map(business_from).collect())
    }

    /// Adds a worker (a registered person) to a business (audited; idempotent).
    pub async fn add_worker(
        &self,
        actor: &Actor,
        business_id: i64,
        person_id: i64,
    ) -> Result<bool> {
        if self.person(person_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("person {person_id}")));
        }
        let added = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO business_workers (business_id, person_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            ).bind(business_id).bind(person_id).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                let after = serde_json::json!({"business": business_id, "person": person_id});
                audit_log!(tx, actor, "add", "business_workers", business_id, None::<&()>, Some(&after));
            }
            tx.commit().await?;
            n > 0
        });
        Ok(added)
    }

    /// Records a worker's test done by or for the business (audited).
    pub async fn record_worker_test(
        &self,
        actor: &Actor,
        business_id: i64,
        person_id: i64,
        day: NaiveDate,
        result: Shown,
    ) -> Result<i64> {
        let id = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO worker_tests (business_id, person_id, day, result, recorded_by) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            ).bind(business_id).bind(person_id).bind(day).bind(result.as_str()).bind(&actor.name)
            .fetch_one(&mut *tx).await?;
            let after = serde_json::json!({"business": business_id, "person": person_id,
                "day": day, "result": result.as_str()});
            audit_log!(tx, actor, "create", "worker_tests", id, None::<&()>, Some(&after));
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The level in force on a day for a unit: its own stored level, else its nearest
    /// ancestor's. `None` when no level is stored for the day.
    pub async fn level_in_force(&self, unit: &Unit, day: NaiveDate) -> Result<Option<u8>> {
        let row: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT z.in_force FROM zone_levels z JOIN units u ON u.id = z.unit_id \
             WHERE z.day = $1 AND u.path = SUBSTR($2, 1, LENGTH(u.path)) \
             ORDER BY LENGTH(u.path) DESC LIMIT 1",
        ).bind(day).bind(&unit.path).fetch_optional(p).await?);
        Ok(row.and_then(|(l,)| u8::try_from(l).ok()))
    }

    /// The workers of a business on a day, with their tests and due dates at `level`.
    pub async fn workers(
        &self,
        business_id: i64,
        day: NaiveDate,
        level: Option<u8>,
    ) -> Result<Vec<WorkerState>> {
        let since = minus(day, 14);
        let rows: Vec<WorkerRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT x.id, x.full_name, x.unit_id, \
             (SELECT MAX(t.day) FROM worker_tests t WHERE t.person_id = x.id \
                AND t.result = 'negative' AND t.day <= $2), \
             (SELECT MAX(s.collected_day) FROM sample_members m JOIN samples s ON s.id = m.sample_id \
                WHERE m.person_id = x.id AND s.result = 'negative' AND s.collected_day <= $2), \
             (SELECT MAX(c.confirmed_on) FROM cases c WHERE c.person_id = x.id \
                AND c.confirmed_on <= $2 AND c.confirmed_on >= $3), \
             (SELECT MAX(t.day) FROM worker_tests t WHERE t.person_id = x.id \
                AND t.result = 'positive' AND t.day <= $2 AND t.day >= $3) \
             FROM business_workers w JOIN people x ON x.id = w.person_id \
             WHERE w.business_id = $1 ORDER BY x.name_folded, x.id",
        ).bind(business_id).bind(day).bind(since).fetch_all(p).await?);
        let interval = level.and_then(test_interval_days);
        Ok(rows
            .into_iter()
            .map(|r| {
                let last_negative = r.3.max(r.4);
                let due = interval.map(|n| match last_negative {
                    Some(d) => d.checked_add_days(Days::new(u64::from(n))).unwrap_or(d),
                    None => day,
                });
                WorkerState {
                    person_id: r.0,
                    name: r.1,
                    unit_id: r.2,
                    last_negative,
                    positive_on: r.5.max(r.6),
                    due,
                    overdue: due.is_some_and(|d| d < day || (d == day && last_negative.is_none())),
                }
            })
            .collect())
    }

    /// Whether a business may open on a day, and why: its unit's level in force, its
    /// sector and arrangements, its workers' tests.
    pub async fn business_decision(
        &self,
        business: &Business,
        day: NaiveDate,
    ) -> Result<(Option<u8>, Vec<WorkerState>, Decision)> {
        let unit = self
            .unit_by_id(business.unit_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("unit {}", business.unit_id)))?;
        let level = self.level_in_force(&unit, day).await?;
        let workers = self.workers(business.id, day, level).await?;
        let work = WorkforceState {
            workers: u32::try_from(workers.len()).unwrap_or(u32::MAX),
            overdue: u32::try_from(workers.iter().filter(|w| w.overdue).count()).unwrap_or(0),
            positive: u32::try_from(workers.iter().filter(|w| w.positive_on.is_some()).count())
                .unwrap_or(0),
        };
        let decision = decide(
            level,
            business.business.sector,
            business.business.arrangements,
            work,
        );
        Ok((level, workers, decision))
    }

    /// Workers overdue for their routine test in the businesses of a subtree.
    pub async fn overdue_workers(
        &self,
        root: &Unit,
        day: NaiveDate,
    ) -> Result<Vec<(Business, WorkerState)>> {
        let mut out = Vec::new();
        for b in self.businesses_under(root).await? {
            let (_, workers, _) = self.business_decision(&b, day).await?;
            for w in workers.into_iter().filter(|w| w.overdue) {
                out.push((b.clone(), w));
            }
        }
        Ok(out)
    }

    /// The businesses a person works for (those affected when the person is positive).
    pub async fn businesses_of_worker(&self, person_id: i64) -> Result<Vec<Business>> {
        let sql = format!(
            "{BUSINESS_SELECT} WHERE b.id IN (SELECT business_id FROM business_workers \
             WHERE person_id = $1) ORDER BY u.path, b.name"
        );
        let rows: Vec<BusinessRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(person_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(business_from).collect())
    }
}
