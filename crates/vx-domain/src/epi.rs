//! The epidemiological record: screening, samples, results, cases, contacts (see issue 3).
//!
//! Everything here is a value: the store keeps them, the rule engine and the web layer read
//! them. Rules (pool sizes, quarantine, release of F0 at home) are data versioned by the
//! date they take effect, with the 2021 defaults of SPEC 4.5; the one in force on a day is
//! the latest whose `effective_from` is on or before it (the earliest rule also covers days
//! before it, so that old records can still be entered; the result names the rule used).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{fold, Birth, CitizenId, HouseholdCode, PersonName, RowProblem, UnknownValue};

mod rules;
pub use rules::*;

/// The epidemiological day of an instant: its calendar date in Vietnam (SPEC 7).
pub fn epi_day(instant: DateTime<Utc>) -> NaiveDate {
    crate::vn_date(instant)
}

/// The first instant (UTC) of an epidemiological day.
pub fn epi_day_start(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::MIN);
    DateTime::<Utc>::from_naive_utc_and_offset(local, Utc)
        - chrono::Duration::seconds(i64::from(crate::VN_UTC_OFFSET_SECONDS))
}

/// `day + n` days (saturating at the calendar's end).
pub fn add_days(day: NaiveDate, n: u32) -> NaiveDate {
    day.checked_add_days(Days::new(u64::from(n)))
        .unwrap_or(NaiveDate::MAX)
}

/// Enums written as one word in files and the database, with Vietnamese and English aliases
/// (compared folded: case and diacritics ignored, '-' and '_' as spaces).
macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident, $expected:literal,
     { $($variant:ident => $s:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $s)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            pub fn parse(s: &str) -> Result<Self, UnknownValue> {
                let f = fold(&s.replace(['-', '_'], " "));
                $(
                    if f == $s.replace('-', " ") $(|| f == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                Err(UnknownValue { value: s.to_string(), expected: $expected })
            }
        }
        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> { Self::parse(s) }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

pub(crate) use word_enum;

// ---------------------------------------------------------------------------------------
// Screening

word_enum!(
    /// How a sample is tested.
    SampleMethod, "rt-pcr, rapid-antigen (PCR, test nhanh)", {
        RtPcr => "rt-pcr" | "pcr" | "rtpcr" | "rt pcr",
        RapidAntigen => "rapid-antigen" | "antigen" | "rapid" | "test nhanh" | "khang nguyen"
            | "test nhanh khang nguyen",
    }
);

word_enum!(
    /// A laboratory's answer for one sample.
    LabResult, "âm tính, dương tính, không xác định (negative, positive, invalid)", {
        Negative => "negative" | "am tinh" | "am" | "neg",
        Positive => "positive" | "duong tinh" | "duong" | "pos",
        Invalid => "invalid" | "khong xac dinh" | "loi" | "error",
    }
);

/// Whom a campaign targets in its units.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TargetGroup {
    /// Every active resident.
    Everyone,
    /// One person per active household (coverage counts households).
    OnePerHousehold,
    /// People aged `from` to `to` (inclusive) on the round's first day.
    Ages { from: u8, to: u8 },
    /// The workers of one business. The registry does not link workers to businesses yet,
    /// so such a campaign targets nobody from the registry (its samples still count).
    Workers { business: String },
}

impl TargetGroup {
    pub fn as_str(&self) -> &'static str {
        match self {
            TargetGroup::Everyone => "everyone",
            TargetGroup::OnePerHousehold => "one-per-household",
            TargetGroup::Ages { .. } => "ages",
            TargetGroup::Workers { .. } => "workers",
        }
    }
    pub fn validate(&self) -> Result<(), String> {
        match self {
            TargetGroup::Ages { from, to } if from > to || *to > 130 => Err(format!(
                "ages {from} to {to}: the first must not exceed the second (at most 130)"
            )),
            TargetGroup::Workers { business } if business.trim().is_empty() => {
                Err("a workers' campaign names its business".to_string())
            }
            _ => Ok(()),
        }
    }
    /// Whether coverage counts households (one per household) instead of people.
    pub fn counts_households(&self) -> bool {
        matches!(self, TargetGroup::OnePerHousehold)
    }
}

/// One resident of a hamlet as a round's target group sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub household_id: i64,
    pub birth: crate::Birth,
    /// In a sample of the round (not a retest).
    pub sampled: bool,
}

