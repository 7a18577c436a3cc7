//! baoho-gen: Baoho's own synthetic data generator.
//!
//! Everything here is invented: names are drawn from frequency tables, numbers at random, so no
//! record describes a real person. Output is deterministic for a seed (ChaCha8).
//!
//! - [`Generator`] makes [`SynthPerson`]s: realistic Vietnamese names (family-name shares as in
//!   the population, skewed middle and given names by sex), sex, date of birth (ages 16–70,
//!   mostly 20–40 as for migrant workers), home province (pre-2025 name for records registered
//!   before 1 July 2025, the post-merger name after), passport, 12-digit citizen id (CCCD)
//!   consistent with province, sex and date of birth, phone and address.
//! - [`make_list`] types a deportee list from a registry the way a foreign government would:
//!   upper case, no diacritics, Western name order, typos, romanisation confusions, broken
//!   dates, misread passport numbers; it returns the list and the [`Truth`], which records which
//!   corruptions were applied to each row ([`Applied`]).
//! - [`ceiling()`] is the generous oracle: how many rows a perfect matcher could settle at all.
//! - [`write_registry`], [`write_list`], [`write_truth`] write the CSV files `baoho gen` makes.

mod ceiling;
mod dupes;
mod list;
mod names;
mod out;

use baoho_domain::date::{PartialDate, days_in_month};
use baoho_domain::refdata::{self, OldProvince};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::LazyLock;

pub use ceiling::{Ceiling, ceiling};
pub use dupes::make_duplicates;
pub use list::{
    Applied, DobForm, DocForm, HometownForm, ListConfig, ListRow, Truth, make_list, make_list_with,
};
pub use out::{write_clusters, write_list, write_registry, write_truth};

/// The day ages are counted from, fixed so that output does not depend on the clock.
pub const REFERENCE_YEAR: u16 = 2026;

/// The day the 2025 province merger took effect (Resolution 202/2025/QH15).
pub const MERGER_DATE: (u16, u8, u8) = (2025, 7, 1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "F")]
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }
}

/// One synthetic person as the registry of citizens abroad holds them. All strings are NFC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthPerson {
    /// Registry id, `R0000001`… (`X…` for people made outside the registry).
    pub id: String,
    /// One syllable (`Nguyễn`).
    pub family_name: String,
    /// Zero, one or two syllables (`Văn`, `Thị Thu`).
    pub middle_names: Vec<String>,
    /// One syllable (`Hùng`).
    pub given_name: String,
    pub sex: Sex,
    /// Always a full date.
    pub dob: PartialDate,
    /// Two-digit code of the home province in the pre-2025 list (also the CCCD prefix).
    pub province_code: String,
    /// Home province as the record names it: the pre-2025 short name for records registered
    /// before 1 July 2025, the post-merger one after.
    pub hometown: String,
    /// Date the record was registered (decides the province naming).
    pub registered: PartialDate,
    /// Letter + 7 digits (`C1234567`); about one person in eight has none.
    pub passport: Option<String>,
    /// Citizen identity number (CCCD), 12 digits: `0` + province code, century/sex digit, two
    /// digits of the birth year, six random digits.
    pub national_id: String,
    /// `+84` and a 9-digit mobile number.
    pub phone: String,
    /// Home address in Vietnam.
    pub address: String,
}

impl SynthPerson {
    /// `Family Middle… Given`, the Vietnamese order.
    pub fn full_name(&self) -> String {
        let mut s = self.family_name.clone();
        for m in &self.middle_names {
            s.push(' ');
            s.push_str(m);
        }
        s.push(' ');
        s.push_str(&self.given_name);
        s
    }

    /// The new (post-2025) province code of the home province.
    pub fn new_province_code(&self) -> Option<&'static str> {
        refdata::merged_into(&self.province_code).map(|p| p.code.as_str())
    }
}

/// A cumulative-weight table for fast weighted picks.
struct Table<T: 'static> {
    items: Vec<T>,
    cum: Vec<f64>,
}

