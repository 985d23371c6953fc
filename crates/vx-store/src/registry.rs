//! The registry: households in units, people in households.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use sqlx::QueryBuilder;
use vx_domain::{
    fold, Birth, CitizenId, Household, HouseholdCode, NewHousehold, NewPerson, Person, PersonName,
    Phone, Relation, Sex, Unit, UnitCode, UnitLevel,
};

use crate::bulk::{BulkInsert, Cell};
use crate::import::settle_problems;
use crate::{
    audit_log, like_contains, path_end, with_pool, Actor, ImportOptions, ImportSummary, Located,
    Result, RowProblem, Store, StoreError,
};

pub use crate::units::UnitCounts;

/// Rows per multi-row INSERT: stays under SQLite's and PostgreSQL's parameter limits.
const CHUNK: usize = 1000;

const BATCH_INSERT: &str =
    "INSERT INTO import_batches (kind, file_name, sha256, actor, at, created, \
     updated, unchanged, skipped) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";

/// Updates a person; `$12` is the import batch (NULL keeps the current one).
const PERSON_UPDATE: &str = "UPDATE people SET household_id = $1, unit_id = $2, natural_key = $3, \
     full_name = $4, name_folded = $5, birth_date = $6, birth_year = $7, sex = $8, citizen_id = $9, \
     phone = $10, relation = $11, import_id = COALESCE($12, import_id), updated_at = $13 WHERE id = $14";

/// Binds the eleven person columns, household id to relation, in table order.
macro_rules! bind_person {
    ($query:expr, $hh_id:expr, $unit_id:expr, $key:expr, $person:expr) => {{
        let (birth_date, birth_year) = birth_columns(&$person.birth);
        $query
            .bind($hh_id)
            .bind($unit_id)
            .bind($key)
            .bind($person.full_name.as_str())
            .bind($person.full_name.folded())
            .bind(birth_date)
            .bind(birth_year)
            .bind($person.sex.as_str())
            .bind($person.citizen_id.as_ref().map(CitizenId::as_str))
            .bind($person.phone.as_ref().map(Phone::as_str))
            .bind($person.relation.as_str())
    }};
}

pub(crate) const PEOPLE_COLUMNS: [&str; 13] = [
    "household_id",
    "unit_id",
    "natural_key",
    "full_name",
    "name_folded",
    "birth_date",
    "birth_year",
    "sex",
    "citizen_id",
    "phone",
    "relation",
    "import_id",
    "updated_at",
];

const HOUSEHOLD_SELECT: &str = "SELECT h.id, h.code, h.unit_id, u.code AS unit_code, h.head_name, \
     h.address, h.phone, h.poor, h.lost_income, h.active, \
     (SELECT COUNT(*) FROM people x WHERE x.household_id = h.id AND x.active) AS members \
     FROM households h JOIN units u ON u.id = h.unit_id";

const PERSON_SELECT: &str = "SELECT x.id, x.household_id, h.code AS household_code, x.unit_id, \
     u.code AS unit_code, x.full_name, x.birth_date, x.birth_year, x.sex, x.citizen_id, x.phone, \
     x.relation, x.active FROM people x JOIN households h ON h.id = x.household_id \
     JOIN units u ON u.id = x.unit_id";

#[derive(sqlx::FromRow)]
struct HouseholdRow {
    id: i64,
    code: String,
    unit_id: i64,
    unit_code: String,
    head_name: String,
    address: String,
    phone: Option<String>,
    poor: bool,
    lost_income: bool,
    active: bool,
    members: i64,
}

impl From<HouseholdRow> for Household {
    fn from(r: HouseholdRow) -> Household {
        Household {
            id: r.id,
            data: NewHousehold {
                code: HouseholdCode::parse(&r.code).expect("stored codes are valid"),
                unit_code: UnitCode::parse(&r.unit_code).expect("stored codes are valid"),
                head_name: PersonName::from_stored(&r.head_name),
                address: r.address,
                phone: r
                    .phone
                    .map(|p| Phone::parse(&p).expect("stored phones are valid")),
                poor: r.poor,
                lost_income: r.lost_income,
            },
            unit_id: r.unit_id,
            active: r.active,
            members: r.members,
        }
    }
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    household_id: i64,
    household_code: String,
    unit_id: i64,
    unit_code: String,
    full_name: String,
    birth_date: Option<NaiveDate>,
    birth_year: i32,
    sex: String,
    citizen_id: Option<String>,
    phone: Option<String>,
    relation: String,
    active: bool,
}

