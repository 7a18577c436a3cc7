//! Protection cases over HTTP: intake with the duplicate warning, the work queue, the case
//! page's actions, supervisor-approved closure, CSV export, and every case route refusing
//! other missions (404 and one denied audit row each).

use crate::helpers::{TestApp, both_backends, personal};
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

both_backends!(case_routes_refuse_other_missions, async |app: &TestApp| {
    app.account("off.tokyo", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    app.account("off.seoul", Role::MissionOfficer, "EMB-KR-SEOUL", true)
        .await;
    app.account("police.c", Role::PartnerLiaison, "MPS", true)
        .await;
    app.account("auditor.c", Role::Auditor, "CD", true).await;
    let tokyo = app.login("off.tokyo").await;
    let r = tokyo
        .post_json("/api/v1/cases", &json!({"case_type": "arrest", "priority": "urgent", "channel": "mission", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Arrested in Tokyo"}))
        .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for username in ["off.seoul", "police.c", "auditor.c"] {
        let s = app.login(username).await;
        let mut n = 0;
        for (method, path, form) in [
            ("GET", format!("/cases/{id}"), vec![]),
            ("GET", format!("/api/v1/cases/{id}"), vec![]),
            (
                "POST",
                format!("/cases/{id}/events"),
                vec![("kind", "note"), ("body", "x")],
            ),
            (
                "POST",
                format!("/cases/{id}/status"),
                vec![("version", "1"), ("status", "assessed")],
            ),
            (
                "POST",
                format!("/cases/{id}/check"),
                vec![("item", "0"), ("done", "1")],
            ),
            (
                "POST",
                format!("/cases/{id}/close-request"),
                vec![("version", "1")],
            ),
            (
                "POST",
                format!("/cases/{id}/close-approve"),
                vec![("version", "1")],
            ),
        ] {
            let before = s.denied().await;
            let res = if method == "GET" {
                s.get(&path).await
            } else {
                s.post_form(&path, &form).await
            };
            assert_eq!(res.status(), 404, "{username} {method} {path}");
            assert_eq!(
                s.denied().await,
                before + 1,
                "{username} {path}: one denied row"
            );
            n += 1;
        }
        assert_eq!(n, 7);
        let list = s.get("/api/v1/cases").await;
        if username == "off.seoul" {
            assert_eq!(list.json::<Value>().await.unwrap()["total"], 0);
        } else {
            assert_eq!(list.status(), 403);
        }
    }
});

both_backends!(
    referral_reaches_the_partner_inbox_only,
    async |app: &TestApp| {
        app.account("off.r", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("mps.r", Role::PartnerLiaison, "MPS", true)
            .await;
        app.account("mnd.r", Role::PartnerLiaison, "MND", true)
            .await;
        let officer = app.login("off.r").await;
        let p: Value = officer
        .post_json("/api/v1/persons", &json!({"full_name": "Đinh Văn Hồi", "country": "JP", "mission": "EMB-JP-TOKYO", "documents": [{"kind": "passport", "number": "H7788990"}], "notes": "not for the police"}))
        .await
        .json()
        .await
        .unwrap();
        personal(&["Đinh Văn Hồi", "H7788990", "not for the police"]);
        let case: Value = officer
        .post_json("/api/v1/cases", &json!({"case_type": "deportation", "priority": "high", "channel": "partner", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "On the host state's deportation list", "persons": [p["id"]]}))
        .await
        .json()
        .await
        .unwrap();
        let cid = case["id"].as_str().unwrap();
        let r = officer
        .post_json(&format!("/api/v1/cases/{cid}/referrals"), &json!({"agency": "MPS", "purpose": "Verify identity", "fields": ["identity", "documents"], "consent": true}))
        .await;
        assert_eq!(r.status(), 201);
        let rid = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let police = app.login("mps.r").await;
        let inbox = police.get("/inbox").await.text().await.unwrap();
        assert!(inbox.contains(&rid));
        let page = police
            .get(&format!("/inbox/{rid}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Đinh Văn Hồi") && page.contains("H7788990"));
        assert!(
            !page.contains("not for the police"),
            "only the chosen fields"
        );
        assert_eq!(
            police.get(&format!("/cases/{cid}")).await.status(),
            404,
            "partners never see the case"
        );
        assert_eq!(
            police
                .get(&format!("/persons/{}", p["id"].as_str().unwrap()))
                .await
                .status(),
            404
        );
        assert_eq!(
            police
                .post_form(
                    &format!("/inbox/{rid}"),
                    &[("status", "accepted"), ("note", "Đã xác minh")]
                )
                .await
                .status(),
            303
        );
        let army = app.login("mnd.r").await;
        let before = army.denied().await;
        assert_eq!(army.get(&format!("/inbox/{rid}")).await.status(), 404);
        assert_eq!(
            army.post_form(
                &format!("/inbox/{rid}"),
                &[("status", "accepted"), ("note", "x")]
            )
            .await
            .status(),
            404
        );
        assert_eq!(army.denied().await, before + 2);
        assert_eq!(
            officer.get("/inbox").await.status(),
            403,
            "officers have no inbox"
        );
        let page = officer
            .get(&format!("/cases/{cid}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Đã xác minh"),
            "the case side sees the answer"
        );
    }
);

both_backends!(
    referral_to_a_partner_state_goes_by_letter_and_its_answer_is_recorded_on_the_case,
    async |app: &TestApp| {
        app.account("off.s", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.seoul.s", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        app.account("police.s", Role::PartnerLiaison, "MPS", true)
            .await;
        app.account("auditor.s", Role::Auditor, "CD", true).await;
        let officer = app.login("off.s").await;
        let p: Value = officer
        .post_json("/api/v1/persons", &json!({"full_name": "Phạm Thị Sương", "country": "JP", "mission": "EMB-JP-TOKYO", "documents": [{"kind": "passport", "number": "P5566778"}], "notes": "kept inside the service"}))
        .await
        .json()
        .await
        .unwrap();
        personal(&["Phạm Thị Sương", "P5566778", "kept inside the service"]);
        let case: Value = officer
        .post_json("/api/v1/cases", &json!({"case_type": "detention", "priority": "high", "channel": "mission", "country": "JP", "city": "Osaka", "mission": "EMB-JP-TOKYO", "summary": "Held at an immigration centre", "persons": [p["id"]]}))
        .await
        .json()
        .await
        .unwrap();
        let cid = case["id"].as_str().unwrap().to_owned();
        // Viet Nam is not a partner state of its own service; unknown codes are refused.
        for bad in ["STATE-VN", "STATE-XX", "STATE-", "STATE-JPN"] {
            let r = officer
                .post_json(&format!("/api/v1/cases/{cid}/referrals"), &json!({"agency": bad, "purpose": "Verify", "fields": ["identity"], "consent": true}))
                .await;
            assert_eq!(r.status(), 422, "{bad}");
        }
        let r = officer
            .post_json(&format!("/api/v1/cases/{cid}/referrals"), &json!({"agency": "state-jp", "purpose": "Grant consular access and confirm the charges", "fields": ["identity", "documents", "location"], "consent": true}))
            .await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["agency"], "STATE-JP");
        assert_eq!(v["channel"], "diplomatic");
        assert_eq!(v["status"], "sent");
        let rid = v["id"].as_str().unwrap().to_owned();
        // An agency referral on the same case, answered only in the agency's inbox.
        let r = officer
            .post_json(&format!("/api/v1/cases/{cid}/referrals"), &json!({"agency": "MPS", "purpose": "Verify identity", "fields": ["identity"], "consent": true}))
            .await;
        let mps: Value = r.json().await.unwrap();
        assert_eq!(mps["channel"], "inbox");

        // The letter carries only the chosen fields, never the case's own notes.
        let letter = officer
            .get(&format!("/cases/{cid}/referrals/{rid}/letter"))
            .await;
        assert_eq!(letter.status(), 200);
        let html = letter.text().await.unwrap();
        assert!(
            html.contains("Phạm Thị Sương") && html.contains("P5566778") && html.contains("Osaka")
        );
        assert!(!html.contains("kept inside the service"));
        assert!(
            !html.contains("Held at an immigration centre"),
            "summary not chosen"
        );
        assert!(html.contains(case["reference"].as_str().unwrap()));
        assert!(
            html.contains("Thư chuyển thông tin"),
            "in the page language"
        );
        // The same letter in English for the host state, whatever the officer's language.
        let en = officer
            .get(&format!("/cases/{cid}/referrals/{rid}/letter?lang=en"))
            .await
            .text()
            .await
            .unwrap();
        assert!(en.contains("Referral letter") && !en.contains("Thư chuyển thông tin"));
        assert!(en.contains("P5566778"));
        // Another language asked for: the page's own.
        let other = officer
            .get(&format!("/cases/{cid}/referrals/{rid}/letter?lang=fr"))
            .await;
        assert_eq!(other.status(), 200);
        assert!(other.text().await.unwrap().contains("Thư chuyển thông tin"));

        // Bad answers change nothing.
        for (status, note) in [("maybe", "x"), ("accepted", &*"n".repeat(5001))] {
            let r = officer
                .post_json(
                    &format!("/api/v1/cases/{cid}/referrals/{rid}/answer"),
                    &json!({"status": status, "note": note}),
                )
                .await;
            assert_eq!(r.status(), 422, "{status}");
        }
        let r = officer
            .post_json(
                &format!(
                    "/api/v1/cases/{cid}/referrals/{}/answer",
                    mps["id"].as_str().unwrap()
                ),
                &json!({"status": "done", "note": "not ours to record"}),
            )
            .await;
        assert_eq!(r.status(), 422, "agencies answer in their inbox");
        let r = officer
            .post_json(
                &format!(
                    "/api/v1/cases/{cid}/referrals/0190aaaa-0000-7000-8000-000000000000/answer"
                ),
                &json!({"status": "done", "note": ""}),
            )
            .await;
        assert_eq!(r.status(), 404);
        let list: Value = officer
            .get(&format!("/api/v1/cases/{cid}/referrals"))
            .await
            .json()
            .await
            .unwrap();
        let state = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == rid.as_str())
            .unwrap();
        assert_eq!(state["status"], "sent");
        assert_eq!(state["response"], "");

        // The state's answer, recorded on the case through the page form.
        let r = officer
            .post_form(
                &format!("/cases/{cid}/referrals/{rid}/answer"),
                &[
                    ("status", "accepted"),
                    ("note", "Công hàm số 214/2026: thăm lãnh sự ngày 28/11"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let list: Value = officer
            .get(&format!("/api/v1/cases/{cid}/referrals"))
            .await
            .json()
            .await
            .unwrap();
        let state = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == rid.as_str())
            .unwrap();
        assert_eq!(state["status"], "accepted");
        assert!(state["response"].as_str().unwrap().contains("214/2026"));
        let page = officer
            .get(&format!("/cases/{cid}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("214/2026"));
        assert!(page.contains(&format!("/cases/{cid}/referrals/{rid}/letter")));
        let detail: Value = officer
            .get(&format!("/api/v1/cases/{cid}"))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            detail["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "referral"),
            "the answer is on the timeline"
        );

        // Every new route: 404 and one denied row for another mission, a partner, an auditor.
        for username in ["off.seoul.s", "police.s", "auditor.s"] {
            let s = app.login(username).await;
            for (method, path) in [
                ("GET", format!("/cases/{cid}/referrals/{rid}/letter")),
                ("GET", format!("/api/v1/cases/{cid}/referrals")),
                ("FORM", format!("/cases/{cid}/referrals/{rid}/answer")),
                (
                    "JSON",
                    format!("/api/v1/cases/{cid}/referrals/{rid}/answer"),
                ),
            ] {
                let before = s.denied().await;
                let res = match method {
                    "GET" => s.get(&path).await,
                    "FORM" => {
                        s.post_form(&path, &[("status", "declined"), ("note", "x")])
                            .await
                    }
                    _ => {
                        s.post_json(&path, &json!({"status": "declined", "note": "x"}))
                            .await
                    }
                };
                assert_eq!(res.status(), 404, "{username} {method} {path}");
                let body = res.text().await.unwrap();
                assert!(!body.contains("Phạm Thị Sương") && !body.contains("214/2026"));
                assert_eq!(
                    s.denied().await,
                    before + 1,
                    "{username} {path}: one denied row"
                );
            }
        }
        let list: Value = officer
            .get(&format!("/api/v1/cases/{cid}/referrals"))
            .await
            .json()
            .await
            .unwrap();
        let state = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == rid.as_str())
            .unwrap();
        assert_eq!(
            state["status"], "accepted",
            "refused writes changed nothing"
        );
        assert!(app.db.store.verify_audit().await.unwrap().broken.is_none());
    }
);

both_backends!(
    each_case_type_has_its_own_fields_and_advances_record_repayment,
    async |app: &TestApp| {
        app.account("off.d", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.seoul.d", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        let officer = app.login("off.d").await;
        // The type's fields are data: the API lists them.
        let types: Value = officer
            .get("/api/v1/case-types")
            .await
            .json()
            .await
            .unwrap();
        let death = types
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == "death")
            .unwrap();
        assert!(
            death["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["key"] == "remains" && f["kind"] == "choice")
        );

        let bad = officer
            .post_json("/api/v1/cases", &json!({"case_type": "death", "priority": "urgent", "channel": "hotline", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Died in a work accident", "details": {"date_of_death": "31/02/2026", "vessel_name": "not a death field"}}))
            .await;
        assert_eq!(bad.status(), 422);
        let problem: Value = bad.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"details.date_of_death") && fields.contains(&"details.vessel_name"),
            "{problem}"
        );
        assert_eq!(
            officer
                .get("/api/v1/cases")
                .await
                .json::<Value>()
                .await
                .unwrap()["total"],
            0,
            "nothing was created"
        );

        let r = officer
            .post_json("/api/v1/cases", &json!({"case_type": "death", "priority": "urgent", "channel": "hotline", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Died in a work accident", "details": {"date_of_death": "03/11/2026", "remains": "undecided", "cause": " Tai nạn lao động "}}))
            .await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        let id = v["id"].as_str().unwrap().to_owned();
        assert_eq!(v["details"]["date_of_death"], "2026-11-03");
        assert_eq!(v["details"]["cause"], "Tai nạn lao động");

        // The family decided: the page form replaces the fields (version checked).
        let r = officer
            .post_form(
                &format!("/cases/{id}/details"),
                &[
                    ("version", "1"),
                    ("d_date_of_death", "2026-11-03"),
                    ("d_remains", "repatriate_ashes"),
                    ("d_cause", "Tai nạn lao động"),
                    ("d_funeral_home", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let stale = officer
            .put_json(
                &format!("/api/v1/cases/{id}/details"),
                &json!({"version": 1, "details": {"remains": "local_burial"}}),
            )
            .await;
        assert_eq!(stale.status(), 409, "a stale version is refused");
        let wrong = officer
            .put_json(
                &format!("/api/v1/cases/{id}/details"),
                &json!({"version": 2, "details": {"remains": "sea"}}),
            )
            .await;
        assert_eq!(wrong.status(), 422);
        let v: Value = officer
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["details"]["remains"], "repatriate_ashes",
            "refused writes changed nothing"
        );
        assert_eq!(v["version"], 2);
        let page = officer
            .get(&format!("/cases/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Hỏa táng, đưa tro cốt về nước"),
            "a choice shows its label"
        );
        assert!(
            v["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "details" && e["body"] == "remains")
        );

        // Money advanced says whether the citizen undertook to repay.
        let no = officer
            .post_json(&format!("/api/v1/cases/{id}/events"), &json!({"kind": "money_advanced", "body": "Chi phí hỏa táng", "amount_minor": 150000, "currency": "JPY"}))
            .await;
        assert_eq!(no.status(), 422);
        let yes = officer
            .post_json(&format!("/api/v1/cases/{id}/events"), &json!({"kind": "money_advanced", "body": "Chi phí hỏa táng", "amount_minor": 150000, "currency": "JPY", "repayment": "pending"}))
            .await;
        assert_eq!(yes.status(), 204);
        let page = officer
            .get(&format!("/cases/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("chưa ký cam kết hoàn trả"));

        // Another mission: 404 and a denied row, on the page form and the API.
        let seoul = app.login("off.seoul.d").await;
        let before = seoul.denied().await;
        assert_eq!(
            seoul
                .post_form(
                    &format!("/cases/{id}/details"),
                    &[("version", "3"), ("d_remains", "local_burial")]
                )
                .await
                .status(),
            404
        );
        assert_eq!(
            seoul
                .put_json(
                    &format!("/api/v1/cases/{id}/details"),
                    &json!({"version": 3, "details": {"remains": "local_burial"}})
                )
                .await
                .status(),
            404
        );
        assert_eq!(seoul.denied().await, before + 2);
        let v: Value = officer
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["details"]["remains"], "repatriate_ashes");
        assert!(app.db.store.verify_audit().await.unwrap().broken.is_none());
    }
);

both_backends!(
    case_search_folds_names_and_finds_references_and_documents_in_scope_only,
    async |app: &TestApp| {
        app.account("off.q", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.seoul.q", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        let officer = app.login("off.q").await;
        let mut ids = vec![];
        for (name, passport, restricted) in [
            ("Lương Thị Hạnh", "K1234567", json!([])),
            ("Lương Văn Đức", "K7654321", json!([])),
            ("Đỗ Minh Tâm", "M5550001", json!(["minor"])),
        ] {
            let p: Value = officer
                .post_json("/api/v1/persons", &json!({"full_name": name, "country": "JP", "mission": "EMB-JP-TOKYO", "documents": [{"kind": "passport", "number": passport}], "restricted": restricted}))
                .await
                .json()
                .await
                .unwrap();
            let case: Value = officer
                .post_json("/api/v1/cases", &json!({"case_type": "lost_documents", "priority": "normal", "channel": "hotline", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Lost a passport", "persons": [p["id"]]}))
                .await
                .json()
                .await
                .unwrap();
            ids.push((
                case["id"].as_str().unwrap().to_owned(),
                case["reference"].as_str().unwrap().to_owned(),
            ));
        }
        personal(&[
            "Lương Thị Hạnh",
            "Lương Văn Đức",
            "Đỗ Minh Tâm",
            "K1234567",
            "K7654321",
            "M5550001",
        ]);
        let found = |v: &Value| -> Vec<String> {
            v["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let search = async |s: &crate::helpers::Staff<'_>, q: &str| -> Value {
            let url = format!(
                "/api/v1/cases?{}",
                serde_urlencoded::to_string([("q", q)]).unwrap()
            );
            s.get(&url).await.json().await.unwrap()
        };
        // Folded, any case, with or without diacritics, in any order.
        let v = search(&officer, "LUONG hanh").await;
        assert_eq!(found(&v), vec![ids[0].0.clone()]);
        let v = search(&officer, "lương").await;
        assert_eq!(v["total"], 2);
        // A document number (any spacing the registry accepts) and a reference's digits.
        assert_eq!(
            found(&search(&officer, "k7654321").await),
            vec![ids[1].0.clone()]
        );
        let digits = ids[2].1.rsplit('-').next().unwrap().to_owned();
        assert!(found(&search(&officer, &digits).await).contains(&ids[2].0));
        assert_eq!(
            found(&search(&officer, &ids[2].1).await),
            vec![ids[2].0.clone()]
        );
        // A restricted person is not confirmed by name or document through a case list.
        assert_eq!(search(&officer, "do minh tam").await["total"], 0);
        assert_eq!(search(&officer, "M5550001").await["total"], 0);
        // The page keeps the query; nothing for another mission.
        let page = officer
            .get("/cases/list?q=luong+hanh")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(&ids[0].1) && !page.contains(&ids[1].1));
        let seoul = app.login("off.seoul.q").await;
        assert_eq!(search(&seoul, "luong hanh").await["total"], 0);
        assert_eq!(search(&seoul, &ids[0].1).await["total"], 0);
        // Odd input is a query like any other: no match, no error.
        for q in ["%", "_", "\"", "*", "'; DROP TABLE case_file; --", "BH-"] {
            let url = format!(
                "/api/v1/cases?{}",
                serde_urlencoded::to_string([("q", q)]).unwrap()
            );
            assert_eq!(officer.get(&url).await.status(), 200, "{q}");
        }
    }
);

#[tokio::test]
async fn consular_access_clock_flags_breaches_and_feeds_the_country_report() {
    let app = crate::helpers::spawn_sqlite().await;
    app.account("off.v", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let officer = app.login("off.v").await;
    let case: Value = officer
        .post_json("/api/v1/cases", &json!({"case_type": "arrest", "priority": "urgent", "channel": "mission", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Arrested at a station"}))
        .await
        .json()
        .await
        .unwrap();
    let id = case["id"].as_str().unwrap();
    let day = |d: i64| {
        (app.now() - chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (a, n) = (day(20), day(12));
    let r = officer
        .post_form(
            &format!("/cases/{id}/consular-access"),
            &[("arrested", a.as_str()), ("notified", n.as_str())],
        )
        .await;
    assert_eq!(r.status(), 303);
    let bad = officer
        .post_form(
            &format!("/cases/{id}/consular-access"),
            &[("arrested", "yesterday")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let page = officer
        .get(&format!("/cases/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("vccr-breaches") && page.contains("Thông báo chậm"),
        "the late notification is flagged"
    );
    let report = officer
        .get("/cases/consular-access")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("Nhật Bản") && report.contains("0 %"),
        "the country report"
    );
    let v: Value = officer
        .get("/api/v1/reports/consular-access")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v[0]["late_notifications"], 1);
    app.stop().await;
}

both_backends!(
    a_transfer_is_accepted_from_the_receiving_queue,
    async |app: &TestApp| {
        app.account("off.tk", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.kr", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        let tokyo = app.login("off.tk").await;
        let case: Value = tokyo
        .post_json("/api/v1/cases", &json!({"case_type": "missing", "priority": "high", "channel": "hotline", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Lost contact with family"}))
        .await
        .json()
        .await
        .unwrap();
        let id = case["id"].as_str().unwrap();
        let r = tokyo.post_json(&format!("/api/v1/cases/{id}/transfers"), &json!({"to_mission": "EMB-KR-SEOUL", "reason": "Last seen boarding a ferry to Busan"})).await;
        assert_eq!(r.status(), 201);
        let tid = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let seoul = app.login("off.kr").await;
        assert_eq!(
            seoul.get(&format!("/api/v1/cases/{id}")).await.status(),
            404,
            "not theirs yet"
        );
        let q = seoul.get("/cases").await.text().await.unwrap();
        assert!(q.contains("q-transfers") && q.contains("Last seen boarding a ferry"));
        assert_eq!(
            seoul
                .post_form(&format!("/transfers/{tid}/accept"), &[])
                .await
                .status(),
            303
        );
        let v: Value = seoul
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["mission"], "EMB-KR-SEOUL");
        let page = tokyo
            .get(&format!("/cases/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"transfers\"") && page.contains("EMB-KR-SEOUL"));
    }
);

#[tokio::test]
async fn leadership_overview_and_who_else_is_on_a_case() {
    let app = crate::helpers::spawn_sqlite().await;
    app.account("off.o", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    app.account("off.o2", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    app.account("head.o", Role::HeadOfMission, "EMB-JP-TOKYO", true)
        .await;
    let a = app.login("off.o").await;
    let case: Value = a
        .post_json("/api/v1/cases", &json!({"case_type": "illness", "priority": "normal", "channel": "mission", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "In hospital"}))
        .await
        .json()
        .await
        .unwrap();
    let id = case["id"].as_str().unwrap();
    let head = app.login("head.o").await;
    let page = head.get("/cases/overview").await.text().await.unwrap();
    assert!(page.contains("id=\"overview\"") && page.contains("<dd id=\"open-total\">1</dd>"));
    assert_eq!(
        a.get("/cases/overview").await.status(),
        403,
        "officers see their queue, leaders the overview"
    );
    let v: Value = head
        .get("/api/v1/reports/open-cases")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v[0]["case_type"], "illness");
    // A colleague opens the case: the officer sees who else is on it.
    let b = app.login("off.o2").await;
    assert_eq!(b.get(&format!("/cases/{id}")).await.status(), 200);
    let page = a.get(&format!("/cases/{id}")).await.text().await.unwrap();
    assert!(page.contains("also-here") && page.contains("off.o2"));
    app.stop().await;
}

both_backends!(
    attachments_upload_download_and_stay_in_scope,
    async |app: &TestApp| {
        app.account("off.a", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.b", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        let a = app.login("off.a").await;
        let case: Value = a
        .post_json("/api/v1/cases", &json!({"case_type": "lost_documents", "priority": "normal", "channel": "mission", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Passport stolen"}))
        .await
        .json()
        .await
        .unwrap();
        let id = case["id"].as_str().unwrap();
        let upload = |csrf: Option<String>, bytes: Vec<u8>| {
            let url = match &csrf {
                Some(t) => app.url(&format!("/cases/{id}/attachments?csrf={t}")),
                None => app.url(&format!("/cases/{id}/attachments")),
            };
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("biên bản.txt"),
            );
            app.client
                .post(url)
                .header("cookie", &a.cookie)
                .multipart(form)
                .send()
        };
        assert_eq!(
            upload(None, b"report".to_vec()).await.unwrap().status(),
            403,
            "CSRF token required"
        );
        assert_eq!(
            upload(Some(a.csrf.clone()), vec![0u8, 1, 2, 255])
                .await
                .unwrap()
                .status(),
            422,
            "binary of unknown type"
        );
        assert_eq!(
            upload(
                Some(a.csrf.clone()),
                "Biên bản mất hộ chiếu".as_bytes().to_vec()
            )
            .await
            .unwrap()
            .status(),
            303
        );
        let page = a.get(&format!("/cases/{id}")).await.text().await.unwrap();
        let href = page
            .split(&format!("/cases/{id}/attachments/"))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let got = a.get(&format!("/cases/{id}/attachments/{href}")).await;
        assert_eq!(got.status(), 200);
        assert_eq!(got.text().await.unwrap(), "Biên bản mất hộ chiếu");
        let b = app.login("off.b").await;
        assert_eq!(
            b.get(&format!("/cases/{id}/attachments/{href}"))
                .await
                .status(),
            404
        );
    }
);

both_backends!(
    work_queue_shows_what_is_new_since_i_last_looked,
    async |app: &TestApp| {
        app.account("head.q", Role::HeadOfMission, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.q", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        let head = app.login("head.q").await;
        let officer = app.login("off.q").await;
        // First look: nothing to compare with yet.
        let page = head.get("/cases").await.text().await.unwrap();
        assert!(
            !page.contains("id=\"q-since\""),
            "no since list on the first look"
        );
        let v: Value = head.get("/api/v1/queue").await.json().await.unwrap();
        assert!(v["last_looked"].is_string(), "{v}");
        assert_eq!(v["since_last_look"]["total"], 0);
        // The officer opens a case; the head's next look lists it, once.
        let r = officer
        .post_json(
            "/api/v1/cases",
            &json!({"case_type": "accident", "priority": "high", "channel": "hotline", "country": "JP",
                    "mission": "EMB-JP-TOKYO", "summary": "Tai nạn giao thông ở Chiba"}),
        )
        .await;
        assert_eq!(r.status(), 201);
        let created: Value = r.json().await.unwrap();
        let page = head.get("/cases").await.text().await.unwrap();
        let since = &page[page.find("q-since").expect("the since list")..];
        assert!(since.contains(created["id"].as_str().unwrap()));
        let v: Value = head.get("/api/v1/queue").await.json().await.unwrap();
        assert_eq!(v["since_last_look"]["total"], 0, "{v}");
        assert_eq!(v["unassessed"]["total"], 1);
        // The officer's queue has it as theirs.
        let v: Value = officer.get("/api/v1/queue").await.json().await.unwrap();
        assert_eq!(v["mine"]["total"], 1);
        assert_eq!(v["approvals"]["total"], 0);
    }
);

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
        let upload = |who: &crate::helpers::Staff<'_>, bytes: Vec<u8>| {
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

both_backends!(
    a_case_gathers_several_persons_from_the_registry,
    async |app: &TestApp| {
        app.account("off.crew", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.seoul.crew", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        let officer = app.login("off.crew").await;
        let seoul = app.login("off.seoul.crew").await;
        let mut crew = vec![];
        for name in ["Phan Văn Biển", "Phan Văn Sóng", "Trịnh Văn Gió"] {
            crew.push(officer.new_person(name, "JP", "EMB-JP-TOKYO").await);
        }
        let elsewhere: Value = seoul
            .post_json(
                "/api/v1/persons",
                &json!({"full_name": "Phan Văn Xa", "country": "KR", "mission": "EMB-KR-SEOUL"}),
            )
            .await
            .json()
            .await
            .unwrap();
        let case: Value = officer
            .post_json("/api/v1/cases", &json!({"case_type": "fishermen", "priority": "urgent", "channel": "partner", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "A fishing boat held by the coast guard", "persons": [crew[0]]}))
            .await
            .json()
            .await
            .unwrap();
        let id = case["id"].as_str().unwrap().to_owned();
        // The page's registry search shows who is not yet on the case (folded names).
        let page = officer
            .get(&format!("/cases/{id}?find=phan+van"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Phan Văn Sóng") && page.contains(&crew[1]));
        assert!(
            !page.contains(&format!("name=\"person_id\" value=\"{}\"", crew[0])),
            "already on the case"
        );
        assert!(
            !page.contains("Phan Văn Xa"),
            "another mission's person is not offered"
        );
        // Add by the page form and by the API.
        assert_eq!(
            officer
                .post_form(
                    &format!("/cases/{id}/persons"),
                    &[("person_id", crew[1].as_str())]
                )
                .await
                .status(),
            303
        );
        assert_eq!(
            officer
                .post_json(
                    &format!("/api/v1/cases/{id}/persons"),
                    &json!({"person_id": crew[2]})
                )
                .await
                .status(),
            204
        );
        assert_eq!(
            officer
                .post_json(
                    &format!("/api/v1/cases/{id}/persons"),
                    &json!({"person_id": crew[2]})
                )
                .await
                .status(),
            422,
            "already linked"
        );
        // A person outside my scope: refused like a missing one, with a denied row.
        let before = officer.denied().await;
        assert_eq!(
            officer
                .post_json(
                    &format!("/api/v1/cases/{id}/persons"),
                    &json!({"person_id": elsewhere["id"]})
                )
                .await
                .status(),
            422
        );
        assert_eq!(officer.denied().await, before + 1);
        // Another mission cannot add to my case.
        let before = seoul.denied().await;
        assert_eq!(
            seoul
                .post_json(
                    &format!("/api/v1/cases/{id}/persons"),
                    &json!({"person_id": elsewhere["id"]})
                )
                .await
                .status(),
            404
        );
        assert_eq!(seoul.denied().await, before + 1);
        let v: Value = officer
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        let mut got: Vec<String> = v["persons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        got.sort();
        let mut want = crew.clone();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(
            v["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "person_linked")
                .count(),
            2
        );
    }
);

both_backends!(
    a_person_added_by_mistake_is_removed_from_the_page_and_the_api,
    async |app: &TestApp| {
        app.account("off.rm", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.seoul.rm", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        app.account("police.rm", Role::PartnerLiaison, "MPS", true)
            .await;
        app.account("auditor.rm", Role::Auditor, "CD", true).await;
        let names = ["Đoàn Văn Mũi", "Đoàn Văn Lái", "Quách Văn Khoang"];
        let page_reason = "Nhầm người: trùng tên với thuyền viên tàu khác";
        let api_reason = "Không có trong danh sách thuyền viên";
        personal(&names);
        personal(&[page_reason, api_reason]);
        let officer = app.login("off.rm").await;
        let mut crew = vec![];
        for name in names {
            crew.push(officer.new_person(name, "JP", "EMB-JP-TOKYO").await);
        }
        let case: Value = officer
            .post_json("/api/v1/cases", &json!({"case_type": "fishermen", "priority": "urgent", "channel": "partner", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "A fishing boat held by the coast guard", "persons": [crew[0]]}))
            .await
            .json()
            .await
            .unwrap();
        let id = case["id"].as_str().unwrap().to_owned();
        for p in &crew[1..] {
            assert_eq!(
                officer
                    .post_json(
                        &format!("/api/v1/cases/{id}/persons"),
                        &json!({"person_id": p})
                    )
                    .await
                    .status(),
                204
            );
        }
        let get_case = || async {
            officer
                .get(&format!("/api/v1/cases/{id}"))
                .await
                .json::<Value>()
                .await
                .unwrap()
        };
        let before = get_case().await;
        assert_eq!(before["persons"].as_array().unwrap().len(), 3);
        let unchanged = |v: &Value| {
            assert_eq!(v["persons"], before["persons"]);
            assert_eq!(v["events"], before["events"]);
            assert_eq!(v["version"], before["version"]);
        };
        let remove_page = |p: &str| format!("/cases/{id}/persons/{p}/remove");
        let remove_api = |p: &str| format!("/api/v1/cases/{id}/persons/{p}/removal");
        // Each listed person has a removal form behind a <details> (no script needed).
        let page = officer
            .get(&format!("/cases/{id}"))
            .await
            .text()
            .await
            .unwrap();
        let listed = &page[page.find("id=\"case-persons\"").unwrap()..];
        let listed = &listed[..listed.find("</ul>").unwrap()];
        for p in &crew {
            assert!(
                listed.contains(&format!("action=\"{}\"", remove_page(p))),
                "{listed}"
            );
        }
        assert_eq!(listed.matches("<details class=\"unlink\">").count(), 3);
        assert!(listed.contains("<summary>Gỡ bỏ</summary>"));
        assert!(listed.contains("Lý do gỡ người này khỏi vụ việc"));

        // No reason (or too short): 422, the page again with the form open, nothing changed.
        let res = officer
            .post_form(&remove_page(&crew[1]), &[("reason", "  ")])
            .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Hãy ghi lý do gỡ: từ 5 đến 2.000 ký tự, văn bản thường."),
            "{html}"
        );
        assert!(html.contains("<details class=\"unlink\" open>"));
        let res = officer
            .post_form(&remove_page(&crew[1]), &[("reason", "sai")])
            .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(
            html.contains(">sai</textarea>"),
            "the reason typed comes back"
        );
        assert_eq!(
            officer
                .post_form(&remove_page(&crew[1]), &[])
                .await
                .status(),
            422
        );
        for body in [json!({}), json!({"reason": ""}), json!({"reason": " abc "})] {
            let res = officer.post_json(&remove_api(&crew[1]), &body).await;
            assert_eq!(res.status(), 422, "{body}");
            assert_eq!(
                res.headers()["content-type"],
                "application/problem+json",
                "{body}"
            );
            let problem: Value = res.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "reason", "{problem}");
        }
        unchanged(&get_case().await);

        // Another mission's officer, a partner liaison, an auditor: 404 with one denied row
        // for each call, page and API alike; nothing changed.
        for username in ["off.seoul.rm", "police.rm", "auditor.rm"] {
            let s = app.login(username).await;
            let before = s.denied().await;
            let res = s
                .post_form(&remove_page(&crew[1]), &[("reason", page_reason)])
                .await;
            assert_eq!(res.status(), 404, "{username} page");
            assert_eq!(
                s.denied().await,
                before + 1,
                "{username} page: one denied row"
            );
            let res = s
                .post_json(&remove_api(&crew[1]), &json!({"reason": api_reason}))
                .await;
            assert_eq!(res.status(), 404, "{username} api");
            assert_eq!(res.headers()["content-type"], "application/problem+json");
            assert_eq!(
                s.denied().await,
                before + 2,
                "{username} api: one denied row"
            );
        }
        unchanged(&get_case().await);

        // From the page: back to the case, which says so; the timeline keeps who and why.
        let res = officer
            .post_form(&remove_page(&crew[1]), &[("reason", page_reason)])
            .await;
        assert_eq!(res.status(), 303);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(to, format!("/cases/{id}?removed=1#persons"));
        let page = officer.get(&to).await.text().await.unwrap();
        assert!(page.contains("Đã gỡ người khỏi vụ việc; lý do được ghi trong diễn biến."));
        let listed = &page[page.find("id=\"case-persons\"").unwrap()..];
        let listed = &listed[..listed.find("</ul>").unwrap()];
        assert!(!listed.contains(&crew[1]) && !listed.contains(names[1]));
        assert!(listed.contains(names[0]) && listed.contains(names[2]));
        let timeline = &page[page.find("id=\"timeline\"").unwrap()..];
        assert!(timeline.contains("Gỡ người liên quan"), "{timeline}");
        assert!(
            timeline.contains(&format!("{} — {page_reason}", names[1])),
            "{timeline}"
        );
        // Its earlier "added" entry still names the person removed since.
        let added = timeline.matches("Thêm người liên quan").count();
        assert_eq!(added, 2);
        assert_eq!(timeline.matches(names[1]).count(), 2, "{timeline}");

        // From the API: 204; again, 422 (no longer on the case).
        assert_eq!(
            officer
                .post_json(&remove_api(&crew[2]), &json!({"reason": api_reason}))
                .await
                .status(),
            204
        );
        let res = officer
            .post_json(&remove_api(&crew[2]), &json!({"reason": api_reason}))
            .await;
        assert_eq!(res.status(), 422);
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "person", "{problem}");
        // The page form for a person no longer on the case: 422 and a readable message.
        let res = officer
            .post_form(&remove_page(&crew[2]), &[("reason", page_reason)])
            .await;
        assert_eq!(res.status(), 422);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Người này không có trong vụ việc.")
        );
        let v = get_case().await;
        assert_eq!(v["persons"], json!([crew[0]]));
        assert_eq!(v["version"], before["version"]);
        let removals: Vec<&Value> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "person_unlinked")
            .collect();
        assert_eq!(removals.len(), 2);
        assert_eq!(removals[0]["body"], format!("{}: {api_reason}", crew[2]));
        assert_eq!(removals[1]["body"], format!("{}: {page_reason}", crew[1]));
        // One audited update per removal (and one denied row per refused call above), on
        // the case; the reason is only in the encrypted timeline.
        let rows = app
            .audit(baoho_store::AuditFilter {
                object_id: Some(id.clone()),
                action: Some(baoho_store::AuditAction::Update),
                ..Default::default()
            })
            .await;
        let removals = |outcome| {
            rows.iter()
                .filter(|r| r.entry.purpose == "person unlinked" && r.entry.outcome == outcome)
                .count()
        };
        assert_eq!(removals(baoho_store::AuditOutcome::Allowed), 2);
        assert_eq!(removals(baoho_store::AuditOutcome::Denied), 6);
        assert!(rows.iter().all(|r| r.entry.object_kind == "case"
            && !r.entry.purpose.contains(page_reason)
            && !r.entry.purpose.contains(api_reason)));
        assert!(app.db.store.verify_audit().await.unwrap().broken.is_none());
    }
);

both_backends!(
    work_queue_lists_referrals_awaiting_my_approval_and_answers_since_i_last_looked,
    async |app: &TestApp| {
        app.account("head.rq", Role::HeadOfMission, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.rq", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        // Osaka's jurisdiction is Japan: Tokyo's cases are in its head's lists, not its approvals.
        app.account("head.osaka.rq", Role::HeadOfMission, "CG-JP-OSAKA", true)
            .await;
        app.account("mps.rq", Role::PartnerLiaison, "MPS", true)
            .await;
        let officer = app.login("off.rq").await;
        let head = app.login("head.rq").await;
        let osaka = app.login("head.osaka.rq").await;
        let case: Value = officer
            .post_json("/api/v1/cases", &json!({"case_type": "deportation", "priority": "high", "channel": "partner", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "On the host state's deportation list"}))
            .await
            .json()
            .await
            .unwrap();
        let cid = case["id"].as_str().unwrap().to_owned();
        let reference = case["reference"].as_str().unwrap().to_owned();
        // The lead looks at the queue once (the answers below come after this look).
        let v: Value = officer.get("/api/v1/queue").await.json().await.unwrap();
        assert_eq!(v["referral_answers"]["total"], 0, "{v}");
        // An override without the person's consent waits for the head of mission.
        let r = officer
            .post_json(&format!("/api/v1/cases/{cid}/referrals"), &json!({"agency": "P-79", "purpose": "Receive at Tan Son Nhat airport", "fields": ["identity"], "consent": false, "override_reason": "Unconscious in hospital, family unreachable"}))
            .await;
        assert_eq!(r.status(), 201);
        let waiting: Value = r.json().await.unwrap();
        assert_eq!(waiting["status"], "awaiting_approval");
        let wid = waiting["id"].as_str().unwrap().to_owned();
        let page = head.get("/cases").await.text().await.unwrap();
        let section = &page[page
            .find("id=\"q-referral-approvals\"")
            .expect("the head's referral approvals")..];
        assert!(
            section.contains(&format!("/cases/{cid}#referrals")) && section.contains(&reference)
        );
        assert!(section.contains("Receive at Tan Son Nhat airport"));
        let v: Value = head.get("/api/v1/queue").await.json().await.unwrap();
        assert_eq!(v["referral_approvals"]["total"], 1, "{v}");
        let item = &v["referral_approvals"]["items"][0];
        assert_eq!(item["case_id"], cid.as_str());
        assert_eq!(item["case_reference"], reference.as_str());
        assert_eq!(item["case_type"], "deportation");
        assert_eq!(item["agency"], "P-79");
        assert_eq!(item["referral_id"], wid.as_str());
        assert!(item["created_at"].is_string());
        // Not another mission's head (who lists the case), not the requester.
        let list: Value = osaka
            .get("/api/v1/cases?country=JP")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 1, "the case is in Osaka's lists: {list}");
        let page = osaka.get("/cases").await.text().await.unwrap();
        assert!(page.contains(&cid), "the case is in Osaka's new cases");
        assert!(!page.contains("q-referral-approvals"));
        let v: Value = osaka.get("/api/v1/queue").await.json().await.unwrap();
        assert_eq!(v["referral_approvals"]["total"], 0, "{v}");
        let page = officer.get("/cases").await.text().await.unwrap();
        assert!(!page.contains("q-referral-approvals"));
        let v: Value = officer.get("/api/v1/queue").await.json().await.unwrap();
        assert_eq!(v["referral_approvals"]["total"], 0, "{v}");
        // Approved: gone from the head's queue.
        assert_eq!(
            head.post_form(&format!("/cases/{cid}/referrals/{wid}/approve"), &[])
                .await
                .status(),
            303
        );
        let page = head.get("/cases").await.text().await.unwrap();
        assert!(!page.contains("q-referral-approvals"));
        let v: Value = head.get("/api/v1/queue").await.json().await.unwrap();
        assert_eq!(v["referral_approvals"]["total"], 0, "{v}");
        // The police answer a referral sent with consent, a minute after the lead's last look.
        let sent: Value = officer
            .post_json(&format!("/api/v1/cases/{cid}/referrals"), &json!({"agency": "MPS", "purpose": "Verify identity", "fields": ["identity"], "consent": true}))
            .await
            .json()
            .await
            .unwrap();
        let sid = sent["id"].as_str().unwrap().to_owned();
        app.advance(60);
        let police = app.login("mps.rq").await;
        assert_eq!(
            police
                .post_form(
                    &format!("/inbox/{sid}"),
                    &[("status", "accepted"), ("note", "Danh tính đã xác minh")]
                )
                .await
                .status(),
            303
        );
        app.advance(60);
        // The lead's queue lists the answer (not its text), linked to the case…
        let page = officer.get("/cases").await.text().await.unwrap();
        let section = &page[page
            .find("id=\"q-referral-answers\"")
            .expect("the lead's referral answers")..];
        assert!(
            section.contains(&format!("/cases/{cid}#referrals")) && section.contains(&reference)
        );
        assert!(
            !page.contains("Danh tính đã xác minh"),
            "not the answer's text"
        );
        // …once: looking again, it is gone (page and JSON alike).
        let v: Value = officer.get("/api/v1/queue").await.json().await.unwrap();
        assert_eq!(v["referral_answers"]["total"], 0, "{v}");
        assert!(
            !officer
                .get("/cases")
                .await
                .text()
                .await
                .unwrap()
                .contains("q-referral-answers")
        );
        // The head of mission is no member of the case: no answers in their queue.
        let v: Value = head.get("/api/v1/queue").await.json().await.unwrap();
        assert_eq!(v["referral_answers"]["total"], 0, "{v}");
    }
);

both_backends!(
    intake_asks_for_the_types_own_fields,
    async |app: &TestApp| {
        personal(&["Đỗ Văn Khải", "Hải Phong 27"]);
        app.account("off.tf", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("police.tf", Role::PartnerLiaison, "MPS", true)
            .await;
        app.account("audit.tf", Role::Auditor, "CD", true).await;
        let officer = app.login("off.tf").await;
        let count_cases = async || -> Value {
            officer
                .get("/api/v1/cases")
                .await
                .json::<Value>()
                .await
                .unwrap()["total"]
                .clone()
        };

        // The JSON intake takes the fields as an object, and says so.
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        assert_eq!(
            doc["components"]["schemas"]["CaseIntake"]["properties"]["details"]["type"],
            "object"
        );

        // The fragment htmx swaps in when the type changes: that type's fields, in the page's
        // language, each with its kind of input; a fragment, not a page.
        let r = officer.get("/cases/new/fields?case_type=death").await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let frag = r.text().await.unwrap();
        assert!(!frag.contains("<html"), "{frag}");
        for want in [
            "Thông tin riêng của loại vụ việc",
            "Ngày mất",
            "Nơi mất",
            "Nguyên nhân",
            "Cơ sở tang lễ",
            r#"type="date" id="d_date_of_death" name="details.date_of_death""#,
            r#"<select id="d_remains" name="details.remains">"#,
            r#"<option value="repatriate_ashes">Hỏa táng, đưa tro cốt về nước</option>"#,
        ] {
            assert!(frag.contains(want), "{want:?} missing from {frag}");
        }
        let frag = officer
            .get("/cases/new/fields?case_type=fishermen")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            frag.contains("Số thuyền viên")
                && frag.contains(r#"inputmode="decimal" id="d_crew" name="details.crew""#)
                && !frag.contains("Ngày mất"),
            "{frag}"
        );
        // No type chosen: an empty block. An unknown type: a readable 404, never a 500.
        let r = officer.get("/cases/new/fields?case_type=").await;
        assert_eq!(r.status(), 200);
        assert!(!r.text().await.unwrap().contains("details."));
        let r = officer.get("/cases/new/fields?case_type=piracy").await;
        assert_eq!(r.status(), 404);
        assert!(r.text().await.unwrap().contains("<html"), "a readable page");

        // The intake page: the select fetches the block; empty until a type is chosen, and a
        // link can preselect a type (an unknown one is ignored).
        let page = officer.get("/cases/new").await.text().await.unwrap();
        assert!(page.contains(r##"hx-get="/cases/new/fields" hx-target="#type-fields""##));
        assert!(page.contains(r#"<div id="type-fields" aria-live="polite"></div>"#));
        let page = officer
            .get("/cases/new?case_type=fishermen")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"<option value="fishermen" selected>"#));
        assert!(page.contains("Tên tàu") && page.contains(r#"name="details.vessel_name""#));
        let r = officer.get("/cases/new?case_type=piracy").await;
        assert_eq!(r.status(), 200);
        assert!(!r.text().await.unwrap().contains("name=\"details."));

        // A bad value (a number that is not one, a choice not offered): the form comes back
        // with the message beside the field and every value kept; nothing recorded, not even
        // the new person.
        let fishermen = |crew: &'static str| {
            vec![
                ("case_type", "fishermen"),
                ("priority", "urgent"),
                ("channel", "mission"),
                ("country", "JP"),
                ("mission", "EMB-JP-TOKYO"),
                ("summary", "Tàu cá bị bắt giữ gần đảo"),
                ("person_name", "Đỗ Văn Khải"),
                ("details.vessel_name", "Hải Phong 27"),
                ("details.crew", crew),
                ("details.seized_on", "2026-03-02"),
                // A field of another type, left in the form after the type changed: ignored.
                ("details.remains", "local_burial"),
            ]
        };
        let r = officer.post_form("/cases", &fishermen("mười hai")).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        let at = html.find(r#"name="details.crew""#).expect("the crew field");
        let near = &html[at..];
        let near = &near[..near.find("</div>").unwrap()];
        assert!(
            near.contains(r#"value="mười hai""#)
                && near.contains("Một số: chỉ chữ số, dùng dấu chấm cho phần thập phân."),
            "the message beside the field: {near}"
        );
        assert!(html.contains(r#"value="Hải Phong 27""#) && html.contains("Đỗ Văn Khải"));
        assert!(
            !html.contains("details.remains"),
            "another type's field is not shown"
        );
        assert_eq!(count_cases().await, 0);
        let v: Value = officer
            .get("/api/v1/persons?q=Do%20Van%20Khai")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["hits"].as_array().unwrap().len(),
            0,
            "no person either: {v}"
        );
        // The same for any of the case's own refusals: an empty summary, an unknown mission.
        // The new person is recorded only with the case.
        for (field, value) in [("summary", ""), ("mission", "EMB-XX-NOWHERE")] {
            let form: Vec<(&str, &str)> = fishermen("12")
                .into_iter()
                .map(|(k, v)| if k == field { (k, value) } else { (k, v) })
                .collect();
            let r = officer.post_form("/cases", &form).await;
            assert_eq!(r.status(), 422, "{field}");
            assert_eq!(count_cases().await, 0);
            let v: Value = officer
                .get("/api/v1/persons?q=Do%20Van%20Khai")
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(v["hits"].as_array().unwrap().len(), 0, "{field}: {v}");
        }
        let death = [
            ("case_type", "death"),
            ("priority", "urgent"),
            ("channel", "mission"),
            ("country", "JP"),
            ("mission", "EMB-JP-TOKYO"),
            ("summary", "Lao động tử vong do tai nạn"),
            ("details.remains", "sea"),
        ];
        let r = officer.post_form("/cases", &death).await;
        assert_eq!(r.status(), 422);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Hãy chọn một giá trị trong danh sách.")
        );
        assert_eq!(count_cases().await, 0);

        // Good values: recorded with the case, cleaned (a day as DD/MM/YYYY, spaces), and
        // shown on the case page and in the API.
        let mut good = fishermen("12");
        good.retain(|(k, _)| *k != "details.seized_on");
        good.push(("details.seized_on", "02/03/2026"));
        good.push(("confirm_new", "1"));
        let r = officer.post_form("/cases", &good).await;
        assert_eq!(r.status(), 303);
        let case_url = r.headers()["location"].to_str().unwrap().to_owned();
        let id = case_url.trim_start_matches("/cases/");
        let v: Value = officer
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["details"],
            json!({"vessel_name": "Hải Phong 27", "crew": "12", "seized_on": "2026-03-02"}),
            "only the chosen type's fields"
        );
        let page = officer.get(&case_url).await.text().await.unwrap();
        let facts = &page[page.find("case-details").unwrap()..];
        assert!(facts.contains("Hải Phong 27") && facts.contains("2026-03-02"));
        // The case page's form is the same rendering, under its own names.
        assert!(page.contains(r#"id="d_crew" name="d_crew" value="12""#));

        // The duplicate warning re-renders the form: the type's fields come back filled.
        let mut again = fishermen("12");
        again.retain(|(k, _)| *k != "summary");
        again.push(("summary", "Tàu thứ hai"));
        let r = officer.post_form("/cases", &again).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("duplicate-warning"));
        assert!(
            html.contains(r#"name="details.vessel_name" value="Hải Phong 27""#)
                && html.contains(r#"name="details.crew" value="12""#),
            "values kept through the warning"
        );
        assert_eq!(count_cases().await, 1);

        // The mission select follows the country: the missions covering it first, the only
        // one chosen for the officer; a mission chosen for another country is dropped.
        let page = officer.get("/cases/new").await.text().await.unwrap();
        assert!(page.contains(r#"hx-get="/cases/new/missions""#));
        let options = |q: &'static str| {
            let officer = &officer;
            async move {
                let r = officer.get(&format!("/cases/new/missions?{q}")).await;
                assert_eq!(r.status(), 200, "{q}");
                r.text().await.unwrap()
            }
        };
        let bh = options("country=BH&mission=").await;
        assert!(
            bh.contains(r#"<optgroup label="Phụ trách "#)
                && bh.contains(r#"<option value="EMB-KW-KUWAITCITY" selected>"#),
            "Kuwait's embassy covers Bahrain: {bh}"
        );
        let jp = options("country=JP&mission=EMB-KR-SEOUL").await;
        let covering = &jp[..jp.find("</optgroup>").unwrap()];
        assert!(covering.contains("EMB-JP-TOKYO") && covering.contains("CG-JP-OSAKA"));
        assert!(!covering.contains("EMB-KR-SEOUL") && !jp.contains(" selected"));
        let kept = options("country=JP&mission=cg-jp-osaka").await;
        assert!(kept.contains(r#"<option value="CG-JP-OSAKA" selected>"#));
        let nowhere = options("country=ZZ&mission=%00").await;
        assert!(!nowhere.contains("optgroup") && nowhere.contains("EMB-JP-TOKYO"));

        // Only the roles that open cases get the form and its fragments.
        for who in ["police.tf", "audit.tf"] {
            let s = app.login(who).await;
            assert_eq!(
                s.get("/cases/new/fields?case_type=death").await.status(),
                403,
                "{who}"
            );
            assert_eq!(
                s.get("/cases/new/missions?country=JP").await.status(),
                403,
                "{who}"
            );
            assert_eq!(s.get("/cases/new").await.status(), 403, "{who}");
        }
        // Signed out: a page is sent to sign in; htmx is told to load the sign-in page
        // rather than swap it into the form.
        let r = app.get("/cases/new/fields?case_type=death").await;
        assert_eq!(r.status(), 303);
        let r = app
            .client
            .get(app.url("/cases/new/fields?case_type=death"))
            .header("hx-request", "true")
            .header("hx-current-url", app.url("/cases/new?case_type=death"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(
            r.headers()["hx-redirect"],
            "/login?next=%2Fcases%2Fnew%3Fcase_type%3Ddeath"
        );
    }
);