impl<T: Copy> Table<T> {
    fn new(pairs: impl IntoIterator<Item = (T, f64)>) -> Self {
        let mut items = Vec::new();
        let mut cum = Vec::new();
        let mut acc = 0.0;
        for (t, w) in pairs {
            acc += w;
            items.push(t);
            cum.push(acc);
        }
        Self { items, cum }
    }

    fn pick(&self, rng: &mut impl Rng) -> T {
        let total = self.cum.last().copied().unwrap_or(0.0);
        let r = rng.random::<f64>() * total;
        let i = self
            .cum
            .partition_point(|&c| c <= r)
            .min(self.items.len() - 1);
        self.items[i]
    }
}

/// Zipf–Mandelbrot weights by rank: `1 / (rank + q)`.
fn rank_weights<'a>(names: &'a [&'a str], q: f64) -> impl Iterator<Item = (&'a str, f64)> + 'a {
    names
        .iter()
        .enumerate()
        .map(move |(i, n)| (*n, 1.0 / (i as f64 + q)))
}

/// Relative weight of a pre-2025 province as a home province of people abroad: population in
/// thousands (2019 census, rounded), tripled for the provinces most labour migrants come from
/// (north-central coast and the Red River delta), halved for the two big cities.
fn province_weight(code: &str) -> f64 {
    let pop = match code {
        "01" => 8054.0,
        "02" => 854.0,
        "04" => 530.0,
        "06" => 314.0,
        "08" => 785.0,
        "10" => 731.0,
        "11" => 599.0,
        "12" => 460.0,
        "14" => 1248.0,
        "15" => 822.0,
        "17" => 854.0,
        "19" => 1287.0,
        "20" => 782.0,
        "22" => 1320.0,
        "24" => 1804.0,
        "25" => 1464.0,
        "26" => 1152.0,
        "27" => 1369.0,
        "30" => 1893.0,
        "31" => 2029.0,
        "33" => 1253.0,
        "34" => 1861.0,
        "35" => 853.0,
        "36" => 1781.0,
        "37" => 983.0,
        "38" => 3641.0,
        "40" => 3328.0,
        "42" => 1289.0,
        "44" => 896.0,
        "45" => 633.0,
        "46" => 1129.0,
        "48" => 1135.0,
        "49" => 1496.0,
        "51" => 1232.0,
        "52" => 1487.0,
        "54" => 873.0,
        "56" => 1232.0,
        "58" => 591.0,
        "60" => 1231.0,
        "62" => 540.0,
        "64" => 1514.0,
        "66" => 1869.0,
        "67" => 622.0,
        "68" => 1297.0,
        "70" => 995.0,
        "72" => 1169.0,
        "74" => 2426.0,
        "75" => 3097.0,
        "77" => 1148.0,
        "79" => 8993.0,
        "80" => 1689.0,
        "82" => 1765.0,
        "83" => 1289.0,
        "84" => 1009.0,
        "86" => 1023.0,
        "87" => 1600.0,
        "89" => 1908.0,
        "91" => 1724.0,
        "92" => 1236.0,
        "93" => 733.0,
        "94" => 1200.0,
        "95" => 907.0,
        "96" => 1194.0,
        _ => 1000.0,
    };
    let factor = match code {
        "38" | "40" | "42" | "44" | "45" | "30" | "24" | "36" | "34" | "33" | "37" | "25"
        | "31" => 3.0,
        "01" | "79" => 0.5,
        _ => 1.0,
    };
    pop * factor
}

struct Tables {
    family: Table<&'static str>,
    middle_m: Table<&'static str>,
    middle_f: Table<&'static str>,
    given_m: Table<&'static str>,
    given_f: Table<&'static str>,
    provinces: Table<&'static OldProvince>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let tail_norm: f64 = (0..names::FAMILY_TAIL.len())
        .map(|i| 1.0 / (i as f64 + 3.0))
        .sum();
    let family = Table::new(
        names::FAMILY.iter().copied().chain(
            rank_weights(names::FAMILY_TAIL, 3.0)
                .map(|(n, w)| (n, w / tail_norm * names::FAMILY_TAIL_SHARE)),
        ),
    );
    Tables {
        family,
        middle_m: Table::new(names::MIDDLE_MALE.iter().copied()),
        middle_f: Table::new(names::MIDDLE_FEMALE.iter().copied()),
        given_m: Table::new(rank_weights(names::GIVEN_MALE, 5.0)),
        given_f: Table::new(rank_weights(names::GIVEN_FEMALE, 5.0)),
        provinces: Table::new(
            refdata::old_provinces()
                .iter()
                .map(|p| (p, province_weight(&p.code))),
        ),
    }
});

