//! Features of the synthetic data: determinism, scale, plausibility, identifiers, names.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Instant;

use vx_gen::{
    hamlets, registry, write_registry_csv, write_units_csv, CommuneSpec, GenConfig, HouseholdRow,
    PersonRow, UnitRow,
};

const DISTRICT_PEOPLE: u64 = 160_000;

fn admin_units() -> Vec<csv::StringRecord> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vungxanh/units/vn-admin-units-2021.csv"
    );
    let mut r = csv::Reader::from_path(path).expect("official list of units");
    r.records().map(|x| x.expect("row")).collect()
}

/// The communes of the given districts, in file order.
fn communes_of(districts: &[&str]) -> Vec<CommuneSpec> {
    admin_units()
        .into_iter()
        .filter(|r| &r[2] == "commune" && districts.contains(&&r[1]))
        .map(|r| CommuneSpec {
            code: r[0].to_string(),
            name: r[4].to_string(),
            kind: r[3].to_string(),
            district_code: r[1].to_string(),
        })
        .collect()
}

fn chau_thanh() -> Vec<CommuneSpec> {
    communes_of(&["831"])
}

fn district_cfg(seed: u64) -> GenConfig {
    GenConfig {
        seed,
        people_target: DISTRICT_PEOPLE,
    }
}

struct Generated {
    hamlets: Vec<UnitRow>,
    households: Vec<HouseholdRow>,
    people: Vec<PersonRow>,
}

/// Châu Thành with seed 2021, generated once for the whole test binary.
fn district() -> &'static Generated {
    static G: OnceLock<Generated> = OnceLock::new();
    G.get_or_init(|| {
        let cfg = district_cfg(2021);
        let hamlets = hamlets(&chau_thanh(), &cfg);
        let mut households = Vec::new();
        let mut people = Vec::new();
        registry(
            &hamlets,
            &cfg,
            |h| households.push(h.clone()),
            |p| people.push(p.clone()),
        );
        Generated {
            hamlets,
            households,
            people,
        }
    })
}

fn csv_bytes(communes: &[CommuneSpec], cfg: &GenConfig) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let hamlets = hamlets(communes, cfg);
    let mut units = Vec::new();
    write_units_csv(&mut units, &hamlets).unwrap();
    let (mut hh, mut pp) = (Vec::new(), Vec::new());
    write_registry_csv(&mut hh, &mut pp, &hamlets, cfg).unwrap();
    (units, hh, pp)
}

/// Age in whole years on 2021-09-01 (for a year-only birth: 2021 − year).
fn age(birth: &str) -> i32 {
    let y: i32 = birth[..4].parse().unwrap();
    if birth.len() == 4 {
        return 2021 - y;
    }
    let md = &birth[5..];
    2021 - y - i32::from(md > "09-01")
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole as f64
}

/// The people of each household (members follow their household, head first).
fn by_household(people: &[PersonRow]) -> Vec<&[PersonRow]> {
    people
        .chunk_by(|a, b| a.household_code == b.household_code)
        .collect()
}

/// A person with their age; `fuzz` is 1 when only the birth year is known (the age may
/// then be one year too high).
struct Member<'a> {
    person: &'a PersonRow,
    age: i32,
    fuzz: i32,
}

impl<'a> Member<'a> {
    fn new(person: &'a PersonRow) -> Self {
        Member {
            person,
            age: age(&person.birth),
            fuzz: i32::from(person.birth.len() == 4),
        }
    }

