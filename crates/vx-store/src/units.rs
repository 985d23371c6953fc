//! Administrative units: a tree of any depth, versioned by validity dates, with a
//! materialised path of codes ("/83/831/28846/") for subtree queries.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use vx_domain::{fold, Unit, UnitCode, UnitLevel};

use crate::import::settle_problems;
use crate::{
    audit_log, like_contains, path_end, with_pool, Actor, ImportOptions, Located, Result,
    RowProblem, Store, StoreError,
};

/// One unit of an import file.
pub use vx_domain::NewUnit as UnitInput;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitsSummary {
    pub created: u64,
    pub updated: u64,
    /// Units whose parent or level changed: the old version closed, a new one opened.
    pub versioned: u64,
    pub unchanged: u64,
    pub skipped: Vec<RowProblem>,
    pub dry_run: bool,
}

/// Units with no known start of validity get this one.
pub const DEFAULT_VALID_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!(),
};

#[derive(sqlx::FromRow)]
pub(crate) struct UnitRow {
    id: i64,
    code: String,
    parent_code: Option<String>,
    level: String,
    kind: String,
    name: String,
    full_name: String,
    population: Option<i64>,
    path: String,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

pub(crate) const UNIT_COLUMNS: &str =
    "id, code, parent_code, level, kind, name, full_name, population, path, valid_from, valid_to";

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Unit {
        Unit {
            id: r.id,
            code: UnitCode::parse(&r.code).expect("stored codes are valid"),
            parent_code: r
                .parent_code
                .map(|c| UnitCode::parse(&c).expect("stored codes are valid")),
            level: r.level.parse().expect("stored levels are valid"),
            kind: r.kind,
            name: r.name,
            full_name: r.full_name,
            population: r.population,
            path: r.path,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
        }
    }
}

/// Household and people counts of one unit's subtree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UnitCounts {
    pub households: i64,
    pub people: i64,
}

impl Store {
    /// The current version of the unit with this code.
    pub async fn unit(&self, code: &str) -> Result<Option<Unit>> {
        let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE code = $1 AND valid_to IS NULL");
        let row = with_pool!(self, p => sqlx::query_as::<_, UnitRow>(&sql).bind(code).fetch_optional(p).await?);
        Ok(row.map(Unit::from))
    }

