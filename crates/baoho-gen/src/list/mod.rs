//! A deportee list as a foreign government types it, made from registry people (and people the
//! registry does not hold), with the truth and the record of every corruption applied.

mod corrupt;
mod spelling;

pub(crate) use spelling::{compare_tokens, osa, romanise_variants, title_case, typo};

use crate::{Generator, SynthPerson};
use corrupt::corrupt;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One row of a foreign list. `None` = the column is empty for this row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    /// `L000001`…
    pub list_id: String,
    pub full_name: String,
    pub dob: Option<String>,
    pub sex: Option<String>,
    pub hometown: Option<String>,
    pub passport: Option<String>,
    pub national_id: Option<String>,
}

/// How the date of birth was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DobForm {
    /// The full date, correct (in one of several formats).
    Exact,
    /// Only the year is right: `1990` or `01/01/1990`.
    YearOnly,
    /// Day and month swapped (only applied where the result is a valid, different date).
    Swapped,
    /// One digit of `YYYYMMDD` changed (the result is a valid date).
    DigitOff,
    Missing,
}

/// How the home province was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HometownForm {
    /// Pre-2025 province name.
    Old,
    /// Post-2025 province name.
    New,
    Missing,
}

/// How a document number was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocForm {
    Exact,
    /// One character misread (0/O, 1/I, 5/S, 8/B, 2/Z, 6/G) or one digit off.
    Misread,
    Missing,
}

/// Every corruption applied to one list row: what the oracle ([`crate::ceiling()`]) knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The name kept its diacritics (compared in lower-case NFC rather than folded).
    pub diacritics_kept: bool,
    /// Western order: middle and given names first, family name last.
    pub family_last: bool,
    /// `FAMILY, MIDDLE GIVEN`.
    pub comma: bool,
    pub middle_dropped: bool,
    /// A romanisation confusion (y/i, ph/f, tr/ch, d/gi/z, ng/n, Nguyen variants…) was applied
    /// to the token at this position of the typed name (before any typo).
    pub romanised: Option<u8>,
    /// Typos applied (substitution, transposition, dropped or doubled letter).
    pub typos: u8,
    /// Per token of the typed name (in its order): the edit distance (optimal string
    /// alignment) between the true token, romanised where that was applied, and the typed
    /// one, both in the compare form: the cost of the typos.
    pub name_budget: Vec<u8>,
    pub dob: DobForm,
    pub sex_missing: bool,
    pub hometown: HometownForm,
    pub passport: DocForm,
    /// The citizen id was given (always exact when given).
    pub national_id: bool,
}

impl fmt::Display for Applied {
    /// Compact form for the truth file: `name=strip,last,drop,rom,t1,b0.1.0;dob=swapped;…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = vec![
            if self.diacritics_kept {
                "keep"
            } else {
                "strip"
            }
            .into(),
        ];
        if self.family_last {
            parts.push("last".into());
        }
        if self.comma {
            parts.push("comma".into());
        }
        if self.middle_dropped {
            parts.push("drop".into());
        }
        if let Some(pos) = self.romanised {
            parts.push(format!("rom{pos}"));
        }
        if self.typos > 0 {
            parts.push(format!("t{}", self.typos));
        }
        let budget: Vec<String> = self.name_budget.iter().map(u8::to_string).collect();
        parts.push(format!("b{}", budget.join(".")));
        let dob = match self.dob {
            DobForm::Exact => "exact",
            DobForm::YearOnly => "year_only",
            DobForm::Swapped => "swapped",
            DobForm::DigitOff => "digit_off",
            DobForm::Missing => "missing",
        };
        let home = match self.hometown {
            HometownForm::Old => "old",
            HometownForm::New => "new",
            HometownForm::Missing => "missing",
        };
        let pp = match self.passport {
            DocForm::Exact => "exact",
            DocForm::Misread => "misread",
            DocForm::Missing => "missing",
        };
        write!(
            f,
            "name={};dob={dob};sex={};home={home};passport={pp};nid={}",
            parts.join(","),
            if self.sex_missing { "missing" } else { "given" },
            if self.national_id { "given" } else { "missing" },
        )
    }
}

/// The truth for one list row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    pub list_id: String,
    /// The registry person the row was made from; `None` for people not in the registry.
    pub registry_id: Option<String>,
    pub applied: Applied,
}