/// Whom a round targets among a hamlet's active residents, listed by household with the
/// head first: everyone; people of an age on the round's first day; or one per household
/// (the head, else the first registered), sampled when any member is
/// (`sampled_households`, from the round's samples). Workers' campaigns target nobody from
/// the registry. Indices into `people`, each with whether it counts as sampled.
pub fn round_targets(
    target: &TargetGroup,
    round_start: NaiveDate,
    people: &[Candidate],
    sampled_households: &std::collections::HashSet<i64>,
) -> Vec<(usize, bool)> {
    match target {
        TargetGroup::Workers { .. } => Vec::new(),
        TargetGroup::OnePerHousehold => {
            let mut seen = std::collections::HashSet::new();
            people
                .iter()
                .enumerate()
                .filter(|(_, p)| seen.insert(p.household_id))
                .map(|(i, p)| (i, sampled_households.contains(&p.household_id)))
                .collect()
        }
        TargetGroup::Everyone => people
            .iter()
            .enumerate()
            .map(|(i, p)| (i, p.sampled))
            .collect(),
        TargetGroup::Ages { from, to } => {
            let ages = AgeBounds::new(*from, *to, round_start);
            people
                .iter()
                .enumerate()
                .filter(|(_, p)| ages.contains(&p.birth))
                .map(|(i, p)| (i, p.sampled))
                .collect()
        }
    }
}

/// The births of people aged `from..=to` on a day, as bounds a database can use: a full
/// birth date in `(born_after, born_on_or_before]`, or a birth year in `year_min..=year_max`
/// (ages from a year only are the age reached during the year, as [`Birth::age_on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeBounds {
    pub born_on_or_before: NaiveDate,
    pub born_after: NaiveDate,
    pub year_min: i32,
    pub year_max: i32,
}

/// The same month and day `years` earlier; 29 February becomes the 28th.
fn years_before(day: NaiveDate, years: i32) -> NaiveDate {
    let y = day.year() - years;
    NaiveDate::from_ymd_opt(y, day.month(), day.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, day.month(), day.day() - 1))
        .unwrap_or(NaiveDate::MIN)
}

impl AgeBounds {
    pub fn new(from: u8, to: u8, day: NaiveDate) -> AgeBounds {
        AgeBounds {
            born_on_or_before: years_before(day, i32::from(from)),
            born_after: years_before(day, i32::from(to) + 1),
            year_min: day.year() - i32::from(to),
            year_max: day.year() - i32::from(from),
        }
    }
    pub fn contains(&self, birth: &Birth) -> bool {
        match birth {
            Birth::Date(d) => self.born_after < *d && *d <= self.born_on_or_before,
            Birth::Year(y) => (self.year_min..=self.year_max).contains(y),
        }
    }
}

/// A screening campaign as written by a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCampaign {
    pub name: String,
    /// The units whose subtrees are targeted.
    pub target_units: Vec<crate::UnitCode>,
    pub target: TargetGroup,
}

impl NewCampaign {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("a campaign needs a name".into());
        }
        if self.target_units.is_empty() {
            return Err("a campaign targets at least one unit".into());
        }
        self.target.validate()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: i64,
    #[serde(flatten)]
    pub data: NewCampaign,
}

