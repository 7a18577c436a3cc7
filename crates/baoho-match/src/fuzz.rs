//! The bodies of the cargo-fuzz targets on list import and name handling
//! (`fuzz/fuzz_targets/`): each takes the fuzzer's bytes and panics when something that must
//! hold does not. The same functions replay the kept corpus in the stable test suite (below),
//! so target and regression test cannot drift apart.

use crate::io::{ColumnMap, ReadResult, read_csv_bytes, read_spreadsheet_bytes};
use crate::{Index, Model, Record};

/// What holds for any read, whatever the file: one line number per record, in file order and
/// after the header; every record has a name; text decoded from a legacy encoding is NFC; and
/// the records go through the matcher's preparation (name parsing, folding, the lenient date
/// of birth) and candidate search without panicking.
fn check_read(r: &ReadResult) {
    assert_eq!(r.records.len(), r.lines.len());
    assert!(
        r.lines.windows(2).all(|w| w[0] < w[1]),
        "lines {:?}",
        r.lines
    );
    assert!(r.lines.iter().all(|l| *l > r.header_line));
    assert!(r.bad_rows.iter().all(|b| b.line >= 1));
    assert!(r.records.iter().all(|x| !x.name.is_empty()));
    if r.format == "Windows-1258" {
        for x in &r.records {
            assert!(baoho_domain::text::is_nfc(&x.name), "{:?}", x.name);
        }
    }
    let records: Vec<Record> = r.records.iter().take(64).cloned().collect();
    let index = Index::build(&records);
    assert_eq!(index.len(), records.len());
    let (registry, model) = registry();
    for x in records.iter().take(2) {
        let _ = model.candidates(x, registry, 5);
    }
}

/// A small registry and its model, trained once (training per input would leave the fuzzer a
/// few runs a second): the fuzzed records are searched for in it.
fn registry() -> &'static (Index, Model) {
    static REGISTRY: std::sync::OnceLock<(Index, Model)> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| {
        let people = [
            ("Nguyễn Văn An", "1990-05-12", "Nghệ An"),
            ("Trần Thị Bình", "1988", "Hà Tĩnh"),
            ("Lê Văn Cường", "12/03/1975", "Huế"),
            ("Phạm Thị Dung", "1992-11", "Hải Phòng"),
            ("Đặng Văn Đức", "2001-01-01", "Đà Nẵng"),
            ("Hoàng Thị Lan", "1969", "Hà Nội"),
        ];
        let records: Vec<Record> = people
            .iter()
            .enumerate()
            .map(|(i, (name, dob, home))| Record {
                id: i.to_string(),
                name: (*name).to_owned(),
                dob: Some((*dob).to_owned()),
                hometown: Some((*home).to_owned()),
                ..Record::default()
            })
            .collect();
        let index = Index::build(&records);
        let model = Model::train(&index, &crate::LinkConfig::default());
        (index, model)
    })
}

/// A CSV list in any encoding: the automatic mapping, and (from the first line, when it is a
/// mapping such as `name=#1,dob=#2`) an explicit one.
pub fn csv(data: &[u8]) {
    if let Ok(r) = read_csv_bytes(data, None) {
        check_read(&r);
    }
    let Some(nl) = data.iter().position(|b| *b == b'\n') else {
        return;
    };
    if let Ok(spec) = std::str::from_utf8(&data[..nl])
        && let Ok((_, map)) = ColumnMap::parse(spec)
        && let Ok(r) = read_csv_bytes(&data[nl + 1..], Some(&map))
    {
        check_read(&r);
    }
}

/// A spreadsheet (xlsx, xls, xlsb, ods detected from the bytes): an error or a read, never a
/// panic.
pub fn spreadsheet(data: &[u8]) {
    if let Ok(r) = read_spreadsheet_bytes(data, None) {
        check_read(&r);
    }
}

/// Names: the matcher's fast folding is exactly the domain's, and a record made of the text
/// (as name, split name, date of birth, codes) is prepared and searched for without panicking.
pub fn names(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let s: &str = &text;
    let mut fast = String::new();
    crate::text::fold_into(s, &mut fast);
    assert_eq!(
        fast,
        baoho_domain::text::fold(s),
        "fold_into differs on {s:?}"
    );
    let mut key = String::new();
    for tok in fast.split(' ') {
        crate::text::phonetic_into(tok, &mut key);
        assert!(key.is_ascii() || !tok.is_ascii(), "{tok:?} → {key:?}");
    }
    let (family, given) = s.split_once(',').unwrap_or((s, ""));
    let rec = Record {
        id: "1".into(),
        name: s.to_owned(),
        family_name: Some(family.to_owned()),
        given_name: Some(given.to_owned()),
        dob: Some(s.to_owned()),
        passport: Some(s.to_owned()),
        national_id: Some(s.to_owned()),
        hometown: Some(s.to_owned()),
        ..Record::default()
    };
    let index = Index::build(std::slice::from_ref(&rec));
    assert_eq!(index.len(), 1);
    let (registry, model) = registry();
    let _ = model.candidates(&rec, registry, 5);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use baoho_domain::fuzz::replay;

    #[test]
    fn the_csv_corpus_replays() {
        replay("csv", super::csv);
    }

    #[test]
    fn the_spreadsheet_corpus_replays() {
        replay("spreadsheet", super::spreadsheet);
    }

    #[test]
    fn the_names_corpus_replays() {
        replay("names", super::names);
    }
}