    /// Was 18-42 when `child` was born.
    fn parent_of(&self, child: &Member) -> bool {
        let d = self.age - child.age;
        let fuzz = self.fuzz + child.fuzz;
        (18 - fuzz..=42 + fuzz).contains(&d)
    }
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_does_not() {
    let communes: Vec<CommuneSpec> = chau_thanh().into_iter().take(4).collect();
    let cfg = GenConfig {
        seed: 7,
        people_target: 30_000,
    };
    let a = csv_bytes(&communes, &cfg);
    let b = csv_bytes(&communes, &cfg);
    assert_eq!(a, b);
    let c = csv_bytes(&communes, &GenConfig { seed: 8, ..cfg });
    assert_ne!(a.0, c.0, "units differ");
    assert_ne!(a.1, c.1, "households differ");
    assert_ne!(a.2, c.2, "people differ");
}

#[test]
fn a_commune_keeps_its_hamlets_when_others_are_added() {
    let all = chau_thanh();
    let cfg = district_cfg(5);
    let one = hamlets(&all[..1], &cfg);
    let many = hamlets(&all, &cfg);
    let names = |v: &[UnitRow]| -> Vec<String> {
        v.iter()
            .filter(|h| h.parent_code == all[0].code)
            .map(|h| h.code.clone())
            .collect()
    };
    assert_eq!(names(&one), names(&many));
}

#[test]
fn csv_headers_are_the_interchange_formats() {
    let communes: Vec<CommuneSpec> = chau_thanh().into_iter().take(1).collect();
    let (units, hh, pp) = csv_bytes(
        &communes,
        &GenConfig {
            seed: 1,
            people_target: 500,
        },
    );
    let first = |b: &[u8]| {
        String::from_utf8(b.to_vec())
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        first(&units),
        "code,parent_code,level,type,name,full_name,population"
    );
    assert_eq!(
        first(&hh),
        "household_code,unit_code,head_name,address,phone,poor,lost_income"
    );
    assert_eq!(
        first(&pp),
        "household_code,full_name,birth,sex,citizen_id,phone,relation"
    );
    // Every row reads back with the header's number of fields.
    for bytes in [&units, &hh, &pp] {
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        for rec in r.records() {
            assert_eq!(rec.unwrap().len(), 7);
        }
    }
}

#[test]
fn writer_counts_match_the_rows_written() {
    let communes: Vec<CommuneSpec> = chau_thanh().into_iter().take(2).collect();
    let cfg = GenConfig {
        seed: 3,
        people_target: 12_345,
    };
    let hamlets = hamlets(&communes, &cfg);
    let (mut hh, mut pp) = (Vec::new(), Vec::new());
    let (nh, np) = write_registry_csv(&mut hh, &mut pp, &hamlets, &cfg).unwrap();
    assert_eq!(np, 12_345);
    assert_eq!(
        nh as usize + 1,
        String::from_utf8(hh).unwrap().lines().count()
    );
    let people = csv::Reader::from_reader(pp.as_slice()).records().count();
    assert_eq!(np as usize, people);
}

#[test]
fn district_hamlets_are_named_coded_and_sized_like_the_mekong_delta() {
    let communes = chau_thanh();
    assert_eq!(communes.len(), 21);
    let g = district();
    let n = g.hamlets.len();
    assert!((105..=168).contains(&n), "{n} hamlets");

    let mut per_commune: BTreeMap<&str, (u32, u64)> = BTreeMap::new();
    for h in &g.hamlets {
        let e = per_commune.entry(&h.parent_code).or_default();
        e.0 += 1;
        e.1 += u64::from(h.population);
        assert_eq!(h.level, "hamlet");
        assert_eq!(h.code.len(), 7);
        assert!(h.code.starts_with(&h.parent_code));
        let index: u32 = h.code[5..].parse().unwrap();
        assert_eq!(index, e.0, "hamlets numbered from 01");
        let commune = communes.iter().find(|c| c.code == h.parent_code).unwrap();
        if commune.kind == "xa" {
            assert_eq!(h.kind, "ap");
            assert_eq!(h.name, format!("Ấp {index}"));
            assert_eq!(h.full_name, format!("Ấp {index}, Xã {}", commune.name));
        } else {
            assert_eq!(h.kind, "khu-pho");
            assert_eq!(h.name, format!("Khu phố {index}"));
        }
        assert!(h.population > 300, "{} has {}", h.code, h.population);
    }
    assert_eq!(per_commune.len(), 21);
    assert!(per_commune.values().all(|(k, _)| (5..=8).contains(k)));
    let phuoc_thanh = g.hamlets.iter().find(|h| h.code == "2884601").unwrap();
    assert_eq!(phuoc_thanh.full_name, "Ấp 1, Xã Phước Thạnh");

    // Some communes are twice the size of others.
    let pops: Vec<u64> = per_commune.values().map(|(_, p)| *p).collect();
    let (min, max) = (*pops.iter().min().unwrap(), *pops.iter().max().unwrap());
    assert!(max as f64 >= 1.8 * min as f64, "communes {min}..{max}");
    assert!(max as f64 <= 5.0 * min as f64, "communes {min}..{max}");
}

#[test]
fn district_totals_land_on_the_target() {
    let g = district();
    let people = g.people.len() as f64;
    let target = DISTRICT_PEOPLE as f64;
    assert!((people - target).abs() <= 0.02 * target, "{people} people");
    let households = g.households.len();
    assert!(
        (40_000..=50_000).contains(&households),
        "{households} households"
    );
    let listed: u64 = g.hamlets.iter().map(|h| u64::from(h.population)).sum();
    assert_eq!(
        listed,
        g.people.len() as u64,
        "registry fills the hamlets' populations"
    );

    // Per hamlet too.
    let mut counted: BTreeMap<&str, u32> = BTreeMap::new();
    for p in &g.people {
        *counted.entry(&p.household_code[..7]).or_default() += 1;
    }
    for h in &g.hamlets {
        assert_eq!(
            counted.get(h.code.as_str()).copied().unwrap_or(0),
            h.population
        );
    }
}

#[test]
fn every_person_belongs_to_an_existing_household_headed_by_its_first_member() {
    let g = district();
    let codes: BTreeSet<&str> = g
        .households
        .iter()
        .map(|h| h.household_code.as_str())
        .collect();
    assert_eq!(codes.len(), g.households.len(), "household codes unique");
    let units: BTreeSet<&str> = g.hamlets.iter().map(|h| h.code.as_str()).collect();
    for h in &g.households {
        assert!(units.contains(h.unit_code.as_str()));
        assert_eq!(h.household_code.len(), 12);
        assert_eq!(&h.household_code[..7], h.unit_code);
        assert_eq!(&h.household_code[7..8], "-");
        assert!(h.household_code[8..].bytes().all(|b| b.is_ascii_digit()));
        let hamlet = g.hamlets.iter().find(|u| u.code == h.unit_code).unwrap();
        assert!(h.address.ends_with(&hamlet.full_name), "{}", h.address);
    }
    // Members follow their household, head first, exactly one head.
    let mut heads: BTreeMap<&str, usize> = BTreeMap::new();
    let mut prev = "";
    for p in &g.people {
        assert!(
            codes.contains(p.household_code.as_str()),
            "{}",
            p.household_code
        );
        if p.household_code != prev {
            assert_eq!(p.relation, "chu-ho", "head first in {}", p.household_code);
            prev = &p.household_code;
        }
        if p.relation == "chu-ho" {
            *heads.entry(&p.household_code).or_default() += 1;
        }
    }
    assert_eq!(heads.len(), g.households.len());
    assert!(heads.values().all(|&n| n == 1));
    let head_names: BTreeMap<&str, &str> = g
        .people
        .iter()
        .filter(|p| p.relation == "chu-ho")
        .map(|p| (p.household_code.as_str(), p.full_name.as_str()))
        .collect();
    for h in &g.households {
        assert_eq!(head_names[h.household_code.as_str()], h.head_name);
    }
}

#[test]
fn household_sizes_are_plausible() {
    let g = district();
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &g.people {
        *sizes.entry(&p.household_code).or_default() += 1;
    }
    let n = sizes.len();
    let mean = g.people.len() as f64 / n as f64;
    assert!((3.2..=3.8).contains(&mean), "mean household size {mean}");
    let count = |f: &dyn Fn(usize) -> bool| sizes.values().filter(|&&s| f(s)).count();
    assert_eq!(count(&|s| !(1..=9).contains(&s)), 0);
    let s1 = share(count(&|s| s == 1), n);
    let s3_5 = share(count(&|s| (3..=5).contains(&s)), n);
    let s7p = share(count(&|s| s >= 7), n);
    assert!((0.07..=0.15).contains(&s1), "living alone {s1}");
    assert!((0.50..=0.65).contains(&s3_5), "3-5 people {s3_5}");
    assert!((0.02..=0.08).contains(&s7p), "7+ people {s7p}");

    // Many of those living alone are old.
    let alone: Vec<&PersonRow> = g
        .people
        .iter()
        .filter(|p| sizes[p.household_code.as_str()] == 1)
        .collect();
    let old_alone = share(
        alone.iter().filter(|p| age(&p.birth) >= 60).count(),
        alone.len(),
    );
    assert!(
        (0.4..=0.7).contains(&old_alone),
        "old among those alone {old_alone}"
    );
}

#[test]
fn ages_follow_a_plausible_pyramid_and_family_structure() {
    let g = district();
    let n = g.people.len();
    let ages: Vec<i32> = g.people.iter().map(|p| age(&p.birth)).collect();
    assert!(ages.iter().all(|a| (0..=104).contains(a)));
    let band =
        |lo: i32, hi: i32| share(ages.iter().filter(|&&a| (lo..=hi).contains(&a)).count(), n);
    let children = band(0, 14);
    let old = band(65, 200);
    let working = band(15, 64);
    assert!((0.14..=0.26).contains(&children), "0-14: {children}");
    assert!((0.08..=0.16).contains(&old), "65+: {old}");
    assert!((0.60..=0.75).contains(&working), "15-64: {working}");
    // Nobody older than 100 in large numbers; some 80+.
    let very_old = band(80, 200);
    assert!((0.01..=0.05).contains(&very_old), "80+: {very_old}");

    // Heads are usually 35-75, and adults.
    let heads: Vec<i32> = g
        .people
        .iter()
        .zip(&ages)
        .filter(|(p, _)| p.relation == "chu-ho")
        .map(|(_, &a)| a)
        .collect();
    assert!(heads.iter().all(|&a| a >= 18), "heads are adults");
    let usual = share(
        heads.iter().filter(|&&a| (35..=75).contains(&a)).count(),
        heads.len(),
    );
    assert!(usual >= 0.7, "heads 35-75: {usual}");

    // Within each household: children were born when the head and the spouse were 18-42,
    // spouses are of the opposite sex, the head's parents were 18-42 at the head's birth,
    // grandchildren are at least 36 years younger than the head.
    let mut spouse_gaps = Vec::new();
    for members in by_household(&g.people) {
        let code = &members[0].household_code;
        let head = Member::new(&members[0]);
        let spouse = members
            .iter()
            .find(|p| p.relation == "vo" || p.relation == "chong")
            .map(Member::new);
        if let Some(s) = &spouse {
            assert_ne!(s.person.sex, head.person.sex, "spouse in {code}");
            assert_eq!(s.person.relation == "vo", s.person.sex == "nu");
            spouse_gaps.push((head.age - s.age).abs());
        }
        for p in &members[1..] {
            let m = Member::new(p);
            match p.relation {
                "vo" | "chong" | "khac" => {}
                "con" => {
                    assert!(
                        head.parent_of(&m),
                        "head {} child {} in {code}",
                        head.age,
                        m.age
                    );
                    if let Some(s) = &spouse {
                        assert!(
                            s.parent_of(&m),
                            "spouse {} child {} in {code}",
                            s.age,
                            m.age
                        );
                    }
                }
                "cha" | "me" => {
                    assert!(
                        m.parent_of(&head),
                        "head {} parent {} in {code}",
                        head.age,
                        m.age
                    );
                    assert_eq!(p.relation == "me", p.sex == "nu");
                }
                "chau" => assert!(
                    head.age - m.age + head.fuzz + m.fuzz >= 36,
                    "grandchild in {code}"
                ),
                other => panic!("relation {other}"),
            }
        }
    }
    let close = share(
        spouse_gaps.iter().filter(|&&d| d <= 6).count(),
        spouse_gaps.len(),
    );
    assert!(close >= 0.7, "spouses within 6 years: {close}");
}

#[test]
fn birth_is_a_date_or_for_some_elderly_a_year() {
    let g = district();
    let (mut elderly, mut year_only) = (0, 0);
    for p in &g.people {
        let b = p.birth.as_bytes();
        match b.len() {
            10 => {
                assert!(b[4] == b'-' && b[7] == b'-', "{}", p.birth);
                let m: u32 = p.birth[5..7].parse().unwrap();
                let d: u32 = p.birth[8..].parse().unwrap();
                assert!(
                    (1..=12).contains(&m) && (1..=31).contains(&d),
                    "{}",
                    p.birth
                );
                assert!(p.birth.as_str() <= "2021-09-01");
            }
            4 => {
                year_only += 1;
                assert!(
                    age(&p.birth) >= 60,
                    "year only for the elderly: {}",
                    p.birth
                );
            }
            _ => panic!("birth {}", p.birth),
        }
        if age(&p.birth) >= 60 {
            elderly += 1;
        }
    }
    let s = share(year_only, elderly);
    assert!((0.02..=0.09).contains(&s), "year only among 60+: {s}");
}

#[test]
fn citizen_ids_are_unique_and_shaped_like_cccd_or_cmnd() {
    let g = district();
    let mut seen = BTreeSet::new();
    let (mut adults, mut cccd, mut cmnd) = (0, 0, 0);
    let mut ben_tre = 0;
    for p in &g.people {
        let a = age(&p.birth);
        let year: u32 = p.birth[..4].parse().unwrap();
        if a >= 18 {
            adults += 1;
        }
        let Some(id) = &p.citizen_id else { continue };
        assert!(a >= 14, "no ID under 14: {} {}", p.birth, id);
        assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
        assert!(seen.insert(id.clone()), "duplicate {id}");
        match id.len() {
            12 => {
                if a >= 18 {
                    cccd += 1;
                }
                let province: u32 = id[..3].parse().unwrap();
                assert!((1..=96).contains(&province), "{id}");
                if &id[..3] == "083" {
                    ben_tre += 1;
                }
                let century_sex = id.as_bytes()[3] - b'0';
                let expected = match (year >= 2000, p.sex) {
                    (false, "nam") => 0,
                    (false, _) => 1,
                    (true, "nam") => 2,
                    (true, _) => 3,
                };
                assert_eq!(century_sex, expected, "{id} {} {}", p.birth, p.sex);
                assert_eq!(&id[4..6], &p.birth[2..4], "{id} {}", p.birth);
            }
            9 => {
                assert!(a >= 18, "CMND for adults");
                cmnd += 1;
            }
            n => panic!("{n} digits: {id}"),
        }
    }
    let s_cccd = share(cccd, adults);
    let s_cmnd = share(cmnd, adults);
    assert!(
        (0.80..=0.90).contains(&s_cccd),
        "CCCD among adults {s_cccd}"
    );
    assert!(
        (0.03..=0.07).contains(&s_cmnd),
        "CMND among adults {s_cmnd}"
    );
    let s_bt = share(ben_tre, seen.len() - cmnd);
    assert!((0.80..=0.95).contains(&s_bt), "born in Bến Tre {s_bt}");
}

#[test]
fn phones_are_vietnamese_mobiles_as_people_write_them() {
    let g = district();
    let prefixes = ["03", "05", "07", "08", "09"];
    let (mut adults, mut with_phone) = (0, 0);
    let mut styles = [0usize; 3];
    let check = |ph: &str| -> usize {
        let (style, digits) = if let Some(rest) = ph.strip_prefix("+84") {
            (2, format!("0{rest}"))
        } else if ph.contains(' ') {
            let parts: Vec<&str> = ph.split(' ').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [4, 3, 3],
                "{ph}"
            );
            (1, parts.concat())
        } else {
            (0, ph.to_string())
        };
        assert_eq!(digits.len(), 10, "{ph}");
        assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{ph}");
        assert!(prefixes.contains(&&digits[..2]), "{ph}");
        style
    };
    for p in &g.people {
        let a = age(&p.birth);
        if a >= 18 {
            adults += 1;
        }
        if let Some(ph) = &p.phone {
            assert!(a >= 14, "phone at {a}");
            if a >= 18 {
                with_phone += 1;
            }
            styles[check(ph)] += 1;
        }
    }
    let s = share(with_phone, adults);
    assert!((0.62..=0.78).contains(&s), "adults with a phone {s}");
    assert!(
        styles.iter().all(|&n| n > 1000),
        "all three styles: {styles:?}"
    );
    let with = g
        .households
        .iter()
        .filter_map(|h| h.phone.as_deref())
        .map(check)
        .count();
    assert!(share(with, g.households.len()) > 0.8);
}

