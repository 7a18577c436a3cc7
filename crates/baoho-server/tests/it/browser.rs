//! Browser journeys in Debian's headless Chromium, driven through chromedriver (no downloaded
//! browsers). Skipped when chromedriver is absent, unless TEST_BAOHO_REQUIRE_BROWSER=1
//! (scripts/test sets it), so CI cannot silently skip them. No fixed sleeps: every wait is on a
//! condition.

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start chromedriver and a headless Chromium session, or None when not available.
pub async fn browser(width: u32, height: u32) -> Option<Browser> {
    let driver_bin = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(driver_bin) = driver_bin else {
        if std::env::var("TEST_BAOHO_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "TEST_BAOHO_REQUIRE_BROWSER=1 but chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
        }
        eprintln!("browser: skipped (chromedriver not installed)");
        return None;
    };
    let port = free_port();
    let mut driver = Command::new(driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    // chromedriver says when it listens: wait for that line, not for a fixed time.
    let stdout = driver.stdout.take().expect("chromedriver stdout");
    let started = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let ok = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("started successfully"));
        // Keep draining so chromedriver never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ok
    });
    let started = tokio::time::timeout(Duration::from_secs(30), started).await;
    assert!(
        matches!(started, Ok(Ok(true))),
        "chromedriver did not start"
    );
    let profile = tempfile::tempdir().unwrap();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--lang=vi",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": {"intl.accept_languages": "vi,en"}
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a chromedriver session");
    Some(Browser {
        client,
        driver,
        _profile: profile,
    })
}

/// Wait until the element matching `css` contains `want`, and return its text.
pub async fn wait_for_text(c: &Client, css: &str, want: &str) -> String {
    wait_for(c, css, &format!("contains(., \"{want}\")"))
        .await
        .unwrap_or_else(|now| panic!("{css} never contained {want:?}; it says {now:?}"))
}

/// Wait until an element matching `css` (`#id`, `tag` or `tag.class`) satisfies the XPath
/// predicate `cond` on its text, for at most 15 s, and return its text. The waiting is
/// fantoccini's condition wait on that element (no fixed sleep here). A page being replaced (a
/// form just submitted, an htmx swap) can hand back an element that is gone before it is read:
/// it is looked for again, since a stale read says nothing about the page waited for.
/// On time-out, `Err` holds what the element says then.
pub async fn wait_for(c: &Client, css: &str, cond: &str) -> Result<String, String> {
    let xpath = match css.strip_prefix('#') {
        Some(id) => format!("//*[@id='{id}'][{cond}]"),
        None => match css.split_once('.') {
            Some((tag, class)) => format!(
                "//{}[contains(concat(' ', @class, ' '), ' {class} ')][{cond}]",
                if tag.is_empty() { "*" } else { tag }
            ),
            None => format!("//{css}[{cond}]"),
        },
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let found = c
            .wait()
            .at_most(left)
            .every(Duration::from_millis(50))
            .for_element(Locator::XPath(&xpath))
            .await;
        match found {
            Ok(el) => match el.text().await {
                Ok(text) => return Ok(text),
                Err(_) if tokio::time::Instant::now() < deadline => continue,
                Err(e) => return Err(e.to_string()),
            },
            Err(_) => {
                return Err(match c.find(Locator::Css(css)).await {
                    Ok(el) => el.text().await.unwrap_or_default(),
                    Err(_) => "(absent)".into(),
                });
            }
        }
    }
}