/// A round of a campaign: its number and its days (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRound {
    pub campaign_id: i64,
    pub number: u32,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl NewRound {
    pub fn validate(&self) -> Result<(), String> {
        if self.number == 0 {
            return Err("round numbers start at 1".into());
        }
        if self.end < self.start {
            return Err(format!(
                "round ends {} before it starts {}",
                self.end, self.start
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub id: i64,
    #[serde(flatten)]
    pub data: NewRound,
}

/// A sample's barcode: 4–32 letters, digits or '-', stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SampleCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sample code {0:?} must be 4 to 32 letters, digits or '-'")]
pub struct SampleCodeError(pub String);

impl SampleCode {
    pub fn parse(s: &str) -> Result<Self, SampleCodeError> {
        let t = s.trim();
        let ok = (4..=32).contains(&t.len())
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok {
            Ok(SampleCode(t.to_ascii_uppercase()))
        } else {
            Err(SampleCodeError(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for SampleCode {
    type Error = SampleCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<SampleCode> for String {
    fn from(c: SampleCode) -> String {
        c.0
    }
}
impl fmt::Display for SampleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An RT-PCR cycle threshold, 0 to 50.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Ct(f64);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Ct value {0} must be a number from 0 to 50")]
pub struct CtError(pub String);

impl Ct {
    pub fn new(v: f64) -> Result<Ct, CtError> {
        if v.is_finite() && (0.0..=50.0).contains(&v) {
            Ok(Ct(v))
        } else {
            Err(CtError(v.to_string()))
        }
    }
    /// Parses "24.5" or "24,5" (a decimal comma, as Vietnamese spreadsheets write it).
    pub fn parse(s: &str) -> Result<Ct, CtError> {
        s.trim()
            .replace(',', ".")
            .parse::<f64>()
            .map_err(|_| CtError(s.to_string()))
            .and_then(Ct::new)
    }
    pub fn value(self) -> f64 {
        self.0
    }
}
impl TryFrom<f64> for Ct {
    type Error = CtError;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        Ct::new(v)
    }
}
impl From<Ct> for f64 {
    fn from(c: Ct) -> f64 {
        c.0
    }
}

/// A sample as entered by a field team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSample {
    pub code: SampleCode,
    pub round_id: i64,
    pub method: SampleMethod,
    pub pooled: bool,
    /// Taken in a high-risk area: the smaller RT-PCR pool limit applies.
    pub high_risk: bool,
    pub collected_at: DateTime<Utc>,
    pub collector: String,
    pub laboratory: String,
    /// People (ids) in the sample.
    pub members: Vec<i64>,
    /// The retest order this individual sample answers, if any (a retest may sample a
    /// person again in the same round).
    pub retest_order_id: Option<i64>,
}

/// A laboratory's result as stored on a sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleResult {
    pub result: LabResult,
    pub ct: Option<Ct>,
    pub tested_at: DateTime<Utc>,
    pub laboratory: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub id: i64,
    pub code: SampleCode,
    pub round_id: i64,
    pub method: SampleMethod,
    pub pooled: bool,
    pub high_risk: bool,
    pub collected_at: DateTime<Utc>,
    /// The epidemiological day of `collected_at`.
    pub collected_day: NaiveDate,
    pub collector: String,
    pub laboratory: String,
    /// The unit of the sample (the unit of its first member).
    pub unit_id: i64,
    pub members: Vec<i64>,
    pub result: Option<SampleResult>,
    pub retest_order_id: Option<i64>,
}

/// How an import row names a person: the citizen ID, or the household, name and birth.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonRef {
    CitizenId(CitizenId),
    Household {
        household_code: HouseholdCode,
        full_name: PersonName,
        birth: Birth,
    },
}

impl PersonRef {
    /// The column to blame when the person is not found.
    pub fn column(&self) -> &'static str {
        match self {
            PersonRef::CitizenId(_) => "citizen_id",
            PersonRef::Household { .. } => "full_name",
        }
    }
}

impl fmt::Display for PersonRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersonRef::CitizenId(id) => write!(f, "citizen ID {id}"),
            PersonRef::Household {
                household_code,
                full_name,
                birth,
            } => write!(f, "{full_name} ({birth}) of household {household_code}"),
        }
    }
}

/// One row of a samples file: one member of one sample. The rows of a sample repeat its
/// fields, which must agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    pub sample_code: SampleCode,
    pub round_id: i64,
    pub method: SampleMethod,
    pub pooled: bool,
    pub high_risk: bool,
    pub collected_at: DateTime<Utc>,
    pub collector: String,
    pub laboratory: String,
    pub person: PersonRef,
}

/// One row of a laboratory's results file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub sample_code: SampleCode,
    pub result: LabResult,
    pub ct: Option<Ct>,
    pub tested_at: DateTime<Utc>,
}

/// A result that disagrees with the one stored: kept for review, never applied silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultConflict {
    pub id: i64,
    pub sample_id: i64,
    pub sample_code: SampleCode,
    pub stored: SampleResult,
    pub proposed: SampleResult,
    pub status: ConflictStatus,
    /// Who settled it, and why (empty while open).
    pub resolved_by: Option<String>,
    pub note: String,
}

word_enum!(
    /// Where a conflict stands: open, or resolved by keeping the stored result or by
    /// replacing it with the proposed one.
    ConflictStatus, "open, kept, replaced", {
        Open => "open",
        Kept => "kept",
        Replaced => "replaced",
    }
);