/// Mobile prefixes after `+84` (the first two of the nine national digits).
const MOBILE_PREFIXES: &[&str] = &[
    "32", "33", "34", "35", "36", "37", "38", "39", "56", "58", "59", "70", "76", "77", "78", "79",
    "81", "82", "83", "84", "85", "86", "88", "89", "90", "91", "93", "94", "96", "97", "98", "99",
];

/// Deterministic maker of synthetic people.
pub struct Generator {
    rng: ChaCha8Rng,
    prefix: char,
    next_id: u64,
    passports: HashSet<String>,
    national_ids: HashSet<String>,
}

impl Generator {
    /// A generator whose people get ids `R0000001`, `R0000002`…
    pub fn new(seed: u64) -> Self {
        Self::with_prefix(seed, 'R')
    }

    /// A generator with another id prefix (people outside the registry use `X`).
    pub fn with_prefix(seed: u64, prefix: char) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            prefix,
            next_id: 1,
            passports: HashSet::new(),
            national_ids: HashSet::new(),
        }
    }

    /// Never issue these document numbers again (so that people made by another generator do
    /// not share a passport or citizen id with the registry).
    pub fn reserve_documents<'a>(&mut self, people: impl IntoIterator<Item = &'a SynthPerson>) {
        for p in people {
            if let Some(pp) = &p.passport {
                self.passports.insert(pp.clone());
            }
            self.national_ids.insert(p.national_id.clone());
        }
    }

    /// The random source, for callers that need more draws from the same stream.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// `n` people with ids in order.
    pub fn registry(&mut self, n: usize) -> Vec<SynthPerson> {
        (0..n).map(|_| self.person()).collect()
    }

    /// One new person.
    pub fn person(&mut self) -> SynthPerson {
        let t = &*TABLES;
        let id = format!("{}{:07}", self.prefix, self.next_id);
        self.next_id += 1;
        let rng = &mut self.rng;

        let sex = if rng.random_bool(0.58) {
            Sex::Male
        } else {
            Sex::Female
        };
        let family_name = t.family.pick(rng).to_owned();
        let (middle, second, given, p_none, p_two) = match sex {
            Sex::Male => (
                &t.middle_m,
                names::SECOND_MIDDLE_MALE,
                &t.given_m,
                0.03,
                0.05,
            ),
            Sex::Female => (
                &t.middle_f,
                names::SECOND_MIDDLE_FEMALE,
                &t.given_f,
                0.02,
                0.08,
            ),
        };
        let given_name = given.pick(rng).to_owned();
        let mut middle_names = Vec::new();
        let r = rng.random::<f64>();
        if r >= p_none {
            let first = middle.pick(rng);
            middle_names.push(first.to_owned());
            if r < p_none + p_two {
                let s = second[rng.random_range(0..second.len())];
                if s != first && s != given_name {
                    middle_names.push(s.to_owned());
                }
            }
        }

        // Age: 12 % 16–19, 63 % 20–40 (triangular, peak near 27), 25 % 41–70 (thinning).
        let r = rng.random::<f64>();
        let age: u16 = if r < 0.12 {
            rng.random_range(16..=19)
        } else if r < 0.75 {
            let a = rng.random::<f64>();
            let b = rng.random::<f64>();
            // Triangular on [20, 40] with mode 27.
            let u = (a + b) / 2.0;
            let v = if u < 0.5 {
                20.0 + u * 14.0
            } else {
                27.0 + (u - 0.5) * 26.0
            };
            (v.round() as u16).clamp(20, 40)
        } else {
            let u = rng.random::<f64>();
            41 + (u.powf(1.8) * 30.0) as u16
        };
        let year = REFERENCE_YEAR - 1 - age;
        let dob = random_date_in_year(rng, year);

        let prov = t.provinces.pick(rng);
        // Registered: a quarter of the records after the merger, the rest 2012 – June 2025
        // (never before the person turned 16).
        let earliest = (dob.year + 16).max(2012);
        let registered = if rng.random_bool(0.25) || earliest > 2025 {
            let m = rng.random_range(7..=12);
            date(2025, m, rng.random_range(1..=days_in_month(2025, m)))
        } else {
            loop {
                let y = rng.random_range(earliest..=2025);
                let d = random_date_in_year(rng, y);
                if (d.year, d.month, d.day)
                    < (MERGER_DATE.0, Some(MERGER_DATE.1), Some(MERGER_DATE.2))
                {
                    break d;
                }
            }
        };
        let after_merger = (registered.year, registered.month, registered.day)
            >= (MERGER_DATE.0, Some(MERGER_DATE.1), Some(MERGER_DATE.2));
        let hometown = if after_merger {
            refdata::province(&prov.new_code)
                .map_or_else(|| prov.short_vi.clone(), |p| p.short_vi.clone())
        } else {
            prov.short_vi.clone()
        };

        let passport = if rng.random_bool(0.88) {
            loop {
                let r = rng.random::<f64>();
                let letter = if r < 0.60 {
                    'C'
                } else if r < 0.80 {
                    'P'
                } else if r < 0.92 {
                    'N'
                } else {
                    'B'
                };
                let pp = format!("{letter}{:07}", rng.random_range(0..10_000_000u32));
                if self.passports.insert(pp.clone()) {
                    break Some(pp);
                }
            }
        } else {
            None
        };

        let century_sex = match (dob.year >= 2000, sex) {
            (false, Sex::Male) => 0,
            (false, Sex::Female) => 1,
            (true, Sex::Male) => 2,
            (true, Sex::Female) => 3,
        };
        let national_id = loop {
            let nid = format!(
                "0{}{}{:02}{:06}",
                prov.code,
                century_sex,
                dob.year % 100,
                rng.random_range(0..1_000_000u32)
            );
            if self.national_ids.insert(nid.clone()) {
                break nid;
            }
        };

        let phone = format!(
            "+84{}{:07}",
            MOBILE_PREFIXES[rng.random_range(0..MOBILE_PREFIXES.len())],
            rng.random_range(0..10_000_000u32)
        );
        let address = random_address(rng, &hometown);

        SynthPerson {
            id,
            family_name,
            middle_names,
            given_name,
            sex,
            dob,
            province_code: prov.code.clone(),
            hometown,
            registered,
            passport,
            national_id,
            phone,
            address,
        }
    }
}