#[tokio::test]
async fn home_in_vietnamese_then_switch_to_english() {
    let app = crate::helpers::spawn_sqlite().await;
    let Some(b) = browser(1280, 900).await else {
        app.stop().await;
        return;
    };
    let c = &b.client;
    c.goto(&app.url("/")).await.unwrap();
    wait_for_text(c, "#home-title", "Bảo hộ công dân Việt Nam ở nước ngoài").await;
    let lang = c
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("lang")
        .await
        .unwrap();
    assert_eq!(lang.as_deref(), Some("vi"));
    c.find(Locator::Css("#lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(c, "#home-title", "Protecting Vietnamese citizens abroad").await;
    // The choice sticks across pages.
    c.find(Locator::LinkText("Missions"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(c, "h1", "Vietnam's missions abroad").await;
    b.close().await;
    app.stop().await;
}

#[tokio::test]
async fn search_missions_on_a_phone_without_diacritics() {
    let app = crate::helpers::spawn_sqlite().await;
    let Some(b) = browser(390, 844).await else {
        app.stop().await;
        return;
    };
    let c = &b.client;
    c.goto(&app.url("/missions")).await.unwrap();
    let input = c.find(Locator::Css("#q")).await.unwrap();
    input.send_keys("campuchia").await.unwrap();
    c.find(Locator::Css("form.search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The unfiltered page lists Phnom Penh too: wait for the answer to the search itself,
    // a short count, before reading the table.
    let count = wait_for(
        c,
        "#mission-count",
        "number(normalize-space(.)) >= 1 and number(normalize-space(.)) < 10",
    )
    .await
    .unwrap_or_else(|now| panic!("the search never narrowed the list; the count says {now:?}"));
    let table = wait_for_text(c, "table.list", "Phnom Penh").await;
    assert!(table.contains("Campuchia"), "{count}: {table}");
    b.close().await;
    app.stop().await;
}

/// The officer's main journey: sign in with the second factor, find a person typed without
/// diacritics, open the record.
#[tokio::test]
async fn sign_in_with_mfa_search_unaccented_and_open_a_person() {
    let app = crate::helpers::spawn_sqlite().await;
    crate::helpers::personal(&["Nguyễn Thị Thu Hằng", "B2345678"]);
    app.account(
        "tokyo.browser",
        baoho_domain::access::Role::MissionOfficer,
        "EMB-JP-TOKYO",
        true,
    )
    .await;
    // The person, entered by a colleague through the API.
    app.account(
        "tokyo.entry",
        baoho_domain::access::Role::MissionOfficer,
        "EMB-JP-TOKYO",
        true,
    )
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
    let c = &b.client;
    c.goto(&app.url("/persons")).await.unwrap();
    // Not signed in: the sign-in page.
    wait_for_text(c, "h1", "Đăng nhập").await;
    c.find(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys("tokyo.browser")
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(crate::helpers::PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("#login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(c, "h1", "Bước hai").await;
    let code = crate::helpers::totp_code(app.now().timestamp() as u64);
    c.find(Locator::Css("#code"))
        .await
        .unwrap()
        .send_keys(&code)
        .await
        .unwrap();
    c.find(Locator::Css("#mfa-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Back where we wanted to go, signed in.
    wait_for_text(c, "#who-name", "tokyo.browser").await;
    c.find(Locator::Css("#q"))
        .await
        .unwrap()
        .send_keys("nguyen thi thu hang")
        .await
        .unwrap();
    c.find(Locator::Css("#search-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(c, "#hits", "Nguyễn Thị Thu Hằng").await;
    c.find(Locator::Css("a.person-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(c, "#person-name", "Nguyễn Thị Thu Hằng").await;
    let docs = wait_for_text(c, "#documents", "B2345678").await;
    assert!(docs.contains("Hộ chiếu"), "{docs}");
    wait_for_text(c, "#person-birth", "1992-04").await;
    b.close().await;
    app.stop().await;
}

async fn sign_in(c: &Client, app: &crate::helpers::TestApp, username: &str, ahead: u64) {
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(crate::helpers::PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("#login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(c, "h1", "Bước hai").await;
    let code = crate::helpers::totp_code(app.now().timestamp() as u64 + ahead);
    c.find(Locator::Css("#code"))
        .await
        .unwrap()
        .send_keys(&code)
        .await
        .unwrap();
    c.find(Locator::Css("#mfa-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(c, "#who-name", username).await;
}

/// Click the element matching `css` once it is there (the page may still be loading); an
/// element replaced between finding and clicking is found again.
async fn click(c: &Client, css: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let el = c
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
        match el.click().await {
            Ok(()) => return,
            Err(e) if tokio::time::Instant::now() < deadline => {
                tracing::debug!("clicking {css} again after {e}");
            }
            Err(e) => panic!("{css} could not be clicked: {e}"),
        }
    }
}

/// The case journey: hotline intake with a duplicate warning → assign → consular visit logged
/// → resolved → closure requested → the head of mission approves it.
#[tokio::test]
async fn hotline_intake_to_approved_closure() {
    use baoho_domain::access::Role;
    let app = crate::helpers::spawn_sqlite().await;
    crate::helpers::personal(&["Lý Văn Tâm"]);
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
    let c = &b.client;
    // HQ's hotline takes the call (its API login above used this 30 s step: use the next).
    sign_in(c, &app, "hotline.hq", 30).await;
    c.goto(&app.url("/cases/new")).await.unwrap();
    c.find(Locator::Css("#case_type option[value='arrest']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#country option[value='JP']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#mission option[value='EMB-JP-TOKYO']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#summary"))
        .await
        .unwrap()
        .send_keys("Vợ gọi: chồng bị bắt ở Osaka")
        .await
        .unwrap();
    c.find(Locator::Css("#person_name"))
        .await
        .unwrap()
        .send_keys("ly van tam")
        .await
        .unwrap();
    c.find(Locator::Css("#person_birth"))
        .await
        .unwrap()
        .send_keys("1988")
        .await
        .unwrap();
    click(c, "#intake-submit").await;
    // The duplicate warning: the known person is offered; choose them.
    wait_for_text(c, "#duplicate-warning", "Lý Văn Tâm").await;
    click(c, "#duplicate-warning input[name='person_id']").await;
    click(c, "#intake-submit").await;
    wait_for_text(c, "#case-persons", "Lý Văn Tâm").await;
    // Assign the Tokyo officer as lead.
    let options = c.find_all(Locator::Css("#account option")).await.unwrap();
    for o in options {
        if o.text().await.unwrap().contains("tokyo.lead") {
            o.click().await.unwrap();
        }
    }
    click(c, "#assign-submit").await;
    wait_for_text(c, "#case-lead", "tokyo.lead").await;
    // The consular visit, logged by the lead officer from Tokyo.
    let url = c.current_url().await.unwrap().to_string();
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &app, "tokyo.lead", 0).await;
    c.goto(&url).await.unwrap();
    c.find(Locator::Css("#kind option[value='consular_visit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#body"))
        .await
        .unwrap()
        .send_keys("Thăm lãnh sự tại đồn Osaka, sức khỏe ổn định")
        .await
        .unwrap();
    click(c, "#event-submit").await;
    wait_for_text(c, "#timeline", "Thăm lãnh sự tại đồn Osaka").await;
    // Referral to the police, with the person's consent, carrying identity and documents.
    click(c, "#referral-details summary").await;
    c.find(Locator::Css("#agency option[value='MPS']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#purpose"))
        .await
        .unwrap()
        .send_keys("Xác minh nhân thân trước khi về nước")
        .await
        .unwrap();
    click(c, "input[name='f_documents']").await;
    click(c, "#consent").await;
    click(c, "#referral-submit").await;
    wait_for_text(c, "#referrals", "đã gửi").await;
    for to in ["in_progress", "resolved"] {
        c.find(Locator::Css(&format!("#status option[value='{to}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        click(c, "#status-submit").await;
        let want = if to == "resolved" {
            "Đã giải quyết"
        } else {
            "Đang xử lý"
        };
        wait_for_text(c, "#case-status", want).await;
    }
    click(c, "#close-request").await;
    wait_for_text(c, "#close-pending", "chờ cấp trên duyệt").await;
    // The head of mission approves the closure from the work queue.
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &app, "tokyo.boss", 0).await;
    c.goto(&app.url("/cases")).await.unwrap();
    wait_for_text(c, "#q-approvals", "BH-").await;
    click(c, "#q-approvals a.case-link").await;
    click(c, "#close-approve").await;
    wait_for_text(c, "#case-status", "Đã kết thúc").await;
    b.close().await;
    app.stop().await;
}

/// The intake form asks for the chosen type's own fields: htmx brings them in when the type
/// is chosen.
#[tokio::test]
async fn intake_shows_the_chosen_types_fields() {
    use baoho_domain::access::Role;
    let app = crate::helpers::spawn_sqlite().await;
    app.account("intake.tf", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let Some(b) = browser(1280, 1000).await else {
        app.stop().await;
        return;
    };
    let c = &b.client;
    sign_in(c, &app, "intake.tf", 0).await;
    c.goto(&app.url("/cases/new")).await.unwrap();
    click(c, "#case_type option[value='death']").await;
    wait_for_text(c, "#type-fields", "Ngày mất").await;
    b.close().await;
    app.stop().await;
}