/// A row of a results file that conflicts with the stored result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowConflict {
    pub row: u32,
    pub sample_code: String,
    pub stored: LabResult,
    pub stored_laboratory: String,
    pub proposed: LabResult,
    /// The conflict kept for review (`None` in a dry run).
    pub conflict_id: Option<i64>,
}

/// What a results import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResultsSummary {
    /// Results recorded on samples that had none.
    pub recorded: u64,
    /// Rows equal to the stored result.
    pub unchanged: u64,
    /// Rows that disagree with the stored result, kept for review.
    pub conflicts: Vec<RowConflict>,
    pub retest_orders: u64,
    pub case_proposals: u64,
    pub skipped: Vec<RowProblem>,
    pub dry_run: bool,
}

word_enum!(
    /// A retest order: individual retest of a member of a positive pool.
    OrderStatus, "open, done", {
        Open => "open",
        Done => "done",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetestOrder {
    pub id: i64,
    pub pool_sample_id: i64,
    pub person_id: i64,
    pub round_id: i64,
    pub status: OrderStatus,
    pub done_sample_id: Option<i64>,
}

word_enum!(
    ProposalStatus, "proposed, confirmed, rejected", {
        Proposed => "proposed",
        Confirmed => "confirmed",
        Rejected => "rejected",
    }
);

/// A positive individual result proposes a case; a person confirms or rejects it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseProposal {
    pub id: i64,
    pub person_id: i64,
    pub sample_id: i64,
    pub status: ProposalStatus,
    pub case_id: Option<i64>,
}

/// People targeted and sampled, samples and positives of one unit's subtree in a round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageRow {
    pub unit_code: String,
    pub unit_name: String,
    /// People targeted (households for a one-per-household campaign).
    pub targeted: i64,
    /// People sampled (households with a sampled member for one-per-household).
    pub sampled: i64,
    pub coverage_pct: f64,
    /// Screening samples (retests are not counted).
    pub samples: i64,
    /// Samples with a result.
    pub resulted: i64,
    pub positives: i64,
    /// Positives per sample with a result.
    pub positivity_pct: f64,
    /// Sampled, every sample has a result and none is positive.
    pub clean: bool,
}

/// `part / whole` as a percentage with one decimal; 0 when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

impl CoverageRow {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        unit_code: String,
        unit_name: String,
        targeted: i64,
        sampled: i64,
        samples: i64,
        resulted: i64,
        positives: i64,
    ) -> CoverageRow {
        CoverageRow {
            unit_code,
            unit_name,
            targeted,
            sampled,
            coverage_pct: percent(sampled, targeted),
            samples,
            resulted,
            positives,
            positivity_pct: percent(positives, resulted),
            clean: samples > 0 && resulted == samples && positives == 0,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Cases (F0)

word_enum!(
    /// How a case was found. Only community cases count toward a unit's level.
    CaseSource, "cộng đồng, trong khu cách ly, ngoại tỉnh (community, in-quarantine, imported)", {
        Community => "community" | "cong dong",
        InQuarantine => "in-quarantine" | "trong khu cach ly" | "cach ly" | "da cach ly",
        Imported => "imported" | "ngoai tinh" | "nhap canh" | "tu noi khac",
    }
);

impl CaseSource {
    pub fn counts_toward_level(self) -> bool {
        self == CaseSource::Community
    }
}

/// The source of a new case: a person in quarantine on the day of confirmation is "in
/// quarantine" whatever was asked, unless the case is marked imported; otherwise what was
/// asked, community by default.
pub fn case_source(requested: Option<CaseSource>, in_quarantine: bool) -> CaseSource {
    match requested {
        Some(CaseSource::Imported) => CaseSource::Imported,
        _ if in_quarantine => CaseSource::InQuarantine,
        Some(s) => s,
        None => CaseSource::Community,
    }
}

word_enum!(
    Severity, "không triệu chứng, nhẹ, trung bình, nặng, nguy kịch", {
        Asymptomatic => "asymptomatic" | "khong trieu chung",
        Mild => "mild" | "nhe",
        Moderate => "moderate" | "trung binh" | "vua",
        Severe => "severe" | "nang",
        Critical => "critical" | "nguy kich",
    }
);

word_enum!(
    IsolationPlace, "tại nhà, cơ sở cách ly, bệnh viện (home, facility, hospital)", {
        Home => "home" | "tai nha" | "nha",
        Facility => "facility" | "co so cach ly" | "tap trung" | "cach ly tap trung",
        Hospital => "hospital" | "benh vien",
    }
);

word_enum!(
    Outcome, "khỏi bệnh, chuyển viện, tử vong (recovered, transferred, died)", {
        Recovered => "recovered" | "khoi benh" | "khoi",
        Transferred => "transferred" | "chuyen vien",
        Died => "died" | "tu vong",
    }
);

/// Blood oxygen saturation, 50–100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Spo2(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SpO2 {0} % must be from 50 to 100")]
pub struct Spo2Error(pub u8);

impl Spo2 {
    pub fn new(v: u8) -> Result<Spo2, Spo2Error> {
        if (50..=100).contains(&v) {
            Ok(Spo2(v))
        } else {
            Err(Spo2Error(v))
        }
    }
    pub fn value(self) -> u8 {
        self.0
    }
    /// Below 96 %: the 2021 home-care guidance asks for a doctor's call.
    pub fn is_low(self) -> bool {
        self.0 < 96
    }
}
impl TryFrom<u8> for Spo2 {
    type Error = Spo2Error;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Spo2::new(v)
    }
}
impl From<Spo2> for u8 {
    fn from(s: Spo2) -> u8 {
        s.0
    }
}

/// One day's check of a case in isolation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCheck {
    pub day: NaiveDate,
    /// Symptoms as told ("sốt, ho"); empty when none.
    pub symptoms: String,
    pub spo2: Option<Spo2>,
}

