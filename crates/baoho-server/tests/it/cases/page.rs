//! The case page: the persons a case gathers (added from the registry, removed when added by
//! mistake), and every case route refusing other missions (404 and one denied audit row each).

use crate::support::{TestApp, both_backends, personal};
use baoho_domain::access::Role;
use serde_json::{Value, json};

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