fn date(y: u16, m: u8, d: u8) -> PartialDate {
    PartialDate {
        year: y,
        month: Some(m),
        day: Some(d),
    }
}

fn random_date_in_year(rng: &mut impl Rng, year: u16) -> PartialDate {
    let m = rng.random_range(1..=12u8);
    let d = rng.random_range(1..=days_in_month(year, m));
    date(year, m, d)
}

pub(crate) fn random_address(rng: &mut impl Rng, province: &str) -> String {
    fn pick(rng: &mut impl Rng, xs: &[&'static str]) -> &'static str {
        xs[rng.random_range(0..xs.len())]
    }
    let r = rng.random::<f64>();
    if r < 0.35 {
        let n = rng.random_range(1..=250u32);
        let street = pick(rng, names::STREETS);
        let ward = pick(rng, names::LOCALITIES);
        format!("Số {n} {street}, phường {ward}, {province}")
    } else if r < 0.75 {
        let thon = pick(rng, names::LOCALITIES);
        let xa = pick(rng, names::LOCALITIES);
        format!("Thôn {thon}, xã {xa}, {province}")
    } else {
        let xom = rng.random_range(1..=15u32);
        let xa = pick(rng, names::LOCALITIES);
        format!("Xóm {xom}, xã {xa}, {province}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baoho_domain::text::is_nfc;
    use std::collections::HashMap;

    fn share<F: Fn(&SynthPerson) -> bool>(people: &[SynthPerson], f: F) -> f64 {
        people.iter().filter(|p| f(p)).count() as f64 / people.len() as f64
    }

    #[test]
    fn frequencies_on_100k() {
        let people = Generator::new(7).registry(100_000);
        let fam = |n: &'static str| move |p: &SynthPerson| p.family_name == n;
        let expect = [
            ("Nguyễn", 0.38, 0.01),
            ("Trần", 0.11, 0.005),
            ("Lê", 0.095, 0.005),
            ("Phạm", 0.07, 0.004),
            ("Hoàng", 0.05, 0.004),
            ("Huỳnh", 0.05, 0.004),
            ("Phan", 0.045, 0.004),
            ("Đặng", 0.021, 0.003),
            ("Bùi", 0.02, 0.003),
            ("Đỗ", 0.014, 0.002),
            ("Hồ", 0.013, 0.002),
            ("Ngô", 0.013, 0.002),
            ("Dương", 0.01, 0.002),
            ("Lý", 0.005, 0.0015),
        ];
        for (name, want, tol) in expect {
            let got = share(&people, fam(name));
            assert!((got - want).abs() < tol, "{name}: {got} vs {want}");
        }
        let vu_vo = share(&people, |p| p.family_name == "Vũ" || p.family_name == "Võ");
        assert!((vu_vo - 0.039).abs() < 0.004, "Vũ+Võ {vu_vo}");
        // A long tail exists.
        let tail: HashSet<&str> = people.iter().map(|p| p.family_name.as_str()).collect();
        assert!(tail.len() > 50);

        let men: Vec<&SynthPerson> = people.iter().filter(|p| p.sex == Sex::Male).collect();
        let women: Vec<&SynthPerson> = people.iter().filter(|p| p.sex == Sex::Female).collect();
        let van = men
            .iter()
            .filter(|p| p.middle_names.first().is_some_and(|m| m == "Văn"))
            .count() as f64
            / men.len() as f64;
        let thi = women
            .iter()
            .filter(|p| p.middle_names.first().is_some_and(|m| m == "Thị"))
            .count() as f64
            / women.len() as f64;
        assert!((0.35..0.55).contains(&van), "Văn {van}");
        assert!((0.45..0.65).contains(&thi), "Thị {thi}");
        let no_middle = share(&people, |p| p.middle_names.is_empty());
        let two_middle = share(&people, |p| p.middle_names.len() == 2);
        assert!((0.01..0.05).contains(&no_middle), "{no_middle}");
        assert!((0.03..0.10).contains(&two_middle), "{two_middle}");

        // Given names: skewed, a few hundred distinct, the top one a few per cent.
        let mut given: HashMap<(&str, Sex), usize> = HashMap::new();
        for p in &people {
            *given.entry((p.given_name.as_str(), p.sex)).or_default() += 1;
        }
        assert!(given.len() > 250, "{}", given.len());
        let top = given.values().max().copied().unwrap_or(0) as f64 / people.len() as f64;
        assert!((0.015..0.06).contains(&top), "top given {top}");

        // Ages 16–70, most 20–40.
        let ages: Vec<u16> = people
            .iter()
            .map(|p| REFERENCE_YEAR - 1 - p.dob.year)
            .collect();
        assert!(ages.iter().all(|a| (16..=70).contains(a)));
        let core =
            ages.iter().filter(|a| (20..=40).contains(*a)).count() as f64 / ages.len() as f64;
        assert!((0.55..0.75).contains(&core), "{core}");

        let men_share = men.len() as f64 / people.len() as f64;
        assert!((0.55..0.61).contains(&men_share));
        let with_pp = share(&people, |p| p.passport.is_some());
        assert!((0.86..0.90).contains(&with_pp));
        // Migrant provinces are over-represented: Nghệ An beats Hà Nội.
        let na = share(&people, |p| p.province_code == "40");
        let hn = share(&people, |p| p.province_code == "01");
        assert!(na > hn && na > 0.05, "{na} {hn}");
    }

    #[test]
    fn ids_valid_and_consistent() {
        let people = Generator::new(11).registry(20_000);
        let mut pps = HashSet::new();
        let mut nids = HashSet::new();
        for p in &people {
            let nid = p.national_id.as_bytes();
            assert_eq!(nid.len(), 12);
            assert!(nid.iter().all(u8::is_ascii_digit));
            assert_eq!(&p.national_id[..3], format!("0{}", p.province_code));
            let cs = nid[3] - b'0';
            let want = match (p.dob.year >= 2000, p.sex) {
                (false, Sex::Male) => 0,
                (false, Sex::Female) => 1,
                (true, Sex::Male) => 2,
                (true, Sex::Female) => 3,
            };
            assert_eq!(cs, want);
            assert_eq!(&p.national_id[4..6], format!("{:02}", p.dob.year % 100));
            assert!(nids.insert(p.national_id.clone()));
            if let Some(pp) = &p.passport {
                let b = pp.as_bytes();
                assert_eq!(b.len(), 8);
                assert!(matches!(b[0], b'B' | b'C' | b'N' | b'P'));
                assert!(b[1..].iter().all(u8::is_ascii_digit));
                assert!(pps.insert(pp.clone()));
            }
            assert!(p.phone.starts_with("+84") && p.phone.len() == 12);
            assert!(p.phone[3..].bytes().all(|b| b.is_ascii_digit()));
            assert!(PartialDate::new(p.dob.year, p.dob.month, p.dob.day).is_ok());
            assert!(p.dob.day.is_some());
            assert!(refdata::old_province(&p.province_code).is_some());
            assert!(p.new_province_code().is_some());
            // Hometown named as of the registration date.
            let old = refdata::old_province(&p.province_code).map(|o| o.short_vi.clone());
            let new = refdata::merged_into(&p.province_code).map(|o| o.short_vi.clone());
            let after = (p.registered.year, p.registered.month) >= (2025, Some(7));
            if after {
                assert_eq!(Some(&p.hometown), new.as_ref());
            } else {
                assert_eq!(Some(&p.hometown), old.as_ref());
            }
            assert!(p.registered.year >= p.dob.year + 16 || p.registered.year == 2025);
            assert!(p.id.starts_with('R'));
        }
        let recent = share(&people, |p| {
            (p.registered.year, p.registered.month) >= (2025, Some(7))
        });
        assert!((0.2..0.35).contains(&recent), "{recent}");
    }

    #[test]
    fn deterministic_by_seed() {
        let a = Generator::new(42).registry(500);
        let b = Generator::new(42).registry(500);
        let c = Generator::new(43).registry(500);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn every_string_is_nfc() {
        let people = Generator::new(3).registry(5_000);
        for p in &people {
            for s in [
                &p.family_name,
                &p.given_name,
                &p.hometown,
                &p.address,
                &p.full_name(),
            ] {
                assert!(is_nfc(s), "{s}");
            }
            for m in &p.middle_names {
                assert!(is_nfc(m));
            }
        }
        for table in [
            names::GIVEN_MALE,
            names::GIVEN_FEMALE,
            names::FAMILY_TAIL,
            names::STREETS,
        ] {
            for n in table {
                assert!(is_nfc(n), "{n}");
            }
        }
    }

    #[test]
    fn name_tables_have_no_duplicates_and_single_syllables() {
        for table in [names::GIVEN_MALE, names::GIVEN_FEMALE, names::FAMILY_TAIL] {
            let set: HashSet<&&str> = table.iter().collect();
            assert_eq!(set.len(), table.len());
            assert!(table.iter().all(|n| !n.contains(' ')));
        }
        let fam: HashSet<&str> = names::FAMILY.iter().map(|(n, _)| *n).collect();
        assert!(names::FAMILY_TAIL.iter().all(|n| !fam.contains(n)));
        assert!(names::GIVEN_MALE.len() + names::GIVEN_FEMALE.len() >= 300);
    }
}
