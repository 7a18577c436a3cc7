//! The person registry through pages and API: create, find without diacritics, view, edit with
//! optimistic concurrency, break-glass, export, the auditor's view, and restricted values kept
//! out of the database file and the logs.

use crate::support::{TestApp, both_backends, hidden, personal};
use baoho_domain::access::Role;
use serde_json::{Value, json};

const NAME: &str = "Đặng Thị Ngọc Ánh";
const PASSPORT: &str = "N7654321";
const PHONE: &str = "+84 913 579 246";
const NOTES: &str = "Giữ tại trại tạm giam Shinagawa, cần phiên dịch";
const KIN: &str = "Đặng Văn Khoa";

fn form(version: Option<i64>) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("full_name", NAME.to_owned()),
        ("other_names", "DANG THI NGOC ANH".to_owned()),
        ("birth", "14/02/1995".to_owned()),
        ("sex", "female".to_owned()),
        ("hometown", "Hà Tây".to_owned()),
        ("nationality", "VN".to_owned()),
        ("country", "JP".to_owned()),
        ("mission", "EMB-JP-TOKYO".to_owned()),
        ("passport", PASSPORT.to_owned()),
        ("passport_country", "VN".to_owned()),
        ("passport_issued_on", "2021-03-01".to_owned()),
        ("phone", PHONE.to_owned()),
        ("kin_name", KIN.to_owned()),
        ("kin_relation", "bố".to_owned()),
        ("notes", NOTES.to_owned()),
    ];
    if let Some(v) = version {
        f.push(("version", v.to_string()));
    }
    f
}

fn as_refs<'a>(f: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

