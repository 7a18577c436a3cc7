//! The case list's Excel export: the same rows, scope, refusals and audit rows as the CSV
//! export, in a workbook that opens (read back with calamine).

use crate::support::stories::*;
use crate::support::{Staff, TestApp, both_backends};
use baoho_domain::access::Role;
use baoho_store::audit::AuditFilter;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use std::collections::BTreeSet;

/// Open a case of `case_type` at `mission`; its reference.
async fn opened(s: &Staff<'_>, case_type: &str, mission: &str) -> String {
    let case = case_of(case_type, mission, "Export test");
    s.open_case(&case).await.unwrap().summary.reference
}

/// The workbook's one sheet, read back: the header row and the data rows.
fn sheet(bytes: &[u8]) -> (Vec<String>, Vec<Vec<Data>>) {
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), vec!["cases".to_owned()]);
    let formulas = wb.worksheet_formula("cases").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
    let range = wb.worksheet_range("cases").unwrap();
    let mut rows = range.rows().map(|r| r.to_vec());
    let header = rows
        .next()
        .unwrap()
        .into_iter()
        .map(|d| d.to_string())
        .collect();
    (header, rows.collect())
}

fn csv_references(csv: &str) -> BTreeSet<String> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().trim_matches('"').to_owned())
        .collect()
}

fn xlsx_references(rows: &[Vec<Data>]) -> BTreeSet<String> {
    rows.iter()
        .map(|r| match &r[0] {
            Data::String(s) => s.clone(),
            other => panic!("reference is not text: {other:?}"),
        })
        .collect()
}

/// What an audit row says, without its time, hash and request id.
type Said = (String, String, String, String, String, String, String);

/// The audit rows `who` wrote while `f` ran.
async fn audited<F: Future>(app: &TestApp, who: &str, f: F) -> (F::Output, Vec<Said>) {
    let rows = |after: i64| async move {
        let mut v: Vec<_> = app
            .audit(AuditFilter {
                actor: Some(who.to_owned()),
                ..Default::default()
            })
            .await
            .into_iter()
            .filter(|r| r.seq > after)
            .collect();
        v.sort_by_key(|r| r.seq);
        v
    };
    let last = rows(0).await.last().map_or(0, |r| r.seq);
    let out = f.await;
    let said = rows(last)
        .await
        .into_iter()
        .map(|r| {
            let e = r.entry;
            (
                e.action.as_str().to_owned(),
                e.outcome.as_str().to_owned(),
                e.role,
                e.agency,
                e.object_kind,
                e.object_id,
                e.purpose,
            )
        })
        .collect();
    (out, said)
}