fn relation_from_str(s: &str) -> Relation {
    Relation::ALL
        .into_iter()
        .find(|r| r.as_str() == s)
        .unwrap_or(Relation::Other)
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Person {
        Person {
            id: r.id,
            data: NewPerson {
                household_code: HouseholdCode::parse(&r.household_code)
                    .expect("stored codes are valid"),
                full_name: PersonName::from_stored(&r.full_name),
                birth: match r.birth_date {
                    Some(d) => Birth::Date(d),
                    None => Birth::Year(r.birth_year),
                },
                sex: if r.sex == "female" {
                    Sex::Female
                } else {
                    Sex::Male
                },
                citizen_id: r
                    .citizen_id
                    .map(|c| CitizenId::parse(&c).expect("stored citizen IDs are valid")),
                phone: r
                    .phone
                    .map(|p| Phone::parse(&p).expect("stored phones are valid")),
                relation: relation_from_str(&r.relation),
            },
            household_id: r.household_id,
            unit_id: r.unit_id,
            unit_code: UnitCode::parse(&r.unit_code).expect("stored codes are valid"),
            active: r.active,
        }
    }
}

pub(crate) fn birth_columns(b: &Birth) -> (Option<NaiveDate>, i32) {
    match b {
        Birth::Date(d) => (Some(*d), b.year()),
        Birth::Year(y) => (None, *y),
    }
}

/// A stored person as an import sees it.
#[derive(Debug, Clone)]
struct Stored {
    id: i64,
    household_id: i64,
    data: NewPerson,
}

/// A filter over people, always inside a subtree.
#[derive(Debug, Clone, Default)]
pub struct PeopleQuery {
    /// Path prefix of the subtree ("/" for all).
    pub within: String,
    /// Part of the name, diacritics and case ignored.
    pub name: Option<String>,
    pub household_id: Option<i64>,
    pub include_inactive: bool,
    pub offset: i64,
    pub limit: i64,
}

/// Another person who may be the same one, and which fields agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateSuggestion {
    pub person: Person,
    pub reasons: Vec<&'static str>,
}

/// Where a household may live: its unit must be current, a commune or a hamlet, and a
/// commune only if it has no hamlets.
async fn household_unit_problem(
    store: &Store,
    code: &UnitCode,
) -> Result<std::result::Result<Unit, String>> {
    let Some(unit) = store.unit(code.as_str()).await? else {
        return Ok(Err(format!("no unit with code {code}")));
    };
    if !unit.level.may_hold_households() {
        return Ok(Err(format!(
            "unit {code} is a {}: households belong to a hamlet (or a commune without hamlets)",
            unit.level.as_str()
        )));
    }
    if unit.level == UnitLevel::Commune && !store.children(Some(&unit.code)).await?.is_empty() {
        return Ok(Err(format!(
            "unit {code} has hamlets: put the household in one of them"
        )));
    }
    Ok(Ok(unit))
}

impl Store {
    // -----------------------------------------------------------------------------------
    // Households