/// The facts a person confirms about a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDetails {
    pub confirmed_on: NaiveDate,
    /// `None`: community, or in quarantine when the person is (see [`case_source`]).
    pub source: Option<CaseSource>,
    pub severity: Severity,
    pub place: IsolationPlace,
    pub isolation_start: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCase {
    pub person_id: i64,
    #[serde(flatten)]
    pub details: CaseDetails,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: i64,
    pub person_id: i64,
    /// The person's unit on confirmation.
    pub unit_id: i64,
    pub confirmed_on: NaiveDate,
    pub source: CaseSource,
    pub severity: Severity,
    pub place: IsolationPlace,
    pub isolation_start: NaiveDate,
    /// The earliest release day by the rule in force on `isolation_start`.
    pub release_due: NaiveDate,
    pub released_on: Option<NaiveDate>,
    pub negative_test_on: Option<NaiveDate>,
    pub outcome: Option<Outcome>,
    pub outcome_on: Option<NaiveDate>,
    pub proposal_id: Option<i64>,
    pub sample_id: Option<i64>,
    /// The quarantine (contact record) the person was in, for cases found in quarantine.
    pub source_contact_id: Option<i64>,
}

// ---------------------------------------------------------------------------------------
// Contacts (F1, F2)

word_enum!(
    /// F1: close contact of an F0. F2: close contact of an F1.
    ContactLevel, "F1, F2", {
        F1 => "f1",
        F2 => "f2",
    }
);

word_enum!(
    QuarantinePlace, "tại nhà, cơ sở cách ly (home, facility)", {
        Home => "home" | "tai nha" | "nha",
        Facility => "facility" | "co so cach ly" | "tap trung" | "cach ly tap trung",
    }
);

word_enum!(
    /// Open while in quarantine; released at its end; or closed because the person became
    /// a case.
    ContactStatus, "open, released, became-case", {
        Open => "open",
        Released => "released",
        BecameCase => "became-case",
    }
);

/// Whom a contact was exposed to: a case (for an F1) or an F1's contact record (for an F2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactSource {
    Case(i64),
    Contact(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    pub person_id: i64,
    pub source: ContactSource,
    pub level: ContactLevel,
    /// The last day of exposure: day 1 of quarantine.
    pub exposure_date: NaiveDate,
    pub place: QuarantinePlace,
    /// Fully vaccinated: shorter home quarantine where the rule in force says so.
    pub vaccinated: bool,
}

