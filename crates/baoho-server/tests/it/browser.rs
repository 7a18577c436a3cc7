//! Browser journeys in Debian's headless Chromium, driven through chromedriver (no downloaded
//! browsers). Skipped when chromedriver is absent, unless TEST_BAOHO_REQUIRE_BROWSER=1
//! (scripts/test sets it), so CI cannot silently skip them. No fixed sleeps: every wait is on a
//! condition.

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    let driver = Command::new(driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
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
    // Wait for the driver to accept sessions (a condition, not a sleep of fixed length).
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = loop {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("chromedriver did not start: {e}"),
        }
    };
    Some(Browser {
        client,
        driver,
        _profile: profile,
    })
}

/// Wait until the element's text contains `want`.
pub async fn wait_for_text(c: &Client, css: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            if let Ok(t) = el.text().await {
                if t.contains(want) {
                    return t;
                }
                if Instant::now() > deadline {
                    panic!("{css} says {t:?}, expected {want:?}");
                }
            }
        } else if Instant::now() > deadline {
            panic!("{css} never appeared");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
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
    let table = wait_for_text(c, "table.list", "Phnom Penh").await;
    assert!(table.contains("Campuchia"), "{table}");
    let count: usize = c
        .find(Locator::Css("#mission-count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..10).contains(&count), "{count}");
    b.close().await;
    app.stop().await;
}
