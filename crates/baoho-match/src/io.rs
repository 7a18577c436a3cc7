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

use crate::Record;
use baoho_domain::text::{fold, nfc};
use std::borrow::Cow;
use std::fmt;
use std::path::Path;

/// A [`Record`] field a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Id,
    Name,
    FamilyName,
    /// Merged into `given_name`, before the given name (Record has no middle-name field).
    MiddleName,
    GivenName,
    Dob,
    Sex,
    Hometown,
    Passport,
    NationalId,
    Address,
    Locality,
    Postcode,
    Phone,
}

impl Field {
    pub const ALL: [Field; 14] = [
        Field::Id,
        Field::Name,
        Field::FamilyName,
        Field::MiddleName,
        Field::GivenName,
        Field::Dob,
        Field::Sex,
        Field::Hometown,
        Field::Passport,
        Field::NationalId,
        Field::Address,
        Field::Locality,
        Field::Postcode,
        Field::Phone,
    ];

    /// The name used in mapping strings and reports.
    pub fn key(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Name => "name",
            Field::FamilyName => "family",
            Field::MiddleName => "middle",
            Field::GivenName => "given",
            Field::Dob => "dob",
            Field::Sex => "sex",
            Field::Hometown => "hometown",
            Field::Passport => "passport",
            Field::NationalId => "national_id",
            Field::Address => "address",
            Field::Locality => "locality",
            Field::Postcode => "postcode",
            Field::Phone => "phone",
        }
    }

    /// Parse a mapping key (`name`, `full_name`, `surname`, `nid`, …).
    pub fn from_key(k: &str) -> Option<Field> {
        let k = squash(k);
        Some(match k.as_str() {
            "id" | "rowid" | "listid" | "registryid" => Field::Id,
            "name" | "fullname" => Field::Name,
            "family" | "familyname" | "surname" | "lastname" => Field::FamilyName,
            "middle" | "middlename" | "middlenames" => Field::MiddleName,
            "given" | "givenname" | "givennames" | "firstname" => Field::GivenName,
            "dob" | "dateofbirth" | "birthdate" => Field::Dob,
            "sex" | "gender" => Field::Sex,
            "hometown" | "province" => Field::Hometown,
            "passport" | "passportno" | "passportnumber" => Field::Passport,
            "nationalid" | "nid" | "cccd" | "citizenid" => Field::NationalId,
            "address" => Field::Address,
            "locality" | "suburb" | "city" | "town" => Field::Locality,
            "postcode" | "zip" => Field::Postcode,
            "phone" => Field::Phone,
            _ => return None,
        })
    }
}

/// Header key: folded, letters and digits only (`Họ và tên` → `hovaten`, `DATE_OF_BIRTH` →
/// `dateofbirth`).
fn squash(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// The field a header names, from the common English and Vietnamese headers.
pub fn field_for_header(header: &str) -> Option<Field> {
    let k = squash(header);
    let exact = match k.as_str() {
        "id" | "listid" | "registryid" | "recid" | "recordid" | "rowid" | "stt" | "tt" | "no"
        | "ref" | "reference" | "refno" | "caseid" | "caseno" | "mahoso" | "sohoso" | "ma"
        | "personid" | "serial" | "serialno" | "sn" => Field::Id,
        "fullname" | "name" | "hovaten" | "hoten" | "hotendaydu" | "tendaydu" | "nameinfull"
        | "completename" | "personname" | "names" | "hovatenkhaisinh" | "hotenkhaisinh"
        | "tencongdan" => Field::Name,
        "surname" | "familyname" | "lastname" | "ho" | "family" | "surnames" | "hodem"
        | "hovatendem" | "lastnames" => Field::FamilyName,
        "middlename" | "middlenames" | "tendem" | "dem" => Field::MiddleName,
        "givenname" | "givennames" | "firstname" | "firstnames" | "forename" | "forenames"
        | "ten" | "tengoi" | "given" => Field::GivenName,
        "dob"
        | "dateofbirth"
        | "birthdate"
        | "birthday"
        | "ngaysinh"
        | "ngaythangnamsinh"
        | "namsinh"
        | "sinhngay"
        | "bdate"
        | "born"
        | "dateofbirthddmmyyyy"
        | "ngaysinhddmmyyyy"
        | "birth"
        | "ngaythangsinh" => Field::Dob,
        "sex" | "gender" | "gioitinh" | "gt" | "phai" | "gioi" => Field::Sex,
        "hometown"
        | "quequan"
        | "province"
        | "tinh"
        | "nguyenquan"
        | "placeoforigin"
        | "origin"
        | "homeprovince"
        | "provinceoforigin"
        | "noisinh"
        | "placeofbirth"
        | "birthplace"
        | "tinhthanh"
        | "tinhthanhpho"
        | "que"
        | "homeaddressprovince" => Field::Hometown,
        "passport"
        | "passportno"
        | "passportnumber"
        | "hochieu"
        | "sohochieu"
        | "passportnum"
        | "ppno"
        | "traveldocument"
        | "traveldocumentno"
        | "traveldocumentnumber"
        | "sohc"
        | "hc"
        | "passportid" => Field::Passport,
        "nationalid"
        | "nationalidnumber"
        | "nationalidno"
        | "cccd"
        | "cmnd"
        | "socccd"
        | "socmnd"
        | "citizenid"
        | "citizenidnumber"
        | "idnumber"
        | "idno"
        | "idcard"
        | "idcardno"
        | "idcardnumber"
        | "cancuoc"
        | "cancuoccongdan"
        | "socancuoc"
        | "cmndcccd"
        | "cccdcmnd"
        | "sodinhdanh"
        | "sodinhdanhcanhan"
        | "personalid"
        | "nid"
        | "socsecid"
        | "ssn"
        | "socialsecuritynumber" => Field::NationalId,
        "address" | "diachi" | "address1" | "street" | "streetaddress" | "noio" | "noiohientai"
        | "thuongtru" | "diachithuongtru" | "noithuongtru" | "residence" | "homeaddress"
        | "addressline1" => Field::Address,
        "suburb" | "city" | "town" | "locality" | "district" | "quanhuyen" | "huyen" | "xa"
        | "phuongxa" | "xaphuong" => Field::Locality,
        "postcode" | "postalcode" | "zip" | "zipcode" => Field::Postcode,
        "phone" | "phonenumber" | "tel" | "telephone" | "mobile" | "sodienthoai" | "dienthoai"
        | "sdt" | "mobilephone" | "contactnumber" => Field::Phone,
        _ => {
            // Headers with a hint in brackets: "Date of birth (dd/mm/yyyy)", "Ngày sinh (*)".
            for (prefix, f) in [
                ("dateofbirth", Field::Dob),
                ("ngaysinh", Field::Dob),
                ("passportn", Field::Passport),
                ("sohochieu", Field::Passport),
                ("hovaten", Field::Name),
                ("fullname", Field::Name),
                ("quequan", Field::Hometown),
                ("nationalid", Field::NationalId),
                ("socccd", Field::NationalId),
                ("socmnd", Field::NationalId),
            ] {
                if k.starts_with(prefix) {
                    return Some(f);
                }
            }
            return None;
        }
    };
    Some(exact)
}

/// Where a field's value comes from: one or more columns joined with a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    Header(String),
    /// 0-based.
    Index(usize),
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnRef::Header(h) => f.write_str(h),
            ColumnRef::Index(i) => write!(f, "#{}", i + 1),
        }
    }
}

