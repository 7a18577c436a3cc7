//! The browser harness: Debian's headless Chromium driven through chromedriver (no downloaded
//! browsers). Skipped when chromedriver is absent, unless TEST_BAOHO_REQUIRE_BROWSER=1
//! (scripts/test sets it), so CI cannot silently skip them.
//!
//! Two rules keep the browser tests steady on a loaded machine:
//! - No fixed sleeps: every wait is on a condition that only the page waited for satisfies
//!   (a text the new page carries, or htmx's settle event for the swap a step triggered).
//!   A step that makes htmx replace part of the page goes through [`Page::swapping`], which
//!   arms a listener for that target's `htmx:afterSettle` before acting and returns once the
//!   swap is in: an element found afterwards is the new one.
//! - Nothing outlives a test: chromedriver starts in its own process group, and a guard whose
//!   `Drop` kills that group (chromedriver and every Chromium process it started) is held from
//!   the moment it is spawned, so a panic anywhere still ends them.

use crate::support::{PASSWORD, TestApp, totp_code};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long any one condition may take to come true.
const PATIENCE: Duration = Duration::from_secs(15);

/// chromedriver and everything it started, killed as one process group when dropped.
struct DriverGroup {
    child: Child,
}

impl Drop for DriverGroup {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid (it was started with process_group(0)).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Browser {
    pub client: Client,
    // Dropped after the client: the group goes last, whatever happened before.
    _driver: DriverGroup,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// End the session politely; the driver's group is killed when `self` drops (here, or
    /// during a panic's unwinding if the test never gets this far).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    /// The page helpers, against `app`.
    pub fn on<'a>(&'a self, app: &'a TestApp) -> Page<'a> {
        Page {
            c: &self.client,
            app,
        }
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
    let child = Command::new(driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start chromedriver");
    let mut driver = DriverGroup { child };
    // chromedriver says when it listens: wait for that line, not for a fixed time.
    let stdout = driver.child.stdout.take().expect("chromedriver stdout");
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
    // `--window-size` is not enough: headless Chromium keeps its window at least 500 px wide,
    // so a "390 px phone" would be measured at 500. Sizing the window through the driver gives
    // the width asked for.
    client
        .set_window_size(width, height)
        .await
        .expect("window size");
    Some(Browser {
        client,
        _driver: driver,
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
/// form just submitted) can hand back an element that is gone before it is read: it is looked
/// for again, since a stale read says nothing about the page waited for.
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
    let deadline = tokio::time::Instant::now() + PATIENCE;
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

/// One browser on one test server: the steps a person takes, each waiting for what it caused.
///
/// Every step that leaves the page (a submit, a link) is followed in the tests by a wait on
/// something only the next page has; every step that makes htmx swap part of the page goes
/// through [`Page::swapping`]. So the element a step finds is never one about to be replaced.
pub struct Page<'a> {
    pub c: &'a Client,
    pub app: &'a TestApp,
}

impl Page<'_> {
    /// Open a path of the test server (returns once the page has loaded).
    pub async fn open(&self, path: &str) {
        self.c.goto(&self.app.url(path)).await.unwrap();
    }

    /// The element matching `css`, once it is there.
    async fn element(&self, css: &str) -> Element {
        self.c
            .wait()
            .at_most(PATIENCE)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    /// Click the element matching `css` once it is there.
    pub async fn click(&self, css: &str) {
        self.element(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("{css} could not be clicked: {e}"));
    }

    /// Follow the link whose text is `text`, once it is there.
    pub async fn click_link(&self, text: &str) {
        self.c
            .wait()
            .at_most(PATIENCE)
            .every(Duration::from_millis(50))
            .for_element(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link {text:?}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("the link {text:?} could not be clicked: {e}"));
    }

    /// Type `text` into the field matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.element(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("could not type into {css}: {e}"));
    }

    /// Choose the option `value` of the select `#select`.
    pub async fn choose(&self, select: &str, value: &str) {
        self.click(&format!("{select} option[value='{value}']"))
            .await;
    }

    /// Choose the option of `select` whose label contains `label`.
    pub async fn choose_labelled(&self, select: &str, label: &str) {
        let options = self
            .c
            .find_all(Locator::Css(&format!("{select} option")))
            .await
            .unwrap();
        for o in options {
            if o.text().await.unwrap().contains(label) {
                o.click().await.unwrap();
                return;
            }
        }
        panic!("{select} has no option labelled {label:?}");
    }

    /// Wait until `css` contains `want`; its text.
    pub async fn sees(&self, css: &str, want: &str) -> String {
        wait_for_text(self.c, css, want).await
    }

    /// Do `step`, which makes htmx swap the element `#target_id`, and return once htmx has
    /// settled that very swap (its `htmx:afterSettle` on the target). The listener is armed
    /// before the step, so the event cannot be missed; anything found afterwards inside the
    /// target is the new content.
    pub async fn swapping<F: std::future::Future<Output = ()>>(&self, target_id: &str, step: F) {
        self.c
            .execute(
                "const id = arguments[0];
                 window.__baohoSwaps = window.__baohoSwaps || {};
                 window.__baohoSwaps[id] = new Promise((settled) => {
                   const on = (e) => {
                     if (e.target && e.target.id === id) {
                       document.removeEventListener('htmx:afterSettle', on);
                       settled(true);
                     }
                   };
                   document.addEventListener('htmx:afterSettle', on);
                 });",
                vec![serde_json::json!(target_id)],
            )
            .await
            .unwrap();
        step.await;
        let settled = self
            .c
            .execute_async(
                "const [id, ms, done] = arguments;
                 const late = setTimeout(() => done(false), ms);
                 window.__baohoSwaps[id].then(() => { clearTimeout(late); done(true); });",
                vec![
                    serde_json::json!(target_id),
                    serde_json::json!(PATIENCE.as_millis() as u64),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("waiting for the swap of #{target_id}: {e}"));
        assert_eq!(
            settled,
            serde_json::json!(true),
            "htmx never swapped #{target_id}"
        );
    }

    /// Choose `value` in `select`, which makes htmx swap `#target_id`; returns once swapped.
    pub async fn choose_then_swap(&self, select: &str, value: &str, target_id: &str) {
        self.swapping(target_id, self.choose(select, value)).await;
    }

    /// On the sign-in page already open: password, then the second factor with the TOTP code
    /// `ahead` seconds from now (a step an API login of the same account already used is
    /// refused); returns once the next page shows the signed-in name.
    pub async fn sign_in_here(&self, username: &str, ahead: u64) {
        self.type_into("#username", username).await;
        self.type_into("#password", PASSWORD).await;
        self.click("#login-submit").await;
        self.sees("h1", "Bước hai").await;
        let code = totp_code(self.app.now().timestamp() as u64 + ahead);
        self.type_into("#code", &code).await;
        self.click("#mfa-submit").await;
        self.sees("#who-name", username).await;
    }

    /// Open the sign-in page and sign in (see [`Page::sign_in_here`]).
    pub async fn sign_in(&self, username: &str, ahead: u64) {
        self.open("/login").await;
        self.sign_in_here(username, ahead).await;
    }

    /// Sign out by forgetting the cookies, then sign in as someone else.
    pub async fn sign_in_as(&self, username: &str, ahead: u64) {
        self.c.delete_all_cookies().await.unwrap();
        self.sign_in(username, ahead).await;
    }

    /// The URL now shown.
    pub async fn url(&self) -> String {
        self.c.current_url().await.unwrap().to_string()
    }

    /// Open an absolute URL (one read from [`Page::url`] earlier).
    pub async fn open_url(&self, url: &str) {
        self.c.goto(url).await.unwrap();
    }

    /// The `lang` attribute of the page.
    pub async fn lang(&self) -> Option<String> {
        self.element("html").await.attr("lang").await.unwrap()
    }
}
