//! Reading CSV: the header found among the first lines, then the data rows, in parallel
//! chunks when the body is large, each with its line number.

use super::decode::{decode_borrowed, sniff_delimiter};
use super::plan::{Plan, is_header};
use super::{BadRow, ColumnMap, Field, HEADER_SCAN, IoError, ReadResult};

/// Read CSV from bytes (encoding detected, delimiter sniffed).
pub fn read_csv_bytes(bytes: &[u8], map: Option<&ColumnMap>) -> Result<ReadResult, IoError> {
    read_csv_inner(bytes, map, &[])
}

pub(super) fn read_csv_inner(
    bytes: &[u8],
    map: Option<&ColumnMap>,
    skip: &[Field],
) -> Result<ReadResult, IoError> {
    let (text, format) = decode_borrowed(bytes);
    let delim = sniff_delimiter(&text);
    let mut rdr = reader(&text, delim);
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
    read_rows(&mut rdr, &mut r, &mut lines, &plan, &mut out);
    Ok(out)
}

/// A reader of every row as data (the header is found by hand), rows of any width.
fn reader(text: &str, delim: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes())
}

/// Read the remaining data rows of `rdr` into `out`. One record buffer for the whole run:
/// cells are borrowed, only kept fields are copied.
fn read_rows(
    rdr: &mut csv::Reader<&[u8]>,
    r: &mut csv::StringRecord,
    lines: &mut LineCounter<'_>,
    plan: &Plan,
    out: &mut ReadResult,
) {
    loop {
        match rdr.read_record(r) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.line(r.position());
                let cells: Vec<&str> = r.iter().map(str::trim).collect();
                plan.push_row(line, &cells, out);
            }
            Err(e) => out.bad_rows.push(BadRow {
                line: lines.line(e.position()),
                message: e.to_string(),
            }),
        }
    }
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
            let mut rdr = reader(chunk, delim);
            let mut lines = LineCounter::new(chunk);
            lines.line = first_line;
            let mut r = csv::StringRecord::new();
            read_rows(&mut rdr, &mut r, &mut lines, plan, &mut part);
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
            // A line ends with `\n`, `\r\n`, or a lone `\r` (old Mac files), as for the csv
            // reader itself.
            let text = self.text;
            self.line += (self.byte..to)
                .filter(|&i| {
                    text[i] == b'\n' || (text[i] == b'\r' && text.get(i + 1) != Some(&b'\n'))
                })
                .count() as u64;
            self.byte = to;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read;

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
    fn lone_carriage_returns_end_lines() {
        // Every record of a file with `\r` line ends was said to be on line 1, the header's
        // line (the fuzz target's invariant: records come after their header, in order).
        let r = read(b"id,name\r1,NGUYEN VAN AN\r\r2,TRAN THI BINH\r\n3,LE C\n");
        assert_eq!(r.header_line, 1);
        assert_eq!(r.lines, [2, 4, 5]);
    }

    #[test]
    fn no_header_is_an_error() {
        assert!(matches!(
            read_csv_bytes(b"1,2,3\n4,5,6\n", None),
            Err(IoError::NoHeader)
        ));
    }
}