/// Which side an explicit mapping is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapSide {
    List,
    Registry,
}

/// An explicit column mapping (`--map`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnMap {
    pub fields: Vec<(Field, Vec<ColumnRef>)>,
}

impl ColumnMap {
    /// Parse `[list:|registry:]field=column,…` (see the module documentation).
    pub fn parse(s: &str) -> Result<(Option<MapSide>, ColumnMap), IoError> {
        let s = s.trim();
        let (side, body) = match s.split_once(':') {
            Some((p, rest)) if !p.contains('=') => {
                let side = match squash(p).as_str() {
                    "list" | "l" => MapSide::List,
                    "registry" | "reg" | "r" => MapSide::Registry,
                    _ => {
                        return Err(IoError::Mapping(format!(
                            "unknown side {p:?} (use list: or registry:)"
                        )));
                    }
                };
                (Some(side), rest)
            }
            _ => (None, s),
        };
        let mut map = ColumnMap::default();
        for part in body.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((k, v)) = part.split_once('=') else {
                return Err(IoError::Mapping(format!("{part:?} is not field=column")));
            };
            let field = Field::from_key(k.trim()).ok_or_else(|| {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
                IoError::Mapping(format!("unknown field {k:?}; fields: {}", known.join(", ")))
            })?;
            if map.fields.iter().any(|(f, _)| *f == field) {
                return Err(IoError::Mapping(format!(
                    "field {} mapped twice",
                    field.key()
                )));
            }
            let mut cols = Vec::new();
            for c in v.split('+').map(str::trim) {
                if c.is_empty() {
                    return Err(IoError::Mapping(format!(
                        "empty column for {}",
                        field.key()
                    )));
                }
                let col = match c.strip_prefix('#').map(str::parse::<usize>) {
                    Some(Ok(n)) if n >= 1 => ColumnRef::Index(n - 1),
                    Some(_) => {
                        return Err(IoError::Mapping(format!(
                            "bad column number {c:?} (from #1)"
                        )));
                    }
                    None => ColumnRef::Header(c.to_owned()),
                };
                cols.push(col);
            }
            map.fields.push((field, cols));
        }
        if map.fields.is_empty() {
            return Err(IoError::Mapping("empty mapping".into()));
        }
        Ok((side, map))
    }
}

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

/// Decode CSV bytes: UTF-8 (BOM stripped) if valid, UTF-16 with a BOM, else Windows-1258
/// (decoded, then NFC, since Windows-1258 writes tones as combining marks).
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let (s, f) = decode_borrowed(bytes);
    (s.into_owned(), f)
}

/// [`decode`] without copying text that is already UTF-8.
fn decode_borrowed(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (String::from_utf8_lossy(rest), "UTF-8 (BOM)");
    }
    if bytes.starts_with(b"\xFF\xFE") {
        let (s, _) = encoding_rs::UTF_16LE.decode_with_bom_removal(bytes);
        return (s, "UTF-16LE (BOM)");
    }
    if bytes.starts_with(b"\xFE\xFF") {
        let (s, _) = encoding_rs::UTF_16BE.decode_with_bom_removal(bytes);
        return (s, "UTF-16BE (BOM)");
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), "UTF-8"),
        Err(_) => {
            let (s, _) = encoding_rs::WINDOWS_1258.decode_without_bom_handling(bytes);
            (Cow::Owned(nfc(&s)), "Windows-1258")
        }
    }
}

