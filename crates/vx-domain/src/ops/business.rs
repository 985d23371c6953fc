//! Businesses (doanh nghiệp, hộ kinh doanh): whether they may open at their unit's level, with
//! the reasons, and how often their workers are tested.
//!
//! Levels are Decision 4800's numbers: 1 green, 2 yellow, 3 orange, 4 red. The rules follow
//! Resolution 128 (2021) as Bến Tre applied it: at level 4 only essential supply and
//! production organised "3 on-site" (sản xuất, ăn, nghỉ tại chỗ) or "1 route, 2 destinations"
//! (1 cung đường 2 điểm đến) may run; at level 3 production and essential supply run with
//! conditions, eateries sell take-away only and non-essential services close; at level 2
//! everything may run with conditions; at level 1 everything runs.

use serde::{Deserialize, Serialize};

use crate::{fold, UnknownValue};

/// What a business does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sector {
    /// Factories and workshops (sản xuất).
    Manufacturing,
    /// Food, medicine, fuel and other essential supply (thiết yếu).
    Essential,
    /// Eateries and drinks (ăn uống).
    Food,
    /// Shops that are not essential (bán lẻ).
    Retail,
    /// Hairdressers, spas, karaoke… (dịch vụ không thiết yếu).
    Services,
    /// Carriage of goods (vận tải).
    Transport,
    /// Farming and fishing (nông nghiệp, thủy sản).
    Farming,
}

impl Sector {
    pub const ALL: [Sector; 7] = [
        Sector::Manufacturing,
        Sector::Essential,
        Sector::Food,
        Sector::Retail,
        Sector::Services,
        Sector::Transport,
        Sector::Farming,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Manufacturing => "manufacturing",
            Sector::Essential => "essential",
            Sector::Food => "food",
            Sector::Retail => "retail",
            Sector::Services => "services",
            Sector::Transport => "transport",
            Sector::Farming => "farming",
        }
    }
    pub fn name_vi(self) -> &'static str {
        match self {
            Sector::Manufacturing => "Sản xuất",
            Sector::Essential => "Hàng thiết yếu",
            Sector::Food => "Ăn uống",
            Sector::Retail => "Bán lẻ",
            Sector::Services => "Dịch vụ không thiết yếu",
            Sector::Transport => "Vận tải hàng hóa",
            Sector::Farming => "Nông nghiệp, thủy sản",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            Sector::Manufacturing => "Manufacturing",
            Sector::Essential => "Essential supply",
            Sector::Food => "Food and drink",
            Sector::Retail => "Retail",
            Sector::Services => "Non-essential services",
            Sector::Transport => "Goods transport",
            Sector::Farming => "Farming and fishing",
        }
    }
    pub fn parse(s: &str) -> Result<Sector, UnknownValue> {
        let f = fold(&s.replace(['-', '_'], " "));
        Sector::ALL
            .into_iter()
            .find(|x| f == x.as_str() || f == fold(x.name_vi()) || f == fold(x.name_en()))
            .ok_or(UnknownValue {
                value: s.to_string(),
                expected: "manufacturing, essential, food, retail, services, transport or farming",
            })
    }
    /// Production-like: may run under "3 on-site" or "1 route, 2 destinations".
    fn produces(self) -> bool {
        matches!(
            self,
            Sector::Manufacturing | Sector::Transport | Sector::Farming
        )
    }
}

/// How a business organises itself against the epidemic (declared by it, checked by the
/// commune).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrangements {
    /// A COVID-19 safety plan approved (phương án phòng chống dịch).
    pub safety_plan: bool,
    /// "3 on-site": workers produce, eat and sleep at the workplace.
    pub three_on_site: bool,
    /// "1 route, 2 destinations": workers travel only between home and work by a fixed route.
    pub one_route: bool,
}

/// What the business's workers look like today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WorkforceState {
    pub workers: u32,
    /// Workers whose routine test is overdue.
    pub overdue: u32,
    /// Workers confirmed positive (F0) in the last 14 days.
    pub positive: u32,
}