/// Rates of each corruption. `Default` is the realistic mix `baoho gen` uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListConfig {
    pub strip_diacritics: f64,
    pub upper_case: f64,
    pub family_last: f64,
    pub comma: f64,
    pub drop_middle: f64,
    pub romanise: f64,
    /// Probability of at least one typo; of two typos.
    pub typo: f64,
    pub two_typos: f64,
    pub dob_year_only: f64,
    pub dob_swapped: f64,
    pub dob_digit_off: f64,
    pub dob_missing: f64,
    pub sex_missing: f64,
    pub hometown_old: f64,
    pub hometown_new: f64,
    pub passport_exact: f64,
    pub passport_misread: f64,
    pub national_id: f64,
}

impl Default for ListConfig {
    fn default() -> Self {
        Self {
            strip_diacritics: 0.85,
            upper_case: 0.80,
            family_last: 0.25,
            comma: 0.05,
            drop_middle: 0.15,
            romanise: 0.15,
            typo: 0.25,
            two_typos: 0.05,
            dob_year_only: 0.10,
            dob_swapped: 0.12,
            dob_digit_off: 0.08,
            dob_missing: 0.10,
            sex_missing: 0.15,
            hometown_old: 0.35,
            hometown_new: 0.30,
            passport_exact: 0.45,
            passport_misread: 0.15,
            national_id: 0.20,
        }
    }
}

/// A corrupted deportee list of `n_rows` rows: `match_share` of them made from distinct
/// registry people, the rest from people outside the registry (same distributions, documents
/// that never collide with the registry's). Rows are shuffled; ids `L000001`….
pub fn make_list(
    registry: &[SynthPerson],
    n_rows: usize,
    match_share: f64,
    seed: u64,
) -> (Vec<ListRow>, Vec<Truth>) {
    make_list_with(registry, n_rows, match_share, seed, &ListConfig::default())
}

