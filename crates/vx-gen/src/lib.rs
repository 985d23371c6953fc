//! Deterministic synthetic data for vungxanh: hamlets, households and people.
//!
//! Everything here is invented. No real person's data is used or produced; the only real
//! inputs are the official administrative codes and names of the communes to populate.
//!
//! The output feeds `vungxanh demo` (Châu Thành district, Bến Tre, Aug–Sep 2021) and the
//! benchmarks (`vungxanh gen --scale …`), in the project's CSV interchange formats, so the
//! demo goes through the same importer as real users.
//!
//! # Determinism
//!
//! The same [`GenConfig::seed`] and the same inputs give byte-identical output on every
//! platform: all randomness comes from `ChaCha8Rng` (seeded with `seed_from_u64`), sampling
//! uses integer ranges only (no `usize` ranges, no floating point), and nothing iterates a
//! hash map. Each commune and each hamlet has its own generator, derived from the seed and
//! its code, so adding a commune does not reshuffle the others (only their share of
//! `people_target` changes).
//!
//! # The model
//!
//! * **Hamlets** ([`hamlets`]): each commune gets a size weight (triangular, 40–160, towns
//!   +30; the largest commune is typically 2–3× the smallest) and 5–8 hamlets (more in large
//!   communes), each with its own weight (50–150). `people_target` is apportioned to
//!   communes and then to hamlets by largest remainder, so the hamlet populations add up to
//!   exactly `people_target`. Hamlets are "Ấp 1", "Ấp 2", … in a *xã* and "Khu phố 1", …
//!   in a *thị trấn* or *phường*; code = commune code + two digits.
//! * **Households** ([`registry`]): each hamlet is filled with households until its
//!   population is reached (the last household is cut to fit). Sizes follow the 2019 census
//!   for the Mekong delta (1: 11 %, 2: 19 %, 3: 22 %, 4: 25 %, 5: 12 %, 6–9: 11 %; mean
//!   ≈ 3.5). A household takes one of these shapes, by size: a person living alone (more
//!   than half of them 60+, mostly women); an elderly or young couple; a couple or single
//!   parent with children; three generations with the head's parents; three generations
//!   with a married child, its spouse and grandchildren (and unmarried children); grandparents
//!   raising grandchildren (parents working away); siblings.
//! * **Ages** (reference date 2021-09-01, [`REFERENCE_DATE`]): families are built from
//!   the youngest child up, so that every child was born when each parent was 18–42;
//!   spouses differ by −3…+15 years (husband usually 0–5 older). The resulting pyramid has
//!   about 22 % under 15 and 12 % aged 65+, close to Bến Tre in 2021. Birth dates are
//!   uniform within the year of age; about 5 % of people 60+ have only a birth year, as in
//!   real registries.
//! * **Names**: family names with their real frequencies (Nguyễn ≈ 38 %, Trần, Lê, Phạm,
//!   Huỳnh, Võ, Phan, …, southern forms); middle names by sex and generation ("Văn"/"Thị"
//!   for most older people, "Minh", "Ngọc", "Thanh", "Kim"… for more of the young); given
//!   names by sex and generation (southern birth-order names such as "Út", "Bảy" among the
//!   old). Children take their father's family name, spouses keep their own. All strings
//!   are NFC.
//! * **Citizen IDs**: from age 14. Adults: ≈ 85 % a 12-digit CCCD, ≈ 5 % an old 9-digit
//!   CMND, ≈ 10 % none; 14–17: ≈ 55 % a CCCD. CCCD = birth province code (3 digits: the
//!   hamlet's province for ≈ 88 %, Ho Chi Minh City or another province otherwise) +
//!   century/sex digit (0/1 male/female born 1900–1999, 2/3 born 2000–2099) + two digits of
//!   the birth year + 6 digits. The last digits are a keyed permutation of a per-group
//!   counter, so IDs look random but are unique within a run. CMND = 2-digit old province
//!   prefix + 7 digits, unique likewise.
//! * **Phones**: ≈ 80 % of adults under 60, fewer of the old and of teenagers (≈ 70 % of
//!   adults overall), valid mobile prefixes (03x, 05x, 07x, 08x, 09x), written as people
//!   write them: `0912345678`, `0912 345 678` or `+84912345678`. The household's phone is
//!   the head's, or else the first member's that has one.
//! * **Flags**: poor ≈ 4 % of households (more among the elderly living alone and large
//!   households), lost income ≈ 20 % (the August 2021 lockdown; mostly households with
//!   working-age members).
//!
//! # Streaming
//!
//! [`registry`] never holds more than one household: a province (1.3 M people) or more
//! streams straight to the callbacks or to [`write_registry_csv`]. Row buffers are reused
//! between households.

mod data;
pub mod national;
pub mod outbreak;
pub mod round;

use std::fmt::Write as _;
use std::io::Write;

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use data::*;

/// The reference date of the generated registry: ages are as of this day.
pub const REFERENCE_DATE: &str = "2021-09-01";
const REF_YEAR: i32 = 2021;
const REF_MONTH: u32 = 9;
const REF_DAY: u32 = 1;

/// A commune to populate, as read from the official list of administrative units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneSpec {
    /// Official 5-digit code, e.g. "28846".
    pub code: String,
    /// Name without its type, e.g. "Phước Thạnh".
    pub name: String,
    /// "xa" | "thi-tran" | "phuong".
    pub kind: String,
    /// Official 3-digit code of the district, e.g. "831".
    pub district_code: String,
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenConfig {
    /// Same seed ⇒ same output, byte for byte.
    pub seed: u64,
    /// Total people over all the communes passed to [`hamlets`] (e.g. 160 000 for a
    /// district). [`registry`] fills the hamlets' populations, which add up to this.
    pub people_target: u64,
}

