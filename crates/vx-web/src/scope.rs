//! Scope: what a viewer may see, found once here for the API and the pages alike.
//!
//! Every lookup by code or id goes through these functions. Anything absent, outside the
//! viewer's scope, or deeper than its role may see is the same `NotFound`, so that
//! existence does not leak.

use std::cmp::Ordering;

use chrono::NaiveDate;
use vx_domain::{fold, Access, Household, Person, Unit, UnitCode, UnitLevel};
use vx_store::{PeopleQuery, Store, UnitCounts};

use crate::error::AppError;
use crate::viewer::Viewer;

pub type Result<T> = std::result::Result<T, AppError>;

/// A unit whose figures the viewer may see.
pub async fn seen_unit(store: &Store, access: &Access, code: &str) -> Result<Unit> {
    let unit = match UnitCode::parse(code) {
        Ok(code) => store.unit(code.as_str()).await?,
        Err(_) => None,
    };
    unit.filter(|u| access.sees_unit(u))
        .ok_or_else(AppError::not_found)
}

/// A unit whose households and people the viewer may see.
pub async fn people_unit(store: &Store, access: &Access, code: &str) -> Result<Unit> {
    let unit = match UnitCode::parse(code) {
        Ok(code) => store.unit(code.as_str()).await?,
        Err(_) => None,
    };
    unit.filter(|u| access.sees_people_in(u))
        .ok_or_else(AppError::not_found)
}

fn parse_id(id: &str) -> Option<i64> {
    id.trim().parse::<i64>().ok().filter(|n| *n > 0)
}

/// A household the viewer may see, with its unit.
pub async fn seen_household(store: &Store, access: &Access, id: &str) -> Result<(Household, Unit)> {
    if !access.role.sees_personal_data() {
        return Err(AppError::not_found());
    }
    let Some(id) = parse_id(id) else {
        return Err(AppError::not_found());
    };
    let Some(household) = store.household(id).await? else {
        return Err(AppError::not_found());
    };
    household_unit(store, access, household).await
}

/// A household found by code that the viewer may see, with its unit.
pub async fn seen_household_by_code(
    store: &Store,
    access: &Access,
    code: &str,
) -> Result<(Household, Unit)> {
    if !access.role.sees_personal_data() {
        return Err(AppError::not_found());
    }
    let Some(household) = store.household_by_code(code.trim()).await? else {
        return Err(AppError::not_found());
    };
    household_unit(store, access, household).await
}

async fn household_unit(
    store: &Store,
    access: &Access,
    household: Household,
) -> Result<(Household, Unit)> {
    let unit = store
        .unit_by_id(household.unit_id)
        .await?
        .filter(|u| access.sees_people_in(u))
        .ok_or_else(AppError::not_found)?;
    Ok((household, unit))
}

/// A person the viewer may see, with the unit of its household.
pub async fn seen_person(store: &Store, access: &Access, id: &str) -> Result<(Person, Unit)> {
    if !access.role.sees_personal_data() {
        return Err(AppError::not_found());
    }
    let Some(id) = parse_id(id) else {
        return Err(AppError::not_found());
    };
    let Some(person) = store.person(id).await? else {
        return Err(AppError::not_found());
    };
    let unit = store
        .unit_by_id(person.unit_id)
        .await?
        .filter(|u| access.sees_people_in(u))
        .ok_or_else(AppError::not_found)?;
    Ok((person, unit))
}

/// The units a viewer starts from: its scope units it may see (all roots for an admin).
pub async fn top_units(store: &Store, viewer: &Viewer) -> Result<Vec<Unit>> {
    if viewer.access.is_admin() {
        return Ok(store.children(None).await?);
    }
    Ok(minimal(&viewer.user.scope)
        .into_iter()
        .filter(|u| viewer.access.sees_unit(u))
        .collect())
}

/// Scope units not inside another scope unit.
fn minimal(units: &[Unit]) -> Vec<Unit> {
    units
        .iter()
        .filter(|u| {
            !units
                .iter()
                .any(|other| other.path != u.path && u.path.starts_with(&other.path))
        })
        .cloned()
        .collect()
}

/// A stand-in for the whole tree: its path "/" is the prefix of every path.
pub fn everywhere() -> Unit {
    Unit {
        id: 0,
        code: UnitCode::parse("all").expect("valid code"),
        parent_code: None,
        level: UnitLevel::Province,
        kind: String::new(),
        name: String::new(),
        full_name: String::new(),
        population: None,
        path: "/".into(),
        valid_from: NaiveDate::MIN,
        valid_to: None,
    }
}

