//! Vaccination doses: import (idempotent, row-level problems, one batch and audit entry).

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use vx_domain::{Birth, CitizenId, HouseholdCode, PersonName};

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
        let mut problems = Vec::new();
        let mut resolved: Vec<(u32, i64, i64, NaiveDate)> = Vec::with_capacity(rows.len());
        for r in &rows {
            let person: Option<(i64,)> = match &r.value.person {
                DosePerson::CitizenId(id) => with_pool!(self, p => sqlx::query_as(
                    "SELECT id FROM people WHERE citizen_id = $1",
                ).bind(id.as_str()).fetch_optional(p).await?),
                DosePerson::Household {
                    household_code,
                    full_name,
                    birth,
                } => {
                    let key = format!("hh:{}|{}|{}", household_code, full_name.folded(), birth);
                    with_pool!(self, p => sqlx::query_as(
                        "SELECT id FROM people WHERE natural_key = $1",
                    ).bind(key).fetch_optional(p).await?)
                }
            };
            if r.value.dose == 0 {
                problems.push(RowProblem::new(r.row, "dose", "dose numbers start at 1"));
                continue;
            }
            match person {
                Some((id,)) => resolved.push((r.row, id, i64::from(r.value.dose), r.value.day)),
                None => problems.push(RowProblem::new(
                    r.row,
                    "person",
                    "no such person in the registry",
                )),
            }
        }
        let mut summary = ImportSummary::default();
        crate::import::settle_problems(problems, opts, &mut summary)?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut changes = Vec::new();
            let mut new_rows = Vec::new();
            for (row, person, dose, day) in &resolved {
                let before: Option<(NaiveDate,)> = sqlx::query_as(
                    "SELECT day FROM vaccinations WHERE person_id = $1 AND dose = $2",
                ).bind(person).bind(dose).fetch_optional(&mut *tx).await?;
                match before {
                    Some((d,)) if d == *day => summary.unchanged += 1,
                    Some((d,)) => { summary.updated += 1; changes.push((*row, *person, *dose, d, *day)); }
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
                for (person, dose, day) in &new_rows {
                    sqlx::query("INSERT INTO vaccinations (person_id, dose, day, import_id) VALUES ($1, $2, $3, $4)")
                        .bind(person).bind(dose).bind(day).bind(batch).execute(&mut *tx).await?;
                }
                for (_, person, dose, old, day) in &changes {
                    sqlx::query("UPDATE vaccinations SET day = $3, import_id = $4 WHERE person_id = $1 AND dose = $2")
                        .bind(person).bind(dose).bind(day).bind(batch).execute(&mut *tx).await?;
                    audit_log!(tx, actor, "update", "vaccinations", format!("{person}/{dose}"),
                        Some(&serde_json::json!({"day": old})), Some(&serde_json::json!({"day": day})));
                }
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