    /// The version of the unit with this code that was valid on `day`.
    pub async fn unit_on(&self, code: &str, day: NaiveDate) -> Result<Option<Unit>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM units WHERE code = $1 AND valid_from <= $2 \
             AND (valid_to IS NULL OR valid_to > $2)"
        );
        let row = with_pool!(self, p => sqlx::query_as::<_, UnitRow>(&sql).bind(code).bind(day).fetch_optional(p).await?);
        Ok(row.map(Unit::from))
    }

    pub async fn unit_by_id(&self, id: i64) -> Result<Option<Unit>> {
        let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1");
        let row = with_pool!(self, p => sqlx::query_as::<_, UnitRow>(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(Unit::from))
    }

    /// Current children of a unit (or the current roots for `None`), by code.
    pub async fn children(&self, parent: Option<&UnitCode>) -> Result<Vec<Unit>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM units WHERE valid_to IS NULL AND \
             (parent_code = $1 OR ($1 IS NULL AND parent_code IS NULL)) ORDER BY code"
        );
        let parent = parent.map(UnitCode::as_str);
        let rows = with_pool!(self, p => sqlx::query_as::<_, UnitRow>(&sql).bind(parent).fetch_all(p).await?);
        Ok(rows.into_iter().map(Unit::from).collect())
    }

    /// The current ancestors of a unit, root first, without the unit itself.
    pub async fn ancestors(&self, unit: &Unit) -> Result<Vec<Unit>> {
        let codes: Vec<&str> = unit
            .path
            .split('/')
            .filter(|c| !c.is_empty() && *c != unit.code.as_str())
            .collect();
        let mut out = Vec::with_capacity(codes.len());
        for code in codes {
            if let Some(u) = self.unit(code).await? {
                out.push(u);
            }
        }
        Ok(out)
    }

    /// Current units of the subtree rooted at `unit` (the unit included), by path.
    pub async fn subtree(&self, unit: &Unit) -> Result<Vec<Unit>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM units WHERE valid_to IS NULL AND path >= $1 AND path < $2 \
             ORDER BY path"
        );
        let rows = with_pool!(self, p => sqlx::query_as::<_, UnitRow>(&sql)
            .bind(&unit.path).bind(path_end(&unit.path)).fetch_all(p).await?);
        Ok(rows.into_iter().map(Unit::from).collect())
    }

    /// How many current units there are of each level.
    pub async fn count_units(&self) -> Result<Vec<(UnitLevel, i64)>> {
        let rows: Vec<(String, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT level, COUNT(*) FROM units WHERE valid_to IS NULL GROUP BY level",
        ).fetch_all(p).await?);
        let mut out: Vec<(UnitLevel, i64)> = rows
            .into_iter()
            .map(|(l, n)| (l.parse().expect("stored levels are valid"), n))
            .collect();
        out.sort();
        Ok(out)
    }

    /// Current units whose name contains `query` (diacritics and case ignored), under
    /// `within` (a path prefix; "/" for all).
    pub async fn search_units(&self, query: &str, within: &str, limit: i64) -> Result<Vec<Unit>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM units WHERE valid_to IS NULL AND name_folded LIKE $1 ESCAPE '\\' \
             AND path >= $2 AND path < $3 ORDER BY length(path), code LIMIT $4"
        );
        let pattern = like_contains(&fold(query))?;
        let rows = with_pool!(self, p => sqlx::query_as::<_, UnitRow>(&sql)
            .bind(pattern).bind(within).bind(path_end(within)).bind(limit).fetch_all(p).await?);
        Ok(rows.into_iter().map(Unit::from).collect())
    }

    /// Households and people (active) in the subtree of each given unit: one grouped query
    /// per table over the smallest subtree holding them all, summed per unit in memory.
    pub async fn counts_under(&self, units: &[Unit]) -> Result<Vec<UnitCounts>> {
        let Some(first) = units.first() else {
            return Ok(Vec::new());
        };
        // The longest common path prefix that ends a segment ("/83/831/" for its communes).
        let mut common = first.path.as_str();
        for u in &units[1..] {
            while !u.path.starts_with(common) {
                let cut = common[..common.len() - 1].rfind('/').map_or(1, |i| i + 1);
                common = &common[..cut];
            }
        }
        let (from, to) = (common.to_string(), path_end(common));
        type PathCounts = Vec<(String, i64)>;
        let (households, people): (PathCounts, PathCounts) = with_pool!(self, p => (
            sqlx::query_as(
                "SELECT u.path, COUNT(*) FROM households h JOIN units u ON u.id = h.unit_id \
                 WHERE h.active AND u.path >= $1 AND u.path < $2 GROUP BY u.path",
            ).bind(&from).bind(&to).fetch_all(p).await?,
            sqlx::query_as(
                "SELECT u.path, COUNT(*) FROM people x JOIN units u ON u.id = x.unit_id \
                 WHERE x.active AND u.path >= $1 AND u.path < $2 GROUP BY u.path",
            ).bind(&from).bind(&to).fetch_all(p).await?,
        ));
        let sum = |rows: &[(String, i64)], prefix: &str| -> i64 {
            rows.iter()
                .filter(|(path, _)| path.starts_with(prefix))
                .map(|(_, n)| n)
                .sum()
        };
        Ok(units
            .iter()
            .map(|u| UnitCounts {
                households: sum(&households, &u.path),
                people: sum(&people, &u.path),
            })
            .collect())
    }

    /// Imports a list of units. Parents may come from the file or the database; rows are
    /// applied parents first. An unchanged unit is left alone; a new name, type or
    /// population updates it in place (audited); a new parent or level closes the current
    /// version on `valid_from` and opens a new one, moving its subtree along.
    pub async fn import_units(
        &self,
        actor: &Actor,
        rows: Vec<Located<UnitInput>>,
        valid_from: Option<NaiveDate>,
        opts: &ImportOptions,
    ) -> Result<UnitsSummary> {
        let existing: HashMap<String, Unit> = {
            let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE valid_to IS NULL");
            let rows =
                with_pool!(self, p => sqlx::query_as::<_, UnitRow>(&sql).fetch_all(p).await?);
            rows.into_iter()
                .map(|r| (r.code.clone(), Unit::from(r)))
                .collect()
        };

        let mut rows = rows;
        rows.sort_by_key(|r| r.value.level);
        let mut problems = Vec::new();
        // Planned state of every unit touched by the file: code → (level, path, valid_from).
        let mut planned: HashMap<String, (UnitLevel, String, NaiveDate)> = HashMap::new();
        let mut seen: HashSet<String> = HashSet::new();
        enum Op {
            Create(UnitInput, String, NaiveDate),
            Update(Unit, UnitInput),
            Version(Unit, UnitInput, String, NaiveDate),
        }
        let mut ops = Vec::new();
        let mut summary = UnitsSummary::default();
        let today = vx_domain::vn_date(chrono::Utc::now());

        for Located { row, value: input } in rows {
            let code = input.code.as_str().to_string();
            if !seen.insert(code.clone()) {
                problems.push(RowProblem::new(
                    row,
                    "code",
                    format!("unit {code} appears twice in the file"),
                ));
                continue;
            }
            let parent = match &input.parent_code {
                None if input.level == UnitLevel::Province => None,
                None => {
                    problems.push(RowProblem::new(
                        row,
                        "parent_code",
                        format!("a {} needs a parent", input.level.as_str()),
                    ));
                    continue;
                }
                Some(pc) => {
                    let found = planned.get(pc.as_str()).cloned().or_else(|| {
                        existing
                            .get(pc.as_str())
                            .map(|u| (u.level, u.path.clone(), u.valid_from))
                    });
                    match found {
                        Some(parent) => Some(parent),
                        None => {
                            problems.push(RowProblem::new(
                                row,
                                "parent_code",
                                format!("no unit with code {pc}"),
                            ));
                            continue;
                        }
                    }
                }
            };
            if let Some((parent_level, _, _)) = &parent {
                if *parent_level >= input.level {
                    problems.push(RowProblem::new(
                        row,
                        "level",
                        format!(
                            "a {} cannot be under a {} ({})",
                            input.level.as_str(),
                            parent_level.as_str(),
                            input
                                .parent_code
                                .as_ref()
                                .map(UnitCode::as_str)
                                .unwrap_or_default()
                        ),
                    ));
                    continue;
                }
            }
            let path = match &parent {
                Some((_, ppath, _)) => format!("{ppath}{code}/"),
                None => format!("/{code}/"),
            };
            match existing.get(&code) {
                Some(old) if old.parent_code == input.parent_code && old.level == input.level => {
                    planned.insert(code, (old.level, old.path.clone(), old.valid_from));
                    let same = old.kind == input.kind
                        && old.name == input.name
                        && old.full_name == input.full_name
                        && (input.population.is_none() || old.population == input.population);
                    if same {
                        summary.unchanged += 1;
                    } else {
                        summary.updated += 1;
                        ops.push(Op::Update(old.clone(), input));
                    }
                }
                Some(old) => {
                    let from = valid_from.unwrap_or(today);
                    if from <= old.valid_from {
                        problems.push(RowProblem::new(
                            row,
                            "parent_code",
                            format!(
                                "unit {code} moves, but its current version starts {} and the new one would start {from}: give a later --valid-from",
                                old.valid_from
                            ),
                        ));
                        continue;
                    }
                    planned.insert(code, (input.level, path.clone(), from));
                    summary.versioned += 1;
                    ops.push(Op::Version(old.clone(), input, path, from));
                }
                None => {
                    let from = valid_from
                        .or(parent.as_ref().map(|(_, _, f)| *f))
                        .unwrap_or(DEFAULT_VALID_FROM);
                    planned.insert(code, (input.level, path.clone(), from));
                    summary.created += 1;
                    ops.push(Op::Create(input, path, from));
                }
            }
        }
        let mut common = crate::ImportSummary::default();
        settle_problems(problems, opts, &mut common)?;
        summary.skipped = common.skipped;
        summary.dry_run = opts.dry_run;
        if opts.dry_run {
            return Ok(summary);
        }

        const INSERT: &str = "INSERT INTO units (code, parent_code, level, kind, name, full_name, \
             name_folded, population, path, valid_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            for op in &ops {
                match op {
                    Op::Create(u, path, from) => {
                        sqlx::query(INSERT)
                            .bind(u.code.as_str()).bind(u.parent_code.as_ref().map(UnitCode::as_str))
                            .bind(u.level.as_str()).bind(&u.kind).bind(&u.name).bind(&u.full_name)
                            .bind(fold(&u.name)).bind(u.population).bind(path).bind(from)
                            .execute(&mut *tx).await?;
                    }
                    Op::Update(old, u) => {
                        sqlx::query("UPDATE units SET kind = $1, name = $2, full_name = $3, name_folded = $4, \
                                     population = COALESCE($5, population) WHERE id = $6")
                            .bind(&u.kind).bind(&u.name).bind(&u.full_name).bind(fold(&u.name))
                            .bind(u.population).bind(old.id)
                            .execute(&mut *tx).await?;
                        audit_log!(tx, actor, "update", "unit", old.code, Some(old), Some(u));
                    }
                    Op::Version(old, u, path, from) => {
                        sqlx::query("UPDATE units SET valid_to = $1 WHERE id = $2")
                            .bind(from).bind(old.id).execute(&mut *tx).await?;
                        sqlx::query(INSERT)
                            .bind(u.code.as_str()).bind(u.parent_code.as_ref().map(UnitCode::as_str))
                            .bind(u.level.as_str()).bind(&u.kind).bind(&u.name).bind(&u.full_name)
                            .bind(fold(&u.name)).bind(u.population.or(old.population)).bind(path).bind(from)
                            .execute(&mut *tx).await?;
                        // The subtree follows: current descendants get the new path prefix.
                        sqlx::query("UPDATE units SET path = $1 || substr(path, $2) \
                                     WHERE valid_to IS NULL AND path > $3 AND path < $4")
                            .bind(path).bind(old.path.len() as i32 + 1)
                            .bind(&old.path).bind(path_end(&old.path))
                            .execute(&mut *tx).await?;
                        audit_log!(tx, actor, "version", "unit", old.code, Some(old), Some(u));
                    }
                }
            }
            if summary.created > 0 {
                audit_log!(tx, actor, "import", "units", opts.file_name, None::<&()>, Some(&serde_json::json!({
                    "file": opts.file_name, "sha256": opts.sha256, "created": summary.created,
                    "updated": summary.updated, "versioned": summary.versioned,
                    "unchanged": summary.unchanged, "skipped": summary.skipped.len(),
                })));
            }
            tx.commit().await?;
        });
        Ok(summary)
    }

    /// The unit with this code, or `NotFound`.
    pub async fn require_unit(&self, code: &str) -> Result<Unit> {
        self.unit(code)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("unit {code}")))
    }
}
