//! Every signed-in page fits a 390 px phone in both languages (issue #15, bug 2: Vietnamese
//! pages were ~453 px wide, the menu running off screen): the document scrolls no wider than
//! the window, measured in Chromium for each role's pages.

use crate::support::browser::{Page, browser};
use crate::support::stories::{CaseDraft, at_hq, auditor, case_of, head, officer, person, police};
use baoho_domain::access::Role;

const TOKYO: &str = "EMB-JP-TOKYO";

/// How wide the open page's document is, how wide the window shows it, and the outermost
/// elements that stick out (what to fix).
async fn widths(page: &Page<'_>) -> (u64, u64, String) {
    let v = page
        .c
        .execute(
            "const w = document.documentElement.clientWidth;
             const out = e => e.getBoundingClientRect().right > w + 1;
             const culprits = [...document.querySelectorAll('body *')]
               .filter(e => out(e) && !(e.parentElement && out(e.parentElement)))
               .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                 + (e.className ? '.' + String(e.className).replace(/ /g, '.') : ''));
             return [document.documentElement.scrollWidth, w, culprits.join(', ')]",
            vec![],
        )
        .await
        .unwrap();
    (
        v[0].as_u64().unwrap(),
        v[1].as_u64().unwrap(),
        v[2].as_str().unwrap_or_default().to_owned(),
    )
}

/// Open each path in each language and collect the pages wider than the window.
async fn too_wide(page: &Page<'_>, who: &str, paths: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for lang in ["vi", "en"] {
        for path in paths {
            page.open(&format!("/lang/{lang}?next={path}")).await;
            assert_eq!(page.lang().await.as_deref(), Some(lang), "{path}");
            let (scroll, client, culprits) = widths(page).await;
            if scroll > client {
                out.push(format!(
                    "{who} {lang} {path}: {scroll} px in {client} px ({culprits})"
                ));
            }
        }
    }
    out
}

#[tokio::test]
async fn signed_in_pages_fit_a_phone_in_both_languages() {
    let app = crate::support::spawn_sqlite().await;
    app.with_staff(&[
        officer("phone.officer", TOKYO),
        head("phone.head", TOKYO),
        police("phone.police"),
        auditor("phone.auditor"),
        at_hq("phone.admin", Role::Administrator),
        at_hq("phone.analyst", Role::Analyst),
    ])
    .await;
    // A person and a case of Tokyo for the record pages, entered by a colleague.
    let entry = app.join(officer("phone.entry", TOKYO)).await;
    let p = entry
        .record_person(&person("Trần Văn Bình", TOKYO))
        .await
        .unwrap();
    let case = entry
        .open_case(&case_of("arrest", TOKYO, "Arrested at Narita").about(&[&p.id]))
        .await
        .unwrap();
    let Some(b) = browser(390, 844).await else {
        app.stop().await;
        return;
    };
    let page = b.on(&app);
    let staff_pages = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["/", "/missions", "/account/password"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect();
        v.sort();
        v
    };
    let person_page = format!("/persons/{}", p.id);
    let person_edit = format!("/persons/{}/edit", p.id);
    let case_page = format!("/cases/{}", case.summary.id);
    let mut wide = Vec::new();
    let journeys: [(&str, Vec<String>); 6] = [
        (
            "phone.officer",
            staff_pages(&[
                "/cases",
                "/cases/list",
                "/cases/new",
                "/cases/consular-access",
                "/persons",
                "/persons/new",
                &person_page,
                &person_edit,
                &case_page,
            ]),
        ),
        ("phone.head", staff_pages(&["/cases", "/cases/overview"])),
        ("phone.police", staff_pages(&["/inbox"])),
        ("phone.auditor", staff_pages(&["/audit"])),
        ("phone.admin", staff_pages(&["/admin/accounts"])),
        ("phone.analyst", staff_pages(&[])),
    ];
    for (i, (who, paths)) in journeys.iter().enumerate() {
        if i == 0 {
            page.sign_in(who, 0).await;
        } else {
            page.sign_in_as(who, 0).await;
        }
        wide.extend(too_wide(&page, who, paths).await);
    }
    assert!(
        wide.is_empty(),
        "pages wider than a phone:\n{}",
        wide.join("\n")
    );
    b.close().await;
    app.stop().await;
}
