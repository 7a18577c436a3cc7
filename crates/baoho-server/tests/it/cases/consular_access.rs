//! Consular access: the notification clock flags breaches and feeds the country report.

use crate::support::stories::*;
use serde_json::Value;

#[tokio::test]
async fn consular_access_clock_flags_breaches_and_feeds_the_country_report() {
    let app = crate::support::spawn_sqlite().await;
    let officer = app.join(officer("off.v", TOKYO)).await;
    let case = officer
        .open_case(&case_of("arrest", TOKYO, "Arrested at a station").urgent())
        .await
        .unwrap();
    let day = |d: i64| {
        (app.now() - chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (a, n) = (day(20), day(12));
    // The case page's form.
    officer
        .on_case_page(
            &case,
            "consular-access",
            &[("arrested", a.as_str()), ("notified", n.as_str())],
        )
        .await
        .unwrap();
    officer
        .on_case_page(&case, "consular-access", &[("arrested", "yesterday")])
        .await
        .refused(422);
    let page = officer.page(&format!("/cases/{}", case.id)).await;
    assert!(
        page.contains("vccr-breaches") && page.contains("Thông báo chậm"),
        "the late notification is flagged"
    );
    let report = officer.page("/cases/consular-access").await;
    assert!(
        report.contains("Nhật Bản") && report.contains("0 %"),
        "the country report"
    );
    let v: Value = officer.read("/api/v1/reports/consular-access").await;
    assert_eq!(v[0]["late_notifications"], 1);
    app.stop().await;
}