/// A hamlet (ấp or khu phố), in the administrative-units interchange format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    /// Commune code + 2-digit index, e.g. "2884601".
    pub code: String,
    /// The commune's code.
    pub parent_code: String,
    /// Always "hamlet".
    pub level: &'static str,
    /// "ap" or "khu-pho" (the `type` column).
    pub kind: &'static str,
    /// e.g. "Ấp 1".
    pub name: String,
    /// e.g. "Ấp 1, Xã Phước Thạnh".
    pub full_name: String,
    /// Number of people [`registry`] puts in this hamlet.
    pub population: u32,
}

/// A household, in the households interchange format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdRow {
    /// Hamlet code + "-" + number of at least 4 digits, e.g. "2884601-0012"; numbered from
    /// 0001 in each hamlet.
    pub household_code: String,
    /// The hamlet's code.
    pub unit_code: String,
    /// Full name of the head of household (the first member).
    pub head_name: String,
    /// e.g. "Số 125, tổ 3, Ấp 1, Xã Phước Thạnh".
    pub address: String,
    pub phone: Option<String>,
    pub poor: bool,
    pub lost_income: bool,
}

/// A person, in the people interchange format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonRow {
    pub household_code: String,
    pub full_name: String,
    /// "YYYY-MM-DD", or "YYYY" when only the year is known (≈ 5 % of people 60+).
    pub birth: String,
    /// "nam" | "nu".
    pub sex: &'static str,
    /// 12-digit CCCD or 9-digit CMND; none under 14.
    pub citizen_id: Option<String>,
    pub phone: Option<String>,
    /// "chu-ho", "vo", "chong", "con", "cha", "me", "chau", "khac".
    pub relation: &'static str,
}

// ---------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------

const DOM_COMMUNE: u64 = 0x636f_6d6d_756e_6531;
const DOM_HAMLET: u64 = 0x6861_6d6c_6574_3031;
const DOM_CCCD: u64 = 0x6363_6364_0000_0001;
const DOM_CMND: u64 = 0x636d_6e64_0000_0001;

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A generator for one (domain, key) pair under `seed`.
fn rng_for(seed: u64, domain: u64, key: &str) -> ChaCha8Rng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(splitmix64(seed ^ splitmix64(h ^ domain)))
}

/// True with probability `p`/1000.
fn permille(rng: &mut ChaCha8Rng, p: u32) -> bool {
    rng.gen_range(0..1000u32) < p
}

fn weighted_index<T>(rng: &mut ChaCha8Rng, table: &[(T, u32)]) -> usize {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total);
    for (i, (_, w)) in table.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    table.len() - 1
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, table: &[(T, u32)]) -> T {
    table[weighted_index(rng, table)].0
}

/// A value from a table of (inclusive range, weight).
fn pick_band(rng: &mut ChaCha8Rng, table: &[((u8, u8), u32)]) -> i32 {
    let (lo, hi) = pick(rng, table);
    i32::from(rng.gen_range(lo..=hi))
}

fn uniform<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    // u32 range: `usize` ranges sample differently on 32- and 64-bit targets.
    items[rng.gen_range(0..items.len() as u32) as usize]
}

/// `x` brought into `lo..=hi` (the upper bound wins if they cross; never panics).
fn fit(x: i32, lo: i32, hi: i32) -> i32 {
    x.max(lo).min(hi)
}

fn range(rng: &mut ChaCha8Rng, lo: i32, hi: i32) -> i32 {
    if hi <= lo {
        lo
    } else {
        rng.gen_range(lo..=hi)
    }
}

// ---------------------------------------------------------------------------------------
// Hamlets
// ---------------------------------------------------------------------------------------

/// Splits `total` in proportion to `weights` (largest remainder; ties to the first).
fn apportion(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut out = Vec::with_capacity(weights.len());
    let mut rems = Vec::with_capacity(weights.len());
    let mut given = 0u64;
    for (i, &w) in weights.iter().enumerate() {
        let raw = u128::from(total) * u128::from(w);
        let q = (raw / sum) as u64;
        out.push(q);
        rems.push((raw % sum, i));
        given += q;
    }
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in rems.iter().take((total - given) as usize) {
        out[i] += 1;
    }
    out
}

fn commune_full_name(c: &CommuneSpec) -> String {
    match c.kind.as_str() {
        "xa" => format!("Xã {}", c.name),
        "thi-tran" => format!("Thị trấn {}", c.name),
        "phuong" => format!("Phường {}", c.name),
        _ => c.name.clone(),
    }
}