/// The delimiter of a CSV text: the most frequent of `,` `;` tab `|` on the first lines,
/// outside quotes.
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 4];
    let cands = [b',', b';', b'\t', b'|'];
    let mut in_quotes = false;
    for b in text.bytes().take(64 * 1024) {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && let Some(i) = cands.iter().position(|c| *c == b) {
            counts[i] += 1;
        }
    }
    let best = (0..4)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    if counts[best] == 0 { b',' } else { cands[best] }
}

/// Read CSV from bytes (encoding detected, delimiter sniffed).
pub fn read_csv_bytes(bytes: &[u8], map: Option<&ColumnMap>) -> Result<ReadResult, IoError> {
    read_csv_inner(bytes, map, &[])
}

fn read_csv_inner(
    bytes: &[u8],
    map: Option<&ColumnMap>,
    skip: &[Field],
) -> Result<ReadResult, IoError> {
    let (text, format) = decode_borrowed(bytes);
    let delim = sniff_delimiter(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let mut bad = Vec::new();
    let mut lines = LineCounter::new(&text);
    // Find the header among the first lines.
    let mut leading: Vec<(u64, Vec<String>)> = Vec::new();
    let mut header: Option<(u64, Vec<String>)> = None;
    let mut r = csv::StringRecord::new();
    while leading.len() < HEADER_SCAN {
        match rdr.read_record(&mut r) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.line(r.position());
                let cells: Vec<String> = r.iter().map(|c| c.trim().to_owned()).collect();
                if is_header(&cells, map) {
                    header = Some((line, cells));
                    break;
                }
                leading.push((line, cells));
            }
            Err(e) => bad.push(BadRow {
                line: lines.line(e.position()),
                message: e.to_string(),
            }),
        }
    }
    let (header_line, header, pending) = match header {
        Some((l, h)) => (l, h, Vec::new()),
        None => {
            // No recognisable header: with an explicit mapping by column numbers, the first
            // non-empty row is the header anyway; otherwise give up.
            let first = leading
                .iter()
                .position(|(_, c)| c.iter().any(|x| !x.is_empty()));
            match (first, map) {
                (Some(i), Some(_)) => {
                    let (l, h) = leading[i].clone();
                    (l, h, leading.split_off(i + 1))
                }
                _ => return Err(IoError::NoHeader),
            }
        }
    };
    let plan = Plan::new(&header, map, skip)?;
    let mut out = ReadResult {
        format: format.to_owned(),
        header_line,
        mapping: plan.describe(&header),
        unmapped: plan.unmapped(&header),
        bad_rows: bad,
        ..Default::default()
    };
    for (line, cells) in pending {
        plan.push_row(line, &cells, &mut out);
    }
    // A large body is cut at record boundaries and read in parallel.
    let start = rdr
        .position()
        .byte()
        .try_into()
        .unwrap_or(usize::MAX)
        .min(text.len());
    if text.len() - start >= PARALLEL_MIN_BYTES {
        let base = 1 + text.as_bytes()[..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        read_body_parallel(&text[start..], base, delim, &plan, &mut out);
        return Ok(out);
    }
    // One record buffer for the whole file: cells are borrowed, only kept fields are copied.
    loop {
        match rdr.read_record(&mut r) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.line(r.position());
                let cells: Vec<&str> = r.iter().map(str::trim).collect();
                plan.push_row(line, &cells, &mut out);
            }
            Err(e) => out.bad_rows.push(BadRow {
                line: lines.line(e.position()),
                message: e.to_string(),
            }),
        }
    }
    Ok(out)
}

/// Bodies at least this large are read in parallel chunks.
const PARALLEL_MIN_BYTES: usize = 4 << 20;

/// Read the data rows of `body` (which starts on line `base`, right after the header) in
/// chunks cut at record boundaries (newlines outside quotes), one csv reader per chunk on the
/// rayon pool; records, lines and bad rows come out in file order.
fn read_body_parallel(body: &str, base: u64, delim: u8, plan: &Plan, out: &mut ReadResult) {
    use rayon::prelude::*;
    let bytes = body.as_bytes();
    let n_chunks = (rayon::current_num_threads() * 4).clamp(1, 64);
    let target = bytes.len() / n_chunks + 1;
    // (start byte, first line) of each chunk.
    let mut cuts: Vec<(usize, u64)> = vec![(0, base)];
    let (mut pos, mut line, mut in_quotes) = (0usize, base, false);
    while pos < bytes.len() {
        let want = (pos + target).min(bytes.len());
        let seg = &bytes[pos..want];
        in_quotes ^= seg.iter().filter(|&&b| b == b'"').count() % 2 == 1;
        line += seg.iter().filter(|&&b| b == b'\n').count() as u64;
        pos = want;
        // Advance to the first newline outside quotes.
        while pos < bytes.len() {
            let b = bytes[pos];
            pos += 1;
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if b == b'\n' {
                line += 1;
                if !in_quotes {
                    break;
                }
            }
        }
        if pos < bytes.len() {
            cuts.push((pos, line));
        }
    }
    let parts: Vec<ReadResult> = cuts
        .par_iter()
        .enumerate()
        .map(|(k, &(lo, first_line))| {
            let hi = cuts.get(k + 1).map_or(bytes.len(), |c| c.0);
            let chunk = &body[lo..hi];
            let mut part = ReadResult::default();
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delim)
                .from_reader(chunk.as_bytes());
            let mut lines = LineCounter::new(chunk);
            lines.line = first_line;
            let mut r = csv::StringRecord::new();
            loop {
                match rdr.read_record(&mut r) {
                    Ok(false) => break,
                    Ok(true) => {
                        let line = lines.line(r.position());
                        let cells: Vec<&str> = r.iter().map(str::trim).collect();
                        plan.push_row(line, &cells, &mut part);
                    }
                    Err(e) => part.bad_rows.push(BadRow {
                        line: lines.line(e.position()),
                        message: e.to_string(),
                    }),
                }
            }
            part
        })
        .collect();
    let n: usize = parts.iter().map(|p| p.records.len()).sum();
    out.records.reserve(n);
    out.lines.reserve(n);
    for p in parts {
        out.records.extend(p.records);
        out.lines.extend(p.lines);
        out.bad_rows.extend(p.bad_rows);
    }
}