#[test]
fn household_flags_match_august_2021() {
    let g = district();
    let n = g.households.len();
    let poor = share(g.households.iter().filter(|h| h.poor).count(), n);
    let lost = share(g.households.iter().filter(|h| h.lost_income).count(), n);
    assert!((0.03..=0.05).contains(&poor), "poor {poor}");
    assert!((0.15..=0.25).contains(&lost), "lost income {lost}");
}

#[test]
fn names_are_vietnamese_nfc_with_real_frequencies() {
    use unicode_normalization::is_nfc;
    let g = district();
    let n = g.people.len();
    let mut family: BTreeMap<&str, usize> = BTreeMap::new();
    let mut chars = BTreeSet::new();
    let mut with_diacritics = 0;
    for p in &g.people {
        assert!(is_nfc(&p.full_name), "{}", p.full_name);
        let parts: Vec<&str> = p.full_name.split(' ').collect();
        assert_eq!(parts.len(), 3, "{}", p.full_name);
        *family.entry(parts[0]).or_default() += 1;
        if !p.full_name.is_ascii() {
            with_diacritics += 1;
        }
        chars.extend(p.full_name.chars().filter(|c| !c.is_ascii()));
        if p.sex == "nu" {
            assert_ne!(parts[1], "Văn", "{}", p.full_name);
        } else {
            assert_ne!(parts[1], "Thị", "{}", p.full_name);
        }
    }
    for h in &g.households {
        assert!(is_nfc(&h.address) && is_nfc(&h.head_name));
    }
    for u in &g.hamlets {
        assert!(is_nfc(&u.name) && is_nfc(&u.full_name));
    }
    assert!(share(with_diacritics, n) > 0.85, "names with diacritics");
    for c in ['ễ', 'ư', 'ơ', 'Đ', 'ă', 'ạ', 'ầ', 'ị'] {
        assert!(chars.contains(&c), "{c} used");
    }
    let nguyen = share(family["Nguyễn"], n);
    assert!((0.34..=0.42).contains(&nguyen), "Nguyễn {nguyen}");
    let top: Vec<&str> = {
        let mut v: Vec<(&&str, &usize)> = family.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter().take(3).map(|(k, _)| **k).collect()
    };
    assert_eq!(top, ["Nguyễn", "Trần", "Lê"]);
    assert!(family.len() >= 30, "{} family names", family.len());
    // Most common names vary: no full name is carried by 1 % of people.
    let mut full: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &g.people {
        *full.entry(&p.full_name).or_default() += 1;
    }
    let most = full.values().max().copied().unwrap_or(0);
    assert!(share(most, n) < 0.01, "most common full name {most}");
}

