//! A registry file with duplicates in it, as years of registrations at many missions leave it:
//! the same person registered again with a typo, without diacritics, a renewed passport, a new
//! phone, the province under its new name… For deduplication benchmarks.

use crate::list::{osa, title_case, typo};
use crate::{MERGER_DATE, SynthPerson, date};
use baoho_domain::date::PartialDate;
use baoho_domain::refdata;
use baoho_domain::text::{fold, nfc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// `people` plus, for a share `dup_share` of them, one to three duplicate records (ids
/// `D0000001`…), shuffled; and the truth `(record id, person id)` for every record: records with
/// the same person id are the same person. A duplicate may have an empty `national_id`.
pub fn make_duplicates(
    people: &[SynthPerson],
    dup_share: f64,
    seed: u64,
) -> (Vec<SynthPerson>, Vec<(String, String)>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6475_7065_0000_0001);
    let mut passports: HashSet<String> = people.iter().filter_map(|p| p.passport.clone()).collect();
    let mut out: Vec<(SynthPerson, String)> =
        people.iter().map(|p| (p.clone(), p.id.clone())).collect();
    let mut next = 1u64;
    for p in people {
        if !rng.random_bool(dup_share.clamp(0.0, 1.0)) {
            continue;
        }
        let copies = match rng.random::<f64>() {
            r if r < 0.75 => 1,
            r if r < 0.95 => 2,
            _ => 3,
        };
        for _ in 0..copies {
            let d = duplicate(&mut rng, p, format!("D{next:07}"), &mut passports);
            next += 1;
            out.push((d, p.id.clone()));
        }
    }
    out.shuffle(&mut rng);
    let truth = out
        .iter()
        .map(|(r, pid)| (r.id.clone(), pid.clone()))
        .collect();
    (out.into_iter().map(|(r, _)| r).collect(), truth)
}

/// A name part retyped: title case, without diacritics when `strip`.
fn retype(s: &str, strip: bool) -> String {
    let base = if strip {
        fold(s)
    } else {
        nfc(&s.to_lowercase())
    };
    base.split(' ')
        .map(title_case)
        .collect::<Vec<_>>()
        .join(" ")
}

fn duplicate(
    rng: &mut impl Rng,
    p: &SynthPerson,
    id: String,
    passports: &mut HashSet<String>,
) -> SynthPerson {
    let mut d = p.clone();
    d.id = id;
    // Name: typed again, sometimes without diacritics, a typo, the middle name left out.
    let strip = rng.random_bool(0.15);
    if rng.random_bool(0.08) {
        d.middle_names.clear();
    }
    d.family_name = retype(&d.family_name, strip);
    d.middle_names = d.middle_names.iter().map(|m| retype(m, strip)).collect();
    d.given_name = retype(&d.given_name, strip);
    if rng.random_bool(0.15) {
        let mut parts: Vec<String> = std::iter::once(d.family_name.to_lowercase())
            .chain(d.middle_names.iter().map(|m| m.to_lowercase()))
            .chain([d.given_name.to_lowercase()])
            .collect();
        typo(rng, &mut parts);
        let n = parts.len();
        d.family_name = title_case(&parts[0]);
        d.middle_names = parts[1..n - 1].iter().map(|m| title_case(m)).collect();
        d.given_name = title_case(&parts[n - 1]);
    }
    // Date of birth: day and month swapped, one digit off, or only the year.
    let (y, m, dd) = (p.dob.year, p.dob.month.unwrap_or(1), p.dob.day.unwrap_or(1));
    let r = rng.random::<f64>();
    if r < 0.06 && dd <= 12 && dd != m {
        d.dob = date(y, dd, m);
    } else if r < 0.10 {
        let ny = if rng.random_bool(0.5) { y + 1 } else { y - 1 };
        if PartialDate::new(ny, Some(m), Some(dd)).is_ok() {
            d.dob = date(ny, m, dd);
        }
    } else if r < 0.14 {
        d.dob = PartialDate {
            year: y,
            month: None,
            day: None,
        };
    }
    // Registered again later: the province may now carry its post-2025 name.
    let after = rng.random_bool(0.4);
    d.registered = if after {
        date(2025, rng.random_range(7..=12), rng.random_range(1..=28))
    } else {
        let y = rng.random_range(p.registered.year.min(2025)..=2025);
        let m = if y == MERGER_DATE.0 {
            rng.random_range(1..=6)
        } else {
            rng.random_range(1..=12)
        };
        date(y, m, rng.random_range(1..=28))
    };
    if after && let Some(newp) = refdata::merged_into(&p.province_code) {
        d.hometown = newp.short_vi.clone();
    } else if let Some(old) = refdata::old_province(&p.province_code) {
        d.hometown = old.short_vi.clone();
    }
    if strip {
        d.hometown = retype(&d.hometown, true);
    }
    // Documents: a renewed passport, none given, the citizen id left out.
    let r = rng.random::<f64>();
    if r < 0.35 {
        d.passport = loop {
            let pp = format!("P{:07}", rng.random_range(0..10_000_000u32));
            if passports.insert(pp.clone()) {
                break Some(pp);
            }
        };
    } else if r < 0.50 {
        d.passport = None;
    }
    if rng.random_bool(0.25) {
        d.national_id = String::new();
    }
    if rng.random_bool(0.5) {
        d.phone = format!("+849{:08}", rng.random_range(0..100_000_000u32));
    }
    if rng.random_bool(0.3) {
        d.address = crate::random_address(rng, &d.hometown);
    }
    debug_assert!(osa(&fold(&d.family_name), &fold(&p.family_name)) <= 2);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Generator;
    use baoho_domain::text::is_nfc;
    use std::collections::HashMap;

    #[test]
    fn duplicates_and_truth() {
        let people = Generator::new(3).registry(5_000);
        let (recs, truth) = make_duplicates(&people, 0.2, 7);
        assert_eq!(recs.len(), truth.len());
        let extra = recs.len() - people.len();
        assert!((1_000..1_500).contains(&extra), "{extra}");
        let ids: HashSet<&str> = recs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), recs.len());
        let by_id: HashMap<&str, &SynthPerson> =
            people.iter().map(|p| (p.id.as_str(), p)).collect();
        for (r, (rid, pid)) in recs.iter().zip(&truth) {
            assert_eq!(&r.id, rid);
            let Some(p) = by_id.get(pid.as_str()) else {
                panic!("unknown person {pid}")
            };
            assert_eq!(r.sex, p.sex);
            assert_eq!(r.province_code, p.province_code);
            assert!(is_nfc(&r.full_name()));
            assert!(r.national_id.is_empty() || r.national_id == p.national_id);
        }
        let pps: Vec<&str> = recs.iter().filter_map(|r| r.passport.as_deref()).collect();
        let set: HashSet<&str> = pps.iter().copied().collect();
        // Duplicates that kept their passport share it with the original, nothing else does.
        assert!(set.len() < pps.len());
        let a = make_duplicates(&people[..200], 0.3, 1);
        let b = make_duplicates(&people[..200], 0.3, 1);
        assert_eq!(a, b);
    }
}