/// The status a business may have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    Closed,
    /// Open, bound by these conditions.
    Conditional {
        conditions: Vec<Condition>,
    },
    Open,
}

impl Status {
    pub fn code(&self) -> &'static str {
        match self {
            Status::Closed => "closed",
            Status::Conditional { .. } => "conditional",
            Status::Open => "open",
        }
    }
    pub fn name_vi(&self) -> &'static str {
        match self {
            Status::Closed => "Tạm dừng hoạt động",
            Status::Conditional { .. } => "Hoạt động có điều kiện",
            Status::Open => "Hoạt động bình thường",
        }
    }
    pub fn name_en(&self) -> &'static str {
        match self {
            Status::Closed => "Closed",
            Status::Conditional { .. } => "Open with conditions",
            Status::Open => "Open",
        }
    }
}

/// A condition an open business must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    ThreeOnSite,
    OneRouteTwoDestinations,
    /// At most this share of the workforce or seats at once (percent).
    Capacity(u8),
    TakeAwayOnly,
    /// Workers tested every this many days.
    TestEvery(u32),
}

impl Condition {
    pub fn text_vi(self) -> String {
        match self {
            Condition::ThreeOnSite => "\"3 tại chỗ\" (sản xuất, ăn, nghỉ tại chỗ)".into(),
            Condition::OneRouteTwoDestinations => "\"1 cung đường, 2 điểm đến\"".into(),
            Condition::Capacity(p) => format!("Tối đa {p}% công suất, nhân lực"),
            Condition::TakeAwayOnly => "Chỉ bán mang về".into(),
            Condition::TestEvery(n) => format!("Người lao động xét nghiệm {n} ngày một lần"),
        }
    }
    pub fn text_en(self) -> String {
        match self {
            Condition::ThreeOnSite => "\"3 on-site\" (work, eat and sleep on site)".into(),
            Condition::OneRouteTwoDestinations => "\"1 route, 2 destinations\"".into(),
            Condition::Capacity(p) => format!("At most {p}% of capacity and staff"),
            Condition::TakeAwayOnly => "Take-away only".into(),
            Condition::TestEvery(n) => format!("Workers tested every {n} days"),
        }
    }
}

/// One reason of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// The unit's level is not known for the day.
    NoLevel,
    /// What the level allows the sector.
    LevelAllows {
        level: u8,
        sector: Sector,
    },
    LevelForbids {
        level: u8,
        sector: Sector,
    },
    /// At level 4 production needs "3 on-site" or "1 route, 2 destinations".
    NeedsArrangement {
        level: u8,
    },
    NoSafetyPlan,
    TestsOverdue {
        workers: u32,
    },
    PositiveWorker {
        workers: u32,
    },
}

impl Reason {
    /// Whether this reason keeps the business closed.
    pub fn blocks(&self) -> bool {
        !matches!(self, Reason::LevelAllows { .. })
    }
    pub fn text_vi(&self) -> String {
        match self {
            Reason::NoLevel => "Chưa có cấp độ dịch của địa bàn cho ngày này: chưa thể cho hoạt động.".into(),
            Reason::LevelAllows { level, sector } => format!(
                "Địa bàn cấp {level} ({}): ngành \"{}\" được phép hoạt động.",
                level_vi(*level),
                sector.name_vi()
            ),
            Reason::LevelForbids { level, sector } => format!(
                "Địa bàn cấp {level} ({}): ngành \"{}\" phải tạm dừng.",
                level_vi(*level),
                sector.name_vi()
            ),
            Reason::NeedsArrangement { level } => format!(
                "Cấp {level}: chỉ được sản xuất khi tổ chức \"3 tại chỗ\" hoặc \"1 cung đường, 2 điểm đến\"."
            ),
            Reason::NoSafetyPlan => "Chưa có phương án phòng, chống dịch được duyệt.".into(),
            Reason::TestsOverdue { workers } => {
                format!("{workers} người lao động quá hạn xét nghiệm định kỳ.")
            }
            Reason::PositiveWorker { workers } => {
                format!("{workers} người lao động dương tính (F0) trong 14 ngày qua.")
            }
        }
    }
    pub fn text_en(&self) -> String {
        match self {
            Reason::NoLevel => {
                "No zone level known for the unit on this day: cannot open yet.".into()
            }
            Reason::LevelAllows { level, sector } => {
                format!("Level {level}: sector \"{}\" may run.", sector.name_en())
            }
            Reason::LevelForbids { level, sector } => {
                format!("Level {level}: sector \"{}\" must close.", sector.name_en())
            }
            Reason::NeedsArrangement { level } => format!(
                "Level {level}: production only with \"3 on-site\" or \"1 route, 2 destinations\"."
            ),
            Reason::NoSafetyPlan => "No approved COVID-19 safety plan.".into(),
            Reason::TestsOverdue { workers } => {
                format!("{workers} worker(s) overdue for their routine test.")
            }
            Reason::PositiveWorker { workers } => {
                format!("{workers} worker(s) positive (F0) in the last 14 days.")
            }
        }
    }
}

