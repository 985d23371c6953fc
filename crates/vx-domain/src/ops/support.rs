//! Social support: aid programmes, who is eligible and why, and safe spreadsheet cells.

use serde::{Deserialize, Serialize};

use crate::{fold, UnknownValue};

/// Cash or goods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AidKind {
    Cash,
    Goods,
}

impl AidKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AidKind::Cash => "cash",
            AidKind::Goods => "goods",
        }
    }
    pub fn parse(s: &str) -> Result<AidKind, UnknownValue> {
        match fold(s).as_str() {
            "cash" | "tien mat" | "tien" => Ok(AidKind::Cash),
            "goods" | "hien vat" | "hang" => Ok(AidKind::Goods),
            _ => Err(UnknownValue {
                value: s.to_string(),
                expected: "cash or goods",
            }),
        }
    }
    pub fn name_vi(self) -> &'static str {
        match self {
            AidKind::Cash => "Tiền mặt",
            AidKind::Goods => "Hiện vật",
        }
    }
}

/// One eligibility rule over a household's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// A member is in quarantine (F1 with an open quarantine) on the day.
    InQuarantine,
    /// A member is under treatment (F0 not released) on the day.
    InTreatment,
    /// A poor or near-poor household (hộ nghèo, cận nghèo).
    Poor,
    /// The household lost its income because of the epidemic.
    LostIncome,
    /// One member only, aged 60 or more (người cao tuổi sống một mình).
    ElderlyAlone,
    /// A child under 6 in the household.
    YoungChild,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Rule::InQuarantine,
        Rule::InTreatment,
        Rule::Poor,
        Rule::LostIncome,
        Rule::ElderlyAlone,
        Rule::YoungChild,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::InQuarantine => "in-quarantine",
            Rule::InTreatment => "in-treatment",
            Rule::Poor => "poor",
            Rule::LostIncome => "lost-income",
            Rule::ElderlyAlone => "elderly-alone",
            Rule::YoungChild => "young-child",
        }
    }
    pub fn name_vi(self) -> &'static str {
        match self {
            Rule::InQuarantine => "Có người đang cách ly (F1)",
            Rule::InTreatment => "Có người đang điều trị (F0)",
            Rule::Poor => "Hộ nghèo, cận nghèo",
            Rule::LostIncome => "Mất thu nhập do dịch",
            Rule::ElderlyAlone => "Người cao tuổi sống một mình",
            Rule::YoungChild => "Có trẻ dưới 6 tuổi",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            Rule::InQuarantine => "A member in quarantine (F1)",
            Rule::InTreatment => "A member under treatment (F0)",
            Rule::Poor => "Poor or near-poor household",
            Rule::LostIncome => "Lost income to the epidemic",
            Rule::ElderlyAlone => "Elderly person living alone",
            Rule::YoungChild => "A child under 6",
        }
    }
    pub fn parse(s: &str) -> Result<Rule, UnknownValue> {
        let f = fold(&s.replace(['-', '_'], " "));
        Rule::ALL
            .into_iter()
            .find(|r| f == r.as_str().replace('-', " ") || f == fold(r.name_vi()))
            .ok_or(UnknownValue {
                value: s.to_string(),
                expected:
                    "in-quarantine, in-treatment, poor, lost-income, elderly-alone or young-child",
            })
    }
    /// Rules as stored: "poor,lost-income".
    pub fn join(rules: &[Rule]) -> String {
        rules
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
    pub fn split(s: &str) -> Result<Vec<Rule>, UnknownValue> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(Rule::parse)
            .collect()
    }
}

/// Whether any or all of a programme's rules must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    Any,
    All,
}

/// An aid programme to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewProgramme {
    pub name: String,
    pub kind: AidKind,
    /// Per household, in đồng (cash).
    pub amount_vnd: Option<i64>,
    /// What a household receives (goods), e.g. "10 kg gạo, 1 thùng mì, 1 chai dầu ăn".
    pub goods: String,
    /// The unit that runs it; households under it may be eligible.
    pub unit_code: crate::UnitCode,
    pub rules: Vec<Rule>,
    pub combine: Combine,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgrammeError {
    #[error("name: required")]
    NoName,
    #[error("rules: at least one eligibility rule")]
    NoRule,
    #[error("amount_vnd: a cash programme needs a positive amount")]
    NoAmount,
    #[error("goods: a goods programme says what is handed over")]
    NoGoods,
}

impl NewProgramme {
    pub fn validate(&self) -> Result<(), ProgrammeError> {
        if self.name.trim().is_empty() {
            return Err(ProgrammeError::NoName);
        }
        if self.rules.is_empty() {
            return Err(ProgrammeError::NoRule);
        }
        match self.kind {
            AidKind::Cash if self.amount_vnd.is_none_or(|a| a <= 0) => {
                Err(ProgrammeError::NoAmount)
            }
            AidKind::Goods if self.goods.trim().is_empty() => Err(ProgrammeError::NoGoods),
            _ => Ok(()),
        }
    }
}

/// What the rules look at, per household, on a day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HouseholdFacts {
    pub poor: bool,
    pub lost_income: bool,
    /// Ages of the active members on the day.
    pub ages: Vec<i32>,
    pub in_quarantine: u32,
    pub in_treatment: u32,
}

impl Rule {
    pub fn holds(self, f: &HouseholdFacts) -> bool {
        match self {
            Rule::InQuarantine => f.in_quarantine > 0,
            Rule::InTreatment => f.in_treatment > 0,
            Rule::Poor => f.poor,
            Rule::LostIncome => f.lost_income,
            Rule::ElderlyAlone => f.ages.len() == 1 && f.ages[0] >= 60,
            Rule::YoungChild => f.ages.iter().any(|a| *a < 6),
        }
    }
}

/// The rules that make a household eligible; empty when it is not.
pub fn eligible_by(rules: &[Rule], combine: Combine, f: &HouseholdFacts) -> Vec<Rule> {
    let held: Vec<Rule> = rules.iter().copied().filter(|r| r.holds(f)).collect();
    match combine {
        Combine::Any => held,
        Combine::All if held.len() == rules.len() => held,
        Combine::All => vec![],
    }
}

/// A text made safe for a spreadsheet cell: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return would make a formula (CSV/formula injection), so it gets a leading apostrophe.
pub fn spreadsheet_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}
