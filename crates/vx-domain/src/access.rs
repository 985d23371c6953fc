//! Roles and scopes: "the province knows down to the commune, the district down to the
//! hamlet, the commune down to the household" (Resolution 04, point 6).
//!
//! A user has one role and one or more scope units. Inside its scope a user sees units down
//! to the depth its role allows ([`Role::deepest_level`]), and personal data (households,
//! people) only where its role allows it ([`Role::sees_personal_data`]). Outside its scope
//! it sees nothing: the web layer answers 404 so that existence does not leak.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Unit, UnitLevel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Province,
    District,
    Commune,
    Hamlet,
    Laboratory,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected admin, province, district, commune, hamlet or laboratory)")]
pub struct UnknownRole(pub String);

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Province,
        Role::District,
        Role::Commune,
        Role::Hamlet,
        Role::Laboratory,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Province => "province",
            Role::District => "district",
            Role::Commune => "commune",
            Role::Hamlet => "hamlet",
            Role::Laboratory => "laboratory",
        }
    }
    pub fn name_vi(self) -> &'static str {
        match self {
            Role::Admin => "Quản trị",
            Role::Province => "Cán bộ tỉnh",
            Role::District => "Cán bộ huyện",
            Role::Commune => "Cán bộ xã",
            Role::Hamlet => "Tổ COVID cộng đồng",
            Role::Laboratory => "Phòng xét nghiệm",
        }
    }
    /// The deepest level whose units (and their aggregate figures) the role sees inside
    /// its scope. `None`: no units at all (a laboratory only uploads results).
    pub fn deepest_level(self) -> Option<UnitLevel> {
        match self {
            Role::Admin | Role::District | Role::Commune | Role::Hamlet => Some(UnitLevel::Hamlet),
            Role::Province => Some(UnitLevel::Commune),
            Role::Laboratory => None,
        }
    }
    /// Whether the role sees households and people inside its scope.
    pub fn sees_personal_data(self) -> bool {
        matches!(self, Role::Admin | Role::Commune | Role::Hamlet)
    }
    /// The level a scope unit of this role must have (admin: any; laboratory: any).
    pub fn scope_level(self) -> Option<UnitLevel> {
        match self {
            Role::Province => Some(UnitLevel::Province),
            Role::District => Some(UnitLevel::District),
            Role::Commune => Some(UnitLevel::Commune),
            Role::Hamlet => Some(UnitLevel::Hamlet),
            Role::Admin | Role::Laboratory => None,
        }
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one signed-in user may see and do. Built once per request from the user's role and
/// the materialised paths of its scope units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub role: Role,
    /// Materialised paths of the scope units ("/12/345/"). Empty for an admin, who sees all.
    pub scope_paths: Vec<String>,
}

impl Access {
    pub fn new(role: Role, scope_paths: Vec<String>) -> Self {
        Access { role, scope_paths }
    }
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    fn in_scope(&self, unit: &Unit) -> bool {
        self.is_admin() || self.scope_paths.iter().any(|p| unit.path.starts_with(p))
    }
    /// The unit, its name and its aggregate figures.
    pub fn sees_unit(&self, unit: &Unit) -> bool {
        match self.role.deepest_level() {
            Some(deepest) => unit.level <= deepest && self.in_scope(unit),
            None => false,
        }
    }
    /// Households and people registered in the unit (or below it).
    pub fn sees_people_in(&self, unit: &Unit) -> bool {
        self.role.sees_personal_data() && self.in_scope(unit)
    }
    /// Create and edit households and people in the unit.
    pub fn writes_registry_in(&self, unit: &Unit) -> bool {
        self.sees_people_in(unit)
    }
    /// Whether a unit path lies inside the scope (for queries on paths only).
    pub fn path_in_scope(&self, path: &str) -> bool {
        self.is_admin() || self.scope_paths.iter().any(|p| path.starts_with(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnitCode;
    use chrono::NaiveDate;

    fn unit(path: &str, level: UnitLevel) -> Unit {
        Unit {
            id: 1,
            code: UnitCode::parse("1").unwrap(),
            parent_code: None,
            level,
            kind: String::new(),
            name: String::new(),
            full_name: String::new(),
            population: None,
            path: path.into(),
            valid_from: NaiveDate::MIN,
            valid_to: None,
        }
    }

    #[test]
    fn the_chain_of_knowing() {
        let province = Access::new(Role::Province, vec!["/1/".into()]);
        let district = Access::new(Role::District, vec!["/1/2/".into()]);
        let commune = Access::new(Role::Commune, vec!["/1/2/3/".into()]);
        let commune_unit = unit("/1/2/3/", UnitLevel::Commune);
        let hamlet = unit("/1/2/3/4/", UnitLevel::Hamlet);
        let other_commune = unit("/1/2/9/", UnitLevel::Commune);

        assert!(province.sees_unit(&commune_unit));
        assert!(!province.sees_unit(&hamlet));
        assert!(!province.sees_people_in(&commune_unit));

        assert!(district.sees_unit(&hamlet));
        assert!(!district.sees_people_in(&hamlet));

        assert!(commune.sees_people_in(&hamlet));
        assert!(!commune.sees_unit(&other_commune));
        assert!(!commune.sees_people_in(&other_commune));
        // "/1/2/3/" must not match "/1/2/33/".
        assert!(!commune.sees_unit(&unit("/1/2/33/", UnitLevel::Commune)));
    }
}