/// 1-based line numbers from byte offsets (the csv crate's own line count skips blank lines).
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line a record starts on; records must be asked for in order.
    fn line(&mut self, pos: Option<&csv::Position>) -> u64 {
        let Some(pos) = pos else { return self.line };
        let mut to = usize::try_from(pos.byte())
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // The reported position can sit before blank lines the reader then skipped.
        while to < self.text.len() && matches!(self.text[to], b'\n' | b'\r') {
            to += 1;
        }
        if to > self.byte {
            self.line += self.text[self.byte..to]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.byte = to;
        }
        self.line
    }
}

/// A row is the header when, without a mapping, at least two cells name known fields
/// including a name field; with a mapping, when every mapped header is present.
fn is_header(cells: &[String], map: Option<&ColumnMap>) -> bool {
    match map {
        Some(m) => {
            let keys: Vec<String> = cells.iter().map(|c| squash(c)).collect();
            let mut any_header = false;
            for (_, cols) in &m.fields {
                for c in cols {
                    if let ColumnRef::Header(h) = c {
                        any_header = true;
                        if !keys.contains(&squash(h)) && !cells.contains(h) {
                            return false;
                        }
                    }
                }
            }
            any_header
        }
        None => {
            let fields: Vec<Field> = cells.iter().filter_map(|c| field_for_header(c)).collect();
            fields.len() >= 2
                && fields
                    .iter()
                    .any(|f| matches!(f, Field::Name | Field::FamilyName | Field::GivenName))
        }
    }
}

/// Column indices feeding each field.
struct Plan {
    fields: Vec<(Field, Vec<usize>)>,
    width: usize,
}

impl Plan {
    fn new(header: &[String], map: Option<&ColumnMap>, skip: &[Field]) -> Result<Plan, IoError> {
        let mut fields: Vec<(Field, Vec<usize>)> = Vec::new();
        match map {
            Some(m) => {
                for (f, cols) in &m.fields {
                    let mut idx = Vec::new();
                    for c in cols {
                        let i = match c {
                            ColumnRef::Index(i) if *i < header.len() => *i,
                            ColumnRef::Index(i) => {
                                return Err(IoError::Mapping(format!(
                                    "column #{} for {} but the file has {} columns",
                                    i + 1,
                                    f.key(),
                                    header.len()
                                )));
                            }
                            ColumnRef::Header(h) => header
                                .iter()
                                .position(|x| x == h)
                                .or_else(|| header.iter().position(|x| squash(x) == squash(h)))
                                .ok_or_else(|| {
                                    IoError::Mapping(format!(
                                        "no column {h:?} for {}; headers: {}",
                                        f.key(),
                                        header.join(", ")
                                    ))
                                })?,
                        };
                        idx.push(i);
                    }
                    fields.push((*f, idx));
                }
            }
            None => {
                for (i, h) in header.iter().enumerate() {
                    if let Some(f) = field_for_header(h) {
                        // The first column naming a field wins, except that address columns
                        // (`address_1`, `address_2`) are joined.
                        match fields.iter_mut().find(|(g, _)| *g == f) {
                            None => fields.push((f, vec![i])),
                            Some((Field::Address, v)) => v.push(i),
                            Some(_) => {}
                        }
                    } else if squash(h) == "address2" || squash(h) == "addressline2" {
                        match fields.iter_mut().find(|(g, _)| *g == Field::Address) {
                            None => fields.push((Field::Address, vec![i])),
                            Some((_, v)) => v.push(i),
                        }
                    }
                }
            }
        }
        if !fields
            .iter()
            .any(|(f, _)| matches!(f, Field::Name | Field::FamilyName | Field::GivenName))
        {
            return Err(IoError::NoNameColumn(header.join(", ")));
        }
        fields.retain(|(f, _)| {
            matches!(
                f,
                Field::Id | Field::Name | Field::FamilyName | Field::MiddleName | Field::GivenName
            ) || !skip.contains(f)
        });
        fields.sort_by_key(|(f, _)| *f);
        Ok(Plan {
            fields,
            width: header.len(),
        })
    }

    fn describe(&self, header: &[String]) -> Vec<(Field, Vec<String>)> {
        self.fields
            .iter()
            .map(|(f, idx)| {
                (
                    *f,
                    idx.iter()
                        .map(|i| {
                            header
                                .get(*i)
                                .cloned()
                                .unwrap_or_else(|| format!("#{}", i + 1))
                        })
                        .collect(),
                )
            })
            .collect()
    }

