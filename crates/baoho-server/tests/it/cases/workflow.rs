//! A case's life over HTTP: intake, the work queue, the page's actions, supervisor-approved
//! closure; and every case operation's JSON API keeping the page's gate.

use crate::support::{TestApp, both_backends, personal};
use baoho_domain::access::Role;
use serde_json::{Value, json};

both_backends!(intake_queue_actions_and_closure, async |app: &TestApp| {
    personal(&["Phan Thị Duyên", "K1234987", "Chồng gọi đường dây nóng"]);
    app.account("head.t", Role::HeadOfMission, "EMB-JP-TOKYO", true)
        .await;
    app.account("off.t", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let officer = app.login("off.t").await;
    // The person is already known.
    let r = officer
        .post_json("/api/v1/persons", &json!({"full_name": "Phan Thị Duyên", "country": "JP", "mission": "EMB-JP-TOKYO", "birth": {"year": 1993, "month": null, "day": null}}))
        .await;
    let known: Value = r.json().await.unwrap();
    let known_id: &'static str =
        Box::leak(known["id"].as_str().unwrap().to_owned().into_boxed_str());
    let form = |extra: Vec<(&'static str, &'static str)>| {
        let mut f = vec![
            ("case_type", "detention"),
            ("priority", "high"),
            ("channel", "hotline"),
            ("country", "JP"),
            ("city", "Nagoya"),
            ("mission", "EMB-JP-TOKYO"),
            (
                "summary",
                "Chồng gọi đường dây nóng: vợ bị tạm giữ tại Nagoya",
            ),
            ("person_name", "PHAN THI DUYEN"),
            ("person_birth", "1993"),
        ];
        f.extend(extra);
        f
    };
    // Intake of a name already in the registry: the duplicate warning, nothing recorded.
    let r = officer.post_form("/cases", &form(vec![])).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("duplicate-warning") && html.contains(known["id"].as_str().unwrap()),
        "warning lists the known person"
    );
    let v: Value = officer.get("/api/v1/cases").await.json().await.unwrap();
    assert_eq!(v["total"], 0);
    // The officer picks the existing person.
    let r = officer
        .post_form("/cases", &form(vec![("person_id", known_id)]))
        .await;
    assert_eq!(r.status(), 303);
    let case_url = r.headers()["location"].to_str().unwrap().to_owned();
    let id = case_url.trim_start_matches("/cases/").to_owned();
    let page = officer.get(&case_url).await.text().await.unwrap();
    assert!(
        page.contains("Phan Thị Duyên") && page.contains("Nagoya"),
        "persons and place shown"
    );
    assert!(
        page.contains("điều 36"),
        "the consular-access reminder for detention cases: {}",
        &page[page.find("case-persons").unwrap_or(0)..][..600]
    );
    // In my queue.
    let q = officer.get("/cases").await.text().await.unwrap();
    assert!(q.contains(&id) && q.contains("q-mine"));
    // Consular visit, checklist, status moves.
    assert_eq!(
        officer
            .post_form(
                &format!("/cases/{id}/events"),
                &[
                    ("kind", "consular_visit"),
                    ("body", "Gặp đương sự tại đồn cảnh sát Nagoya")
                ]
            )
            .await
            .status(),
        303
    );
    assert_eq!(
        officer
            .post_form(
                &format!("/cases/{id}/events"),
                &[
                    ("kind", "money_advanced"),
                    ("body", "Vé xe"),
                    ("amount", "35.50"),
                    ("currency", "usd"),
                    ("repayment", "signed")
                ]
            )
            .await
            .status(),
        303
    );
    assert_eq!(
        officer
            .post_form(
                &format!("/cases/{id}/events"),
                &[("kind", "nonsense"), ("body", "x")]
            )
            .await
            .status(),
        422
    );
    assert_eq!(
        officer
            .post_form(
                &format!("/cases/{id}/check"),
                &[("item", "1"), ("done", "1")]
            )
            .await
            .status(),
        303
    );
    for (v, to) in [("1", "in_progress"), ("2", "resolved")] {
        assert_eq!(
            officer
                .post_form(
                    &format!("/cases/{id}/status"),
                    &[("version", v), ("status", to)]
                )
                .await
                .status(),
            303,
            "{to}"
        );
    }
    // A stale version is a conflict; closing directly is refused.
    assert_eq!(
        officer
            .post_form(
                &format!("/cases/{id}/status"),
                &[("version", "1"), ("status", "in_progress")]
            )
            .await
            .status(),
        409
    );
    assert_eq!(
        officer
            .post_form(
                &format!("/cases/{id}/status"),
                &[("version", "3"), ("status", "closed")]
            )
            .await
            .status(),
        422
    );
    assert_eq!(
        officer
            .post_form(&format!("/cases/{id}/close-request"), &[("version", "3")])
            .await
            .status(),
        303
    );
    assert_eq!(
        officer
            .post_form(&format!("/cases/{id}/close-approve"), &[("version", "4")])
            .await
            .status(),
        403,
        "not one's own closure"
    );
    // The head of mission sees it awaiting approval, and approves.
    let head = app.login("head.t").await;
    let q = head.get("/cases").await.text().await.unwrap();
    assert!(q.contains("q-approvals") && q.contains(&id));
    assert_eq!(
        head.post_form(&format!("/cases/{id}/close-approve"), &[("version", "4")])
            .await
            .status(),
        303
    );
    let v: Value = officer
        .get(&format!("/api/v1/cases/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "closed");
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"consular_visit") && kinds.contains(&"money_advanced"));
    assert!(
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["amount_minor"] == 3550
                && e["currency"] == "USD"
                && e["repayment"] == "signed")
    );
    // Lists, filters, export.
    let list = officer
        .get("/cases/list?case_type=detention&status=closed")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&id));
    let list = officer
        .get("/cases/list?case_type=arrest")
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&id));
    // "Open" is every case not yet resolved or closed: the closed case is not in it.
    let open = officer
        .get("/cases/list?status=open")
        .await
        .text()
        .await
        .unwrap();
    assert!(!open.contains(&id));
    assert!(open.contains("<option value=\"open\" selected>"));
    let open: Value = officer
        .get("/api/v1/cases?status=open&case_type=detention")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open["total"], 0, "{open}");
    // Places are chosen by name, not typed as codes; the choice is kept.
    let list = officer
        .get("/cases/list?mission=EMB-JP-TOKYO&country=JP")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&id));
    assert!(
        list.contains(
            "<option value=\"EMB-JP-TOKYO\" selected>Đại sứ quán Việt Nam tại Nhật Bản</option>"
        ),
        "the mission filter names missions"
    );
    assert!(list.contains("<option value=\"JP\" selected>Nhật Bản</option>"));
    let csv = officer.get("/cases/export.csv?case_type=detention").await;
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("cases.csv")
    );
    assert!(csv.text().await.unwrap().contains("detention"));
    assert!(app.db.store.verify_audit().await.unwrap().broken.is_none());
});

