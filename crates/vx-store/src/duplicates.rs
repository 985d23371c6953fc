//! Duplicates in the registry and their merge (issue 14 part 3; rules in
//! `docs/registry.md`).
//!
//! Candidate pairs in a unit's subtree, each with one reason, by rules narrow enough that
//! unrelated people do not flood the list: the same folded name and birth year in the same
//! household; in the same hamlet, across households, only with the same full birth date or
//! its day and month swapped; the same phone, sex and full birth date. Two people with
//! different citizen IDs are two people. Pairs a person said are not the same person are
//! never suggested again.
//!
//! A merge keeps one person and moves onto it the merged person's samples, retest orders,
//! case proposals, cases, contacts and their tests, doses, permits, crossings, workplaces
//! and held import rows — each row by its key, recorded — except rows the kept person
//! already has (the same sample, dose or workplace: listed as left). The kept person takes
//! the citizen ID, phone or full birth date it lacks. The merged person stays, inactive,
//! pointing at the kept one. Audited; undone from the merge record, row by row.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use vx_domain::{Access, Birth, Person, Unit};

use crate::registry::birth_columns;
use crate::{audit_log, path_end, with_pool, Actor, Result, Store, StoreError};

/// Why two people may be one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same folded name and birth year in one household.
    SameHousehold,
    /// The same folded name and full birth date in one hamlet, two households.
    SameBirth,
    /// The same folded name in one hamlet, birth dates with day and month swapped.
    SwappedDayMonth,
    /// The same phone, sex and full birth date, other names.
    PhoneAndBirth,
}

impl DuplicateReason {
    pub fn text_en(self) -> &'static str {
        match self {
            DuplicateReason::SameHousehold => "same name and birth year in one household",
            DuplicateReason::SameBirth => "same name and birth date in one hamlet",
            DuplicateReason::SwappedDayMonth => {
                "same name in one hamlet, birth dates with day and month swapped"
            }
            DuplicateReason::PhoneAndBirth => "same phone, sex and birth date",
        }
    }
    pub fn text_vi(self) -> &'static str {
        match self {
            DuplicateReason::SameHousehold => "trùng họ tên và năm sinh trong một hộ",
            DuplicateReason::SameBirth => "trùng họ tên và ngày sinh trong một ấp",
            DuplicateReason::SwappedDayMonth => {
                "trùng họ tên trong một ấp, ngày sinh đảo ngày và tháng"
            }
            DuplicateReason::PhoneAndBirth => "trùng số điện thoại, giới tính và ngày sinh",
        }
    }
}

/// Two active people who may be one, `a.id < b.id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicatePair {
    pub a: Person,
    pub b: Person,
    pub reason: DuplicateReason,
}

/// What the kept person looked like before a merge (restored by the undo).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptBefore {
    pub citizen_id: Option<String>,
    pub phone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub natural_key: String,
}

/// The rows a merge moved, by key, and what it changed on both people.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeMoves {
    /// `sample_members` by sample id.
    pub samples: Vec<i64>,
    pub retest_orders: Vec<i64>,
    pub case_proposals: Vec<i64>,
    pub cases: Vec<i64>,
    pub contacts: Vec<i64>,
    /// `contact_tests` by (contact id, day).
    pub contact_tests: Vec<(i64, NaiveDate)>,
    /// `vaccinations` by dose number.
    pub doses: Vec<i64>,
    pub permits: Vec<i64>,
    pub crossings: Vec<i64>,
    /// `business_workers` by business id.
    pub workplaces: Vec<i64>,
    pub worker_tests: Vec<i64>,
    pub identity_reviews: Vec<i64>,
    /// Rows the kept person already had, left on the merged person.
    pub left: Vec<String>,
    /// Fields the kept person took from the merged one.
    pub took: Vec<String>,
    pub kept_before: KeptBefore,
    pub merged_citizen_id: Option<String>,
    pub merged_natural_key: String,
    pub merged_was_active: bool,
}

