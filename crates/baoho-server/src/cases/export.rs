use super::*;

/// `GET /cases/export.csv`: the filtered list as CSV (audited as an export).
pub async fn export_csv(
    caller: Caller,
    c: Chrome,
    Query(p): Query<ListParams>,
) -> Result<Response, AppError> {
    let lang = c.t.lang;
    let out = export_list(&caller, &p, |cases| {
        let headers: Vec<&str> = EXPORT_COLUMNS.iter().map(|c| c.header).collect();
        let mut out = csv_line(&headers);
        for c in cases {
            let values = export_row(lang, c);
            let cells: Vec<String> = values
                .into_iter()
                .map(|v| match v {
                    ExportValue::Text(s) => s,
                    ExportValue::Time(t) => t.to_rfc3339(),
                })
                .collect();
            let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
            out.push_str(&csv_line(&cells));
        }
        Ok(out)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cases.csv\"",
            ),
        ],
        format!("\u{feff}{out}"),
    )
        .into_response())
}

/// One column of every case-list export: its header (stable codes, for whoever processes the
/// file) and its width in Excel. Each code column is followed by its name in the officer's
/// language, for whoever reads it.
pub(super) struct ExportColumn {
    header: &'static str,
    width: f64,
}

pub(super) const fn col(header: &'static str, width: f64) -> ExportColumn {
    ExportColumn { header, width }
}

/// The columns of every case-list export, in order; [`export_row`] gives the values.
pub(super) const EXPORT_COLUMNS: [ExportColumn; 14] = [
    col("reference", 20.0),
    col("type", 16.0),
    col("type_name", 26.0),
    col("priority", 10.0),
    col("status", 14.0),
    col("status_name", 16.0),
    col("rag", 8.0),
    col("country", 9.0),
    col("country_name", 18.0),
    col("mission", 18.0),
    col("mission_name", 30.0),
    col("opened_at", 17.0),
    col("due_at", 17.0),
    col("escalation", 12.0),
];

/// One exported value: text, or an instant (RFC 3339 in CSV, a date cell in Excel).
pub(super) enum ExportValue {
    Text(String),
    Time(chrono::DateTime<chrono::Utc>),
}

/// One case's values, in the order of [`EXPORT_COLUMNS`], the names in `lang`.
pub(super) fn export_row(lang: Lang, c: &CaseSummary) -> [ExportValue; 14] {
    use ExportValue::{Text, Time};
    let t = Tr::new(lang);
    [
        Text(c.reference.clone()),
        Text(c.case_type.clone()),
        Text(type_name(lang, &c.case_type)),
        Text(c.priority.as_str().to_owned()),
        Text(c.status.as_str().to_owned()),
        Text(
            t.s(&format!("case.status.{}", c.status.as_str()))
                .to_owned(),
        ),
        Text(c.rag.as_str().to_owned()),
        Text(c.country.clone()),
        Text(country_name(lang, &c.country)),
        Text(c.mission.clone()),
        Text(mission_name(lang, &c.mission)),
        Time(c.opened_at),
        Time(c.due_at),
        Text(c.escalation.as_str().to_owned()),
    ]
}