both_backends!(
    every_case_operation_has_a_json_api_that_keeps_the_same_gate,
    async |app: &TestApp| {
        app.account("off.j", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("head.j", Role::HeadOfMission, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.seoul.j", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        let officer = app.login("off.j").await;
        let head = app.login("head.j").await;
        let seoul = app.login("off.seoul.j").await;
        let p: Value = officer
            .post_json(
                "/api/v1/persons",
                &json!({"full_name": "Vũ Thị Lan", "country": "JP", "mission": "EMB-JP-TOKYO"}),
            )
            .await
            .json()
            .await
            .unwrap();
        let case: Value = officer
            .post_json("/api/v1/cases", &json!({"case_type": "arrest", "priority": "urgent", "channel": "hotline", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Arrested in Nagoya", "persons": [p["id"]]}))
            .await
            .json()
            .await
            .unwrap();
        let id = case["id"].as_str().unwrap().to_owned();
        let head_id = {
            let me: Value = head.get("/api/v1/session").await.json().await.unwrap();
            me["account_id"].as_str().unwrap().to_owned()
        };
        let upload = |who: &crate::support::Staff<'_>, bytes: Vec<u8>| {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("giấy tạm giữ.pdf"),
            );
            app.client
                .post(app.url(&format!("/api/v1/cases/{id}/attachments")))
                .header("cookie", &who.cookie)
                .header("x-csrf-token", &who.csrf)
                .multipart(form)
                .send()
        };
        // Another mission first: every new operation is 404 with one denied row, and changes
        // nothing.
        let pdf = b"%PDF-1.4\n% synthetic test file\n".to_vec();
        let before = seoul.denied().await;
        let statuses = vec![
            seoul
                .post_json(
                    &format!("/api/v1/cases/{id}/assign"),
                    &json!({"account": head_id}),
                )
                .await
                .status(),
            seoul
                .put_json(
                    &format!("/api/v1/cases/{id}/checklist/0"),
                    &json!({"done": true}),
                )
                .await
                .status(),
            seoul
                .post_json(
                    &format!("/api/v1/cases/{id}/close-request"),
                    &json!({"version": 1}),
                )
                .await
                .status(),
            seoul
                .post_json(
                    &format!("/api/v1/cases/{id}/close-approval"),
                    &json!({"version": 1}),
                )
                .await
                .status(),
            seoul
                .put_json(
                    &format!("/api/v1/cases/{id}/consular-access"),
                    &json!({"arrested": "2026-11-01"}),
                )
                .await
                .status(),
            seoul
                .get(&format!("/api/v1/cases/{id}/attachments"))
                .await
                .status(),
            upload(&seoul, pdf.clone()).await.unwrap().status(),
        ];
        assert!(statuses.iter().all(|s| *s == 404), "{statuses:?}");
        assert_eq!(seoul.denied().await, before + statuses.len());

        // The case's own officer, through JSON only.
        assert_eq!(
            officer
                .post_json(
                    &format!("/api/v1/cases/{id}/assign"),
                    &json!({"account": head_id})
                )
                .await
                .status(),
            204
        );
        assert_eq!(
            officer
                .post_json(
                    &format!("/api/v1/cases/{id}/assign"),
                    &json!({"account": "nobody"})
                )
                .await
                .status(),
            422
        );
        assert_eq!(
            officer
                .put_json(
                    &format!("/api/v1/cases/{id}/checklist/0"),
                    &json!({"done": true})
                )
                .await
                .status(),
            204
        );
        assert_eq!(
            officer
                .put_json(
                    &format!("/api/v1/cases/{id}/checklist/500"),
                    &json!({"done": true})
                )
                .await
                .status(),
            422
        );
        assert_eq!(
            officer
                .put_json(
                    &format!("/api/v1/cases/{id}/consular-access"),
                    &json!({"arrested": "2026-11-01", "notified": "2026-11-09"})
                )
                .await
                .status(),
            204
        );
        assert_eq!(
            officer
                .put_json(
                    &format!("/api/v1/cases/{id}/consular-access"),
                    &json!({"arrested": "1 Nov"})
                )
                .await
                .status(),
            422
        );
        let up = upload(&officer, pdf.clone()).await.unwrap();
        assert_eq!(up.status(), 201);
        let att: Value = up.json().await.unwrap();
        let list: Value = officer
            .get(&format!("/api/v1/cases/{id}/attachments"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list[0]["id"], att["id"]);
        let got = officer
            .get(&format!(
                "/api/v1/cases/{id}/attachments/{}",
                att["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
        assert_eq!(
            seoul
                .get(&format!(
                    "/api/v1/cases/{id}/attachments/{}",
                    att["id"].as_str().unwrap()
                ))
                .await
                .status(),
            404
        );
        // An override referral waits for the head of mission, who approves it by API.
        let r: Value = officer
            .post_json(&format!("/api/v1/cases/{id}/referrals"), &json!({"agency": "MPS", "purpose": "Verify identity", "fields": ["identity"], "consent": false, "override_reason": "The person is unconscious in hospital"}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(r["status"], "awaiting_approval");
        let rid = r["id"].as_str().unwrap();
        assert_eq!(
            officer
                .post_json(
                    &format!("/api/v1/cases/{id}/referrals/{rid}/approval"),
                    &json!({})
                )
                .await
                .status(),
            403,
            "not the requester's own"
        );
        assert_eq!(
            seoul
                .post_json(
                    &format!("/api/v1/cases/{id}/referrals/{rid}/approval"),
                    &json!({})
                )
                .await
                .status(),
            404
        );
        assert_eq!(
            head.post_json(
                &format!("/api/v1/cases/{id}/referrals/{rid}/approval"),
                &json!({})
            )
            .await
            .status(),
            204
        );
        let refs: Value = officer
            .get(&format!("/api/v1/cases/{id}/referrals"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(refs[0]["status"], "sent");
        // Through the workflow to a closure the head approves.
        let mut version = officer
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json::<Value>()
            .await
            .unwrap()["version"]
            .as_i64()
            .unwrap();
        for to in ["assessed", "in_progress", "resolved"] {
            assert_eq!(
                officer
                    .post_json(
                        &format!("/api/v1/cases/{id}/status"),
                        &json!({"version": version, "status": to})
                    )
                    .await
                    .status(),
                204,
                "{to}"
            );
            version += 1;
        }
        assert_eq!(
            officer
                .post_json(
                    &format!("/api/v1/cases/{id}/close-request"),
                    &json!({"version": version - 1})
                )
                .await
                .status(),
            409,
            "stale"
        );
        assert_eq!(
            officer
                .post_json(
                    &format!("/api/v1/cases/{id}/close-request"),
                    &json!({"version": version})
                )
                .await
                .status(),
            204
        );
        version += 1;
        assert_eq!(
            head.post_json(
                &format!("/api/v1/cases/{id}/close-approval"),
                &json!({"version": version})
            )
            .await
            .status(),
            204
        );
        let v: Value = officer
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["status"], "closed");
        assert_eq!(v["checks_done"], json!([0]));
        assert!(app.db.store.verify_audit().await.unwrap().broken.is_none());
    }
);
