//! Lists as Excel workbooks (`rust_xlsxwriter`): one sheet with a bold, frozen header row and
//! a filter on it, column widths chosen by the caller, text written as text exactly as given
//! (never as a formula, so `=…`, `+…`, `-…` and `@…` stay inert) and instants as real date cells
//! in UTC.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// The media type of an `.xlsx` file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One column: its header and its width in characters.
pub struct Column<'a> {
    pub header: &'a str,
    pub width: f64,
}

/// One cell's value.
pub enum Cell<'a> {
    /// Text, written as a string cell whatever it begins with.
    Text(&'a str),
    /// An instant, written as a date cell (`yyyy-mm-dd hh:mm`, UTC, to the second).
    Time(DateTime<Utc>),
}

/// A workbook of one sheet named `sheet`: the header row, then `rows` (cells beyond the
/// columns given are written too, without a width).
pub fn workbook<'a>(
    sheet: &str,
    columns: &[Column<'_>],
    rows: impl IntoIterator<Item = Vec<Cell<'a>>>,
) -> Result<Vec<u8>, AppError> {
    fn fail(e: rust_xlsxwriter::XlsxError) -> AppError {
        AppError::Internal(format!("xlsx: {e}"))
    }
    let bold = Format::new().set_bold();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    for (col, c) in (0u16..).zip(columns) {
        ws.write_string_with_format(0, col, c.header, &bold)
            .map_err(fail)?;
        ws.set_column_width(col, c.width).map_err(fail)?;
    }
    let mut last = 0u32;
    for (row, cells) in (1u32..).zip(rows) {
        last = row;
        for (col, cell) in (0u16..).zip(cells) {
            match cell {
                Cell::Text(s) => ws.write_string(row, col, s).map_err(fail)?,
                Cell::Time(t) => {
                    let t = ExcelDateTime::from_timestamp(t.timestamp()).map_err(fail)?;
                    ws.write_datetime_with_format(row, col, &t, &when)
                        .map_err(fail)?
                }
            };
        }
    }
    if let Some(end) = u16::try_from(columns.len())
        .ok()
        .and_then(|n| n.checked_sub(1))
    {
        ws.autofilter(0, 0, last, end).map_err(fail)?;
    }
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    wb.save_to_buffer().map_err(fail)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

    #[test]
    fn text_stays_text_and_times_are_dates() {
        let at = DateTime::parse_from_rfc3339("2026-03-04T05:06:07Z")
            .unwrap()
            .with_timezone(&Utc);
        // NFC as typed: precomposed letters only.
        let name = "Nguyễn Thị Đào";
        let bytes = workbook(
            "cases",
            &[
                Column {
                    header: "tên",
                    width: 20.0,
                },
                Column {
                    header: "at",
                    width: 17.0,
                },
            ],
            [
                vec![Cell::Text(name), Cell::Time(at)],
                vec![Cell::Text("=HYPERLINK(\"http://x\")"), Cell::Text("+1")],
                vec![Cell::Text("-2+3"), Cell::Text("@SUM(A1)")],
            ],
        )
        .unwrap();
        let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), vec!["cases".to_owned()]);
        let formulas = wb.worksheet_formula("cases").unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "no formula anywhere"
        );
        let r = wb.worksheet_range("cases").unwrap();
        let s = |row: u32, col: u32| match r.get_value((row, col)) {
            Some(Data::String(s)) => s.clone(),
            other => panic!("({row},{col}) is not text: {other:?}"),
        };
        assert_eq!(s(0, 0), "tên");
        assert_eq!(s(1, 0).as_bytes(), name.as_bytes(), "kept byte for byte");
        assert_eq!(s(2, 0), "=HYPERLINK(\"http://x\")");
        assert_eq!(s(2, 1), "+1");
        assert_eq!(s(3, 0), "-2+3");
        assert_eq!(s(3, 1), "@SUM(A1)");
        match r.get_value((1, 1)) {
            Some(Data::DateTime(d)) => {
                let serial = at.timestamp() as f64 / 86_400.0 + 25_569.0;
                assert!((d.as_f64() - serial).abs() < 1e-6, "{}", d.as_f64());
            }
            other => panic!("not a date: {other:?}"),
        }
    }
}