#[test]
fn children_take_their_fathers_family_name() {
    let g = district();
    let family = |p: &PersonRow| p.full_name.split(' ').next().unwrap().to_string();
    let (mut checked, mut same_as_mother) = (0, 0);
    for members in by_household(&g.people) {
        let code = &members[0].household_code;
        let father = members
            .iter()
            .find(|p| (p.relation == "chu-ho" || p.relation == "chong") && p.sex == "nam");
        let mother = members
            .iter()
            .find(|p| (p.relation == "chu-ho" || p.relation == "vo") && p.sex == "nu");
        if let (Some(f), Some(m)) = (father, mother) {
            for c in members.iter().filter(|p| p.relation == "con") {
                assert_eq!(family(c), family(f), "{} in {code}", c.full_name);
                checked += 1;
                if family(c) == family(m) {
                    same_as_mother += 1;
                }
            }
        }
        if let Some(father) = members.iter().find(|p| p.relation == "cha") {
            assert_eq!(
                family(father),
                family(&members[0]),
                "head's father in {code}"
            );
        }
    }
    assert!(checked > 10_000);
    // Spouses keep their own names: they share one only by chance (mostly Nguyễn).
    assert!(share(same_as_mother, checked) < 0.3);
}

#[test]
fn small_empty_and_many_seeded_inputs_work() {
    assert!(hamlets(&[], &district_cfg(1)).is_empty());
    let communes = chau_thanh();
    for target in [0u64, 1, 7, 200] {
        let cfg = GenConfig {
            seed: target,
            people_target: target,
        };
        let units = hamlets(&communes, &cfg);
        assert_eq!(
            units.iter().map(|h| u64::from(h.population)).sum::<u64>(),
            target
        );
        let mut people = 0;
        registry(&units, &cfg, |_| {}, |_| people += 1);
        assert_eq!(people, target);
    }
    // Many seeds: every household shape and size comes up, the model never panics
    // (debug builds check arithmetic overflow and member counts).
    for seed in 0..30 {
        let cfg = GenConfig {
            seed,
            people_target: 20_000,
        };
        let units = hamlets(&communes[..3], &cfg);
        let mut people = 0u64;
        registry(&units, &cfg, |_| {}, |_| people += 1);
        assert_eq!(people, 20_000);
    }
}