impl NewContact {
    /// An F1 comes from a case, an F2 from a contact (the store checks that it is an F1).
    pub fn validate(&self) -> Result<(), String> {
        match (self.level, self.source) {
            (ContactLevel::F1, ContactSource::Case(_))
            | (ContactLevel::F2, ContactSource::Contact(_)) => Ok(()),
            (ContactLevel::F1, ContactSource::Contact(_)) => {
                Err("an F1 is a close contact of a case (F0), not of a contact".into())
            }
            (ContactLevel::F2, ContactSource::Case(_)) => {
                Err("an F2 is a close contact of an F1: give the F1's contact record".into())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: i64,
    pub person_id: i64,
    /// The person's unit when the contact was recorded.
    pub unit_id: i64,
    pub level: ContactLevel,
    pub source: ContactSource,
    pub exposure_date: NaiveDate,
    pub place: QuarantinePlace,
    pub vaccinated: bool,
    pub plan: QuarantinePlan,
    pub status: ContactStatus,
    pub closed_on: Option<NaiveDate>,
}

// ---------------------------------------------------------------------------------------
// Work lists, chains, timelines

word_enum!(
    WorkKind, "contact-test, quarantine-end, retest", {
        ContactTest => "contact-test",
        QuarantineEnd => "quarantine-end",
        Retest => "retest",
    }
);

/// One thing a hamlet team must do about one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkItem {
    pub kind: WorkKind,
    pub day: NaiveDate,
    pub person_id: i64,
    pub person_name: String,
    pub household_code: String,
    pub unit_code: String,
    /// The contact record (tests, quarantine ends) or the retest order.
    pub ref_id: i64,
}

/// A unit's work list for one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WorkList {
    /// Quarantine tests due on the day and not yet sampled.
    pub tests_due_today: Vec<WorkItem>,
    /// Open quarantines whose last day is the day.
    pub quarantines_ending: Vec<WorkItem>,
    /// Quarantine tests of earlier days not sampled, and open quarantines past their end.
    pub overdue: Vec<WorkItem>,
    /// Open retest orders (members of positive pools to sample individually).
    pub retests: Vec<WorkItem>,
}

/// A node of a transmission chain: a case (F0) or a contact record (F1, F2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainItem {
    /// 0 for the case the chain was asked for.
    pub depth: u32,
    /// "F0", "F1" or "F2".
    pub level: String,
    /// The case or contact record.
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    /// The day confirmed (a case) or exposed (a contact).
    pub day: NaiveDate,
    pub status: String,
}

/// One page of a chain, depth-first; `next` is the cursor of the following page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChainPage {
    pub items: Vec<ChainItem>,
    pub next: Option<String>,
}

/// The path segment of a case ("C…") or a contact ("K…") in a transmission chain. The ids
/// are zero-padded so that ordering the paths lists a chain depth-first.
pub fn chain_segment(is_case: bool, id: i64) -> String {
    format!("{}{:015}/", if is_case { 'C' } else { 'K' }, id)
}

/// The depth of `path` below `root` (both chain paths).
pub fn chain_depth(root: &str, path: &str) -> u32 {
    let count = |p: &str| p.matches('/').count();
    count(path).saturating_sub(count(root)) as u32
}

word_enum!(
    TimelineKind, "timeline event kinds", {
        ContactExposure => "contact-exposure",
        QuarantineStart => "quarantine-start",
        Sampled => "sampled",
        Result => "result",
        RetestOrdered => "retest-ordered",
        CaseProposed => "case-proposed",
        CaseConfirmed => "case-confirmed",
        IsolationStart => "isolation-start",
        DailyCheck => "daily-check",
        QuarantineTestDue => "quarantine-test-due",
        QuarantineEnd => "quarantine-end",
        QuarantineClosed => "quarantine-closed",
        Released => "released",
        Outcome => "outcome",
    }
);

/// One event of a person's epidemiological history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEvent {
    pub day: NaiveDate,
    /// The instant, where one is known (samples and results).
    pub at: Option<DateTime<Utc>>,
    pub kind: TimelineKind,
    /// The sample, case, contact record, retest order or proposal.
    pub ref_id: i64,
    pub detail: String,
}

/// Puts events in time order: by day, then instant (events with only a day first), then
/// kind in the natural order of a day (exposure before sampling before result ...).
pub fn sort_timeline(events: &mut [TimelineEvent]) {
    events.sort_by_key(|e| (e.day, e.at, e.kind, e.ref_id));
}

#[cfg(test)]
mod tests;
