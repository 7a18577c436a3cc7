//! Consular access: the notification clock flags breaches and feeds the country report.

use baoho_domain::access::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn consular_access_clock_flags_breaches_and_feeds_the_country_report() {
    let app = crate::support::spawn_sqlite().await;
    app.account("off.v", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let officer = app.login("off.v").await;
    let case: Value = officer
        .post_json("/api/v1/cases", &json!({"case_type": "arrest", "priority": "urgent", "channel": "mission", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Arrested at a station"}))
        .await
        .json()
        .await
        .unwrap();
    let id = case["id"].as_str().unwrap();
    let day = |d: i64| {
        (app.now() - chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (a, n) = (day(20), day(12));
    let r = officer
        .post_form(
            &format!("/cases/{id}/consular-access"),
            &[("arrested", a.as_str()), ("notified", n.as_str())],
        )
        .await;
    assert_eq!(r.status(), 303);
    let bad = officer
        .post_form(
            &format!("/cases/{id}/consular-access"),
            &[("arrested", "yesterday")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let page = officer
        .get(&format!("/cases/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("vccr-breaches") && page.contains("Thông báo chậm"),
        "the late notification is flagged"
    );
    let report = officer
        .get("/cases/consular-access")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("Nhật Bản") && report.contains("0 %"),
        "the country report"
    );
    let v: Value = officer
        .get("/api/v1/reports/consular-access")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v[0]["late_notifications"], 1);
    app.stop().await;
}