    pub async fn household(&self, id: i64) -> Result<Option<Household>> {
        let sql = format!("{HOUSEHOLD_SELECT} WHERE h.id = $1");
        let row = with_pool!(self, p => sqlx::query_as::<_, HouseholdRow>(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(Household::from))
    }

    pub async fn household_by_code(&self, code: &str) -> Result<Option<Household>> {
        let sql = format!("{HOUSEHOLD_SELECT} WHERE h.code = $1");
        let row = with_pool!(self, p => sqlx::query_as::<_, HouseholdRow>(&sql).bind(code).fetch_optional(p).await?);
        Ok(row.map(Household::from))
    }

    /// Households in a subtree, by code; `query` matches the head's name or the code.
    pub async fn households_in(
        &self,
        unit: &Unit,
        query: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Household>> {
        let sql = format!(
            "{HOUSEHOLD_SELECT} WHERE u.path >= $1 AND u.path < $2 AND \
             ($3 = '' OR h.head_folded LIKE $4 ESCAPE '\\' OR h.code = $3) ORDER BY h.code LIMIT $5 OFFSET $6"
        );
        let q = query.map(str::trim).unwrap_or("");
        let rows = with_pool!(self, p => sqlx::query_as::<_, HouseholdRow>(&sql)
            .bind(&unit.path).bind(path_end(&unit.path)).bind(q).bind(like_contains(&fold(q))?)
            .bind(limit).bind(offset).fetch_all(p).await?);
        Ok(rows.into_iter().map(Household::from).collect())
    }

    pub async fn create_household(&self, actor: &Actor, h: &NewHousehold) -> Result<Household> {
        let unit = household_unit_problem(self, &h.unit_code)
            .await?
            .map_err(StoreError::Invalid)?;
        if self.household_by_code(h.code.as_str()).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "household {} exists already",
                h.code
            )));
        }
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO households (code, unit_id, head_name, head_folded, address, phone, poor, \
                 lost_income, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(h.code.as_str()).bind(unit.id).bind(h.head_name.as_str()).bind(h.head_name.folded())
            .bind(&h.address).bind(h.phone.as_ref().map(Phone::as_str)).bind(h.poor).bind(h.lost_income)
            .bind(Utc::now())
            .fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "create", "household", id, None::<&()>, Some(h));
            tx.commit().await?;
            id
        });
        self.household(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("household {id}")))
    }

    pub async fn update_household(
        &self,
        actor: &Actor,
        id: i64,
        h: &NewHousehold,
    ) -> Result<Household> {
        let before = self
            .household(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("household {id}")))?;
        let unit = household_unit_problem(self, &h.unit_code)
            .await?
            .map_err(StoreError::Invalid)?;
        if h.code != before.data.code && self.household_by_code(h.code.as_str()).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "household {} exists already",
                h.code
            )));
        }
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE households SET code = $1, unit_id = $2, head_name = $3, head_folded = $4, \
                 address = $5, phone = $6, poor = $7, lost_income = $8, updated_at = $9 WHERE id = $10",
            )
            .bind(h.code.as_str()).bind(unit.id).bind(h.head_name.as_str()).bind(h.head_name.folded())
            .bind(&h.address).bind(h.phone.as_ref().map(Phone::as_str)).bind(h.poor).bind(h.lost_income)
            .bind(Utc::now()).bind(id)
            .execute(&mut *tx).await?;
            // Members move with their household.
            sqlx::query("UPDATE people SET unit_id = $1 WHERE household_id = $2")
                .bind(unit.id).bind(id).execute(&mut *tx).await?;
            audit_log!(tx, actor, "update", "household", id, Some(&before.data), Some(h));
            tx.commit().await?;
        });
        self.household(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("household {id}")))
    }

    /// Deactivates (or reactivates) a household and its members. Nothing is deleted.
    pub async fn set_household_active(
        &self,
        actor: &Actor,
        id: i64,
        active: bool,
    ) -> Result<Household> {
        let before = self
            .household(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("household {id}")))?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE households SET active = $1, updated_at = $2 WHERE id = $3")
                .bind(active).bind(Utc::now()).bind(id).execute(&mut *tx).await?;
            sqlx::query("UPDATE people SET active = $1, updated_at = $2 WHERE household_id = $3")
                .bind(active).bind(Utc::now()).bind(id).execute(&mut *tx).await?;
            let action = if active { "activate" } else { "deactivate" };
            audit_log!(tx, actor, action, "household", id, Some(&before.active), Some(&active));
            tx.commit().await?;
        });
        self.household(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("household {id}")))
    }

    // -----------------------------------------------------------------------------------
    // People

    pub async fn person(&self, id: i64) -> Result<Option<Person>> {
        let sql = format!("{PERSON_SELECT} WHERE x.id = $1");
        let row = with_pool!(self, p => sqlx::query_as::<_, PersonRow>(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(Person::from))
    }

    /// People in a subtree, by name then id.
    pub async fn people(&self, q: &PeopleQuery) -> Result<Vec<Person>> {
        let sql = format!(
            "{PERSON_SELECT} WHERE u.path >= $1 AND u.path < $2 AND ($3 OR x.active) \
             AND x.name_folded LIKE $4 ESCAPE '\\' AND ($5 = 0 OR x.household_id = $5) \
             ORDER BY x.name_folded, x.id LIMIT $6 OFFSET $7"
        );
        let within = if q.within.is_empty() { "/" } else { &q.within };
        let pattern = like_contains(&fold(q.name.as_deref().unwrap_or("")))?;
        let rows = with_pool!(self, p => sqlx::query_as::<_, PersonRow>(&sql)
            .bind(within).bind(path_end(within)).bind(q.include_inactive).bind(pattern)
            .bind(q.household_id.unwrap_or(0)).bind(q.limit).bind(q.offset)
            .fetch_all(p).await?);
        Ok(rows.into_iter().map(Person::from).collect())
    }

    pub async fn create_person(&self, actor: &Actor, person: &NewPerson) -> Result<Person> {
        let hh = self
            .household_by_code(person.household_code.as_str())
            .await?
            .ok_or_else(|| {
                StoreError::Invalid(format!("no household with code {}", person.household_code))
            })?;
        self.check_person_unique(person, None).await?;
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let q = sqlx::query_as(
                "INSERT INTO people (household_id, unit_id, natural_key, full_name, name_folded, birth_date, \
                 birth_year, sex, citizen_id, phone, relation, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            );
            let (id,): (i64,) = bind_person!(q, hh.id, hh.unit_id, person.natural_key(), person)
                .bind(Utc::now())
                .fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "create", "person", id, None::<&()>, Some(person));
            tx.commit().await?;
            id
        });
        self.person(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("person {id}")))
    }

    /// Refuses a person whose citizen ID or natural key another person holds.
    pub(crate) async fn check_person_unique(
        &self,
        person: &NewPerson,
        except: Option<i64>,
    ) -> Result<()> {
        let except = except.unwrap_or(0);
        let clash: Option<(i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, full_name FROM people WHERE id <> $1 AND (natural_key = $2 OR citizen_id = $3) LIMIT 1",
        )
        .bind(except).bind(person.natural_key()).bind(person.citizen_id.as_ref().map(CitizenId::as_str))
        .fetch_optional(p).await?);
        match clash {
            Some((id, name)) => Err(StoreError::Conflict(format!(
                "person #{id} ({name}) has the same citizen ID, or the same name and birth in this household"
            ))),
            None => Ok(()),
        }
    }

    pub async fn update_person(
        &self,
        actor: &Actor,
        id: i64,
        person: &NewPerson,
    ) -> Result<Person> {
        let before = self
            .person(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("person {id}")))?;
        let hh = self
            .household_by_code(person.household_code.as_str())
            .await?
            .ok_or_else(|| {
                StoreError::Invalid(format!("no household with code {}", person.household_code))
            })?;
        self.check_person_unique(person, Some(id)).await?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            bind_person!(sqlx::query(PERSON_UPDATE), hh.id, hh.unit_id, person.natural_key(), person)
                .bind(None::<i64>).bind(Utc::now()).bind(id)
                .execute(&mut *tx).await?;
            audit_log!(tx, actor, "update", "person", id, Some(&before.data), Some(person));
            tx.commit().await?;
        });
        self.person(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("person {id}")))
    }

    pub async fn set_person_active(&self, actor: &Actor, id: i64, active: bool) -> Result<Person> {
        let before = self
            .person(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("person {id}")))?;
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE people SET active = $1, updated_at = $2 WHERE id = $3")
                .bind(active).bind(Utc::now()).bind(id).execute(&mut *tx).await?;
            let action = if active { "activate" } else { "deactivate" };
            audit_log!(tx, actor, action, "person", id, Some(&before.active), Some(&active));
            tx.commit().await?;
        });
        self.person(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("person {id}")))
    }

    /// Other people who may be the same person, inside the subtrees `within` (path
    /// prefixes; `["/"]` for everywhere): suggested only when fields agree — the citizen ID;
    /// or the folded name and the birth; or the folded name and the household.
    pub async fn duplicate_suggestions(
        &self,
        person: &Person,
        within: &[String],
    ) -> Result<Vec<DuplicateSuggestion>> {
        let (birth_date, birth_year) = birth_columns(&person.data.birth);
        let folded = person.data.full_name.folded();
        let rows: Vec<PersonRow> = with_pool!(self, p => {
            let mut qb = QueryBuilder::new(PERSON_SELECT);
            qb.push(" WHERE x.id <> ").push_bind(person.id);
            qb.push(" AND ((x.citizen_id IS NOT NULL AND x.citizen_id = ")
                .push_bind(person.data.citizen_id.as_ref().map(CitizenId::as_str));
            qb.push(") OR (x.name_folded = ").push_bind(folded.as_str());
            qb.push(" AND x.birth_year = ").push_bind(birth_year);
            qb.push(" AND (x.birth_date IS NULL OR ").push_bind(birth_date);
            qb.push(" IS NULL OR x.birth_date = ").push_bind(birth_date);
            qb.push(")) OR (x.name_folded = ").push_bind(folded.as_str());
            qb.push(" AND x.household_id = ").push_bind(person.household_id);
            qb.push(")) AND (");
            for (i, prefix) in within.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                qb.push("(u.path >= ").push_bind(prefix.as_str());
                qb.push(" AND u.path < ").push_bind(path_end(prefix)).push(")");
            }
            if within.is_empty() {
                qb.push("FALSE");
            }
            qb.push(") ORDER BY x.id LIMIT 20");
            qb.build_query_as().fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(Person::from)
            .map(|other| {
                let mut reasons = Vec::new();
                if other.data.citizen_id.is_some()
                    && other.data.citizen_id == person.data.citizen_id
                {
                    reasons.push("citizen_id");
                }
                if other.data.full_name.folded() == folded {
                    reasons.push("name");
                    if other.data.birth.year() == person.data.birth.year() {
                        reasons.push("birth");
                    }
                    if other.household_id == person.household_id {
                        reasons.push("household");
                    }
                }
                DuplicateSuggestion {
                    person: other,
                    reasons,
                }
            })
            .collect())
    }

    // -----------------------------------------------------------------------------------
    // Imports

    /// Imports households: all or nothing unless `skip_bad_rows`; a row equal to what is
    /// stored changes nothing, a different one updates it (audited). Fields a file does not
    /// give (`opts.kept`) keep their stored values.
    pub async fn import_households(
        &self,
        actor: &Actor,
        rows: Vec<Located<NewHousehold>>,
        opts: &ImportOptions,
    ) -> Result<ImportSummary> {
        let mut problems = Vec::new();
        // Resolve units once per distinct code.
        let mut units: HashMap<UnitCode, std::result::Result<Unit, String>> = HashMap::new();
        for r in &rows {
            if !units.contains_key(&r.value.unit_code) {
                let found = household_unit_problem(self, &r.value.unit_code).await?;
                units.insert(r.value.unit_code.clone(), found);
            }
        }
        let existing = self
            .households_by_codes(rows.iter().map(|r| r.value.code.as_str()))
            .await?;
        let mut seen = HashSet::new();
        let mut creates = Vec::new();
        let mut updates = Vec::new();
        let mut summary = ImportSummary::default();
        for Located { row, value: h } in rows {
            if !seen.insert(h.code.clone()) {
                problems.push(RowProblem::new(
                    row,
                    "household_code",
                    format!("household {} appears twice in the file", h.code),
                ));
                continue;
            }
            let unit = match &units[&h.unit_code] {
                Ok(u) => u.clone(),
                Err(msg) => {
                    problems.push(RowProblem::new(row, "unit_code", msg.clone()));
                    continue;
                }
            };
            match existing.get(h.code.as_str()) {
                Some(old) => {
                    let kept = opts.kept.get(&row).map_or(&[][..], Vec::as_slice);
                    let h = h.applied_to(&old.data, kept);
                    if old.data == h {
                        summary.unchanged += 1;
                    } else {
                        summary.updated += 1;
                        updates.push((old.clone(), h, unit.id));
                    }
                }
                None => {
                    summary.created += 1;
                    creates.push((h, unit.id));
                }
            }
        }
        settle_problems(problems, opts, &mut summary)?;
        if opts.dry_run || (creates.is_empty() && updates.is_empty()) {
            return Ok(summary);
        }
        let now = Utc::now();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (batch,): (i64,) = sqlx::query_as(BATCH_INSERT)
            .bind("households").bind(&opts.file_name).bind(&opts.sha256).bind(&actor.name).bind(now)
            .bind(summary.created as i64).bind(summary.updated as i64).bind(summary.unchanged as i64)
            .bind(summary.skipped.len() as i64)
            .fetch_one(&mut *tx).await?;
            for chunk in creates.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO households (code, unit_id, head_name, head_folded, address, phone, poor, \
                     lost_income, import_id, updated_at) ",
                );
                qb.push_values(chunk, |mut b, (h, unit_id)| {
                    b.push_bind(h.code.as_str()).push_bind(*unit_id).push_bind(h.head_name.as_str())
                        .push_bind(h.head_name.folded()).push_bind(&h.address)
                        .push_bind(h.phone.as_ref().map(Phone::as_str)).push_bind(h.poor)
                        .push_bind(h.lost_income).push_bind(batch).push_bind(now);
                });
                qb.build().execute(&mut *tx).await?;
            }
            for (old, h, unit_id) in &updates {
                sqlx::query(
                    "UPDATE households SET unit_id = $1, head_name = $2, head_folded = $3, address = $4, \
                     phone = $5, poor = $6, lost_income = $7, import_id = $8, updated_at = $9 WHERE id = $10",
                )
                .bind(unit_id).bind(h.head_name.as_str()).bind(h.head_name.folded()).bind(&h.address)
                .bind(h.phone.as_ref().map(Phone::as_str)).bind(h.poor).bind(h.lost_income).bind(batch)
                .bind(now).bind(old.id)
                .execute(&mut *tx).await?;
                sqlx::query("UPDATE people SET unit_id = $1 WHERE household_id = $2")
                    .bind(unit_id).bind(old.id).execute(&mut *tx).await?;
                audit_log!(tx, actor, "update", "household", old.id, Some(&old.data), Some(h));
            }
            audit_log!(tx, actor, "import", "import_batch", batch, None::<&()>, Some(&summary));
            tx.commit().await?;
        });
        Ok(summary)
    }

    async fn households_by_codes<'a>(
        &self,
        codes: impl Iterator<Item = &'a str>,
    ) -> Result<HashMap<String, Household>> {
        let codes: Vec<&str> = codes.collect();
        let mut out = HashMap::with_capacity(codes.len());
        for chunk in codes.chunks(CHUNK) {
            let rows: Vec<HouseholdRow> = with_pool!(self, p => {
                let mut qb = QueryBuilder::new(format!("{HOUSEHOLD_SELECT} WHERE h.code IN ("));
                let mut sep = qb.separated(", ");
                for c in chunk {
                    sep.push_bind(*c);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            out.extend(
                rows.into_iter()
                    .map(|r| (r.code.clone(), Household::from(r))),
            );
        }
        Ok(out)
    }

    /// The households with these codes or ids, with the commune each lies in.
    async fn households_at(&self, by: HouseholdsBy) -> Result<HashMap<String, HouseholdAt>> {
        let (column, mut keys): (&str, Vec<String>) = match by {
            HouseholdsBy::Codes(codes) => ("h.code", codes),
            HouseholdsBy::Ids(ids) => ("h.id", ids.iter().map(i64::to_string).collect()),
        };
        keys.sort_unstable();
        keys.dedup();
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(CHUNK) {
            let rows: Vec<(String, i64, i64, String, String)> = with_pool!(self, p => {
                let mut qb = QueryBuilder::new(format!(
                    "SELECT h.code, h.id, h.unit_id, u.path, u.level FROM households h \
                     JOIN units u ON u.id = h.unit_id WHERE {column} IN ("
                ));
                let mut sep = qb.separated(", ");
                for k in chunk {
                    if column == "h.id" {
                        sep.push_bind(k.parse::<i64>().unwrap_or(0));
                    } else {
                        sep.push_bind(k.as_str());
                    }
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            for (code, id, unit_id, path, level) in rows {
                let key = if column == "h.id" {
                    id.to_string()
                } else {
                    code
                };
                let commune = commune_path(&path, &level);
                out.insert(
                    key,
                    HouseholdAt {
                        id,
                        unit_id,
                        commune,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Stored people by natural key, for matching an import: lean rows, no unit join.
    async fn people_by_keys(&self, keys: &[String]) -> Result<HashMap<String, Stored>> {
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(CHUNK) {
            let rows: Vec<StoredRow> = with_pool!(self, p => {
                let mut qb = QueryBuilder::new(STORED_SELECT);
                qb.push("x.natural_key IN (");
                let mut sep = qb.separated(", ");
                for k in chunk {
                    sep.push_bind(k.as_str());
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            for r in rows {
                out.insert(r.natural_key.clone(), Stored::from(r));
            }
        }
        Ok(out)
    }

    /// The stored people of these households, for matching rows whose key finds no one.
    async fn people_of_households(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<Stored>>> {
        let mut out: HashMap<i64, Vec<Stored>> = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let rows: Vec<StoredRow> = with_pool!(self, p => {
                let mut qb = QueryBuilder::new(STORED_SELECT);
                qb.push("x.household_id IN (");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            for r in rows {
                let stored = Stored::from(r);
                out.entry(stored.household_id).or_default().push(stored);
            }
        }
        Ok(out)
    }

    /// Imports people into existing households, by the rules of `docs/registry.md`. A row
    /// names a stored person by citizen ID, or by household, folded name and agreeing
    /// birth; a person first registered without a citizen ID is matched by the latter and
    /// gets the ID. A row whose citizen ID belongs to someone else (another name or birth),
    /// or that moves a person to another commune outside `opts.access`, is held for
    /// review, not applied. Fields a file does not give (`opts.kept`) keep their stored
    /// values. All or nothing unless `skip_bad_rows`.
    pub async fn import_people(
        &self,
        actor: &Actor,
        rows: Vec<Located<NewPerson>>,
        opts: &ImportOptions,
    ) -> Result<ImportSummary> {
        let mut problems = Vec::new();
        let households = self
            .households_at(HouseholdsBy::Codes(
                rows.iter()
                    .map(|r| r.value.household_code.as_str().to_string())
                    .collect(),
            ))
            .await?;
        let fallback_key = |p: &NewPerson| {
            format!(
                "hh:{}|{}|{}",
                p.household_code,
                p.full_name.folded(),
                p.birth
            )
        };
        let mut keys: Vec<String> = Vec::with_capacity(rows.len() * 2);
        for r in &rows {
            keys.push(r.value.natural_key());
            if r.value.citizen_id.is_some() {
                keys.push(fallback_key(&r.value));
            }
        }
        let existing = self.people_by_keys(&keys).await?;
        drop(keys);
        // Rows whose key finds no one may still name a stored person of their household:
        // one whose citizen ID the file does not carry, or whose birth the file gives as
        // a bare year.
        let mut unmatched_households: Vec<i64> = rows
            .iter()
            .filter(|r| {
                !existing.contains_key(&r.value.natural_key())
                    && (r.value.citizen_id.is_none()
                        || !existing.contains_key(&fallback_key(&r.value)))
            })
            .filter_map(|r| {
                households
                    .get(r.value.household_code.as_str())
                    .map(|h| h.id)
            })
            .collect();
        unmatched_households.sort_unstable();
        unmatched_households.dedup();
        let members = self.people_of_households(&unmatched_households).await?;
        let no_kept = Vec::new();

        // First pass: what each row names.
        let mut seen: HashMap<String, u32> = HashMap::with_capacity(rows.len());
        let mut seen_people: HashMap<i64, u32> = HashMap::with_capacity(rows.len());
        let mut plans: Vec<Plan<'_>> = Vec::with_capacity(rows.len());
        for Located { row, value: person } in rows {
            let key = person.natural_key();
            if let Some(first) = seen.insert(key.clone(), row) {
                let column = if person.citizen_id.is_some() {
                    "citizen_id"
                } else {
                    "full_name"
                };
                problems.push(RowProblem::new(
                    row,
                    column,
                    format!("same person as row {first}"),
                ));
                continue;
            }
            let Some(hh) = households.get(person.household_code.as_str()) else {
                problems.push(RowProblem::new(
                    row,
                    "household_code",
                    format!("no household with code {}", person.household_code),
                ));
                continue;
            };
            let named = match existing.get(&key) {
                Some(old) if person.citizen_id.is_some() => Some((old.clone(), Named::ByCitizenId)),
                Some(old) => Some((old.clone(), Named::InHousehold)),
                None => person
                    .citizen_id
                    .as_ref()
                    .and_then(|_| existing.get(&fallback_key(&person)))
                    .or_else(|| member_named(members.get(&hh.id), &person))
                    .map(|old| (old.clone(), Named::InHousehold)),
            };
            if let Some((old, _)) = &named {
                if let Some(first) = seen_people.insert(old.id, row) {
                    problems.push(RowProblem::new(
                        row,
                        "full_name",
                        format!("same person as row {first}"),
                    ));
                    continue;
                }
            }
            plans.push((row, person, hh, named));
        }
        // The communes of the stored people whose household a row changes.
        let mut old_households = self
            .households_at(HouseholdsBy::Ids(
                plans
                    .iter()
                    .filter_map(|(_, _, hh, n)| {
                        n.as_ref()
                            .map(|(old, _)| old.household_id)
                            .filter(|id| *id != hh.id)
                    })
                    .collect(),
            ))
            .await?;

        let mut creates: Vec<(NewPerson, i64, i64, String)> = Vec::new();
        let mut updates: Vec<(Stored, NewPerson, i64, i64, String, bool)> = Vec::new();
        let mut holds: Vec<Hold> = Vec::new();
        let mut summary = ImportSummary::default();
        for (row, person, hh, named) in plans {
            let kept = opts.kept.get(&row).unwrap_or(&no_kept);
            let Some((old, how)) = named else {
                summary.created += 1;
                let key = person.natural_key();
                creates.push((person, hh.id, hh.unit_id, key));
                continue;
            };
            let new = person.applied_to(&old.data, kept);
            let hold = |kind: &'static str,
                        column: &str,
                        reason: String,
                        unit_id: i64,
                        proposed: &NewPerson| Hold {
                row,
                column: column.to_string(),
                kind,
                person_id: old.id,
                unit_id,
                target_unit_id: hh.unit_id,
                proposed: proposed.clone(),
                reason,
            };
            let old_hh = if old.household_id == hh.id {
                hh.clone()
            } else {
                old_households
                    .remove(&old.household_id.to_string())
                    .ok_or_else(|| {
                        StoreError::NotFound(format!("household {}", old.household_id))
                    })?
            };
            if how == Named::ByCitizenId && person.identity_clash(&old.data).is_some() {
                let id = person.citizen_id.as_ref().expect("named by citizen ID");
                holds.push(hold(
                    "identity",
                    "citizen_id",
                    format!(
                        "{id} already belongs to {} ({}); held for review",
                        old.data.full_name, old.data.household_code
                    ),
                    old_hh.unit_id,
                    // Someone else: nothing of the stored person is kept.
                    &person,
                ));
                continue;
            }
            if let (Some(stored_id), Some(row_id)) = (&old.data.citizen_id, &new.citizen_id) {
                if stored_id != row_id {
                    holds.push(hold(
                        "citizen_id",
                        "citizen_id",
                        format!(
                            "{} ({}) already has citizen ID {stored_id}, not {row_id}; held for review",
                            old.data.full_name, old.data.household_code
                        ),
                        old_hh.unit_id,
                        &new,
                    ));
                    continue;
                }
            }
            let moves = old_hh.commune != hh.commune;
            if moves
                && !opts.access.as_ref().is_none_or(|a| {
                    a.path_in_scope(&old_hh.commune) && a.path_in_scope(&hh.commune)
                })
            {
                holds.push(hold(
                    "move",
                    "household_code",
                    format!(
                        "{} lives in household {} of another commune: a move between communes \
                         needs a user whose scope covers both; held for review",
                        old.data.full_name, old.data.household_code
                    ),
                    old_hh.unit_id,
                    &new,
                ));
                continue;
            }
            if new == old.data && old.household_id == hh.id {
                summary.unchanged += 1;
            } else {
                summary.updated += 1;
                summary.moved += u64::from(moves);
                let key = new.natural_key();
                updates.push((old, new, hh.id, hh.unit_id, key, moves));
            }
        }
        settle_problems(problems, opts, &mut summary)?;
        // A row held again (the same file imported twice) is not queued twice.
        let queued = self
            .open_holds(&holds.iter().map(|h| h.person_id).collect::<Vec<_>>())
            .await?;
        summary.held = holds
            .iter()
            .map(|h| RowProblem::new(h.row, &h.column, h.reason.clone()))
            .collect();
        holds.retain(|h| !queued.contains(&(h.person_id, h.proposed_json())));
        if opts.dry_run || (creates.is_empty() && updates.is_empty() && holds.is_empty()) {
            return Ok(summary);
        }
        let now = Utc::now();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (batch,): (i64,) = sqlx::query_as(BATCH_INSERT)
            .bind("people").bind(&opts.file_name).bind(&opts.sha256).bind(&actor.name).bind(now)
            .bind(summary.created as i64).bind(summary.updated as i64).bind(summary.unchanged as i64)
            .bind(summary.skipped.len() as i64)
            .fetch_one(&mut *tx).await?;
            let folded: Vec<String> = creates.iter().map(|c| c.0.full_name.folded()).collect();
            let cells: Vec<Vec<Cell<'_>>> = creates
                .iter()
                .zip(&folded)
                .map(|((person, hh_id, unit_id, key), folded)| {
                    let (birth_date, birth_year) = birth_columns(&person.birth);
                    vec![
                        Cell::Int(*hh_id), Cell::Int(*unit_id), Cell::Text(key),
                        Cell::Text(person.full_name.as_str()), Cell::Text(folded),
                        birth_date.into(), birth_year.into(), person.sex.as_str().into(),
                        person.citizen_id.as_ref().map(CitizenId::as_str).into(),
                        person.phone.as_ref().map(Phone::as_str).into(),
                        person.relation.as_str().into(), Cell::Int(batch), Cell::Instant(now),
                    ]
                })
                .collect();
            tx.bulk_insert("people", &PEOPLE_COLUMNS, &cells).await?;
            for (old, person, hh_id, unit_id, key, moves) in &updates {
                bind_person!(sqlx::query(PERSON_UPDATE), *hh_id, *unit_id, key.as_str(), person)
                    .bind(Some(batch)).bind(now).bind(old.id)
                    .execute(&mut *tx).await?;
                let action = if *moves { "move" } else { "update" };
                audit_log!(tx, actor, action, "person", old.id, Some(&old.data), Some(person));
            }
            for h in &holds {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO identity_reviews (kind, person_id, unit_id, target_unit_id, proposed, \
                     reason, import_id, file_name, row_number, actor, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(h.kind).bind(h.person_id).bind(h.unit_id).bind(h.target_unit_id)
                .bind(h.proposed_json()).bind(&h.reason).bind(batch).bind(&opts.file_name)
                .bind(i64::from(h.row)).bind(&actor.name).bind(now)
                .fetch_one(&mut *tx).await?;
                audit_log!(tx, actor, "hold", "identity_review", id, None::<&()>, Some(&h.proposed));
            }
            audit_log!(tx, actor, "import", "import_batch", batch, None::<&()>, Some(&summary));
            tx.commit().await?;
        });
        Ok(summary)
    }
}

/// A row of a people import: its number, the person, its household, and the stored person
/// it names (and how), if any.
type Plan<'a> = (u32, NewPerson, &'a HouseholdAt, Option<(Stored, Named)>);

/// How a row named a stored person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// By its citizen ID: the row must describe the same person (name, birth).
    ByCitizenId,
    /// In the row's household, by folded name and agreeing birth.
    InHousehold,
}

/// A row held for identity review.
struct Hold {
    row: u32,
    column: String,
    kind: &'static str,
    person_id: i64,
    unit_id: i64,
    target_unit_id: i64,
    proposed: NewPerson,
    reason: String,
}

impl Hold {
    fn proposed_json(&self) -> String {
        serde_json::to_string(&self.proposed).expect("a person serialises")
    }
}

enum HouseholdsBy {
    Codes(Vec<String>),
    Ids(Vec<i64>),
}

/// A household as an import sees it: where it is, down to its commune.
#[derive(Debug, Clone)]
struct HouseholdAt {
    id: i64,
    unit_id: i64,
    /// The path of its commune (its unit's, or its hamlet's parent's).
    commune: String,
}

/// The commune's path of a unit where households live: a hamlet's parent, or the commune.
fn commune_path(path: &str, level: &str) -> String {
    if level == UnitLevel::Hamlet.as_str() {
        let trimmed = path.trim_end_matches('/');
        match trimmed.rfind('/') {
            Some(i) => trimmed[..=i].to_string(),
            None => path.to_string(),
        }
    } else {
        path.to_string()
    }
}

/// The stored member of a household the row names: same folded name and agreeing birth,
/// the exact birth first. (A member with another citizen ID is named too: the row is then
/// held, see `import_people`.)
fn member_named<'a>(members: Option<&'a Vec<Stored>>, person: &NewPerson) -> Option<&'a Stored> {
    let folded = person.full_name.folded();
    let candidates: Vec<&Stored> = members?
        .iter()
        .filter(|m| m.data.full_name.folded() == folded && m.data.birth.agrees_with(&person.birth))
        .collect();
    candidates
        .iter()
        .find(|m| m.data.birth == person.birth)
        .or_else(|| candidates.first())
        .copied()
}

const STORED_SELECT: &str =
    "SELECT x.natural_key, x.id, x.household_id, h.code AS household_code, \
     x.full_name, x.birth_date, x.birth_year, x.sex, x.citizen_id, x.phone, x.relation \
     FROM people x JOIN households h ON h.id = x.household_id WHERE ";

#[derive(sqlx::FromRow)]
struct StoredRow {
    natural_key: String,
    id: i64,
    household_id: i64,
    household_code: String,
    full_name: String,
    birth_date: Option<NaiveDate>,
    birth_year: i32,
    sex: String,
    citizen_id: Option<String>,
    phone: Option<String>,
    relation: String,
}

impl From<StoredRow> for Stored {
    fn from(r: StoredRow) -> Stored {
        let person = Person::from(PersonRow {
            id: r.id,
            household_id: r.household_id,
            household_code: r.household_code,
            unit_id: 0,
            unit_code: "0".into(),
            full_name: r.full_name,
            birth_date: r.birth_date,
            birth_year: r.birth_year,
            sex: r.sex,
            citizen_id: r.citizen_id,
            phone: r.phone,
            relation: r.relation,
            active: true,
        });
        Stored {
            id: person.id,
            household_id: person.household_id,
            data: person.data,
        }
    }
}
