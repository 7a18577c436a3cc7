//! The person registry through pages and API: create, find without diacritics, view, edit with
//! optimistic concurrency, break-glass, export, the auditor's view, and restricted values kept
//! out of the database file and the logs.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends, hidden, personal};
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

/// The id of the person a page form's redirect leads to (`/persons/{id}?…`).
fn person_at(location: &str) -> String {
    location
        .trim_start_matches("/persons/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

both_backends!(registry_story, async |app: &TestApp| {
    personal(&[NAME, PASSPORT, PHONE, NOTES, KIN, "DANG THI NGOC ANH"]);
    let tokyo = app.join(officer("tokyo.a", TOKYO)).await;
    // Bad input: the form comes back with the problem at its field, nothing created.
    let mut bad = form(None);
    bad[2].1 = "31/02/1995".into();
    let refused = tokyo.submit("/persons", &as_refs(&bad)).await.refused(422);
    assert!(refused.body.contains("field-error\">"));
    let mut bad = form(None);
    bad[4].1 = "Atlantis".into();
    tokyo.submit("/persons", &as_refs(&bad)).await.refused(422);
    // Create through the page.
    let loc = tokyo
        .submit("/persons", &as_refs(&form(None)))
        .await
        .unwrap();
    let id = person_at(&loc);
    let page = tokyo.page(&loc).await;
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
        let html = tokyo.page(&format!("/persons?q={q}")).await;
        assert!(html.contains(&format!("/persons/{id}")), "query {q}");
    }
    let html = tokyo.page("/persons?q=dang+thi+ngoc+anh&year=1996").await;
    assert!(
        !html.contains(&format!("/persons/{id}")),
        "the birth year narrows"
    );
    // Edit: the form is prefilled; a stale version gets 409 and a clear page.
    let edit = tokyo.page(&format!("/persons/{id}/edit")).await;
    assert_eq!(hidden(&edit, "version").as_deref(), Some("1"));
    let mut f = form(Some(1));
    f[0].1 = format!("{NAME} B");
    let edit_page = format!("/persons/{id}");
    tokyo.submit(&edit_page, &as_refs(&f)).await.unwrap();
    let stale = tokyo
        .submit(&edit_page, &as_refs(&f))
        .await
        .refused(409)
        .body;
    assert!(stale.contains("id=\"conflict\""));
    assert_eq!(
        hidden(&stale, "version").as_deref(),
        Some("2"),
        "the form carries the latest version"
    );
    // The API: read, stale PUT, validation problems.
    let v: Value = tokyo.read(&format!("/api/v1/persons/{id}")).await;
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
    let fields = tokyo
        .record_person(&PersonInput {
            country: "ZZ".into(),
            ..Default::default()
        })
        .await
        .refused(422)
        .fields();
    assert!(
        fields.iter().any(|f| f == "full_name") && fields.iter().any(|f| f == "country"),
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
    let head = app.with_staff(&[head("tokyo.head", TOKYO)]).await.remove(0);
    let mut victim = form(None);
    victim[0].1 = "Hồ Thị Bé".into();
    victim.push(("restricted_trafficking", "on".into()));
    let vid = person_at(&tokyo.submit("/persons", &as_refs(&victim)).await.unwrap());
    let other = app.join(officer("tokyo.b", TOKYO)).await;
    let html = other.page("/persons?q=ho+thi+be").await;
    assert!(
        !html.contains(&vid),
        "a restricted person is not listed to the unassigned"
    );
    let r = other.get(&format!("/persons/{vid}")).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("break-glass-submit"));
    let break_glass = format!("/persons/{vid}/break-glass");
    other
        .submit(&break_glass, &[("reason", "short")])
        .await
        .refused(422);
    other
        .submit(
            &break_glass,
            &[(
                "reason",
                "Victim admitted to hospital tonight, must reach family",
            )],
        )
        .await
        .unwrap();
    let page = other.page(&format!("/persons/{vid}")).await;
    assert!(page.contains("break-glass-banner"));
    let notes = baoho_store::Accounts::new(app.db.store.as_ref())
        .notifications(&head, 10)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    let head_client = app.login("tokyo.head").await;
    let home = head_client.page("/").await;
    assert!(
        home.contains("id=\"notices\"") && home.contains(&format!("/persons/{vid}")),
        "the supervisor sees the notice"
    );

    // The auditor sees what tokyo.b touched in the last 30 days, and no file.
    let auditor = app.join(auditor("aud")).await;
    let html = auditor.page("/audit?actor=tokyo.b&days=30").await;
    assert!(
        html.contains(&vid) && html.contains("break_glass"),
        "touched list"
    );
    assert!(!html.contains("Hồ Thị Bé"));
    let v: Value = auditor
        .read("/api/v1/audit?actor=tokyo.a&object_kind=person")
        .await;
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
});

#[tokio::test]
async fn restricted_values_are_not_in_the_database_file_wal_or_logs() {
    let app = crate::support::spawn_sqlite().await;
    let canary_passport = "Q1928374";
    let canary_phone = "+84 966 111 222";
    let canary_note = "CANARY-NOTE-7f3a";
    personal(&[canary_passport, canary_phone, canary_note]);
    let hq = app.join(hq("hq.canary")).await;
    let id = hq
        .record_person(&PersonInput {
            documents: vec![passport(canary_passport)],
            contacts: vec![baoho_domain::person::Contact {
                kind: "phone".into(),
                value: canary_phone.into(),
            }],
            notes: canary_note.into(),
            ..person("Canary Person", TOKYO)
        })
        .await
        .unwrap()
        .id;
    let v: Value = hq.read(&format!("/api/v1/persons/{id}")).await;
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