both_backends!(
    case_list_xlsx_matches_the_csv_export,
    async |app: &TestApp| {
        app.with_staff(&[
            officer("off.tk", TOKYO),
            officer("off.sl", SEOUL),
            police("police.x"),
            auditor("auditor.x"),
        ])
        .await;
        let tokyo = app.login("off.tk").await;
        let seoul = app.login("off.sl").await;
        let arrest = opened(&tokyo, "arrest", TOKYO).await;
        let detention = opened(&tokyo, "detention", TOKYO).await;
        let other_mission = opened(&seoul, "arrest", SEOUL).await;

        // The whole list in the officer's scope: Tokyo's two cases, not Seoul's.
        let (res, csv_said) = audited(app, &tokyo.account_id, async {
            tokyo.page("/cases/export.csv").await
        })
        .await;
        let csv = res;
        let (res, xlsx_said) =
            audited(app, &tokyo.account_id, tokyo.get("/cases/export.xlsx")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(
            res.headers()["content-disposition"],
            "attachment; filename=\"cases.xlsx\""
        );
        let bytes = res.bytes().await.unwrap();
        let (header, rows) = sheet(&bytes);
        assert_eq!(
            header,
            [
                "reference",
                "type",
                "type_name",
                "priority",
                "status",
                "status_name",
                "rag",
                "country",
                "country_name",
                "mission",
                "mission_name",
                "opened_at (UTC)",
                "due_at (UTC)",
                "escalation"
            ]
        );
        let refs = xlsx_references(&rows);
        assert_eq!(
            refs,
            BTreeSet::from([arrest.clone(), detention.clone()]),
            "exactly the cases in scope"
        );
        assert!(!refs.contains(&other_mission));
        assert_eq!(refs, csv_references(&csv), "the same rows as the CSV");
        for r in &rows {
            assert_eq!(r[9], Data::String("EMB-JP-TOKYO".into()));
            // Each code is followed by its name in the officer's language (Vietnamese here).
            assert_eq!(
                r[10],
                Data::String("Đại sứ quán Việt Nam tại Nhật Bản".into())
            );
            assert_eq!(r[8], Data::String("Nhật Bản".into()));
            assert_eq!(r[5], Data::String("Mới".into()));
            assert!(matches!(r[11], Data::DateTime(_)), "opened_at is a date");
            assert!(matches!(r[12], Data::DateTime(_)), "due_at is a date");
        }
        let arrest_row = rows.iter().find(|r| r[0] == Data::String(arrest.clone()));
        assert_eq!(arrest_row.unwrap()[2], Data::String("Bị bắt".into()));
        // In English, the names are English; the codes and headers do not change.
        let en = tokyo
            .get_in("en", "/cases/export.csv?case_type=arrest")
            .await
            .text()
            .await
            .unwrap();
        let line = en.lines().nth(1).unwrap();
        assert!(
            line.starts_with(&format!(
                "\"{arrest}\",\"arrest\",\"Arrest\",\"high\",\"new\",\"New\","
            )),
            "{line}"
        );
        assert!(
            line.contains("\"JP\",\"Japan\",\"EMB-JP-TOKYO\",\"Embassy of Vietnam in Japan\""),
            "{line}"
        );
        // The same audit rows as the CSV export: the scoped list's search and the export.
        assert_eq!(xlsx_said, csv_said);
        assert!(
            xlsx_said
                .iter()
                .any(|s| s.0 == "export" && s.6 == "case list export, 2 rows"),
            "{xlsx_said:?}"
        );

        // The list's filters apply.
        let filtered = tokyo.get("/cases/export.xlsx?case_type=detention").await;
        let (_, rows) = sheet(&filtered.bytes().await.unwrap());
        assert_eq!(xlsx_references(&rows), BTreeSet::from([detention.clone()]));
        let csv = tokyo.page("/cases/export.csv?case_type=detention").await;
        assert_eq!(csv_references(&csv), BTreeSet::from([detention]));

        // The other mission's officer exports only its own case.
        let (_, rows) = sheet(&seoul.get("/cases/export.xlsx").await.bytes().await.unwrap());
        assert_eq!(xlsx_references(&rows), BTreeSet::from([other_mission]));

        // A partner and an auditor are refused, exactly as for the CSV.
        for username in ["police.x", "auditor.x"] {
            let s = app.login(username).await;
            let (csv, csv_said) = audited(app, &s.account_id, s.get("/cases/export.csv")).await;
            let (xlsx, xlsx_said) = audited(app, &s.account_id, s.get("/cases/export.xlsx")).await;
            assert_eq!(csv.status(), 403, "{username} csv");
            assert_eq!(xlsx.status(), 403, "{username} xlsx");
            assert_eq!(xlsx_said, csv_said, "{username}: the same audit rows");
            assert_eq!(
                s.denied().await,
                2,
                "{username}: each refusal leaves a denied row"
            );
            let body = xlsx.text().await.unwrap();
            assert!(!body.contains(&arrest), "{username}: nothing of the list");
        }
    }
);

/// An export holds every matching row (not the first page of the list), follows the list's
/// search, and the list page offers it only to roles that may export.
#[tokio::test]
async fn an_export_is_never_cut_short_and_follows_the_search() {
    let app = crate::support::spawn_sqlite().await;
    app.with_staff(&[at_hq("analyst.many", Role::Analyst)])
        .await;
    let officer = app.join(officer("off.many", TOKYO)).await;
    let mut refs = BTreeSet::new();
    for _ in 0..520 {
        refs.insert(opened(&officer, "lost_documents", TOKYO).await);
    }
    let csv = officer.page("/cases/export.csv").await;
    assert_eq!(
        csv_references(&csv),
        refs,
        "all 520 rows, past the list's 500"
    );
    let (_, rows) = sheet(
        &officer
            .get("/cases/export.xlsx")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(xlsx_references(&rows), refs);
    // The search box's query goes into the export link and filters the rows.
    let one = refs.iter().next().unwrap().clone();
    let page = officer.page(&format!("/cases/list?q={one}")).await;
    assert!(page.contains(&format!("/cases/export.csv?case_type=&amp;status=&amp;mission=&amp;country=&amp;overdue=&amp;officer=&amp;q={one}")) || page.contains(&format!("q={one}\"")), "the export link keeps the search");
    let csv = officer.page(&format!("/cases/export.csv?q={one}")).await;
    assert_eq!(csv_references(&csv), BTreeSet::from([one]));
    let analyst = app.login("analyst.many").await;
    let page = analyst.get("/cases/list").await;
    if page.status() == 200 {
        assert!(!page.text().await.unwrap().contains("export-cases"));
    }
    app.stop().await;
}