    fn unmapped(&self, header: &[String]) -> Vec<String> {
        header
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !self.fields.iter().any(|(_, v)| v.contains(i)))
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// Turn one data row into a record, or a bad row.
    fn push_row<S: AsRef<str>>(&self, line: u64, cells: &[S], out: &mut ReadResult) {
        if cells.iter().all(|c| c.as_ref().is_empty()) {
            return; // blank or trailing rows
        }
        if cells.len() != self.width {
            // Spreadsheets pad rows; CSV exports sometimes drop trailing empty cells, which is
            // harmless only when the missing cells are empty: still report it, as asked of us.
            out.bad_rows.push(BadRow {
                line,
                message: format!("expected {} fields, found {}", self.width, cells.len()),
            });
            return;
        }
        let get = |f: Field| -> Option<String> {
            let idx = &self.fields.iter().find(|(g, _)| *g == f)?.1;
            if let [i] = idx.as_slice() {
                // One column (the usual case): one allocation, no joining.
                let c = cells.get(*i).map(AsRef::as_ref).unwrap_or("");
                return (!c.is_empty()).then(|| c.to_owned());
            }
            let parts: Vec<&str> = idx
                .iter()
                .filter_map(|i| cells.get(*i))
                .map(AsRef::as_ref)
                .filter(|s| !s.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        };
        let given = match (get(Field::MiddleName), get(Field::GivenName)) {
            (Some(m), Some(g)) => Some(format!("{m} {g}")),
            (m, g) => g.or(m),
        };
        let family = get(Field::FamilyName);
        let name = get(Field::Name).or_else(|| match (&family, &given) {
            (Some(f), Some(g)) => Some(format!("{f} {g}")),
            (f, g) => f.clone().or_else(|| g.clone()),
        });
        let Some(name) = name else {
            out.bad_rows.push(BadRow {
                line,
                message: "no name".into(),
            });
            return;
        };
        let record = Record {
            id: get(Field::Id).unwrap_or_else(|| line.to_string()),
            name,
            given_name: given,
            family_name: family,
            dob: get(Field::Dob),
            sex: get(Field::Sex),
            hometown: get(Field::Hometown),
            passport: get(Field::Passport),
            national_id: get(Field::NationalId),
            address: get(Field::Address),
            locality: get(Field::Locality),
            postcode: get(Field::Postcode),
            phone: get(Field::Phone),
        };
        out.records.push(record);
        out.lines.push(line);
    }

    fn field_of(&self, col: usize) -> Option<Field> {
        self.fields
            .iter()
            .find(|(_, v)| v.contains(&col))
            .map(|(f, _)| *f)
    }
}

/// Read the first non-empty sheet of a spreadsheet.
pub fn read_spreadsheet(path: &Path, map: Option<&ColumnMap>) -> Result<ReadResult, IoError> {
    read_spreadsheet_skipping(path, map, &[])
}

fn read_spreadsheet_skipping(
    path: &Path,
    map: Option<&ColumnMap>,
    skip: &[Field],
) -> Result<ReadResult, IoError> {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(path)
        .map_err(|e| IoError::Spreadsheet(format!("{}: {e}", path.display())))?;
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .map_or_else(|| "spreadsheet".to_owned(), str::to_ascii_lowercase);
    let names = wb.sheet_names();
    let mut last_err = IoError::NoHeader;
    for name in names {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| IoError::Spreadsheet(format!("{}: sheet {name}: {e}", path.display())))?;
        if range.is_empty() {
            continue;
        }
        let (row0, _) = range.start().unwrap_or((0, 0));
        let rows: Vec<(u64, Vec<Cell>)> = range
            .rows()
            .enumerate()
            .map(|(i, r)| (u64::from(row0) + i as u64 + 1, r.iter().map(cell).collect()))
            .collect();
        match read_grid(rows, map, skip) {
            Ok(mut r) => {
                r.format = format;
                return Ok(r);
            }
            Err(e) => last_err = e,
        }
    }
    Err(last_err)
}

/// A spreadsheet cell as text, or an error cell.
enum Cell {
    Text(String),
    /// A number: its text, and the digits when it is an integer (for leading-zero repair).
    Number(String, bool),
    Error(String),
}

impl Cell {
    fn text(&self) -> &str {
        match self {
            Cell::Text(s) | Cell::Number(s, _) | Cell::Error(s) => s,
        }
    }
}

fn cell(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::Empty => Cell::Text(String::new()),
        Data::String(s) => Cell::Text(s.trim().to_owned()),
        Data::Int(i) => Cell::Number(i.to_string(), true),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                Cell::Number(format!("{f:.0}"), true)
            } else {
                Cell::Number(f.to_string(), false)
            }
        }
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            Cell::Text(format!("{y:04}-{m:02}-{d:02}"))
        }
        Data::DateTime(dt) => Cell::Text(dt.to_string()),
        Data::DateTimeIso(s) => Cell::Text(s.get(..10).unwrap_or(s).to_owned()),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(format!("{e:?}")),
    }
}