/// The subtrees in which the viewer sees personal data (empty for roles that see none).
pub fn people_roots(viewer: &Viewer) -> Vec<Unit> {
    if !viewer.access.role.sees_personal_data() {
        return vec![];
    }
    if viewer.access.is_admin() {
        return vec![everywhere()];
    }
    minimal(&viewer.user.scope)
        .into_iter()
        .filter(|u| viewer.access.sees_people_in(u))
        .collect()
}

/// Whether households live directly in the unit: a hamlet, or a commune without hamlets.
pub async fn holds_households(store: &Store, unit: &Unit) -> Result<bool> {
    Ok(match unit.level {
        UnitLevel::Hamlet => true,
        UnitLevel::Commune => store.children(Some(&unit.code)).await?.is_empty(),
        _ => false,
    })
}

/// Units with their household and people figures.
pub async fn with_counts(store: &Store, units: Vec<Unit>) -> Result<Vec<(Unit, UnitCounts)>> {
    let counts = store.counts_under(&units).await?;
    Ok(units.into_iter().zip(counts).collect())
}

/// The children of a unit the viewer may see.
pub async fn seen_children(store: &Store, access: &Access, unit: &Unit) -> Result<Vec<Unit>> {
    Ok(store
        .children(Some(&unit.code))
        .await?
        .into_iter()
        .filter(|u| access.sees_unit(u))
        .collect())
}

/// Households under several roots, by code, `offset`/`limit` over the merged list.
pub async fn households_under(
    store: &Store,
    roots: &[Unit],
    query: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<Vec<Household>> {
    if let [root] = roots {
        return Ok(store.households_in(root, query, offset, limit).await?);
    }
    let mut all = Vec::new();
    for root in roots {
        all.extend(store.households_in(root, query, 0, offset + limit).await?);
    }
    all.sort_by(|a, b| a.data.code.cmp(&b.data.code));
    Ok(all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect())
}

/// People under several roots, by folded name then id, `offset`/`limit` over the merged
/// list.
pub async fn people_under(store: &Store, roots: &[Unit], base: PeopleQuery) -> Result<Vec<Person>> {
    if let [root] = roots {
        return Ok(store
            .people(&PeopleQuery {
                within: root.path.clone(),
                ..base
            })
            .await?);
    }
    let mut all = Vec::new();
    for root in roots {
        all.extend(
            store
                .people(&PeopleQuery {
                    within: root.path.clone(),
                    offset: 0,
                    limit: base.offset + base.limit,
                    ..base.clone()
                })
                .await?,
        );
    }
    let key = |p: &Person| (p.data.full_name.folded(), p.id);
    all.sort_by(|a, b| key(a).cmp(&key(b)).then(Ordering::Equal));
    Ok(all
        .into_iter()
        .skip(base.offset as usize)
        .take(base.limit as usize)
        .collect())
}

/// What a search finds for a viewer: units it sees, and households and people where its
/// role sees them.
pub async fn search(store: &Store, viewer: &Viewer, q: &str) -> Result<Found> {
    const UNITS: i64 = 20;
    const HOUSEHOLDS: i64 = 20;
    const PEOPLE: i64 = 50;
    let q = q.trim();
    if fold(q).is_empty() || viewer.access.role.deepest_level().is_none() {
        return Ok(Found::default());
    }
    let roots: Vec<Unit> = if viewer.access.is_admin() {
        vec![everywhere()]
    } else {
        minimal(&viewer.user.scope)
    };
    let mut units = Vec::new();
    for root in &roots {
        // Deeper units than the role sees come last (shortest paths first): ask for more.
        for u in store.search_units(q, &root.path, UNITS * 4).await? {
            if viewer.access.sees_unit(&u) && !units.iter().any(|x: &Unit| x.id == u.id) {
                units.push(u);
            }
        }
    }
    units.sort_by(|a, b| (a.path.len(), &a.code).cmp(&(b.path.len(), &b.code)));
    units.truncate(UNITS as usize);
    let personal = people_roots(viewer);
    let households = households_under(store, &personal, Some(q), 0, HOUSEHOLDS).await?;
    let people = people_under(
        store,
        &personal,
        PeopleQuery {
            within: String::new(),
            name: Some(q.to_string()),
            household_id: None,
            include_inactive: false,
            offset: 0,
            limit: PEOPLE,
        },
    )
    .await?;
    Ok(Found {
        units,
        households,
        people,
    })
}

/// What a search found.
#[derive(Debug, Default)]
pub struct Found {
    pub units: Vec<Unit>,
    /// By the head's name or the exact code.
    pub households: Vec<Household>,
    pub people: Vec<Person>,
}
