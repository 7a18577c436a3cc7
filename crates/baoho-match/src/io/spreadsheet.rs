//! Reading spreadsheets (xlsx, xlsm, xlsb, xls, ods) through calamine: the first sheet with a
//! header, typed cells turned back into the text a clerk typed.

use super::plan::{Plan, is_header};
use super::{BadRow, ColumnMap, Field, HEADER_SCAN, IoError, ReadResult};
use std::path::Path;

/// Read the first non-empty sheet of a spreadsheet.
pub fn read_spreadsheet(path: &Path, map: Option<&ColumnMap>) -> Result<ReadResult, IoError> {
    read_spreadsheet_skipping(path, map, &[])
}

pub(super) fn read_spreadsheet_skipping(
    path: &Path,
    map: Option<&ColumnMap>,
    skip: &[Field],
) -> Result<ReadResult, IoError> {
    let wb = calamine::open_workbook_auto(path)
        .map_err(|e| IoError::Spreadsheet(format!("{}: {e}", path.display())))?;
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .map_or_else(|| "spreadsheet".to_owned(), str::to_ascii_lowercase);
    read_workbook(wb, &path.display().to_string(), format, map, skip)
}

/// Read the first non-empty sheet of a spreadsheet held in memory (an upload); its format
/// (xls, xlsx, xlsb, ods) is detected from the bytes.
pub fn read_spreadsheet_bytes(
    bytes: &[u8],
    map: Option<&ColumnMap>,
) -> Result<ReadResult, IoError> {
    let wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| IoError::Spreadsheet(e.to_string()))?;
    let format = match &wb {
        calamine::Sheets::Xls(_) => "xls",
        calamine::Sheets::Xlsx(_) => "xlsx",
        calamine::Sheets::Xlsb(_) => "xlsb",
        calamine::Sheets::Ods(_) => "ods",
    };
    read_workbook(wb, "spreadsheet", format.to_owned(), map, &[])
}

fn read_workbook<RS: std::io::Read + std::io::Seek>(
    mut wb: calamine::Sheets<RS>,
    what: &str,
    format: String,
    map: Option<&ColumnMap>,
    skip: &[Field],
) -> Result<ReadResult, IoError> {
    use calamine::Reader;
    let names = wb.sheet_names();
    let mut last_err = IoError::NoHeader;
    for name in names {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| IoError::Spreadsheet(format!("{what}: sheet {name}: {e}")))?;
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

#[cfg(test)]
mod tests {
    use crate::io::read_path;

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
}