impl MergeMoves {
    /// Rows moved, all tables together.
    pub fn moved(&self) -> usize {
        self.samples.len()
            + self.retest_orders.len()
            + self.case_proposals.len()
            + self.cases.len()
            + self.contacts.len()
            + self.contact_tests.len()
            + self.doses.len()
            + self.permits.len()
            + self.crossings.len()
            + self.workplaces.len()
            + self.worker_tests.len()
            + self.identity_reviews.len()
    }

    /// One line: what moved, per kind.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = [
            ("samples", self.samples.len()),
            ("retest orders", self.retest_orders.len()),
            ("case proposals", self.case_proposals.len()),
            ("cases", self.cases.len()),
            ("contacts", self.contacts.len()),
            ("contact tests", self.contact_tests.len()),
            ("doses", self.doses.len()),
            ("permits", self.permits.len()),
            ("crossings", self.crossings.len()),
            ("workplaces", self.workplaces.len()),
            ("worker tests", self.worker_tests.len()),
            ("held import rows", self.identity_reviews.len()),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            "nothing to move".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// One merge, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonMerge {
    pub id: i64,
    pub kept_id: i64,
    pub merged_id: i64,
    pub moves: MergeMoves,
    pub note: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub undone_by: Option<String>,
    pub undone_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct MergeRow {
    id: i64,
    kept_id: i64,
    merged_id: i64,
    moves: String,
    note: String,
    actor: String,
    at: DateTime<Utc>,
    undone_by: Option<String>,
    undone_at: Option<DateTime<Utc>>,
}

impl TryFrom<MergeRow> for PersonMerge {
    type Error = StoreError;
    fn try_from(r: MergeRow) -> Result<PersonMerge> {
        Ok(PersonMerge {
            moves: serde_json::from_str(&r.moves).map_err(|e| {
                StoreError::Invalid(format!("merge {}: record unreadable: {e}", r.id))
            })?,
            id: r.id,
            kept_id: r.kept_id,
            merged_id: r.merged_id,
            note: r.note,
            actor: r.actor,
            at: r.at,
            undone_by: r.undone_by,
            undone_at: r.undone_at,
        })
    }
}

const MERGE_SELECT: &str = "SELECT m.id, m.kept_id, m.merged_id, m.moves, m.note, m.actor, m.at, \
     m.undone_by, m.undone_at FROM person_merges m";

/// `1, 2, 3` (ids are numbers: safe to write into SQL).
fn list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// An active person of the subtree, as the rules read it.
#[derive(sqlx::FromRow)]
struct Candidate {
    id: i64,
    household_id: i64,
    unit_id: i64,
    name_folded: String,
    birth_year: i64,
    birth_date: Option<NaiveDate>,
    sex: String,
    citizen_id: Option<String>,
    phone: Option<String>,
}

/// The reason two people (`a.id < b.id`) may be one, if they may. Two citizen IDs that
/// differ are two people.
fn reason_of(a: &Candidate, b: &Candidate, by_phone: bool) -> Option<DuplicateReason> {
    if let (Some(x), Some(y)) = (&a.citizen_id, &b.citizen_id) {
        if x != y {
            return None;
        }
    }
    if by_phone {
        return (a.name_folded != b.name_folded
            && a.sex == b.sex
            && a.birth_date.is_some()
            && a.birth_date == b.birth_date)
            .then_some(DuplicateReason::PhoneAndBirth);
    }
    if a.household_id == b.household_id {
        return Some(DuplicateReason::SameHousehold);
    }
    match (a.birth_date, b.birth_date) {
        (Some(x), Some(y)) if x == y => Some(DuplicateReason::SameBirth),
        (Some(x), Some(y))
            if x.year() == y.year() && x.day() == y.month() && x.month() == y.day() =>
        {
            Some(DuplicateReason::SwappedDayMonth)
        }
        _ => None,
    }
}

/// Every pair within each group (groups are small: people sharing a name, year and
/// hamlet, or a phone and year), by rule.
fn pairs_in<'p, K: std::hash::Hash + Eq>(
    people: &'p [Candidate],
    key: impl Fn(&'p Candidate) -> Option<K>,
    by_phone: bool,
    out: &mut Vec<(DuplicateReason, i64, i64)>,
    seen: &mut HashSet<(i64, i64)>,
) {
    let mut groups: std::collections::HashMap<K, Vec<usize>> = std::collections::HashMap::new();
    for (i, p) in people.iter().enumerate() {
        if let Some(k) = key(p) {
            groups.entry(k).or_default().push(i);
        }
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        for (n, &i) in members.iter().enumerate() {
            for &j in &members[n + 1..] {
                let (a, b) = if people[i].id < people[j].id {
                    (&people[i], &people[j])
                } else {
                    (&people[j], &people[i])
                };
                if let Some(reason) = reason_of(a, b, by_phone) {
                    if seen.insert((a.id, b.id)) {
                        out.push((reason, a.id, b.id));
                    }
                }
            }
        }
    }
}

impl Store {
    /// Candidate duplicate pairs among the active people of `root`'s subtree, at most
    /// `limit`, by reason then id; and how many there are in all.
    pub async fn duplicate_pairs(
        &self,
        root: &Unit,
        limit: usize,
    ) -> Result<(Vec<DuplicatePair>, usize)> {
        let (from, to) = (root.path.as_str(), path_end(&root.path));
        // One scan of the subtree's active people; the rules group them in memory (a
        // self-join on the name is slow on SQLite for a district).
        let people: Vec<Candidate> = with_pool!(self, p => sqlx::query_as(
            "SELECT x.id, x.household_id, x.unit_id, x.name_folded, CAST(x.birth_year AS BIGINT) AS birth_year, \
             x.birth_date, x.sex, x.citizen_id, x.phone FROM people x JOIN units u ON u.id = x.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND x.active AND x.merged_into IS NULL",
        ).bind(from).bind(&to).fetch_all(p).await?);
        let mut found: Vec<(DuplicateReason, i64, i64)> = Vec::new();
        let mut seen = HashSet::new();
        pairs_in(
            &people,
            |p: &Candidate| Some((p.name_folded.as_str(), p.birth_year, p.unit_id)),
            false,
            &mut found,
            &mut seen,
        );
        pairs_in(
            &people,
            |p: &Candidate| p.phone.as_deref().map(|ph| (ph, p.birth_year)),
            true,
            &mut found,
            &mut seen,
        );
        if !found.is_empty() {
            let mut lows: Vec<i64> = found.iter().map(|f| f.1).collect();
            lows.sort_unstable();
            lows.dedup();
            let mut dismissed = HashSet::new();
            for chunk in lows.chunks(500) {
                let sql = format!(
                    "SELECT low_id, high_id FROM duplicate_dismissals WHERE low_id IN ({})",
                    list(chunk)
                );
                let rows: Vec<(i64, i64)> =
                    with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
                dismissed.extend(rows);
            }
            found.retain(|(_, a, b)| !dismissed.contains(&(*a, *b)));
        }
        found.sort();
        let total = found.len();
        let mut pairs = Vec::new();
        for (reason, a, b) in found.into_iter().take(limit) {
            if let (Some(a), Some(b)) = (self.person(a).await?, self.person(b).await?) {
                pairs.push(DuplicatePair { a, b, reason });
            }
        }
        Ok((pairs, total))
    }

