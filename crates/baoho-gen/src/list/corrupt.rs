//! One registry person typed as a foreign list row: every field corrupted at the configured
//! rates, with the record of what was applied.

use super::spelling::{compare_tokens, osa, romanise, title_case, typo};
use super::{Applied, DobForm, DocForm, HometownForm, ListConfig, ListRow};
use crate::{Sex, SynthPerson};
use baoho_domain::date::{PartialDate, days_in_month};
use baoho_domain::refdata;
use baoho_domain::text::{fold, nfc};
use rand::Rng;

pub(super) fn corrupt(
    rng: &mut impl Rng,
    p: &SynthPerson,
    list_id: String,
    cfg: &ListConfig,
) -> (ListRow, Applied) {
    // --- name ---
    let diacritics_kept = !rng.random_bool(cfg.strip_diacritics);
    let middle_dropped = !p.middle_names.is_empty() && rng.random_bool(cfg.drop_middle);
    let lower = |s: &str| -> String {
        if diacritics_kept {
            nfc(&s.to_lowercase())
        } else {
            fold(s)
        }
    };
    let family = lower(&p.family_name);
    let middles: Vec<String> = if middle_dropped {
        Vec::new()
    } else {
        p.middle_names.iter().map(|m| lower(m)).collect()
    };
    let given = lower(&p.given_name);
    let mut tokens: Vec<String> = std::iter::once(family)
        .chain(middles)
        .chain([given])
        .collect();
    let romanised_internal = if !diacritics_kept && rng.random_bool(cfg.romanise) {
        romanise(rng, &mut tokens)
    } else {
        None
    };
    // The tokens before typos, in the compare form (already lower case, folded or NFC).
    let mut pre_typo = tokens.clone();
    let typos = if rng.random_bool(cfg.typo) {
        if rng.random_bool(cfg.two_typos / cfg.typo.max(1e-9)) {
            2
        } else {
            1
        }
    } else {
        0
    };
    for _ in 0..typos {
        typo(rng, &mut tokens);
    }
    let r = rng.random::<f64>();
    let cased: Vec<String> = if r < cfg.upper_case {
        tokens.iter().map(|t| t.to_uppercase()).collect()
    } else if r < cfg.upper_case + (1.0 - cfg.upper_case) * 0.8 {
        tokens.iter().map(|t| title_case(t)).collect()
    } else {
        tokens.clone()
    };
    let r = rng.random::<f64>();
    let (family_last, comma) = if r < cfg.family_last {
        (true, false)
    } else if r < cfg.family_last + cfg.comma {
        (false, true)
    } else {
        (false, false)
    };
    let full_name = if family_last {
        let mut v = cased[1..].to_vec();
        v.push(cased[0].clone());
        v.join(" ")
    } else if comma {
        format!("{}, {}", cased[0], cased[1..].join(" "))
    } else {
        cased.join(" ")
    };
    let full_name = nfc(&full_name);
    // Budget: the typos' cost, position by position in the typed order, in the compare form.
    let typed = compare_tokens(&full_name, diacritics_kept);
    let n = pre_typo.len();
    let to_typed = |i: usize| if family_last { (i + n - 1) % n } else { i };
    if family_last {
        pre_typo.rotate_left(1);
    }
    debug_assert_eq!(typed.len(), pre_typo.len());
    let name_budget: Vec<u8> = typed
        .iter()
        .zip(&pre_typo)
        .map(|(a, b)| u8::try_from(osa(a, b)).unwrap_or(u8::MAX))
        .collect();
    let romanised = romanised_internal.and_then(|i| u8::try_from(to_typed(i)).ok());

    // --- date of birth ---
    let (y, m, d) = (p.dob.year, p.dob.month.unwrap_or(1), p.dob.day.unwrap_or(1));
    let r = rng.random::<f64>();
    let mut dob_form = if r < cfg.dob_missing {
        DobForm::Missing
    } else if r < cfg.dob_missing + cfg.dob_year_only {
        DobForm::YearOnly
    } else if r < cfg.dob_missing + cfg.dob_year_only + cfg.dob_swapped {
        DobForm::Swapped
    } else if r < cfg.dob_missing + cfg.dob_year_only + cfg.dob_swapped + cfg.dob_digit_off {
        DobForm::DigitOff
    } else {
        DobForm::Exact
    };
    if dob_form == DobForm::Swapped && (d > 12 || d == m) {
        dob_form = DobForm::Exact;
    }
    let mut dob = None;
    if dob_form == DobForm::DigitOff {
        let digits = format!("{y:04}{m:02}{d:02}");
        for _ in 0..30 {
            let pos = rng.random_range(0..8);
            let mut bs = digits.clone().into_bytes();
            let old = bs[pos];
            let new = if rng.random_bool(0.5) {
                if old == b'9' { b'8' } else { old + 1 }
            } else {
                b'0' + rng.random_range(0..10u8)
            };
            if new == old {
                continue;
            }
            bs[pos] = new;
            let s = String::from_utf8_lossy(&bs).into_owned();
            let (ny, nm, nd) = (
                s[0..4].parse::<u16>(),
                s[4..6].parse::<u8>(),
                s[6..8].parse::<u8>(),
            );
            if let (Ok(ny), Ok(nm), Ok(nd)) = (ny, nm, nd)
                && (1920..=2025).contains(&ny)
                && PartialDate::new(ny, Some(nm), Some(nd)).is_ok()
            {
                dob = Some(fmt_full(rng, ny, nm, nd));
                break;
            }
        }
        if dob.is_none() {
            dob_form = DobForm::Exact;
        }
    }
    let dob = match dob_form {
        DobForm::Missing => None,
        DobForm::YearOnly => Some(if rng.random_bool(0.7) {
            format!("{y:04}")
        } else {
            format!("01/01/{y:04}")
        }),
        DobForm::Swapped => Some(format!("{m:02}/{d:02}/{y:04}")),
        DobForm::DigitOff => dob,
        DobForm::Exact => Some(fmt_full(rng, y, m, d)),
    };
    debug_assert!(days_in_month(y, m) >= d);

    // --- sex ---
    let sex_missing = rng.random_bool(cfg.sex_missing);
    let sex = (!sex_missing).then(|| {
        let long = rng.random_bool(0.2);
        match (p.sex, long) {
            (Sex::Male, false) => "M".to_owned(),
            (Sex::Female, false) => "F".to_owned(),
            (Sex::Male, true) => "MALE".to_owned(),
            (Sex::Female, true) => "FEMALE".to_owned(),
        }
    });

    // --- hometown ---
    let r = rng.random::<f64>();
    let old = refdata::old_province(&p.province_code);
    let new = refdata::merged_into(&p.province_code);
    let (hometown_form, names) = if r < cfg.hometown_old {
        (
            HometownForm::Old,
            old.map(|o| (o.short_vi.clone(), o.name_en.clone())),
        )
    } else if r < cfg.hometown_old + cfg.hometown_new {
        (
            HometownForm::New,
            new.map(|o| (o.short_vi.clone(), o.name_en.clone())),
        )
    } else {
        (HometownForm::Missing, None)
    };
    let hometown_form = if names.is_none() {
        HometownForm::Missing
    } else {
        hometown_form
    };
    let hometown = names.map(|(vi, en)| {
        let r = rng.random::<f64>();
        let base = if r < 0.15 {
            en.to_uppercase()
        } else if diacritics_kept {
            vi.to_uppercase()
        } else {
            fold(&vi).to_uppercase()
        };
        if rng.random_bool(0.12) {
            format!("{base} PROVINCE")
        } else {
            nfc(&base)
        }
    });

    // --- passport ---
    let r = rng.random::<f64>();
    let (passport_form, passport) = match &p.passport {
        None => (DocForm::Missing, None),
        Some(pp) if r < cfg.passport_exact => (DocForm::Exact, Some(pp.clone())),
        Some(pp) if r < cfg.passport_exact + cfg.passport_misread => {
            (DocForm::Misread, Some(misread(rng, pp)))
        }
        Some(_) => (DocForm::Missing, None),
    };
    let passport_form =
        if passport.as_ref() == p.passport.as_ref() && passport_form == DocForm::Misread {
            DocForm::Exact
        } else {
            passport_form
        };

    // --- citizen id ---
    let national_id_given = rng.random_bool(cfg.national_id);
    let national_id = national_id_given.then(|| p.national_id.clone());

    let applied = Applied {
        diacritics_kept,
        family_last,
        comma,
        middle_dropped,
        romanised,
        typos,
        name_budget,
        dob: dob_form,
        sex_missing,
        hometown: hometown_form,
        passport: passport_form,
        national_id: national_id_given,
    };
    let row = ListRow {
        list_id,
        full_name,
        dob,
        sex,
        hometown,
        passport,
        national_id,
    };
    (row, applied)
}

