//! Case journeys in a browser. The intake form swaps parts of itself with htmx (the type's
//! fields when the type is chosen, the mission options when the country is): each such step
//! waits for the swap it triggered before touching what was swapped.

use crate::support::browser::browser;
use baoho_domain::access::Role;

/// The case journey: hotline intake with a duplicate warning → assign → consular visit logged
/// → referral → resolved → closure requested → the head of mission approves it.
#[tokio::test]
async fn hotline_intake_to_approved_closure() {
    let app = crate::support::spawn_sqlite().await;
    crate::support::personal(&["Lý Văn Tâm"]);
    app.account("hotline.hq", Role::HqOfficer, "CD", true).await;
    app.account("tokyo.lead", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    app.account("tokyo.boss", Role::HeadOfMission, "EMB-JP-TOKYO", true)
        .await;
    let hq = app.login("hotline.hq").await;
    let r = hq
        .post_json("/api/v1/persons", &serde_json::json!({"full_name": "Lý Văn Tâm", "country": "JP", "mission": "EMB-JP-TOKYO", "birth": {"year": 1988, "month": null, "day": null}}))
        .await;
    assert_eq!(r.status(), 201);
    let Some(b) = browser(1280, 1000).await else {
        app.stop().await;
        return;
    };
    let page = b.on(&app);
    // HQ's hotline takes the call (its API login above used this 30 s step: use the next).
    page.sign_in("hotline.hq", 30).await;
    page.open("/cases/new").await;
    // Each choice below makes htmx replace part of the form: wait for that swap, so the
    // mission option clicked next is the new one (the old one went stale under load).
    page.choose_then_swap("#case_type", "arrest", "type-fields")
        .await;
    page.choose_then_swap("#country", "JP", "mission").await;
    page.choose("#mission", "EMB-JP-TOKYO").await;
    page.type_into("#summary", "Vợ gọi: chồng bị bắt ở Osaka")
        .await;
    page.type_into("#person_name", "ly van tam").await;
    page.type_into("#person_birth", "1988").await;
    page.click("#intake-submit").await;
    // The duplicate warning: the known person is offered; choose them.
    page.sees("#duplicate-warning", "Lý Văn Tâm").await;
    page.click("#duplicate-warning input[name='person_id']")
        .await;
    page.click("#intake-submit").await;
    page.sees("#case-persons", "Lý Văn Tâm").await;
    // Assign the Tokyo officer as lead.
    page.choose_labelled("#account", "tokyo.lead").await;
    page.click("#assign-submit").await;
    page.sees("#case-lead", "tokyo.lead").await;
    // The consular visit, logged by the lead officer from Tokyo.
    let case_url = page.url().await;
    page.sign_in_as("tokyo.lead", 0).await;
    page.open_url(&case_url).await;
    page.choose("#kind", "consular_visit").await;
    page.type_into("#body", "Thăm lãnh sự tại đồn Osaka, sức khỏe ổn định")
        .await;
    page.click("#event-submit").await;
    page.sees("#timeline", "Thăm lãnh sự tại đồn Osaka").await;
    // Referral to the police, with the person's consent, carrying identity and documents.
    page.click("#referral-details summary").await;
    page.choose("#agency", "MPS").await;
    page.type_into("#purpose", "Xác minh nhân thân trước khi về nước")
        .await;
    page.click("input[name='f_documents']").await;
    // Consent given by the person, for verification, on the phone (today by default).
    page.click("#basis-given").await;
    page.choose("#consent_purpose", "identity_verification")
        .await;
    page.choose("#consent_method", "phone").await;
    page.click("#referral-submit").await;
    page.sees("#referrals", "đã gửi").await;
    page.sees("#referrals", "qua điện thoại").await;
    // Each status is waited for on the page the change brings (the one before says another).
    for (to, shown) in [("in_progress", "Đang xử lý"), ("resolved", "Đã giải quyết")] {
        page.choose("#status", to).await;
        page.click("#status-submit").await;
        page.sees("#case-status", shown).await;
    }
    page.click("#close-request").await;
    page.sees("#close-pending", "chờ cấp trên duyệt").await;
    // The head of mission approves the closure from the work queue.
    page.sign_in_as("tokyo.boss", 0).await;
    page.open("/cases").await;
    page.sees("#q-approvals", "BH-").await;
    page.click("#q-approvals a.case-link").await;
    // #close-approve is on the case page only: this waits for that page.
    page.click("#close-approve").await;
    page.sees("#case-status", "Đã kết thúc").await;
    b.close().await;
    app.stop().await;
}

/// The intake form asks for the chosen type's own fields: htmx brings them in when the type
/// is chosen.
#[tokio::test]
async fn intake_shows_the_chosen_types_fields() {
    let app = crate::support::spawn_sqlite().await;
    app.account("intake.tf", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let Some(b) = browser(1280, 1000).await else {
        app.stop().await;
        return;
    };
    let page = b.on(&app);
    page.sign_in("intake.tf", 0).await;
    page.open("/cases/new").await;
    page.choose_then_swap("#case_type", "death", "type-fields")
        .await;
    page.sees("#type-fields", "Ngày mất").await;
    b.close().await;
    app.stop().await;
}