    /// Records that two people are not the same person: the pair is not suggested again.
    pub async fn dismiss_duplicate(&self, actor: &Actor, a: i64, b: i64, note: &str) -> Result<()> {
        let (low, high) = (a.min(b), a.max(b));
        if low == high {
            return Err(StoreError::Invalid(
                "a person is not a duplicate of itself".into(),
            ));
        }
        for id in [low, high] {
            self.person(id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("person {id}")))?;
        }
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO duplicate_dismissals (low_id, high_id, note, actor, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (low_id, high_id) DO NOTHING",
            )
            .bind(low).bind(high).bind(note).bind(&actor.name).bind(Utc::now())
            .execute(&mut *tx).await?;
            audit_log!(tx, actor, "not-duplicate", "person", low, None::<&()>,
                Some(&serde_json::json!({"other": high, "note": note})));
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn person_merge(&self, id: i64) -> Result<Option<PersonMerge>> {
        let sql = format!("{MERGE_SELECT} WHERE m.id = $1");
        let row: Option<MergeRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(PersonMerge::try_from).transpose()
    }

    /// The merges whose kept person lives in `root`'s subtree, newest first.
    pub async fn person_merges(&self, root: &Unit, limit: i64) -> Result<Vec<PersonMerge>> {
        let sql = format!(
            "{MERGE_SELECT} JOIN people k ON k.id = m.kept_id JOIN units u ON u.id = k.unit_id \
             WHERE u.path >= $1 AND u.path < $2 ORDER BY m.id DESC LIMIT $3"
        );
        let rows: Vec<MergeRow> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(root.path.as_str()).bind(path_end(&root.path)).bind(limit).fetch_all(p).await?);
        rows.into_iter().map(PersonMerge::try_from).collect()
    }