/// A full date in one of the formats clerks use.
fn fmt_full(rng: &mut impl Rng, y: u16, m: u8, d: u8) -> String {
    let r = rng.random::<f64>();
    if r < 0.7 {
        format!("{d:02}/{m:02}/{y:04}")
    } else if r < 0.9 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{d:02}.{m:02}.{y:04}")
    }
}

/// Letters and digits that optical reading and hand copying confuse.
const CONFUSABLE: &[(u8, u8)] = &[
    (b'0', b'O'),
    (b'1', b'I'),
    (b'5', b'S'),
    (b'8', b'B'),
    (b'2', b'Z'),
    (b'6', b'G'),
];

/// One character of a passport number misread: a digit read as its look-alike letter, or one
/// digit off.
fn misread(rng: &mut impl Rng, pp: &str) -> String {
    let mut bs = pp.as_bytes().to_vec();
    if bs.len() < 2 {
        return pp.to_owned();
    }
    let i = rng.random_range(1..bs.len());
    let c = bs[i];
    let look_alike = CONFUSABLE.iter().find(|(d, _)| *d == c).map(|(_, l)| *l);
    bs[i] = match look_alike {
        Some(l) if rng.random_bool(0.5) => l,
        _ if c.is_ascii_digit() => {
            let off = rng.random_range(1..10u8);
            b'0' + (c - b'0' + off) % 10
        }
        _ => c,
    };
    String::from_utf8_lossy(&bs).into_owned()
}