/// What every case-list export shares, whatever its format: the roles that may export, the
/// list's filters (every matching row, up to [`EXPORT_MAX_ROWS`]), the scoped list calls (with its audited search) and the
/// export's own audit row, written once `render` has made the file from the rows.
pub(super) async fn export_list<T>(
    caller: &Caller,
    p: &ListParams,
    render: impl FnOnce(&[CaseSummary]) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let entry = |outcome, purpose: String| {
        baoho_store::audit::AuditEntry::new(
            caller.now(),
            &caller.account().id,
            baoho_store::audit::AuditAction::Export,
            outcome,
        )
        .role(caller.account().role.as_str())
        .agency(&caller.account().agency.code)
        .object("case", "")
        .purpose(purpose)
        .request(caller.request_id())
    };
    if !may_export(caller.account().role) {
        export_audit(
            caller,
            &entry(
                baoho_store::audit::AuditOutcome::Denied,
                "case list export".into(),
            ),
        )
        .await?;
        return Err(AppError::Forbidden("your role may not export lists".into()));
    }
    let mut f = p.filter()?;
    f.limit = 500;
    f.offset = 0;
    let h = caller.cases("export");
    // Every matching row, a page at a time (each page read is an audited search).
    let mut all: Vec<CaseSummary> = Vec::new();
    loop {
        let page = h.list(&f).await?;
        if page.total > EXPORT_MAX_ROWS {
            return Err(AppError::Unprocessable {
                detail: format!(
                    "{} cases match; an export holds at most {EXPORT_MAX_ROWS}: narrow the filters",
                    page.total
                ),
                errors: vec![],
            });
        }
        let n = page.cases.len();
        all.extend(page.cases);
        if n < 500 || all.len() as i64 >= page.total {
            break;
        }
        f.offset += 500;
    }
    let page = CasePage {
        total: all.len() as i64,
        cases: all,
        total_is_at_least: false,
    };
    let file = render(&page.cases)?;
    // The export's row names the persons of the cases exported ("who saw whom", ADR 0018).
    let ids: Vec<String> = page.cases.iter().map(|c| c.id.clone()).collect();
    let persons = h.persons_of_listed(&ids).await?;
    export_audit(
        caller,
        &entry(
            baoho_store::audit::AuditOutcome::Allowed,
            format!("case list export, {} rows", page.cases.len()),
        )
        .subjects(persons),
    )
    .await?;
    Ok(file)
}

/// The export's own audit row.
async fn export_audit(
    caller: &Caller,
    entry: &baoho_store::audit::AuditEntry,
) -> Result<(), AppError> {
    caller.record_export(entry).await
}

/// `GET /cases/export.xlsx`: the same rows as [`export_csv`], through the same scoped list
/// call and audited the same way, as an Excel workbook (dates as date cells, in UTC).
pub async fn export_xlsx(
    caller: Caller,
    c: Chrome,
    Query(p): Query<ListParams>,
) -> Result<Response, AppError> {
    use crate::xlsx::{Cell, Column};
    let lang = c.t.lang;
    let file = export_list(&caller, &p, |cases| {
        let columns: Vec<Column<'_>> = EXPORT_COLUMNS
            .iter()
            .map(|c| Column {
                header: match c.header {
                    "opened_at" => "opened_at (UTC)",
                    "due_at" => "due_at (UTC)",
                    h => h,
                },
                width: c.width,
            })
            .collect();
        let rows: Vec<[ExportValue; 14]> = cases.iter().map(|c| export_row(lang, c)).collect();
        crate::xlsx::workbook(
            "cases",
            &columns,
            rows.iter().map(|r| {
                r.iter()
                    .map(|v| match v {
                        ExportValue::Text(s) => Cell::Text(s),
                        ExportValue::Time(t) => Cell::Time(*t),
                    })
                    .collect()
            }),
        )
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, crate::xlsx::CONTENT_TYPE),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cases.xlsx\"",
            ),
        ],
        file,
    )
        .into_response())
}

pub(super) fn csv_line(fields: &[&str]) -> String {
    let mut s = fields
        .iter()
        .map(|f| {
            // Quote everything; neutralise spreadsheet formulas.
            let f = if f.starts_with(['=', '+', '-', '@']) {
                format!("'{f}")
            } else {
                (*f).to_owned()
            };
            format!("\"{}\"", f.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",");
    s.push_str("\r\n");
    s
}

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    vec![
        Route::page(Method::GET, "/cases/export.csv", Staff, export_csv).recent(),
        Route::page(Method::GET, "/cases/export.xlsx", Staff, export_xlsx).recent(),
    ]
}
