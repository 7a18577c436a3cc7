//! The officer's main journey in a browser: sign in with the second factor, find a person
//! typed without diacritics, open the record.

use crate::support::browser::browser;
use baoho_domain::access::Role;

#[tokio::test]
async fn sign_in_with_mfa_search_unaccented_and_open_a_person() {
    let app = crate::support::spawn_sqlite().await;
    crate::support::personal(&["Nguyễn Thị Thu Hằng", "B2345678"]);
    app.account("tokyo.browser", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    // The person, entered by a colleague through the API.
    app.account("tokyo.entry", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let entry = app.login("tokyo.entry").await;
    let r = entry
        .post_json(
            "/api/v1/persons",
            &serde_json::json!({"full_name": "Nguyễn Thị Thu Hằng", "country": "JP", "mission": "EMB-JP-TOKYO",
                "birth": {"year": 1992, "month": 4, "day": null},
                "documents": [{"kind": "passport", "number": "B2345678"}]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let Some(b) = browser(390, 844).await else {
        app.stop().await;
        return;
    };
    let page = b.on(&app);
    page.open("/persons").await;
    // Not signed in: the sign-in page.
    page.sees("h1", "Đăng nhập").await;
    page.sign_in_here("tokyo.browser", 0).await;
    // Back where we wanted to go, signed in (the name shows only on the page after sign-in).
    page.type_into("#q", "nguyen thi thu hang").await;
    page.click("#search-submit").await;
    page.sees("#hits", "Nguyễn Thị Thu Hằng").await;
    page.click("a.person-link").await;
    page.sees("#person-name", "Nguyễn Thị Thu Hằng").await;
    let docs = page.sees("#documents", "B2345678").await;
    assert!(docs.contains("Hộ chiếu"), "{docs}");
    page.sees("#person-birth", "1992-04").await;
    b.close().await;
    app.stop().await;
}
