//! Reading the files people bring: CSV (UTF-8 with or without BOM, UTF-16 with BOM, legacy
//! Windows-1258) and spreadsheets (xlsx, xlsm, xls, ods), with columns mapped to [`Record`]
//! fields automatically from common English and Vietnamese headers, or by an explicit mapping.
//!
//! Bad rows (wrong number of fields, unreadable, no name at all) are reported with their line
//! number and skipped; they never stop a read.
//!
//! # Explicit mapping
//!
//! `[side:]field=column,field=column,…`, e.g.
//! `list:id=list_id,name=full_name,dob=dob,passport=passport_no`. `side` is `list`,
//! `registry` (or `reg`), or absent. Fields: `id`, `name` (full name), `family` (surname),
//! `middle`, `given`, `dob`, `sex`, `hometown`, `passport`, `national_id` (`nid`), `address`,
//! `locality`, `postcode`, `phone`. A column is a header (compared without case, diacritics,
//! spaces or punctuation), `#N` for the N-th column (from 1), or several joined with `+`
//! (`address=street_number+address_1`). With a mapping, only the mapped fields are read.
//!
//! FEBRL files map automatically (`rec_id`, `given_name`, `surname`, `date_of_birth`,
//! `soc_sec_id` → national id, `address_1`, `suburb` → locality, `postcode`); explicitly:
//! `id=rec_id,given=given_name,family=surname,dob=date_of_birth,national_id=soc_sec_id,
//! address=street_number+address_1,locality=suburb,postcode=postcode`.

mod columns;
mod csv;
mod decode;
mod febrl;
mod plan;
mod spreadsheet;
mod truth;

pub use self::columns::{ColumnMap, ColumnRef, Field, MapSide, field_for_header};
pub use self::csv::read_csv_bytes;
pub use self::decode::decode;
pub use self::febrl::read_febrl;
pub use self::spreadsheet::{read_spreadsheet, read_spreadsheet_bytes};
pub use self::truth::{TruthRow, read_clusters, read_truth};

use self::csv::read_csv_inner;
use self::spreadsheet::read_spreadsheet_skipping;
use crate::Record;
use std::path::Path;

/// A row that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line (CSV) or row (spreadsheet) number.
    pub line: u64,
    pub message: String,
}

/// What a read produced.
#[derive(Debug, Clone, Default)]
pub struct ReadResult {
    pub records: Vec<Record>,
    /// Line number of each record (same order as `records`).
    pub lines: Vec<u64>,
    pub bad_rows: Vec<BadRow>,
    /// Which columns fed which field.
    pub mapping: Vec<(Field, Vec<String>)>,
    /// Headers no field used.
    pub unmapped: Vec<String>,
    /// `UTF-8`, `UTF-8 (BOM)`, `UTF-16LE (BOM)`, `Windows-1258`, `xlsx`, …
    pub format: String,
    /// Line of the header row.
    pub header_line: u64,
}

impl ReadResult {
    /// One line per field: `name ← Họ và tên`.
    pub fn describe_mapping(&self) -> String {
        self.mapping
            .iter()
            .map(|(f, cols)| format!("{} ← {}", f.key(), cols.join(" + ")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Spreadsheet(String),
    #[error("no header row found (the first rows have no recognisable column names)")]
    NoHeader,
    #[error("column mapping: {0}")]
    Mapping(String),
    #[error("no column gives a name (map one with name=… or family=…/given=…); headers: {0}")]
    NoNameColumn(String),
}

/// How many leading rows may come before the header (titles, blank lines).
const HEADER_SCAN: usize = 15;

/// Read a file by its extension: `.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods` as spreadsheets,
/// anything else as CSV.
pub fn read_path(path: &Path, map: Option<&ColumnMap>) -> Result<ReadResult, IoError> {
    read_path_skipping(path, map, &[])
}

/// [`read_path`], leaving the `skip` fields out of the records (`None`) even when the file has
/// them: a registry read for a list that lacks those fields then holds less (name fields
/// cannot be skipped). Skipped columns are reported as unmapped.
pub fn read_path_skipping(
    path: &Path,
    map: Option<&ColumnMap>,
    skip: &[Field],
) -> Result<ReadResult, IoError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("xlsx" | "xlsm" | "xlsb" | "xls" | "xla" | "xlam" | "ods") => {
            read_spreadsheet_skipping(path, map, skip)
        }
        _ => {
            let bytes = std::fs::read(path).map_err(|source| IoError::Io {
                path: path.display().to_string(),
                source,
            })?;
            read_csv_inner(&bytes, map, skip)
        }
    }
}

/// A CSV read that must succeed (tests).
#[cfg(test)]
fn read(bytes: &[u8]) -> ReadResult {
    match read_csv_bytes(bytes, None) {
        Ok(r) => r,
        Err(e) => panic!("read failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_fields_are_left_out() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("baoho-skip-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("r.csv");
        std::fs::write(
            &path,
            "id,full_name,dob,phone,address\nR1,NGUYEN AN,1990,0901,1 Le Loi\n",
        )?;
        let r = read_path_skipping(&path, None, &[Field::Phone, Field::Address, Field::Name])?;
        std::fs::remove_dir_all(&dir)?;
        assert_eq!(r.records[0].name, "NGUYEN AN");
        assert_eq!(r.records[0].dob.as_deref(), Some("1990"));
        assert_eq!((&r.records[0].phone, &r.records[0].address), (&None, &None));
        assert_eq!(r.unmapped, ["phone", "address"]);
        Ok(())
    }
}