/// The hamlets of `communes` (5–8 each) with populations adding up to
/// `cfg.people_target`, in the order of `communes`.
pub fn hamlets(communes: &[CommuneSpec], cfg: &GenConfig) -> Vec<UnitRow> {
    let mut commune_weights = Vec::with_capacity(communes.len());
    let mut hamlet_weights = Vec::with_capacity(communes.len());
    for c in communes {
        let mut rng = rng_for(cfg.seed, DOM_COMMUNE, &c.code);
        let mut w = 40 + rng.gen_range(0..=60u64) + rng.gen_range(0..=60u64);
        if c.kind != "xa" {
            w += 30;
        }
        let mut n: u32 = pick(&mut rng, &[(5, 35), (6, 30), (7, 20), (8, 15)]);
        if w > 130 {
            n = (n + 1).min(8);
        } else if w < 70 {
            n = (n - 1).max(5);
        }
        let hw: Vec<u64> = (0..n)
            .map(|_| 50 + rng.gen_range(0..=50u64) + rng.gen_range(0..=50u64))
            .collect();
        commune_weights.push(w);
        hamlet_weights.push(hw);
    }
    let commune_pops = apportion(cfg.people_target, &commune_weights);
    let mut rows = Vec::new();
    for ((c, pop), hw) in communes.iter().zip(commune_pops).zip(&hamlet_weights) {
        let (prefix, kind) = if c.kind == "xa" {
            ("Ấp", "ap")
        } else {
            ("Khu phố", "khu-pho")
        };
        let parent_full = commune_full_name(c);
        for (j, p) in apportion(pop, hw).into_iter().enumerate() {
            let name = format!("{prefix} {}", j + 1);
            rows.push(UnitRow {
                code: format!("{}{:02}", c.code, j + 1),
                parent_code: c.code.clone(),
                level: "hamlet",
                kind,
                full_name: format!("{name}, {parent_full}"),
                name,
                population: u32::try_from(p).unwrap_or(u32::MAX),
            });
        }
    }
    rows
}

// ---------------------------------------------------------------------------------------
// Household structure
// ---------------------------------------------------------------------------------------

/// A member before it is named.
#[derive(Debug, Clone, Copy)]
struct Mem {
    female: bool,
    age: i32,
    rel: &'static str,
    /// Index into `FAMILY`.
    fam: u8,
}

fn family_name(rng: &mut ChaCha8Rng) -> u8 {
    weighted_index(rng, FAMILY) as u8
}

fn elder_age(rng: &mut ChaCha8Rng) -> i32 {
    pick_band(rng, ELDER_AGE)
}

fn spouse_gap(rng: &mut ChaCha8Rng) -> i32 {
    let (lo, hi) = pick(rng, SPOUSE_GAP);
    i32::from(rng.gen_range(lo..=hi))
}

/// Ages of `k` siblings, youngest first, given the youngest's age.
fn sibling_ages(rng: &mut ChaCha8Rng, k: usize, youngest: i32, max_span: i32, out: &mut Vec<i32>) {
    out.clear();
    if k == 0 {
        return;
    }
    out.push(youngest);
    let mut gaps = [0i32; 9];
    let mut span = 0;
    for g in gaps.iter_mut().take(k.saturating_sub(1)) {
        *g = pick_band(rng, SIBLING_GAP);
        span += *g;
    }
    // Squeeze the gaps (down to twins if need be) until the span fits.
    while span > max_span.max(0) {
        let mut shrunk = false;
        for g in gaps.iter_mut().take(k.saturating_sub(1)) {
            if span > max_span && *g > 1 {
                *g -= 1;
                span -= 1;
                shrunk = true;
            }
        }
        if !shrunk {
            for g in gaps.iter_mut().take(k.saturating_sub(1)) {
                if span > max_span && *g > 0 {
                    *g -= 1;
                    span -= 1;
                }
            }
            break;
        }
    }
    let mut a = youngest;
    for g in gaps.iter().take(k.saturating_sub(1)) {
        a += g;
        out.push(a);
    }
}

/// Children ages (youngest first) for parents of the given ages: each child born when each
/// present parent was 18–42, and aged `max_child_age` at most.
fn children_of(
    rng: &mut ChaCha8Rng,
    mother: Option<i32>,
    father: Option<i32>,
    k: usize,
    max_child_age: i32,
    out: &mut Vec<i32>,
) {
    let parents = [mother, father];
    let lo = parents.iter().flatten().map(|p| p - 42).fold(0, i32::max);
    let hi = parents
        .iter()
        .flatten()
        .map(|p| p - 18)
        .fold(max_child_age, i32::min)
        .max(lo);
    // Youngest in the lower part of the interval, leaving room for older siblings.
    let youngest = range(rng, lo, lo + (hi - lo) * 2 / 3);
    sibling_ages(rng, k, youngest, hi - youngest, out);
}

/// Mother's and father's ages for children whose youngest is `youngest` and whose span
/// of ages is `span`: each parent 18–42 at each birth.
fn parents_for(rng: &mut ChaCha8Rng, youngest: i32, span: i32) -> (i32, i32) {
    let b = pick_band(rng, MOTHER_BIRTH_AGE).max(18 + span).min(42);
    let mother = youngest + b;
    // Father - child must stay in 18..=42 for the oldest and the youngest child.
    let d = fit(spouse_gap(rng), 18 - (b - span), 42 - b);
    (mother, mother + d)
}

struct Builder<'a> {
    rng: &'a mut ChaCha8Rng,
    m: &'a mut Vec<Mem>,
    ages: Vec<i32>,
    ages2: Vec<i32>,
}