fn read_grid(
    rows: Vec<(u64, Vec<Cell>)>,
    map: Option<&ColumnMap>,
    skip: &[Field],
) -> Result<ReadResult, IoError> {
    let mut it = rows.into_iter();
    let mut leading: Vec<(u64, Vec<String>)> = Vec::new();
    let mut header = None;
    for (line, cells) in it.by_ref() {
        let texts: Vec<String> = cells.iter().map(|c| c.text().to_owned()).collect();
        if is_header(&texts, map) {
            header = Some((line, texts));
            break;
        }
        leading.push((line, texts));
        if leading.len() >= HEADER_SCAN {
            break;
        }
    }
    let (header_line, mut header) = match header {
        Some(h) => h,
        None => match (
            map,
            leading
                .into_iter()
                .find(|(_, c)| c.iter().any(|x| !x.is_empty())),
        ) {
            (Some(_), Some(h)) => h,
            _ => return Err(IoError::NoHeader),
        },
    };
    // Spreadsheet ranges are as wide as the widest row: trailing empty header cells are fine.
    while header.last().is_some_and(String::is_empty) && header.len() > 1 {
        header.pop();
    }
    let plan = Plan::new(&header, map, skip)?;
    let mut out = ReadResult {
        header_line,
        mapping: plan.describe(&header),
        unmapped: plan.unmapped(&header),
        ..Default::default()
    };
    let width = header.len();
    for (line, cells) in it {
        if let Some((i, Cell::Error(e))) = cells
            .iter()
            .enumerate()
            .find(|(i, c)| matches!(c, Cell::Error(_)) && plan.field_of(*i).is_some())
        {
            out.bad_rows.push(BadRow {
                line,
                message: format!(
                    "cell error {e} in column {}",
                    header.get(i).map_or("?", String::as_str)
                ),
            });
            continue;
        }
        // Cells past the header's width must be empty.
        if cells.iter().skip(width).any(|c| !c.text().is_empty()) {
            out.bad_rows.push(BadRow {
                line,
                message: format!("values beyond the {width} header columns"),
            });
            continue;
        }
        let texts: Vec<String> = cells
            .iter()
            .take(width)
            .enumerate()
            .map(|(i, c)| match (c, plan.field_of(i)) {
                // A citizen id stored as a number lost its leading zero (CCCD has 12 digits,
                // CMND 9): put it back.
                (Cell::Number(s, true), Some(Field::NationalId))
                    if s.len() == 11 || s.len() == 8 =>
                {
                    format!("0{s}")
                }
                _ => c.text().to_owned(),
            })
            .chain(std::iter::repeat_n(
                String::new(),
                width.saturating_sub(cells.len()),
            ))
            .collect();
        plan.push_row(line, &texts, &mut out);
    }
    Ok(out)
}

/// One row of a truth file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthRow {
    pub list_id: String,
    /// `None` when the list row has no true match.
    pub registry_id: Option<String>,
}

/// Read a truth file: CSV with `list_id` and `registry_id` columns (or the first two columns),
/// one row per true pair; rows with an empty `registry_id` mark list rows without a match.
pub fn read_truth(path: &Path) -> Result<Vec<TruthRow>, IoError> {
    let rows = read_truth_like(
        path,
        &["listid", "id1", "leftid"],
        &["registryid", "id2", "rightid"],
    )?;
    Ok(rows
        .into_iter()
        .map(|(list_id, registry_id)| TruthRow {
            list_id,
            registry_id,
        })
        .collect())
}