fn level_vi(level: u8) -> &'static str {
    match level {
        1 => "nguy cơ thấp, xanh",
        2 => "nguy cơ trung bình, vàng",
        3 => "nguy cơ cao, cam",
        _ => "nguy cơ rất cao, đỏ",
    }
}

/// A decision with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub status: Status,
    pub reasons: Vec<Reason>,
}

/// How often workers are tested at a level (days); `None`: no routine testing.
pub fn test_interval_days(level: u8) -> Option<u32> {
    match level {
        4 => Some(3),
        3 => Some(7),
        2 => Some(14),
        _ => None,
    }
}

/// Whether a business may open at its unit's level (`None`: not known), given its sector,
/// arrangements and workforce, and why.
pub fn decide(
    level: Option<u8>,
    sector: Sector,
    arr: Arrangements,
    work: WorkforceState,
) -> Decision {
    let Some(level) = level.map(|l| l.clamp(1, 4)) else {
        return Decision {
            status: Status::Closed,
            reasons: vec![Reason::NoLevel],
        };
    };
    let mut reasons = Vec::new();
    let mut conditions = Vec::new();
    // What the level allows the sector.
    let allowed = match (level, sector) {
        (1, _) => true,
        (2, _) => {
            conditions.push(Condition::Capacity(if sector == Sector::Services {
                50
            } else {
                70
            }));
            true
        }
        (3, Sector::Services) => false,
        (3, Sector::Food) => {
            conditions.push(Condition::TakeAwayOnly);
            true
        }
        (3, _) => {
            conditions.push(Condition::Capacity(50));
            true
        }
        (_, Sector::Essential) => {
            conditions.push(Condition::Capacity(30));
            true
        }
        (_, s) if s.produces() => {
            if arr.three_on_site {
                conditions.push(Condition::ThreeOnSite);
            } else if arr.one_route {
                conditions.push(Condition::OneRouteTwoDestinations);
            } else {
                reasons.push(Reason::NeedsArrangement { level });
            }
            true
        }
        _ => false,
    };
    if !allowed {
        reasons.push(Reason::LevelForbids { level, sector });
    } else if reasons.is_empty() {
        reasons.insert(0, Reason::LevelAllows { level, sector });
    }
    if level >= 2 && !arr.safety_plan {
        reasons.push(Reason::NoSafetyPlan);
    }
    if let Some(n) = test_interval_days(level) {
        conditions.push(Condition::TestEvery(n));
        if work.overdue > 0 && level >= 3 {
            reasons.push(Reason::TestsOverdue {
                workers: work.overdue,
            });
        }
    }
    if work.positive > 0 {
        reasons.push(Reason::PositiveWorker {
            workers: work.positive,
        });
    }
    let status = if reasons.iter().any(Reason::blocks) {
        Status::Closed
    } else if conditions.is_empty() {
        Status::Open
    } else {
        Status::Conditional { conditions }
    };
    Decision { status, reasons }
}