both_backends!(registry_story, async |app: &TestApp| {
    personal(&[NAME, PASSPORT, PHONE, NOTES, KIN, "DANG THI NGOC ANH"]);
    app.account("tokyo.a", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let tokyo = app.login("tokyo.a").await;
    // Bad input: the form comes back with the problem at its field, nothing created.
    let mut bad = form(None);
    bad[2].1 = "31/02/1995".into();
    let r = tokyo.post_form("/persons", &as_refs(&bad)).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("field-error\">"));
    let mut bad = form(None);
    bad[4].1 = "Atlantis".into();
    let r = tokyo.post_form("/persons", &as_refs(&bad)).await;
    assert_eq!(r.status(), 422);
    // Create through the page.
    let r = tokyo.post_form("/persons", &as_refs(&form(None))).await;
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let id = loc
        .trim_start_matches("/persons/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = tokyo.get(&loc).await.text().await.unwrap();
    for want in [NAME, PASSPORT, PHONE, KIN, "1995-02-14", "Hà Tây"] {
        assert!(page.contains(want), "{want} on the page");
    }
    assert!(
        page.contains("Hà Nội"),
        "old province shown with its 2025 province"
    );
    // Found without diacritics, in any order, by document number.
    for q in [
        "dang+thi+ngoc+anh",
        "ANH+DANG",
        "n-7654321",
        "%C4%91%E1%BA%B7ng+%C3%A1nh",
    ] {
        let html = tokyo
            .get(&format!("/persons?q={q}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(&format!("/persons/{id}")), "query {q}");
    }
    let html = tokyo
        .get("/persons?q=dang+thi+ngoc+anh&year=1996")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains(&format!("/persons/{id}")),
        "the birth year narrows"
    );
    // Edit: the form is prefilled; a stale version gets 409 and a clear page.
    let edit = tokyo
        .get(&format!("/persons/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(hidden(&edit, "version").as_deref(), Some("1"));
    let mut f = form(Some(1));
    f[0].1 = format!("{NAME} B");
    assert_eq!(
        tokyo
            .post_form(&format!("/persons/{id}"), &as_refs(&f))
            .await
            .status(),
        303
    );
    let stale = tokyo
        .post_form(&format!("/persons/{id}"), &as_refs(&f))
        .await;
    assert_eq!(stale.status(), 409);
    let stale = stale.text().await.unwrap();
    assert!(stale.contains("id=\"conflict\""));
    assert_eq!(
        hidden(&stale, "version").as_deref(),
        Some("2"),
        "the form carries the latest version"
    );
    // The API: read, stale PUT, validation problems.
    let v: Value = tokyo
        .get(&format!("/api/v1/persons/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["documents"][0]["number"], PASSPORT);
    let r = tokyo
        .put_json(
            &format!("/api/v1/persons/{id}"),
            &json!({"version": 1, "full_name": NAME, "country": "JP", "mission": "EMB-JP-TOKYO"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = tokyo
        .post_json(
            "/api/v1/persons",
            &json!({"full_name": "", "country": "ZZ"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"full_name") && fields.contains(&"country"),
        "{fields:?}"
    );
    // Export: a file, audited as an export.
    let r = tokyo.get(&format!("/persons/{id}/export")).await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let rows = app
        .audit(baoho_store::AuditFilter {
            object_id: Some(id.clone()),
            ..Default::default()
        })
        .await;
    assert!(
        rows.iter()
            .any(|r| r.entry.action == baoho_store::AuditAction::Export)
    );

    // Restricted: a colleague must break the glass; the head of mission is told.
    let head = app
        .account("tokyo.head", Role::HeadOfMission, "EMB-JP-TOKYO", true)
        .await;
    let mut victim = form(None);
    victim[0].1 = "Hồ Thị Bé".into();
    victim.push(("restricted_trafficking", "on".into()));
    let r = tokyo.post_form("/persons", &as_refs(&victim)).await;
    let vid = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/persons/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    app.account("tokyo.b", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let other = app.login("tokyo.b").await;
    let html = other
        .get("/persons?q=ho+thi+be")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains(&vid),
        "a restricted person is not listed to the unassigned"
    );
    let r = other.get(&format!("/persons/{vid}")).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("break-glass-submit"));
    assert_eq!(
        other
            .post_form(
                &format!("/persons/{vid}/break-glass"),
                &[("reason", "short")]
            )
            .await
            .status(),
        422
    );
    let r = other
        .post_form(
            &format!("/persons/{vid}/break-glass"),
            &[(
                "reason",
                "Victim admitted to hospital tonight, must reach family",
            )],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = other
        .get(&format!("/persons/{vid}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("break-glass-banner"));
    let notes = baoho_store::Accounts::new(app.db.store.as_ref())
        .notifications(&head, 10)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    let head_client = app.login("tokyo.head").await;
    let home = head_client.get("/").await.text().await.unwrap();
    assert!(
        home.contains("id=\"notices\"") && home.contains(&format!("/persons/{vid}")),
        "the supervisor sees the notice"
    );

    // The auditor sees what tokyo.b touched in the last 30 days, and no file.
    app.account("aud", Role::Auditor, "CD", true).await;
    let auditor = app.login("aud").await;
    let html = auditor
        .get("/audit?actor=tokyo.b&days=30")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&vid) && html.contains("break_glass"),
        "touched list"
    );
    assert!(!html.contains("Hồ Thị Bé"));
    let v: Value = auditor
        .get("/api/v1/audit?actor=tokyo.a&object_kind=person")
        .await
        .json()
        .await
        .unwrap();
    let touched: Vec<&str> = v["touched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["object_id"].as_str().unwrap())
        .collect();
    assert!(
        touched.contains(&id.as_str()) && touched.contains(&vid.as_str()),
        "{touched:?}"
    );
    assert_eq!(auditor.get(&format!("/persons/{id}")).await.status(), 404);
    assert!(app.db.store.verify_audit().await.unwrap().broken.is_none());
});

#[tokio::test]
async fn restricted_values_are_not_in_the_database_file_wal_or_logs() {
    let app = crate::support::spawn_sqlite().await;
    let canary_passport = "Q1928374";
    let canary_phone = "+84 966 111 222";
    let canary_note = "CANARY-NOTE-7f3a";
    personal(&[canary_passport, canary_phone, canary_note]);
    app.account("hq.canary", Role::HqOfficer, "CD", true).await;
    let hq = app.login("hq.canary").await;
    let r = hq
        .post_json(
            "/api/v1/persons",
            &json!({"full_name": "Canary Person", "country": "JP", "mission": "EMB-JP-TOKYO",
                    "documents": [{"kind": "passport", "number": canary_passport}],
                    "contacts": [{"kind": "phone", "value": canary_phone}],
                    "notes": canary_note}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let v: Value = hq
        .get(&format!("/api/v1/persons/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["notes"], canary_note, "it reads back");
    let path = app.db.url.sqlite_path().unwrap().to_owned();
    for file in [path.clone(), format!("{path}-wal")] {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        for canary in [canary_passport, canary_phone, canary_note] {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                "{canary} found in {file}"
            );
        }
    }
    // The name is not restricted: it is there (so the check above can find things).
    let all: Vec<u8> = [
        std::fs::read(&path).unwrap_or_default(),
        std::fs::read(format!("{path}-wal")).unwrap_or_default(),
    ]
    .concat();
    assert!(all.windows(13).any(|w| w == b"Canary Person"));
    assert!(
        crate::support::logs_contain("/api/v1/persons"),
        "server request logs are captured"
    );
    app.stop().await;
}