/// Two columns of a CSV, found by header (squashed) or else the first two.
fn read_truth_like(
    path: &Path,
    first: &[&str],
    second: &[&str],
) -> Result<Vec<(String, Option<String>)>, IoError> {
    let bytes = std::fs::read(path).map_err(|source| IoError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let (text, _) = decode(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(sniff_delimiter(&text))
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| IoError::Spreadsheet(format!("{}: {e}", path.display())))?
        .iter()
        .map(squash)
        .collect();
    let li = headers
        .iter()
        .position(|h| first.contains(&h.as_str()))
        .unwrap_or(0);
    let ri = headers
        .iter()
        .position(|h| second.contains(&h.as_str()))
        .unwrap_or(1);
    let mut out = Vec::new();
    for r in rdr.records().flatten() {
        let l = r.get(li).unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let other = r
            .get(ri)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        out.push((l.to_owned(), other));
    }
    Ok(out)
}

/// Read a deduplication truth file: `id,cluster` (or the first two columns); records with the
/// same cluster are the same person.
pub fn read_clusters(path: &Path) -> Result<Vec<(String, String)>, IoError> {
    let rows = read_truth_like(
        path,
        &["id", "recordid", "registryid"],
        &["cluster", "clusterid", "personid", "entityid"],
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, b)| b.map(|b| (a, b)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_files_read_in_parallel_keep_order_and_line_numbers() {
        // Over PARALLEL_MIN_BYTES, with quoted fields spanning lines and a bad row late on.
        let mut text = String::from("id,full_name,dob\n");
        let mut line = 2u64;
        let mut expect: Vec<(String, u64)> = Vec::new();
        let mut bad_line = 0;
        let mut i = 0;
        while text.len() < PARALLEL_MIN_BYTES + (1 << 20) {
            let id = format!("R{i:07}");
            if i % 997 == 0 {
                text.push_str(&format!("{id},\"Nguyen\nVan \"\"An\"\"\",1990-01-01\n"));
                expect.push((id, line));
                line += 2;
            } else if i == 70_001 {
                text.push_str("only,two\n");
                bad_line = line;
                line += 1;
            } else {
                text.push_str(&format!(
                    "{id},Tran Thi Mai {i} padding padding padding,1985\n"
                ));
                expect.push((id, line));
                line += 1;
            }
            i += 1;
        }
        let r = read_csv_bytes(text.as_bytes(), None).unwrap_or_default();
        assert_eq!(r.records.len(), expect.len());
        for ((rec, l), (id, el)) in r.records.iter().zip(&r.lines).zip(&expect) {
            assert_eq!((&rec.id, *l), (id, *el));
        }
        assert!(
            r.records[0].name.contains("\"An\""),
            "{}",
            r.records[0].name
        );
        assert_eq!(r.bad_rows.len(), 1);
        assert_eq!(r.bad_rows[0].line, bad_line);
    }

    fn read(bytes: &[u8]) -> ReadResult {
        match read_csv_bytes(bytes, None) {
            Ok(r) => r,
            Err(e) => panic!("read failed: {e}"),
        }
    }

    #[test]
    fn english_headers_map_automatically() {
        let csv = "ID,Full Name,Date of Birth,Gender,Province,Passport No.,National ID,Phone\n\
                   A1,NGUYEN VAN AN,12/05/1990,M,Nghe An,C1234567,040090001234,+84912345678\n\
                   A2,TRAN THI BINH,1988,F,,,,\n";
        let r = read(csv.as_bytes());
        assert!(r.bad_rows.is_empty(), "{:?}", r.bad_rows);
        assert_eq!(r.records.len(), 2);
        let a = &r.records[0];
        assert_eq!(a.id, "A1");
        assert_eq!(a.name, "NGUYEN VAN AN");
        assert_eq!(a.dob.as_deref(), Some("12/05/1990"));
        assert_eq!(a.sex.as_deref(), Some("M"));
        assert_eq!(a.hometown.as_deref(), Some("Nghe An"));
        assert_eq!(a.passport.as_deref(), Some("C1234567"));
        assert_eq!(a.national_id.as_deref(), Some("040090001234"));
        assert_eq!(a.phone.as_deref(), Some("+84912345678"));
        assert_eq!(r.records[1].hometown, None);
        assert_eq!(r.format, "UTF-8");
    }

    #[test]
    fn vietnamese_headers_semicolons_and_a_title_row() {
        let csv = "DANH SÁCH CÔNG DÂN;;;;\n\
                   STT;Họ và tên;Ngày sinh;Giới tính;Quê quán\n\
                   1;Nguyễn Văn An;12/05/1990;Nam;Nghệ An\n";
        let r = read(csv.as_bytes());
        assert_eq!(r.header_line, 2);
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0].name, "Nguyễn Văn An");
        assert_eq!(r.records[0].sex.as_deref(), Some("Nam"));
        assert_eq!(r.records[0].hometown.as_deref(), Some("Nghệ An"));
        assert_eq!(r.records[0].id, "1");
    }

    #[test]
    fn split_names_and_febrl_columns() {
        let csv = "rec_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id\n\
                   rec-1-org,michaela,neumann,8,stanley street,miami,winston hills,4223,nsw,19151111,5304218\n";
        let r = read(csv.as_bytes());
        assert_eq!(r.records.len(), 1);
        let a = &r.records[0];
        assert_eq!(a.id, "rec-1-org");
        assert_eq!(a.name, "neumann michaela");
        assert_eq!(a.family_name.as_deref(), Some("neumann"));
        assert_eq!(a.given_name.as_deref(), Some("michaela"));
        assert_eq!(a.national_id.as_deref(), Some("5304218"));
        assert_eq!(a.dob.as_deref(), Some("19151111"));
        assert_eq!(a.locality.as_deref(), Some("winston hills"));
        assert_eq!(a.postcode.as_deref(), Some("4223"));
        assert_eq!(a.address.as_deref(), Some("stanley street miami"));

        // The same file with the explicit FEBRL mapping.
        let (side, map) = ColumnMap::parse(
            "id=rec_id,given=given_name,family=surname,dob=date_of_birth,national_id=soc_sec_id,\
             address=street_number+address_1,locality=suburb,postcode=postcode",
        )
        .unwrap_or_default();
        assert_eq!(side, None);
        let r = read_csv_bytes(csv.as_bytes(), Some(&map)).unwrap_or_default();
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0].address.as_deref(), Some("8 stanley street"));
        assert_eq!(r.records[0].national_id.as_deref(), Some("5304218"));
    }

    #[test]
    fn bad_rows_are_reported_and_skipped() {
        let csv = "id,name,dob\n\
                   1,NGUYEN VAN AN,1990\n\
                   2,TRAN THI BINH\n\
                   3,LE VAN C,1991,extra\n\
                   \n\
                   4,,1992\n\
                   5,PHAM D,1993\n";
        let r = read(csv.as_bytes());
        let ids: Vec<&str> = r.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["1", "5"]);
        let lines: Vec<u64> = r.bad_rows.iter().map(|b| b.line).collect();
        assert_eq!(lines, [3, 4, 6]);
        assert!(r.bad_rows[0].message.contains("expected 3 fields, found 2"));
        assert_eq!(r.bad_rows[2].message, "no name");
        assert_eq!(r.lines, [2, 7]);
    }

    #[test]
    fn bom_is_stripped() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice("Họ tên,Ngày sinh\nLê Thị Hoa,1995-01-02\n".as_bytes());
        let r = read(&bytes);
        assert_eq!(r.format, "UTF-8 (BOM)");
        assert_eq!(r.mapping[0], (Field::Name, vec!["Họ tên".to_owned()]));
        assert_eq!(r.records[0].name, "Lê Thị Hoa");
    }

    const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];

    #[test]
    fn windows_1258_is_decoded_to_nfc() {
        use unicode_normalization::UnicodeNormalization;
        let text = "Họ và tên,Quê quán\nNguyễn Thị Ánh,Hà Tĩnh\nĐặng Văn Hưng,Thừa Thiên Huế\n";
        // Windows-1258 spells tones as combining marks after a base letter that may carry a
        // circumflex, breve or horn: decompose the tones only.
        let legacy: String = text
            .chars()
            .flat_map(|c| {
                let d: String = std::iter::once(c).nfd().collect();
                let tones: String = d.chars().filter(|m| TONES.contains(m)).collect();
                let base: String = d.chars().filter(|m| !TONES.contains(m)).nfc().collect();
                base.chars().chain(tones.chars()).collect::<Vec<char>>()
            })
            .collect();
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&legacy);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err());
        let r = read(&bytes);
        assert_eq!(r.format, "Windows-1258");
        assert_eq!(r.records[0].name, "Nguyễn Thị Ánh");
        assert!(baoho_domain::text::is_nfc(&r.records[0].name));
        assert_eq!(r.records[1].name, "Đặng Văn Hưng");
        assert_eq!(r.records[1].hometown.as_deref(), Some("Thừa Thiên Huế"));
    }

    #[test]
    fn utf16_with_bom_tab_separated() {
        let text = "Full name\tDOB\nNGUYEN VAN AN\t1990\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let r = read(&bytes);
        assert_eq!(r.format, "UTF-16LE (BOM)");
        assert_eq!(r.records[0].dob.as_deref(), Some("1990"));
    }

    #[test]
    fn mapping_strings() {
        let (side, m) =
            ColumnMap::parse("list:id=list_id,name=full_name,dob=#3").unwrap_or_default();
        assert_eq!(side, Some(MapSide::List));
        assert_eq!(
            m.fields[0],
            (Field::Id, vec![ColumnRef::Header("list_id".into())])
        );
        assert_eq!(m.fields[2], (Field::Dob, vec![ColumnRef::Index(2)]));
        let (side, _) = ColumnMap::parse("registry:name=Họ tên").unwrap_or_default();
        assert_eq!(side, Some(MapSide::Registry));
        assert!(ColumnMap::parse("list:nonsense=x").is_err());
        assert!(ColumnMap::parse("moon:name=x").is_err());
        assert!(ColumnMap::parse("name").is_err());
        assert!(ColumnMap::parse("name=a,name=b").is_err());
        assert!(ColumnMap::parse("dob=#0").is_err());

        // A missing mapped column is a clear error.
        let (_, m) = ColumnMap::parse("name=nom").unwrap_or_default();
        let e = read_csv_bytes(b"name,dob\nA,1990\n", Some(&m));
        assert!(matches!(
            e,
            Err(IoError::Mapping(_)) | Err(IoError::NoHeader)
        ));
    }

    #[test]
    fn explicit_mapping_reads_only_mapped_fields() {
        let (_, m) = ColumnMap::parse("id=a,name=b").unwrap_or_default();
        let r = read_csv_bytes(b"a,b,dob\nX1,NGUYEN AN,1990\n", Some(&m)).unwrap_or_default();
        assert_eq!(r.records[0].id, "X1");
        assert_eq!(r.records[0].dob, None);
        assert_eq!(r.unmapped, ["dob"]);
    }

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

    #[test]
    fn no_header_is_an_error() {
        assert!(matches!(
            read_csv_bytes(b"1,2,3\n4,5,6\n", None),
            Err(IoError::NoHeader)
        ));
    }

    #[test]
    fn xlsx_with_title_dates_and_numeric_ids() -> Result<(), Box<dyn std::error::Error>> {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let dir = std::env::temp_dir().join(format!("baoho-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("list.xlsx");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "DEPORTEE LIST — BATCH 7")?;
        for (c, h) in [
            "No.",
            "Surname",
            "Given names",
            "Date of birth",
            "Sex",
            "CCCD",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(2, c as u16, *h)?;
        }
        let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
        ws.write_number(3, 0, 1.0)?;
        ws.write_string(3, 1, "NGUYEN")?;
        ws.write_string(3, 2, "VAN AN")?;
        ws.write_datetime_with_format(3, 3, &ExcelDateTime::from_ymd(1990, 5, 12)?, &date_fmt)?;
        ws.write_string(3, 4, "M")?;
        ws.write_number(3, 5, 40_090_001_234.0)?; // 040090001234 typed as a number
        ws.write_number(4, 0, 2.0)?;
        ws.write_string(4, 1, "TRAN")?;
        ws.write_string(4, 2, "THI BINH")?;
        ws.write_string(4, 3, "1988")?;
        wb.save(&path)?;

        let r = read_path(&path, None)?;
        std::fs::remove_dir_all(&dir)?;
        assert_eq!(r.format, "xlsx");
        assert_eq!(r.header_line, 3);
        assert!(r.bad_rows.is_empty(), "{:?}", r.bad_rows);
        assert_eq!(r.records.len(), 2);
        let a = &r.records[0];
        assert_eq!(a.id, "1");
        assert_eq!(a.name, "NGUYEN VAN AN");
        assert_eq!(a.dob.as_deref(), Some("1990-05-12"));
        assert_eq!(a.national_id.as_deref(), Some("040090001234"));
        assert_eq!(r.records[1].dob.as_deref(), Some("1988"));
        assert_eq!(r.lines, [4, 5]);
        Ok(())
    }

    #[test]
    fn truth_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("baoho-truth-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let p = dir.join("t.csv");
        std::fs::write(&p, "list_id,registry_id,corruption\nL1,R7,x\nL2,,y\n")?;
        let t = read_truth(&p)?;
        let c = dir.join("c.csv");
        std::fs::write(&c, "id,cluster\nR1,P1\nD1,P1\nR2,\n")?;
        assert_eq!(
            read_clusters(&c)?,
            [("R1".into(), "P1".into()), ("D1".into(), "P1".into())]
        );
        std::fs::remove_dir_all(&dir)?;
        assert_eq!(
            t,
            [
                TruthRow {
                    list_id: "L1".into(),
                    registry_id: Some("R7".into())
                },
                TruthRow {
                    list_id: "L2".into(),
                    registry_id: None
                }
            ]
        );
        Ok(())
    }
}