impl Builder<'_> {
    fn push(&mut self, female: bool, age: i32, rel: &'static str, fam: u8) {
        self.m.push(Mem {
            female,
            age: age.clamp(0, 104),
            rel,
            fam,
        });
    }

    fn fam(&mut self) -> u8 {
        family_name(self.rng)
    }

    /// Head and spouse: returns the husband's family name.
    fn couple(&mut self, husband: i32, wife: i32, male_head: bool) -> u8 {
        let hf = self.fam();
        let wf = self.fam();
        if male_head {
            self.push(false, husband, "chu-ho", hf);
            self.push(true, wife, "vo", wf);
        } else {
            self.push(true, wife, "chu-ho", wf);
            self.push(false, husband, "chong", hf);
        }
        hf
    }

    fn alone(&mut self) {
        let (female, age) = if permille(self.rng, 550) {
            (permille(self.rng, 680), elder_age(self.rng))
        } else {
            (permille(self.rng, 400), range(self.rng, 20, 59))
        };
        let f = self.fam();
        self.push(female, age, "chu-ho", f);
    }

    fn old_couple(&mut self) {
        let husband = if permille(self.rng, 300) {
            range(self.rng, 48, 59)
        } else {
            elder_age(self.rng)
        };
        let wife = (husband - spouse_gap(self.rng)).max(48);
        let male_head = permille(self.rng, 850);
        self.couple(husband, wife, male_head);
    }

    fn young_couple(&mut self) {
        let husband = range(self.rng, 22, 35);
        let wife = (husband - spouse_gap(self.rng)).max(19);
        let male_head = permille(self.rng, 800);
        self.couple(husband, wife, male_head);
    }

    /// Parents (or a single parent) and `k` children, built from the youngest child up.
    /// `young` limits the youngest child to 0–14 (families that also house grandparents).
    /// Returns the head's age, sex and family name.
    fn nuclear(&mut self, k: usize, single: bool, young: bool) -> (i32, bool, u8) {
        let youngest = if young {
            range(self.rng, 0, 14)
        } else {
            pick_band(self.rng, YOUNGEST_CHILD_AGE)
        };
        let mut ages = std::mem::take(&mut self.ages);
        sibling_ages(self.rng, k, youngest, 24, &mut ages);
        let span = ages.last().copied().unwrap_or(youngest) - youngest;
        let (mother, father) = parents_for(self.rng, youngest, span);
        let head;
        let kids_fam;
        if single {
            let female = permille(self.rng, 750);
            let f = self.fam();
            if female {
                self.push(true, mother, "chu-ho", f);
                kids_fam = self.fam(); // the absent father's
                head = (mother, true, f);
            } else {
                self.push(false, father, "chu-ho", f);
                kids_fam = f;
                head = (father, false, f);
            }
        } else {
            let male_head = permille(self.rng, 780);
            kids_fam = self.couple(father, mother, male_head);
            head = (self.m[0].age, self.m[0].female, self.m[0].fam);
        }
        for &a in ages.iter().rev() {
            let female = permille(self.rng, 490);
            self.push(female, a, "con", kids_fam);
        }
        self.ages = ages;
        head
    }

    /// A head (with or without spouse) and `k` children, plus `p` of the head's parents.
    fn with_parents(&mut self, n: usize) {
        let p = if n >= 4 && permille(self.rng, 250) {
            2
        } else {
            1
        };
        let spouse = n >= 2 + p && permille(self.rng, 900);
        let k = n - 1 - usize::from(spouse) - p;
        let (head_age, _, head_fam) = if k > 0 {
            self.nuclear(k, !spouse, true)
        } else if spouse {
            let husband = range(self.rng, 24, 45);
            let wife = (husband - spouse_gap(self.rng)).max(19);
            let male_head = permille(self.rng, 800);
            self.couple(husband, wife, male_head);
            (self.m[0].age, self.m[0].female, self.m[0].fam)
        } else {
            let female = permille(self.rng, 350);
            let age = range(self.rng, 22, 55);
            let f = self.fam();
            self.push(female, age, "chu-ho", f);
            (age, female, f)
        };
        // The head's parents: born to them when the mother was b, father b + d.
        let b = pick_band(self.rng, MOTHER_BIRTH_AGE)
            .min(98 - head_age)
            .max(18);
        let d = fit(
            spouse_gap(self.rng),
            18 - b,
            (42 - b).min(100 - head_age - b),
        );
        let (with_mother, with_father) = if p == 2 {
            (true, true)
        } else {
            let mother = permille(self.rng, 750);
            (mother, !mother)
        };
        if with_father {
            self.push(false, head_age + b + d, "cha", head_fam);
        }
        if with_mother {
            let f = self.fam();
            self.push(true, head_age + b, "me", f);
        }
    }

    /// An older head (and spouse), a married child (and its spouse), grandchildren, and
    /// perhaps unmarried children.
    fn with_grandchildren(&mut self, n: usize) {
        let mut spouse = permille(self.rng, 800);
        let mut in_law = permille(self.rng, 750);
        let base = |s: bool, l: bool| 2 + usize::from(s) + usize::from(l);
        if n < base(spouse, in_law) + 1 {
            in_law = false;
        }
        if n < base(spouse, in_law) + 1 {
            spouse = false;
        }
        let rest = n - base(spouse, in_law);
        let unmarried = if rest >= 2 {
            pick(self.rng, &[(0usize, 650), (1, 250), (2, 100)]).min(rest - 1)
        } else {
            0
        };
        let grandkids = rest - unmarried;

        let child = pick_band(self.rng, MARRIED_CHILD_AGE);
        let b = pick_band(self.rng, MOTHER_BIRTH_AGE).min(95 - child);
        let mother = child + b;
        let father = mother + fit(spouse_gap(self.rng), 18 - b, 42 - b);
        let kids_fam;
        if spouse {
            let male_head = permille(self.rng, 850);
            kids_fam = self.couple(father, mother, male_head);
        } else {
            let female = permille(self.rng, 650);
            let f = self.fam();
            if female {
                self.push(true, mother, "chu-ho", f);
                kids_fam = self.fam(); // the late husband's
            } else {
                self.push(false, father, "chu-ho", f);
                kids_fam = f;
            }
        }
        let son = permille(self.rng, 650);
        self.push(!son, child, "con", kids_fam);
        let (mut gk_mother, mut gk_father) = if son {
            (None, Some(child))
        } else {
            (Some(child), None)
        };
        let mut gk_fam = if son { kids_fam } else { self.fam() };
        if in_law {
            let f = self.fam();
            if son {
                let wife = (child - spouse_gap(self.rng)).max(19);
                self.push(true, wife, "khac", f);
                gk_mother = Some(wife);
            } else {
                let husband = child + spouse_gap(self.rng).max(0);
                self.push(false, husband, "khac", f);
                gk_father = Some(husband);
                gk_fam = f;
            }
        }
        if unmarried > 0 {
            // Younger than the married child, 14 or more.
            let lo = [mother - 42, father - 42, 14]
                .into_iter()
                .max()
                .unwrap_or(14)
                .min(child);
            for _ in 0..unmarried {
                let a = range(self.rng, lo, child);
                let female = permille(self.rng, 490);
                self.push(female, a, "con", kids_fam);
            }
        }
        let mut ages = std::mem::take(&mut self.ages2);
        children_of(self.rng, gk_mother, gk_father, grandkids, 17, &mut ages);
        for &a in ages.iter().rev() {
            let female = permille(self.rng, 490);
            self.push(female, a, "chau", gk_fam);
        }
        self.ages2 = ages;
    }

    /// Grandparents raising grandchildren while the parents work away.
    fn skipped_generation(&mut self, n: usize) {
        let spouse = n >= 3 && permille(self.rng, 700);
        let husband = range(self.rng, 55, 80);
        let wife = (husband - spouse_gap(self.rng)).max(50);
        let fam = if spouse {
            let male_head = permille(self.rng, 800);
            self.couple(husband, wife, male_head)
        } else {
            let female = permille(self.rng, 650);
            let f = self.fam();
            self.push(female, if female { wife } else { husband }, "chu-ho", f);
            f
        };
        let gk_fam = if permille(self.rng, 600) {
            fam
        } else {
            self.fam()
        };
        let youngest_gp = self.m.iter().map(|m| m.age).min().unwrap_or(55);
        let hi = (youngest_gp - 38).clamp(0, 17);
        let k = n - self.m.len();
        let youngest = range(self.rng, 0, hi / 2);
        let mut ages = std::mem::take(&mut self.ages2);
        sibling_ages(self.rng, k, youngest, hi - youngest, &mut ages);
        for &a in ages.iter().rev() {
            let female = permille(self.rng, 490);
            self.push(female, a, "chau", gk_fam);
        }
        self.ages2 = ages;
    }

    /// Brothers and sisters sharing a house.
    fn siblings(&mut self, n: usize) {
        let f = self.fam();
        let head = range(self.rng, 20, 60);
        let female = permille(self.rng, 450);
        self.push(female, head, "chu-ho", f);
        for _ in 1..n {
            let a = (head + range(self.rng, -8, 8)).max(16);
            let female = permille(self.rng, 500);
            self.push(female, a, "khac", f);
        }
    }

    /// Exactly `n` members, head first.
    fn household(&mut self, n: usize) {
        #[derive(Clone, Copy)]
        enum Shape {
            Nuclear,
            Single,
            Parents,
            Grandkids,
            Skipped,
            Siblings,
            OldCouple,
            YoungCouple,
        }
        use Shape::*;
        if n == 1 {
            self.alone();
            return;
        }
        let table: &[(Shape, u32)] = match n {
            2 => &[
                (OldCouple, 380),
                (YoungCouple, 140),
                (Single, 240),
                (Skipped, 120),
                (Parents, 60),
                (Siblings, 60),
            ],
            3 => &[
                (Nuclear, 520),
                (Single, 100),
                (Parents, 150),
                (Grandkids, 130),
                (Skipped, 70),
                (Siblings, 30),
            ],
            4 => &[
                (Nuclear, 520),
                (Single, 50),
                (Parents, 180),
                (Grandkids, 190),
                (Skipped, 60),
            ],
            5 | 6 => &[
                (Nuclear, 350),
                (Single, 20),
                (Parents, 280),
                (Grandkids, 350),
            ],
            _ => &[(Nuclear, 120), (Parents, 380), (Grandkids, 500)],
        };
        match pick(self.rng, table) {
            Nuclear => {
                self.nuclear(n - 2, false, false);
            }
            Single => {
                self.nuclear(n - 1, true, false);
            }
            Parents => self.with_parents(n),
            Grandkids => self.with_grandchildren(n),
            Skipped => self.skipped_generation(n),
            Siblings => self.siblings(n),
            OldCouple => self.old_couple(),
            YoungCouple => self.young_couple(),
        }
        debug_assert_eq!(self.m.len(), n);
    }
}

