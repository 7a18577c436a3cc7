//! The bodies of the cargo-fuzz targets on the domain (`fuzz/fuzz_targets/`): each takes the
//! fuzzer's bytes and panics when something that must hold does not. The same functions replay
//! the kept corpus in the stable test suite (below), so target and regression test cannot
//! drift apart.

use crate::date::{DateError, PartialDate, days_in_month};
use crate::text::{fold, fold_tokens, is_nfc, nfc};

/// Dates as officers type them: parsing never panics; a parsed date is a real calendar date
/// in range, and its display parses back to itself.
pub fn date(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match PartialDate::parse(s) {
        Ok(d) => {
            assert!((1850..=2200).contains(&d.year), "{s:?} → {d:?}");
            match (d.month, d.day) {
                (None, None) => {}
                (Some(m), None) => assert!((1..=12).contains(&m), "{s:?} → {d:?}"),
                (Some(m), Some(day)) => {
                    assert!((1..=12).contains(&m), "{s:?} → {d:?}");
                    assert!(
                        (1..=days_in_month(d.year, m)).contains(&day),
                        "{s:?} → {d:?}"
                    );
                }
                (None, Some(_)) => panic!("{s:?} → a day without a month: {d:?}"),
            }
            let shown = d.to_string();
            assert_eq!(PartialDate::parse(&shown), Ok(d), "{s:?} → {shown:?}");
            assert_eq!(PartialDate::new(d.year, d.month, d.day), Ok(d));
        }
        Err(DateError::Format | DateError::Year | DateError::Month | DateError::Day) => {}
    }
}

/// Names and other text: NFC output is NFC and stable; folding is idempotent, ignores the
/// normal form, and gives words without spaces at either end or doubled.
pub fn text(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let n = nfc(&s);
    assert!(is_nfc(&n), "{s:?}");
    assert_eq!(nfc(&n), n, "{s:?}");
    let f = fold(&s);
    assert_eq!(fold(&f), f, "fold is not idempotent on {s:?}");
    assert_eq!(fold(&n), f, "fold differs between {s:?} and its NFC");
    assert!(
        !f.starts_with(' ') && !f.ends_with(' ') && !f.contains("  "),
        "{s:?} → {f:?}"
    );
    let tokens = fold_tokens(&s);
    assert_eq!(tokens.join(" "), f, "{s:?}");
}

/// Feed every kept corpus input and crash artifact of the fuzz target `target` (the
/// repository's `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`) to `body`, as the
/// stable test suite does for every target; panics naming the input that fails, or when there
/// is no input at all. The crates with fuzz targets (domain, matcher, server) share it.
pub fn replay(target: &str, body: fn(&[u8])) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut n = 0;
    for dir in [
        root.join("corpus").join(target),
        root.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths.iter().filter(|p| p.is_file()) {
            let data = std::fs::read(p)
                .unwrap_or_else(|e| panic!("reading fuzz input {}: {e}", p.display()));
            let r = std::panic::catch_unwind(|| body(&data));
            assert!(r.is_ok(), "fuzz input {} fails", p.display());
            n += 1;
        }
    }
    assert!(
        n > 0,
        "no corpus for fuzz target {target} under {}",
        root.display()
    );
}

#[cfg(test)]
mod tests {
    use super::replay;

    #[test]
    fn the_date_corpus_replays() {
        replay("date", super::date);
    }

    #[test]
    fn the_text_corpus_replays() {
        replay("text", super::text);
    }
}
