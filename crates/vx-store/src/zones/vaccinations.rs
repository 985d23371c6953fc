//! Vaccination doses: import (idempotent, row-level problems, one batch and audit entry).

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use sqlx::QueryBuilder;
use vx_domain::epi::PersonRef;
use vx_domain::{Birth, CitizenId, HouseholdCode, PersonName};

use crate::bulk::{BulkInsert, Cell};
use crate::{
    audit_log, with_pool, Actor, ImportOptions, ImportSummary, Located, Result, RowProblem, Store,
};

/// Who received a dose: by citizen ID, or by household, name and birth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DosePerson {
    CitizenId(CitizenId),
    Household {
        household_code: HouseholdCode,
        full_name: PersonName,
        birth: Birth,
    },
}

/// One dose of one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDose {
    pub person: DosePerson,
    /// 1, 2, 3...
    pub dose: u32,
    pub day: NaiveDate,
}

impl Store {
    /// Imports vaccination doses. A (person, dose) already stored on the same day is
    /// unchanged; on another day it is updated (audited with before and after). Unknown
    /// people are row problems (all or nothing unless `skip_bad_rows`).
    pub async fn import_vaccinations(
        &self,
        actor: &Actor,
        rows: Vec<Located<NewDose>>,
        opts: &ImportOptions,
    ) -> Result<ImportSummary> {
        // People in bulk (citizen IDs, then household + name + birth), as samples do.
        let refs: Vec<PersonRef> = rows
            .iter()
            .map(|r| match &r.value.person {
                DosePerson::CitizenId(id) => PersonRef::CitizenId(id.clone()),
                DosePerson::Household {
                    household_code,
                    full_name,
                    birth,
                } => PersonRef::Household {
                    household_code: household_code.clone(),
                    full_name: full_name.clone(),
                    birth: *birth,
                },
            })
            .collect();
        let found = self
            .resolve_people(&refs.iter().collect::<Vec<_>>())
            .await?;
        let mut problems = Vec::new();
        let mut resolved: Vec<(u32, i64, i64, NaiveDate)> = Vec::with_capacity(rows.len());
        // (person, dose) → (row, day) within the file.
        let mut in_file: HashMap<(i64, i64), (u32, NaiveDate)> = HashMap::new();
        for (r, person) in rows.iter().zip(&found) {
            if r.value.dose == 0 {
                problems.push(RowProblem::new(r.row, "dose", "dose numbers start at 1"));
                continue;
            }
            match person {
                Some(m) => {
                    let dose = i64::from(r.value.dose);
                    match in_file.get(&(m.id, dose)) {
                        Some((_, day)) if *day == r.value.day => {} // repeated: once is enough
                        Some((row, day)) => problems.push(RowProblem::new(
                            r.row,
                            "date",
                            format!("dose {dose} of this person is on {day} in row {row}"),
                        )),
                        None => {
                            in_file.insert((m.id, dose), (r.row, r.value.day));
                            resolved.push((r.row, m.id, dose, r.value.day));
                        }
                    }
                }
                None => problems.push(RowProblem::new(
                    r.row,
                    "person",
                    "no such person in the registry",
                )),
            }
        }
        // Doses already stored for these people.
        let mut people: Vec<i64> = resolved.iter().map(|r| r.1).collect();
        people.sort_unstable();
        people.dedup();
        let mut stored: HashMap<(i64, i64), NaiveDate> = HashMap::new();
        for chunk in people.chunks(1000) {
            let found: Vec<(i64, i64, NaiveDate)> = with_pool!(self, p => {
                let mut qb = QueryBuilder::new(
                    "SELECT person_id, dose, day FROM vaccinations WHERE person_id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            stored.extend(found.into_iter().map(|(p, d, day)| ((p, d), day)));
        }
        let mut summary = ImportSummary::default();
        crate::import::settle_problems(problems, opts, &mut summary)?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut changes = Vec::new();
            let mut new_rows = Vec::new();
            for (row, person, dose, day) in &resolved {
                match stored.get(&(*person, *dose)) {
                    Some(d) if d == day => summary.unchanged += 1,
                    Some(d) => { summary.updated += 1; changes.push((*row, *person, *dose, *d, *day)); }
                    None => { summary.created += 1; new_rows.push((*person, *dose, *day)); }
                }
            }
            if !opts.dry_run {
                let (batch,): (i64,) = sqlx::query_as(
                    "INSERT INTO import_batches (kind, file_name, sha256, actor, at, created, \
                     updated, unchanged, skipped) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                ).bind("vaccinations").bind(&opts.file_name).bind(&opts.sha256).bind(&actor.name)
                .bind(Utc::now()).bind(summary.created as i64).bind(summary.updated as i64)
                .bind(summary.unchanged as i64).bind(summary.skipped.len() as i64)
                .fetch_one(&mut *tx).await?;
                let cells: Vec<Vec<Cell<'_>>> = new_rows
                    .iter()
                    .map(|(person, dose, day)| vec![Cell::Int(*person), Cell::Int(*dose), Cell::Date(*day), Cell::Int(batch)])
                    .collect();
                tx.bulk_insert("vaccinations", &["person_id", "dose", "day", "import_id"], &cells).await?;
                for (_, person, dose, old, day) in &changes {
                    sqlx::query("UPDATE vaccinations SET day = $3, import_id = $4 WHERE person_id = $1 AND dose = $2")
                        .bind(person).bind(dose).bind(day).bind(batch).execute(&mut *tx).await?;
                    audit_log!(tx, actor, "update", "vaccinations", format!("{person}/{dose}"),
                        Some(&serde_json::json!({"day": old})), Some(&serde_json::json!({"day": day})));
                }
                // The dose days kept on each person whose doses changed.
                let mut doses = stored.clone();
                for (person, dose, day) in &new_rows {
                    doses.insert((*person, *dose), *day);
                }
                for (_, person, dose, _, day) in &changes {
                    doses.insert((*person, *dose), *day);
                }
                let mut touched: Vec<i64> = new_rows.iter().map(|r| r.0).chain(changes.iter().map(|c| c.1)).collect();
                touched.sort_unstable();
                touched.dedup();
                let days: Vec<DoseDays> = touched
                    .iter()
                    .map(|&person| {
                        let one = doses.get(&(person, 1)).copied();
                        let two = doses.get(&(person, 2)).copied();
                        let first = match (one, two) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        (person, first, two)
                    })
                    .collect();
                tx.set_dose_days(&days).await?;
                let after = serde_json::json!({"file": opts.file_name, "sha256": opts.sha256,
                    "created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged,
                    "skipped": summary.skipped.len()});
                audit_log!(tx, actor, "import", "import_batches", batch, None::<&()>, Some(&after));
                tx.commit().await?;
            }
        });
        Ok(summary)
    }
}

/// A person, the day of their first dose (dose 1 or 2, the earlier) and of their second.
type DoseDays = (i64, Option<NaiveDate>, Option<NaiveDate>);

/// Keeps the dose days on `people` (read by the vaccination indicators), inside the
/// caller's transaction: the fastest path of each backend.
trait SetDoseDays {
    async fn set_dose_days(&mut self, rows: &[DoseDays]) -> Result<()>;
}

impl SetDoseDays for sqlx::SqliteConnection {
    async fn set_dose_days(&mut self, rows: &[DoseDays]) -> Result<()> {
        // A fixed size: one prepared statement, cached and reused.
        for chunk in rows.chunks(64) {
            let mut qb = QueryBuilder::new(
                "UPDATE people SET first_dose_on = v.column2, second_dose_on = v.column3 FROM (",
            );
            qb.push_values(chunk, |mut b, (id, first, second)| {
                b.push_bind(*id).push_bind(*first).push_bind(*second);
            });
            qb.push(") AS v WHERE people.id = v.column1");
            qb.build().execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl SetDoseDays for sqlx::PgConnection {
    async fn set_dose_days(&mut self, rows: &[DoseDays]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "CREATE TEMP TABLE dose_days (id BIGINT, first_on DATE, second_on DATE) ON COMMIT DROP",
        )
        .execute(&mut *self)
        .await?;
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|(id, first, second)| vec![Cell::Int(*id), (*first).into(), (*second).into()])
            .collect();
        self.bulk_insert("dose_days", &["id", "first_on", "second_on"], &cells)
            .await?;
        sqlx::query(
            "UPDATE people SET first_dose_on = d.first_on, second_dose_on = d.second_on \
             FROM dose_days d WHERE people.id = d.id",
        )
        .execute(&mut *self)
        .await?;
        Ok(())
    }
}
