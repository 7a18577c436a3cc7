//! The public pages in a browser: the language switch and the mission search on a phone.

use crate::support::browser::{browser, wait_for};

#[tokio::test]
async fn home_in_vietnamese_then_switch_to_english() {
    let app = crate::support::spawn_sqlite().await;
    let Some(b) = browser(1280, 900).await else {
        app.stop().await;
        return;
    };
    let page = b.on(&app);
    page.open("/").await;
    page.sees("#home-title", "Bảo hộ công dân Việt Nam ở nước ngoài")
        .await;
    assert_eq!(page.lang().await.as_deref(), Some("vi"));
    page.click("#lang-switch").await;
    page.sees("#home-title", "Protecting Vietnamese citizens abroad")
        .await;
    // The choice sticks across pages (the English link exists only on the English page).
    page.click_link("Missions").await;
    page.sees("h1", "Vietnam's missions abroad").await;
    b.close().await;
    app.stop().await;
}

#[tokio::test]
async fn search_missions_on_a_phone_without_diacritics() {
    let app = crate::support::spawn_sqlite().await;
    let Some(b) = browser(390, 844).await else {
        app.stop().await;
        return;
    };
    let page = b.on(&app);
    page.open("/missions").await;
    page.type_into("#q", "campuchia").await;
    page.click("form.search button").await;
    // The unfiltered page lists Phnom Penh too: wait for the answer to the search itself,
    // a short count, before reading the table.
    let count = wait_for(
        page.c,
        "#mission-count",
        "number(normalize-space(.)) >= 1 and number(normalize-space(.)) < 10",
    )
    .await
    .unwrap_or_else(|now| panic!("the search never narrowed the list; the count says {now:?}"));
    let table = page.sees("table.list", "Phnom Penh").await;
    assert!(table.contains("Campuchia"), "{count}: {table}");
    b.close().await;
    app.stop().await;
}