// ---------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------

/// A keyed bijection of `0..domain` (a 4-round Feistel network on `2 * half_bits` bits,
/// with cycle walking), to turn counters into random-looking unique serial numbers.
fn permute(x: u32, domain: u32, half_bits: u32, key: u64) -> u32 {
    let mask = (1u32 << half_bits) - 1;
    let mut y = x;
    loop {
        let (mut l, mut r) = (y >> half_bits, y & mask);
        for round in 0..4u64 {
            let f = (splitmix64(key ^ (round << 40) ^ u64::from(r)) as u32) & mask;
            (l, r) = (r, l ^ f);
        }
        y = (l << half_bits) | r;
        if y < domain {
            return y;
        }
    }
}

struct Ids {
    seed: u64,
    /// Next serial per (province, century/sex digit, 2-digit year).
    cccd: Vec<u32>,
    /// Next serial per 2-digit CMND prefix.
    cmnd: Vec<u32>,
}

impl Ids {
    fn new(seed: u64) -> Self {
        Ids {
            seed,
            cccd: vec![0; 100 * 4 * 100],
            cmnd: vec![0; 100],
        }
    }

    /// A 12-digit CCCD, or `None` if the group's million numbers are used up.
    fn cccd(&mut self, out: &mut String, province: u8, female: bool, year: i32) -> bool {
        let century = if year >= 2000 { 2 } else { 0 };
        let cs = century + u32::from(female);
        let yy = year.rem_euclid(100) as u32;
        let group = (u32::from(province) * 4 + cs) * 100 + yy;
        let counter = &mut self.cccd[group as usize];
        if *counter >= 1_000_000 {
            return false;
        }
        let key = splitmix64(self.seed ^ DOM_CCCD ^ u64::from(group));
        let serial = permute(*counter, 1_000_000, 10, key);
        *counter += 1;
        let _ = write!(out, "{province:03}{cs}{yy:02}{serial:06}");
        true
    }