/// Timings for the report; run with
/// `cargo test --release -p vx-gen --test gen -- --ignored --nocapture timing`.
#[test]
#[ignore = "timing, for humans"]
fn timing() {
    // District: Châu Thành, 160 000 people.
    let communes = chau_thanh();
    let cfg = district_cfg(1);
    let t = Instant::now();
    let units = hamlets(&communes, &cfg);
    let (mut hh, mut pp) = (Vec::new(), Vec::new());
    let (nh, np) = write_registry_csv(&mut hh, &mut pp, &units, &cfg).unwrap();
    println!(
        "district: {nh} households, {np} people, CSV {} + {} bytes in {:?}",
        hh.len(),
        pp.len(),
        t.elapsed()
    );

    // Province: the 9 districts of Bến Tre, 1.29 M people.
    let districts: Vec<String> = admin_units()
        .into_iter()
        .filter(|r| &r[2] == "district" && &r[1] == "83")
        .map(|r| r[0].to_string())
        .collect();
    let refs: Vec<&str> = districts.iter().map(String::as_str).collect();
    let communes = communes_of(&refs);
    let cfg = GenConfig {
        seed: 1,
        people_target: 1_290_000,
    };
    let t = Instant::now();
    let units = hamlets(&communes, &cfg);
    let (mut nh, mut np) = (0u64, 0u64);
    registry(&units, &cfg, |_| nh += 1, |_| np += 1);
    println!(
        "province: {} communes, {} hamlets, {nh} households, {np} people generated in {:?}",
        communes.len(),
        units.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let (mut hh, mut pp) = (Vec::new(), Vec::new());
    let (nh, np) = write_registry_csv(&mut hh, &mut pp, &units, &cfg).unwrap();
    println!(
        "province: {nh} households, {np} people written as CSV ({} + {} bytes) in {:?}",
        hh.len(),
        pp.len(),
        t.elapsed()
    );
}

// ---------------------------------------------------------------------------------------
// The demo's outbreak

mod outbreak {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::OnceLock;

    use chrono::NaiveDate;
    use vx_gen::hamlets;
    use vx_gen::outbreak::{
        outbreak, ContactFrom, Detection, Outbreak, Source, PHUOC_THANH, POOL_LIMIT,
        POOL_LIMIT_HIGH_RISK,
    };

    use super::{chau_thanh, district_cfg};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ob() -> &'static Outbreak {
        static O: OnceLock<Outbreak> = OnceLock::new();
        O.get_or_init(|| {
            let cfg = district_cfg(2021);
            outbreak(&hamlets(&chau_thanh(), &cfg), &cfg)
        })
    }

    /// Community case days per commune, sorted.
    fn community_days(o: &Outbreak) -> BTreeMap<String, Vec<NaiveDate>> {
        let mut m: BTreeMap<String, Vec<NaiveDate>> = BTreeMap::new();
        for c in &o.cases {
            if c.source == Source::Community {
                m.entry(c.commune.clone()).or_default().push(c.confirmed_on);
            }
        }
        for v in m.values_mut() {
            v.sort();
        }
        m
    }

    #[test]
    fn outbreak_is_deterministic() {
        let cfg = district_cfg(2021);
        let h = hamlets(&chau_thanh(), &cfg);
        assert!(outbreak(&h, &cfg) == *ob());
        let other = district_cfg(7);
        let o7 = outbreak(&hamlets(&chau_thanh(), &other), &other);
        assert!(o7.cases != ob().cases);
    }

    #[test]
    fn phuoc_thanh_is_clean_first_and_most_communes_by_mid_september() {
        for o in [ob(), &{
            let cfg = district_cfg(99);
            outbreak(&hamlets(&chau_thanh(), &cfg), &cfg)
        }] {
            let days = community_days(o);
            assert_eq!(days.len(), 21, "every commune has community cases");
            let last: BTreeMap<&String, NaiveDate> =
                days.iter().map(|(c, v)| (c, *v.last().unwrap())).collect();
            let pt = last[&PHUOC_THANH.to_string()];
            for (c, l) in &last {
                if c.as_str() != PHUOC_THANH {
                    assert!(*l > pt, "{c} ends {l}, Phước Thạnh {pt}");
                }
            }
            let clean = last.values().filter(|l| **l <= d("2021-09-15")).count();
            assert!(clean >= 17, "{clean} of 21 clean after 15 September");
        }
    }

    #[test]
    fn exactly_one_commune_re_emerges_after_14_clean_days() {
        let o = ob();
        let days = community_days(o);
        let re: Vec<&String> = days
            .iter()
            .filter(|(_, v)| v.windows(2).any(|w| (w[1] - w[0]).num_days() >= 15))
            .map(|(c, _)| c)
            .collect();
        assert_eq!(re.len(), 1, "{re:?}");
        assert_eq!(Some(re[0]), o.re_emergence.as_ref());
        let v = &days[re[0]];
        let l = *v.last().unwrap();
        assert!(l >= d("2021-09-20"), "re-emergence on {l}");
    }

    #[test]
    fn rounds_cover_85_to_98_percent_of_each_commune_in_pools_within_limits() {
        let o = ob();
        assert!(o.rounds.len() >= 3);
        for w in o.rounds.windows(2) {
            assert_eq!((w[1].day - w[0].day).num_days(), 3);
        }
        let mut sizes = 0usize;
        let mut pools = 0usize;
        for r in &o.rounds {
            let mut per = vec![0u32; o.communes.len()];
            let mut seen = BTreeSet::new();
            let mut codes = BTreeSet::new();
            for s in &r.samples {
                assert!(codes.insert(s.code.clone()));
                let limit = if s.high_risk {
                    POOL_LIMIT_HIGH_RISK
                } else {
                    POOL_LIMIT
                };
                assert!(
                    !s.members.is_empty() && s.members.len() <= limit,
                    "{}",
                    s.code
                );
                for &p in &s.members {
                    assert!(seen.insert(p), "person sampled twice in round {}", r.number);
                    per[o.person_commune[p as usize] as usize] += 1;
                }
                sizes += s.members.len();
                pools += 1;
            }
            for (c, n) in per.iter().enumerate() {
                let pct = f64::from(*n) * 100.0 / f64::from(o.commune_people[c]);
                assert!(
                    (85.0..=98.0).contains(&pct),
                    "round {} commune {}: {pct:.1} %",
                    r.number,
                    o.communes[c]
                );
            }
            // A positive pool: every member retested, the infected one positive.
            for s in r.samples.iter().filter(|s| s.positive) {
                let rt: Vec<_> = r.retests.iter().filter(|t| t.pool_code == s.code).collect();
                assert_eq!(rt.len(), s.members.len());
                assert!(rt.iter().any(|t| t.positive));
            }
            assert!(r
                .samples
                .iter()
                .all(|s| s.positive || r.retests.iter().all(|t| t.pool_code != s.code)));
        }
        let mean = sizes as f64 / pools as f64;
        assert!((3.3..=4.8).contains(&mean), "{mean:.2} people a pool");
        // Every case detected by screening has a positive retest in its round.
        for c in &o.cases {
            if let Detection::Screening { round, retest_code } = &c.detection {
                let r = &o.rounds[*round as usize - 1];
                let t = r.retests.iter().find(|t| &t.code == retest_code).unwrap();
                assert!(t.positive && t.person == c.person);
                assert!(c.confirmed_on > r.day);
            }
        }
        assert!(o
            .cases
            .iter()
            .any(|c| matches!(c.detection, Detection::Screening { .. })));
    }

    #[test]
    fn cases_and_contacts_are_plausible() {
        let o = ob();
        let n = |s: Source| o.cases.iter().filter(|c| c.source == s).count();
        let (com, inq, imp) = (
            n(Source::Community),
            n(Source::InQuarantine),
            n(Source::Imported),
        );
        assert!((120..=450).contains(&com), "{com} community cases");
        assert!(inq >= 20, "{inq} found in quarantine");
        assert!((3..=10).contains(&imp), "{imp} imported");
        let august = o
            .cases
            .iter()
            .filter(|c| c.confirmed_on < d("2021-09-01"))
            .count();
        assert!(august * 2 > o.cases.len(), "most cases in August");
        let mut people = BTreeSet::new();
        for (i, c) in o.cases.iter().enumerate() {
            assert!(people.insert(c.person), "a person is one case");
            let f1 = o.contacts[c.contacts.clone()]
                .iter()
                .filter(|k| k.level == 1)
                .count();
            match c.source {
                Source::InQuarantine => {
                    assert!(f1 <= 3);
                    let k = &o.contacts[c.from_contact.unwrap()];
                    assert_eq!(k.became_case, Some(i));
                    assert!(k.exposure <= c.confirmed_on && c.confirmed_on <= k.end);
                }
                _ => assert!(f1 <= 10),
            }
        }
        let f1 = o.contacts.iter().filter(|k| k.level == 1).count();
        let f2 = o.contacts.iter().filter(|k| k.level == 2).count();
        let sources = o
            .cases
            .iter()
            .filter(|c| c.source != Source::InQuarantine)
            .count();
        let per = f1 as f64 / sources as f64;
        assert!((3.0..=10.0).contains(&per), "{per:.1} F1 a case");
        assert!(f2 > 0 && f2 < f1, "{f2} F2, {f1} F1");
        let mut seen = BTreeSet::new();
        for (i, k) in o.contacts.iter().enumerate() {
            assert!(seen.insert(k.person), "nobody is a contact twice");
            match k.from {
                ContactFrom::Case(c) => {
                    assert!(k.level == 1 && o.cases[c].confirmed_on >= k.exposure)
                }
                ContactFrom::Contact(j) => {
                    assert!(k.level == 2 && j < i && o.contacts[j].level == 1)
                }
            }
            assert_eq!(
                (k.end - k.exposure).num_days(),
                if k.level == 1 { 13 } else { 6 }
            );
        }
        // Community cases are never contacts.
        for c in o.cases.iter().filter(|c| c.source == Source::Community) {
            assert!(!seen.contains(&c.person));
        }
    }

    /// Prints the numbers of the demo: `cargo test -p vx-gen --test gen outbreak_numbers -- --nocapture --ignored`.
    #[test]
    #[ignore]
    fn outbreak_numbers() {
        let o = ob();
        let days = community_days(o);
        for (c, v) in &days {
            let mut weeks = BTreeMap::new();
            for day in v {
                *weeks
                    .entry((*day - d("2021-08-01")).num_days() / 7)
                    .or_insert(0) += 1;
            }
            let w: Vec<String> = (0..14)
                .map(|i| weeks.get(&i).copied().unwrap_or(0).to_string())
                .collect();
            println!("{c} last {} weeks {}", v.last().unwrap(), w.join(" "));
        }
        let n = |s: Source| o.cases.iter().filter(|c| c.source == s).count();
        println!(
            "cases: community {}, in quarantine {}, imported {}; re-emergence {:?}",
            n(Source::Community),
            n(Source::InQuarantine),
            n(Source::Imported),
            o.re_emergence
        );
        let f1 = o.contacts.iter().filter(|k| k.level == 1).count();
        println!("F1 {f1}, F2 {}", o.contacts.len() - f1);
        for r in &o.rounds {
            let m: usize = r.samples.iter().map(|s| s.members.len()).sum();
            println!(
                "round {} {}: {} samples, {m} people, {} positive pools, {} retests",
                r.number,
                r.day,
                r.samples.len(),
                r.samples.iter().filter(|s| s.positive).count(),
                r.retests.len()
            );
        }
    }
}