/// [`make_list`] with explicit corruption rates.
pub fn make_list_with(
    registry: &[SynthPerson],
    n_rows: usize,
    match_share: f64,
    seed: u64,
    cfg: &ListConfig,
) -> (Vec<ListRow>, Vec<Truth>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6c69_7374_0000_0001);
    let n_match = ((n_rows as f64 * match_share.clamp(0.0, 1.0)).round() as usize)
        .min(registry.len())
        .min(n_rows);
    let picked = rand::seq::index::sample(&mut rng, registry.len(), n_match);
    let mut outsiders = Generator::with_prefix(seed ^ 0x6f75_7473_6964_6572, 'X');
    outsiders.reserve_documents(registry);
    let mut people: Vec<(bool, SynthPerson)> =
        picked.iter().map(|i| (true, registry[i].clone())).collect();
    for _ in n_match..n_rows {
        people.push((false, outsiders.person()));
    }
    people.shuffle(&mut rng);

    let mut rows = Vec::with_capacity(n_rows);
    let mut truth = Vec::with_capacity(n_rows);
    for (i, (in_registry, p)) in people.into_iter().enumerate() {
        let list_id = format!("L{:06}", i + 1);
        let (row, applied) = corrupt(&mut rng, &p, list_id.clone(), cfg);
        rows.push(row);
        truth.push(Truth {
            list_id,
            registry_id: in_registry.then(|| p.id.clone()),
            applied,
        });
    }
    (rows, truth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use baoho_domain::date::PartialDate;
    use baoho_domain::refdata;
    use baoho_domain::text::is_nfc;
    use std::collections::HashSet;

    fn sample() -> (Vec<SynthPerson>, Vec<ListRow>, Vec<Truth>) {
        let reg = Generator::new(5).registry(20_000);
        let (rows, truth) = make_list(&reg, 4_000, 0.8, 9);
        (reg, rows, truth)
    }

    #[test]
    fn list_shape_and_truth() {
        let (reg, rows, truth) = sample();
        assert_eq!(rows.len(), 4_000);
        assert_eq!(truth.len(), 4_000);
        let matched = truth.iter().filter(|t| t.registry_id.is_some()).count();
        assert_eq!(matched, 3_200);
        let ids: HashSet<&str> = reg.iter().map(|p| p.id.as_str()).collect();
        let mut seen = HashSet::new();
        for (r, t) in rows.iter().zip(&truth) {
            assert_eq!(r.list_id, t.list_id);
            assert!(is_nfc(&r.full_name));
            if let Some(id) = &t.registry_id {
                assert!(ids.contains(id.as_str()));
                assert!(seen.insert(id.clone()), "registry person used twice");
            }
            assert_eq!(
                compare_tokens(&r.full_name, t.applied.diacritics_kept).len(),
                t.applied.name_budget.len()
            );
            match t.applied.dob {
                DobForm::Missing => assert!(r.dob.is_none()),
                _ => assert!(
                    r.dob
                        .as_deref()
                        .is_some_and(|d| PartialDate::parse(d).is_ok()),
                    "{:?}",
                    r.dob
                ),
            }
            assert_eq!(t.applied.sex_missing, r.sex.is_none());
            assert_eq!(t.applied.national_id, r.national_id.is_some());
            if let Some(h) = &r.hometown {
                assert!(refdata::find_province(h).is_some(), "{h}");
            }
        }
        let upper = rows
            .iter()
            .filter(|r| r.full_name == r.full_name.to_uppercase())
            .count();
        assert!(upper > 3_000);
        let ascii = rows.iter().filter(|r| r.full_name.is_ascii()).count();
        assert!((3_200..3_700).contains(&ascii), "{ascii}");
        let exact = truth
            .iter()
            .filter(|t| t.applied.name_budget.iter().all(|b| *b == 0))
            .count();
        assert!((2_000..3_200).contains(&exact), "{exact}");
    }

    #[test]
    fn matched_rows_resemble_their_person() {
        let (reg, rows, truth) = sample();
        let by_id: std::collections::HashMap<&str, &SynthPerson> =
            reg.iter().map(|p| (p.id.as_str(), p)).collect();
        for (r, t) in rows.iter().zip(&truth) {
            let Some(p) = t.registry_id.as_deref().and_then(|id| by_id.get(id)) else {
                continue;
            };
            if t.applied.passport == DocForm::Exact {
                assert_eq!(r.passport, p.passport);
            }
            if t.applied.passport == DocForm::Misread {
                let (a, b) = (
                    r.passport.clone().unwrap_or_default(),
                    p.passport.clone().unwrap_or_default(),
                );
                assert_eq!(a.len(), b.len());
                assert_eq!(a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count(), 1);
            }
            if t.applied.dob == DobForm::Exact {
                assert_eq!(
                    r.dob.as_deref().and_then(|d| PartialDate::parse(d).ok()),
                    Some(p.dob)
                );
            }
            if t.applied.dob == DobForm::Swapped {
                let d = r.dob.as_deref().and_then(|d| PartialDate::parse(d).ok());
                assert_eq!(
                    d.map(|d| (d.year, d.day, d.month)),
                    Some((p.dob.year, p.dob.month, p.dob.day))
                );
            }
        }
    }

    #[test]
    fn deterministic() {
        let reg = Generator::new(1).registry(2_000);
        let a = make_list(&reg, 500, 0.7, 3);
        let b = make_list(&reg, 500, 0.7, 3);
        let c = make_list(&reg, 500, 0.7, 4);
        assert_eq!(a, b);
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn outsiders_never_share_documents() {
        let reg = Generator::new(2).registry(5_000);
        let (rows, truth) = make_list(&reg, 2_000, 0.0, 1);
        let pps: HashSet<&str> = reg.iter().filter_map(|p| p.passport.as_deref()).collect();
        let nids: HashSet<&str> = reg.iter().map(|p| p.national_id.as_str()).collect();
        for (r, t) in rows.iter().zip(&truth) {
            assert!(t.registry_id.is_none());
            if t.applied.passport == DocForm::Exact {
                assert!(!pps.contains(r.passport.as_deref().unwrap_or("")));
            }
            if let Some(n) = &r.national_id {
                assert!(!nids.contains(n.as_str()));
            }
        }
    }

    #[test]
    fn applied_display() {
        let a = Applied {
            diacritics_kept: false,
            family_last: true,
            comma: false,
            middle_dropped: true,
            romanised: Some(0),
            typos: 1,
            name_budget: vec![0, 1],
            dob: DobForm::Swapped,
            sex_missing: false,
            hometown: HometownForm::Old,
            passport: DocForm::Missing,
            national_id: false,
        };
        assert_eq!(
            a.to_string(),
            "name=strip,last,drop,rom0,t1,b0.1;dob=swapped;sex=given;home=old;passport=missing;nid=missing"
        );
    }
}