    /// The two people of a merge or a pair, checked: both exist, differ, are active and
    /// unmerged, and (with `access`) live in units the user's scope covers.
    async fn merge_pair(
        &self,
        kept: i64,
        merged: i64,
        access: Option<&Access>,
    ) -> Result<(Person, Person)> {
        if kept == merged {
            return Err(StoreError::Invalid(
                "a person is not merged into itself".into(),
            ));
        }
        let mut out = Vec::new();
        for id in [kept, merged] {
            let p = self
                .person(id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("person {id}")))?;
            if !p.active {
                return Err(StoreError::Conflict(format!(
                    "person {id} ({}) is not active (already merged, or left the registry)",
                    p.data.full_name
                )));
            }
            if let Some(a) = access {
                let unit = self
                    .unit_by_id(p.unit_id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("unit of person {id}")))?;
                if !a.path_in_scope(&unit.path) {
                    return Err(StoreError::Invalid(format!(
                        "person {id} lives in {}: a merge is made by a user whose scope covers both people",
                        unit.code
                    )));
                }
            }
            out.push(p);
        }
        let merged = out.pop().expect("two");
        let kept = out.pop().expect("two");
        Ok((kept, merged))
    }

    /// Merges `merged` into `kept` (see the module): audited, recorded for the undo.
    pub async fn merge_people(
        &self,
        actor: &Actor,
        kept: i64,
        merged: i64,
        note: &str,
        access: Option<&Access>,
    ) -> Result<PersonMerge> {
        let (k, m) = self.merge_pair(kept, merged, access).await?;
        let mut moves = MergeMoves {
            kept_before: KeptBefore {
                citizen_id: k.data.citizen_id.as_ref().map(|c| c.as_str().to_string()),
                phone: k.data.phone.as_ref().map(|p| p.as_str().to_string()),
                birth_date: birth_columns(&k.data.birth).0,
                natural_key: k.data.natural_key(),
            },
            merged_citizen_id: m.data.citizen_id.as_ref().map(|c| c.as_str().to_string()),
            merged_natural_key: m.data.natural_key(),
            merged_was_active: m.active,
            ..Default::default()
        };
        // What the kept person takes.
        let mut new_k = k.data.clone();
        if new_k.citizen_id.is_none() && m.data.citizen_id.is_some() {
            new_k.citizen_id = m.data.citizen_id.clone();
            moves.took.push("citizen_id".into());
        }
        if new_k.phone.is_none() && m.data.phone.is_some() {
            new_k.phone = m.data.phone.clone();
            moves.took.push("phone".into());
        }
        if let (Birth::Year(y), Birth::Date(d)) = (&k.data.birth, &m.data.birth) {
            if d.year() == *y {
                new_k.birth = Birth::Date(*d);
                moves.took.push("birth_date".into());
            }
        }
        let now = Utc::now();
        let (kid, mid) = (k.id, m.id);
        let merge_id: i64 = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            // Rows with a key that may collide: only those the kept person lacks.
            macro_rules! keys {
                ($sql:expr) => {{
                    let rows: Vec<(i64,)> = sqlx::query_as($sql).bind(kid).bind(mid)
                        .fetch_all(&mut *tx).await?;
                    rows.into_iter().map(|r| r.0).collect::<Vec<i64>>()
                }};
            }
            // Rows of the merged person ($1).
            macro_rules! all_of {
                ($sql:expr) => {{
                    let rows: Vec<(i64,)> = sqlx::query_as($sql).bind(mid)
                        .fetch_all(&mut *tx).await?;
                    rows.into_iter().map(|r| r.0).collect::<Vec<i64>>()
                }};
            }
            macro_rules! move_keys {
                ($table:literal, $key:literal, $keys:expr) => {
                    for chunk in $keys.chunks(500) {
                        let sql = format!(
                            "UPDATE {} SET person_id = $1 WHERE person_id = $2 AND {} IN ({})",
                            $table, $key, list(chunk)
                        );
                        sqlx::query(&sql).bind(kid).bind(mid).execute(&mut *tx).await?;
                    }
                };
            }
            moves.samples = keys!("SELECT x.sample_id FROM sample_members x WHERE x.person_id = $2 AND NOT EXISTS \
                (SELECT 1 FROM sample_members y WHERE y.person_id = $1 AND (y.sample_id = x.sample_id \
                 OR (y.round_id = x.round_id AND NOT y.retest AND NOT x.retest))) ORDER BY x.sample_id");
            let left = all_of!("SELECT sample_id FROM sample_members WHERE person_id = $1 ORDER BY sample_id");
            moves.left.extend(left.iter().filter(|s| !moves.samples.contains(s))
                .map(|s| format!("sample #{s}: the kept person is in it, or in another sample of its round")));
            move_keys!("sample_members", "sample_id", moves.samples);
            moves.retest_orders = keys!("SELECT x.id FROM retest_orders x WHERE x.person_id = $2 AND NOT EXISTS \
                (SELECT 1 FROM retest_orders y WHERE y.person_id = $1 AND y.pool_sample_id = x.pool_sample_id) ORDER BY x.id");
            move_keys!("retest_orders", "id", moves.retest_orders);
            moves.doses = keys!("SELECT x.dose FROM vaccinations x WHERE x.person_id = $2 AND NOT EXISTS \
                (SELECT 1 FROM vaccinations y WHERE y.person_id = $1 AND y.dose = x.dose) ORDER BY x.dose");
            let all_doses = all_of!("SELECT dose FROM vaccinations WHERE person_id = $1 ORDER BY dose");
            moves.left.extend(all_doses.iter().filter(|d| !moves.doses.contains(d))
                .map(|d| format!("dose {d}: the kept person has one")));
            move_keys!("vaccinations", "dose", moves.doses);
            moves.workplaces = keys!("SELECT x.business_id FROM business_workers x WHERE x.person_id = $2 AND NOT EXISTS \
                (SELECT 1 FROM business_workers y WHERE y.person_id = $1 AND y.business_id = x.business_id) ORDER BY x.business_id");
            move_keys!("business_workers", "business_id", moves.workplaces);
            // Rows without such a key: all of them.
            moves.case_proposals = all_of!("SELECT id FROM case_proposals WHERE person_id = $1 ORDER BY id");
            move_keys!("case_proposals", "id", moves.case_proposals);
            moves.cases = all_of!("SELECT id FROM cases WHERE person_id = $1 ORDER BY id");
            move_keys!("cases", "id", moves.cases);
            moves.contacts = all_of!("SELECT id FROM contacts WHERE person_id = $1 ORDER BY id");
            move_keys!("contacts", "id", moves.contacts);
            let tests: Vec<(i64, NaiveDate)> = sqlx::query_as(
                "SELECT contact_id, day FROM contact_tests WHERE person_id = $1 ORDER BY contact_id, day")
                .bind(mid).fetch_all(&mut *tx).await?;
            sqlx::query("UPDATE contact_tests SET person_id = $1 WHERE person_id = $2")
                .bind(kid).bind(mid).execute(&mut *tx).await?;
            moves.contact_tests = tests;
            moves.permits = all_of!("SELECT id FROM permits WHERE person_id = $1 ORDER BY id");
            move_keys!("permits", "id", moves.permits);
            moves.crossings = all_of!("SELECT id FROM crossings WHERE person_id = $1 ORDER BY id");
            move_keys!("crossings", "id", moves.crossings);
            moves.worker_tests = all_of!("SELECT id FROM worker_tests WHERE person_id = $1 ORDER BY id");
            move_keys!("worker_tests", "id", moves.worker_tests);
            moves.identity_reviews = all_of!("SELECT id FROM identity_reviews WHERE person_id = $1 ORDER BY id");
            move_keys!("identity_reviews", "id", moves.identity_reviews);
            // The merged person steps aside (its citizen ID and key freed), the kept one
            // takes what it lacked.
            let merged_key = if new_k.natural_key() == moves.merged_natural_key {
                format!("merged:{mid}")
            } else {
                moves.merged_natural_key.clone()
            };
            let merged_citizen = if moves.took.iter().any(|t| t == "citizen_id") {
                None
            } else {
                moves.merged_citizen_id.clone()
            };
            sqlx::query("UPDATE people SET active = $1, merged_into = $2, citizen_id = $3, natural_key = $4, \
                 updated_at = $5 WHERE id = $6")
                .bind(false).bind(kid).bind(merged_citizen).bind(merged_key).bind(now).bind(mid)
                .execute(&mut *tx).await?;
            let (birth_date, _) = birth_columns(&new_k.birth);
            sqlx::query("UPDATE people SET citizen_id = $1, phone = $2, birth_date = $3, natural_key = $4, \
                 updated_at = $5 WHERE id = $6")
                .bind(new_k.citizen_id.as_ref().map(|c| c.as_str()))
                .bind(new_k.phone.as_ref().map(|p| p.as_str()))
                .bind(birth_date).bind(new_k.natural_key()).bind(now).bind(kid)
                .execute(&mut *tx).await?;
            sqlx::query(DOSE_DAYS).bind(kid).bind(mid).execute(&mut *tx).await?;
            let moves_json = serde_json::to_string(&moves).expect("moves serialise");
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO person_merges (kept_id, merged_id, moves, note, actor, at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(kid).bind(mid).bind(&moves_json).bind(note).bind(&actor.name).bind(now)
                .fetch_one(&mut *tx).await?;
            audit_log!(tx, actor, "merge", "person", kid,
                Some(&serde_json::json!({"kept": k, "merged": m})),
                Some(&serde_json::json!({"merge": id, "merged_into": kid, "moves": moves, "note": note})));
            tx.commit().await?;
            id
        });
        self.person_merge(merge_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("merge {merge_id}")))
    }

    /// Undoes a merge: every row it moved goes back, both people are as they were, the
    /// merge record says who undid it. Refused when the merge is undone already or when a
    /// person of it was merged again since (undo that merge first).
    pub async fn undo_merge(
        &self,
        actor: &Actor,
        id: i64,
        access: Option<&Access>,
    ) -> Result<PersonMerge> {
        let merge = self
            .person_merge(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("merge {id}")))?;
        if merge.undone_at.is_some() {
            return Err(StoreError::Conflict(format!(
                "merge {id} is already undone"
            )));
        }
        let kept = self
            .person(merge.kept_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("person {}", merge.kept_id)))?;
        if !kept.active {
            return Err(StoreError::Conflict(format!(
                "person {} was merged again since: undo that merge first",
                kept.id
            )));
        }
        if let Some(a) = access {
            for pid in [merge.kept_id, merge.merged_id] {
                let p = self
                    .person(pid)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("person {pid}")))?;
                let unit = self
                    .unit_by_id(p.unit_id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("unit of person {pid}")))?;
                if !a.path_in_scope(&unit.path) {
                    return Err(StoreError::Invalid(format!(
                        "person {pid} lives in {}: a merge is undone by a user whose scope covers both people",
                        unit.code
                    )));
                }
            }
        }
        let mv = &merge.moves;
        let (kid, mid) = (merge.kept_id, merge.merged_id);
        let now = Utc::now();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            macro_rules! back {
                ($table:literal, $key:literal, $keys:expr) => {
                    for chunk in $keys.chunks(500) {
                        let sql = format!(
                            "UPDATE {} SET person_id = $1 WHERE person_id = $2 AND {} IN ({})",
                            $table, $key, list(chunk)
                        );
                        sqlx::query(&sql).bind(mid).bind(kid).execute(&mut *tx).await?;
                    }
                };
            }
            back!("sample_members", "sample_id", mv.samples);
            back!("retest_orders", "id", mv.retest_orders);
            back!("vaccinations", "dose", mv.doses);
            back!("business_workers", "business_id", mv.workplaces);
            back!("case_proposals", "id", mv.case_proposals);
            back!("cases", "id", mv.cases);
            back!("contacts", "id", mv.contacts);
            back!("permits", "id", mv.permits);
            back!("crossings", "id", mv.crossings);
            back!("worker_tests", "id", mv.worker_tests);
            back!("identity_reviews", "id", mv.identity_reviews);
            for (contact, day) in &mv.contact_tests {
                sqlx::query("UPDATE contact_tests SET person_id = $1 WHERE contact_id = $2 AND day = $3")
                    .bind(mid).bind(contact).bind(day).execute(&mut *tx).await?;
            }
            let b = &mv.kept_before;
            sqlx::query("UPDATE people SET citizen_id = $1, phone = $2, birth_date = $3, natural_key = $4, \
                 updated_at = $5 WHERE id = $6")
                .bind(&b.citizen_id).bind(&b.phone).bind(b.birth_date).bind(&b.natural_key)
                .bind(now).bind(kid).execute(&mut *tx).await?;
            sqlx::query("UPDATE people SET active = $1, merged_into = NULL, citizen_id = $2, natural_key = $3, \
                 updated_at = $4 WHERE id = $5")
                .bind(mv.merged_was_active).bind(&mv.merged_citizen_id).bind(&mv.merged_natural_key)
                .bind(now).bind(mid).execute(&mut *tx).await?;
            sqlx::query(DOSE_DAYS).bind(kid).bind(mid).execute(&mut *tx).await?;
            sqlx::query("UPDATE person_merges SET undone_by = $1, undone_at = $2 WHERE id = $3")
                .bind(&actor.name).bind(now).bind(id).execute(&mut *tx).await?;
            audit_log!(tx, actor, "merge-undo", "person", kid,
                Some(&serde_json::json!({"merge": id, "merged_into": kid})),
                Some(&serde_json::json!({"merge": id, "restored": mid})));
            tx.commit().await?;
        });
        self.person_merge(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("merge {id}")))
    }
}

/// The first and second dose days kept on `people` (see 0008_dose_days.sql), for two people.
const DOSE_DAYS: &str = "UPDATE people SET \
     first_dose_on = (SELECT MIN(v.day) FROM vaccinations v WHERE v.person_id = people.id AND v.dose IN (1, 2)), \
     second_dose_on = (SELECT v.day FROM vaccinations v WHERE v.person_id = people.id AND v.dose = 2) \
     WHERE id IN ($1, $2)";