    /// A 9-digit CMND.
    fn cmnd(&mut self, out: &mut String, province: u8) -> bool {
        let prefix = cmnd_prefix(province);
        let counter = &mut self.cmnd[usize::from(prefix)];
        if *counter >= 10_000_000 {
            return false;
        }
        let key = splitmix64(self.seed ^ DOM_CMND ^ u64::from(prefix));
        let serial = permute(*counter, 10_000_000, 12, key);
        *counter += 1;
        let _ = write!(out, "{prefix:02}{serial:07}");
        true
    }
}

/// The province of a commune, from its official 2021 code (Bến Tre if not a number).
fn province_of_commune(code: &str) -> u8 {
    let Ok(c) = code.parse::<u32>() else {
        return 83;
    };
    let i = PROVINCE_RUNS.partition_point(|&(first, _)| first <= c);
    PROVINCE_RUNS[i.saturating_sub(1)].1
}

fn write_phone(rng: &mut ChaCha8Rng, out: &mut String) {
    let prefix = uniform(rng, PHONE_PREFIXES);
    let rest = rng.gen_range(0..10_000_000u32);
    match rng.gen_range(0..100u32) {
        0..=59 => {
            let _ = write!(out, "{prefix}{rest:07}");
        }
        60..=84 => {
            // "0912 345 678"
            let _ = write!(
                out,
                "{prefix}{} {:03} {:03}",
                rest / 1_000_000,
                rest / 1000 % 1000,
                rest % 1000
            );
        }
        _ => {
            let _ = write!(out, "+84{}{rest:07}", &prefix[1..]);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------

/// Reusable string buffers for `Option<String>` fields.
#[derive(Default)]
struct Pool(Vec<String>);

impl Pool {
    fn fill(&mut self, slot: &mut Option<String>, f: impl FnOnce(&mut String) -> bool) {
        let mut s = slot.take().or_else(|| self.0.pop()).unwrap_or_default();
        s.clear();
        if f(&mut s) {
            *slot = Some(s);
        } else {
            self.0.push(s);
        }
    }

    fn clear(&mut self, slot: &mut Option<String>) {
        if let Some(s) = slot.take() {
            self.0.push(s);
        }
    }
}

struct Generator {
    ids: Ids,
    members: Vec<Mem>,
    given: Vec<&'static str>,
    ages: Vec<i32>,
    ages2: Vec<i32>,
    people: Vec<PersonRow>,
    household: HouseholdRow,
    pool: Pool,
    reference: NaiveDate,
}

impl Generator {
    fn new(seed: u64) -> Self {
        Generator {
            ids: Ids::new(seed),
            members: Vec::with_capacity(9),
            given: Vec::with_capacity(9),
            ages: Vec::with_capacity(9),
            ages2: Vec::with_capacity(9),
            people: Vec::new(),
            household: HouseholdRow::default(),
            pool: Pool::default(),
            reference: NaiveDate::from_ymd_opt(REF_YEAR, REF_MONTH, REF_DAY)
                .expect("valid reference date"),
        }
    }

    fn hamlet(
        &mut self,
        seed: u64,
        h: &UnitRow,
        on_household: &mut impl FnMut(&HouseholdRow),
        on_person: &mut impl FnMut(&PersonRow),
    ) {
        let mut rng = rng_for(seed, DOM_HAMLET, &h.code);
        let province = province_of_commune(&h.parent_code);
        let mut remaining = u64::from(h.population);
        let mut index = 0u32;
        let mut house_no = 0u32;
        self.household.unit_code.clear();
        self.household.unit_code.push_str(&h.code);
        while remaining > 0 {
            index += 1;
            let n = u64::from(pick(&mut rng, HOUSEHOLD_SIZE)).min(remaining);
            remaining -= n;
            self.members.clear();
            {
                let mut b = Builder {
                    rng: &mut rng,
                    m: &mut self.members,
                    ages: std::mem::take(&mut self.ages),
                    ages2: std::mem::take(&mut self.ages2),
                };
                b.household(n as usize);
                self.ages = b.ages;
                self.ages2 = b.ages2;
            }
            self.fill_household(&mut rng, h, province, index, &mut house_no);
            on_household(&self.household);
            for p in &self.people[..self.members.len()] {
                on_person(p);
            }
        }
    }

    fn fill_household(
        &mut self,
        rng: &mut ChaCha8Rng,
        h: &UnitRow,
        province: u8,
        index: u32,
        house_no: &mut u32,
    ) {
        let hh = &mut self.household;
        hh.household_code.clear();
        let _ = write!(hh.household_code, "{}-{index:04}", h.code);

        while self.people.len() < self.members.len() {
            self.people.push(PersonRow::default());
        }
        self.given.clear();
        for (i, m) in self.members.iter().enumerate() {
            let p = &mut self.people[i];
            p.household_code.clear();
            p.household_code.push_str(&hh.household_code);
            p.sex = if m.female { "nu" } else { "nam" };
            p.relation = m.rel;

            // Birth: uniform within the year of age.
            let back = rng.gen_range(0..365u64);
            let birth = self
                .reference
                .with_year(REF_YEAR - m.age)
                .and_then(|d| d.checked_sub_days(chrono::Days::new(back)))
                .unwrap_or(self.reference);
            let year = birth.year();
            p.birth.clear();
            if m.age >= 60 && permille(rng, 50) {
                let _ = write!(p.birth, "{year:04}");
            } else {
                let _ = write!(p.birth, "{year:04}-{:02}-{:02}", birth.month(), birth.day());
            }

            // Name: family + middle + given, given names distinct within the household.
            let (middle, given) = middle_and_given(rng, m.female, year, &self.given);
            self.given.push(given);
            p.full_name.clear();
            p.full_name.push_str(FAMILY[usize::from(m.fam)].0);
            p.full_name.push(' ');
            p.full_name.push_str(middle);
            p.full_name.push(' ');
            p.full_name.push_str(given);

            // Citizen ID from 14.
            if m.age >= 18 {
                let roll = rng.gen_range(0..1000u32);
                if roll < 850 {
                    let bp = birth_province(rng, province);
                    let ids = &mut self.ids;
                    self.pool
                        .fill(&mut p.citizen_id, |s| ids.cccd(s, bp, m.female, year));
                } else if roll < 900 {
                    let ids = &mut self.ids;
                    self.pool.fill(&mut p.citizen_id, |s| ids.cmnd(s, province));
                } else {
                    self.pool.clear(&mut p.citizen_id);
                }
            } else if m.age >= 14 && permille(rng, 550) {
                let bp = birth_province(rng, province);
                let ids = &mut self.ids;
                self.pool
                    .fill(&mut p.citizen_id, |s| ids.cccd(s, bp, m.female, year));
            } else {
                self.pool.clear(&mut p.citizen_id);
            }

            let phone = match m.age {
                ..=13 => 0,
                14..=17 => 350,
                18..=59 => 790,
                60..=74 => 500,
                _ => 200,
            };
            if permille(rng, phone) {
                self.pool.fill(&mut p.phone, |s| {
                    write_phone(rng, s);
                    true
                });
            } else {
                self.pool.clear(&mut p.phone);
            }
        }
        let people = &self.people[..self.members.len()];

        hh.head_name.clear();
        hh.head_name.push_str(&people[0].full_name);

        *house_no += rng.gen_range(1..=4u32);
        let group = (index - 1) / 30 + 1;
        hh.address.clear();
        if permille(rng, 120) {
            let alley = rng.gen_range(1..=30u32);
            let _ = write!(
                hh.address,
                "Số {house_no}/{alley}, tổ {group}, {}",
                h.full_name
            );
        } else {
            let _ = write!(hh.address, "Số {house_no}, tổ {group}, {}", h.full_name);
        }

        match people.iter().find_map(|p| p.phone.as_deref()) {
            Some(ph) => {
                let mut s = hh
                    .phone
                    .take()
                    .or_else(|| self.pool.0.pop())
                    .unwrap_or_default();
                s.clear();
                s.push_str(ph);
                hh.phone = Some(s);
            }
            None => self.pool.clear(&mut hh.phone),
        }

        let members = &self.members;
        let all_old = members.iter().all(|m| m.age >= 60);
        let working = members.iter().any(|m| (18..60).contains(&m.age));
        let poor = if all_old && members.len() == 1 {
            110
        } else if all_old || members.len() >= 7 {
            60
        } else {
            30
        };
        hh.poor = permille(rng, poor);
        hh.lost_income = permille(rng, if working { 225 } else { 60 });
    }
}

/// Middle and given name for a person of this sex born in `year`, the given name
/// distinct from those in `taken` (siblings are not named alike) when possible.
fn middle_and_given(
    rng: &mut ChaCha8Rng,
    female: bool,
    year: i32,
    taken: &[&'static str],
) -> (&'static str, &'static str) {
    let older = year < 1975;
    let newer = year >= 2000;
    let mut given = "";
    let mut old_style = false;
    for _ in 0..4 {
        let special = permille(rng, 600);
        old_style = older && special;
        let pool = match (female, old_style, newer && special) {
            (false, true, _) => GIVEN_MALE_OLD,
            (false, _, true) => GIVEN_MALE_NEW,
            (false, _, _) => GIVEN_MALE,
            (true, true, _) => GIVEN_FEMALE_OLD,
            (true, _, true) => GIVEN_FEMALE_NEW,
            (true, _, _) => GIVEN_FEMALE,
        };
        given = uniform(rng, pool);
        if !taken.contains(&given) {
            break;
        }
    }
    // "Văn"/"Thị" for most of the old, fewer of the young; always with old-style given
    // names ("Nguyễn Thị Út", not "Nguyễn Ngọc Út").
    let plain = match year {
        _ if old_style => 1000,
        ..=1969 => 800,
        1970..=1989 => 600,
        1990..=2004 => 380,
        _ => 200,
    };
    let (plain_middle, others) = if female {
        ("Thị", MIDDLE_FEMALE)
    } else {
        ("Văn", MIDDLE_MALE)
    };
    let mut middle = plain_middle;
    if !permille(rng, plain) {
        for _ in 0..4 {
            middle = uniform(rng, others);
            if middle != given {
                break;
            }
        }
        if middle == given {
            middle = plain_middle;
        }
    }
    (middle, given)
}

/// Where a person was born: the hamlet's province mostly, else Ho Chi Minh City or any.
fn birth_province(rng: &mut ChaCha8Rng, home: u8) -> u8 {
    let roll = rng.gen_range(0..1000u32);
    if roll < 880 {
        home
    } else if roll < 940 && home != HCMC {
        HCMC
    } else {
        uniform(rng, PROVINCES)
    }
}

/// Streams households and their members; calls `on_household` then `on_person` for each
/// member (head first), so a province (1.3 M people) never sits in memory.
///
/// Fills each hamlet with exactly `population` people, in the order of `hamlets`; uses
/// `cfg.seed` (the populations already carry `cfg.people_target`). Citizen IDs are unique
/// within one call: generate a whole province or country in a single call, not district
/// by district.
pub fn registry(
    hamlets: &[UnitRow],
    cfg: &GenConfig,
    mut on_household: impl FnMut(&HouseholdRow),
    mut on_person: impl FnMut(&PersonRow),
) {
    let mut g = Generator::new(cfg.seed);
    for h in hamlets {
        g.hamlet(cfg.seed, h, &mut on_household, &mut on_person);
    }
}

// ---------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------

pub(crate) fn csv_err(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

fn flag(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Writes `units.csv`: `code,parent_code,level,type,name,full_name,population`.
pub fn write_units_csv<W: Write>(w: W, rows: &[UnitRow]) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "code",
        "parent_code",
        "level",
        "type",
        "name",
        "full_name",
        "population",
    ])
    .map_err(csv_err)?;
    let mut pop = String::new();
    for r in rows {
        pop.clear();
        let _ = write!(pop, "{}", r.population);
        out.write_record([
            r.code.as_str(),
            &r.parent_code,
            r.level,
            r.kind,
            &r.name,
            &r.full_name,
            &pop,
        ])
        .map_err(csv_err)?;
    }
    out.flush()
}

/// Generates the registry of `hamlets` and writes `households.csv`
/// (`household_code,unit_code,head_name,address,phone,poor,lost_income`, flags as
/// `true`/`false`) and `people.csv`
/// (`household_code,full_name,birth,sex,citizen_id,phone,relation`); absent values are
/// empty. Returns the number of households and of people written.
pub fn write_registry_csv<W1: Write, W2: Write>(
    households: W1,
    people: W2,
    hamlets: &[UnitRow],
    cfg: &GenConfig,
) -> std::io::Result<(u64, u64)> {
    let mut hw = csv::Writer::from_writer(households);
    let mut pw = csv::Writer::from_writer(people);
    hw.write_record([
        "household_code",
        "unit_code",
        "head_name",
        "address",
        "phone",
        "poor",
        "lost_income",
    ])
    .map_err(csv_err)?;
    pw.write_record([
        "household_code",
        "full_name",
        "birth",
        "sex",
        "citizen_id",
        "phone",
        "relation",
    ])
    .map_err(csv_err)?;
    let mut counts = (0u64, 0u64);
    let mut herr: Option<csv::Error> = None;
    let mut perr: Option<csv::Error> = None;
    registry(
        hamlets,
        cfg,
        |h| {
            if herr.is_some() {
                return;
            }
            counts.0 += 1;
            if let Err(e) = hw.write_record([
                h.household_code.as_str(),
                &h.unit_code,
                &h.head_name,
                &h.address,
                h.phone.as_deref().unwrap_or(""),
                flag(h.poor),
                flag(h.lost_income),
            ]) {
                herr = Some(e);
            }
        },
        |p| {
            if perr.is_some() {
                return;
            }
            counts.1 += 1;
            if let Err(e) = pw.write_record([
                p.household_code.as_str(),
                &p.full_name,
                &p.birth,
                p.sex,
                p.citizen_id.as_deref().unwrap_or(""),
                p.phone.as_deref().unwrap_or(""),
                p.relation,
            ]) {
                perr = Some(e);
            }
        },
    );
    if let Some(e) = herr.or(perr) {
        return Err(csv_err(e));
    }
    hw.flush()?;
    pw.flush()?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection() {
        let mut seen = vec![false; 1_000_000];
        for x in 0..1_000_000 {
            let y = permute(x, 1_000_000, 10, 42) as usize;
            assert!(!seen[y]);
            seen[y] = true;
        }
    }

    #[test]
    fn apportion_is_exact() {
        assert_eq!(apportion(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(apportion(0, &[5, 7]), vec![0, 0]);
        assert_eq!(apportion(7, &[0, 0]), vec![0, 0]);
        assert_eq!(apportion(160_000, &[3, 5, 9]).iter().sum::<u64>(), 160_000);
    }

    #[test]
    fn provinces_of_communes() {
        assert_eq!(province_of_commune("28846"), 83);
        assert_eq!(province_of_commune("00001"), 1);
        assert_eq!(province_of_commune("26734"), 79);
        assert_eq!(province_of_commune("9600"), 1);
        assert_eq!(province_of_commune("32000"), 96);
    }
}
