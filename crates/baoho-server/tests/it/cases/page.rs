//! The case page: the persons a case gathers (added from the registry, removed when added by
//! mistake), and every case route refusing other missions (404 and one denied audit row each).

use crate::support::stories::*;
use crate::support::{TestApp, both_backends, personal};
use serde_json::{Value, json};

both_backends!(case_routes_refuse_other_missions, async |app: &TestApp| {
    app.with_staff(&[
        officer("off.seoul", SEOUL),
        police("police.c"),
        auditor("auditor.c"),
    ])
    .await;
    let tokyo = app.join(officer("off.tokyo", TOKYO)).await;
    let case = tokyo
        .open_case(&case_of("arrest", TOKYO, "Arrested in Tokyo").urgent())
        .await
        .unwrap();
    let id = case.summary.id;
    // The raw requests: the point is each route's gate.
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
            let (res, denied) = s
                .counting_denials(async {
                    if method == "GET" {
                        s.get(&path).await
                    } else {
                        s.post_form(&path, &form).await
                    }
                })
                .await;
            assert_eq!(res.status(), 404, "{username} {method} {path}");
            assert_eq!(denied, 1, "{username} {path}: one denied row");
            n += 1;
        }
        assert_eq!(n, 7);
        if username == "off.seoul" {
            assert_eq!(s.cases_total().await, 0);
        } else {
            assert_eq!(s.get("/api/v1/cases").await.status(), 403);
        }
    }
});

both_backends!(
    a_case_gathers_several_persons_from_the_registry,
    async |app: &TestApp| {
        let seoul = app.join(officer("off.seoul.crew", SEOUL)).await;
        let officer = app.join(officer("off.crew", TOKYO)).await;
        let crew = record_crew(
            &officer,
            &["Phan Văn Biển", "Phan Văn Sóng", "Trịnh Văn Gió"],
        )
        .await;
        let elsewhere = seoul
            .record_person(&person("Phan Văn Xa", SEOUL))
            .await
            .unwrap()
            .id;
        let case = officer.open_case(&boat_held(&crew[0])).await.unwrap();
        let id = case.id.clone();
        // The page's registry search shows who is not yet on the case (folded names).
        let page = officer.page(&format!("/cases/{id}?find=phan+van")).await;
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
        officer
            .on_case_page(&case, "persons", &[("person_id", crew[1].as_str())])
            .await
            .unwrap();
        officer.link_person(&case, &crew[2]).await.unwrap();
        // Already linked.
        officer.link_person(&case, &crew[2]).await.refused(422);
        // A person outside my scope: refused like a missing one, with a denied row.
        let (refused, denied) = officer
            .counting_denials(officer.link_person(&case, &elsewhere))
            .await;
        refused.refused(422);
        assert_eq!(denied, 1);
        // Another mission cannot add to my case.
        let (refused, denied) = seoul
            .counting_denials(seoul.link_person(&case, &elsewhere))
            .await;
        refused.refused(404);
        assert_eq!(denied, 1);
        let v = officer.case(&case).await.unwrap();
        let mut got = v.persons.clone();
        got.sort();
        let mut want = crew.clone();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(v.events_of("person_linked").len(), 2);
    }
);

both_backends!(
    a_person_added_by_mistake_is_removed_from_the_page_and_the_api,
    async |app: &TestApp| {
        app.with_staff(&[
            officer("off.seoul.rm", SEOUL),
            police("police.rm"),
            auditor("auditor.rm"),
        ])
        .await;
        let names = ["Đoàn Văn Mũi", "Đoàn Văn Lái", "Quách Văn Khoang"];
        let page_reason = "Nhầm người: trùng tên với thuyền viên tàu khác";
        let api_reason = "Không có trong danh sách thuyền viên";
        personal(&names);
        personal(&[page_reason, api_reason]);
        let officer = app.join(officer("off.rm", TOKYO)).await;
        let crew = record_crew(&officer, &names).await;
        let case = officer.open_case(&boat_held(&crew[0])).await.unwrap();
        let id = case.id.clone();
        for p in &crew[1..] {
            officer.link_person(&case, p).await.unwrap();
        }
        let get_case = || async { officer.case(&case).await.unwrap() };
        let before = get_case().await;
        assert_eq!(before.persons.len(), 3);
        let unchanged = |v: &CaseView| {
            assert_eq!(v.persons, before.persons);
            assert_eq!(v.events, before.events);
            assert_eq!(v.version, before.version);
        };
        let remove_page = |p: &str| format!("/cases/{id}/persons/{p}/remove");
        let remove_api = |p: &str| format!("/api/v1/cases/{id}/persons/{p}/removal");
        // Each listed person has a removal form behind a <details> (no script needed).
        let page = officer.page(&format!("/cases/{id}")).await;
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
        let html = officer
            .submit(&remove_page(&crew[1]), &[("reason", "  ")])
            .await
            .refused(422)
            .body;
        assert!(
            html.contains("Hãy ghi lý do gỡ: từ 5 đến 2.000 ký tự, văn bản thường."),
            "{html}"
        );
        assert!(html.contains("<details class=\"unlink\" open>"));
        let html = officer
            .submit(&remove_page(&crew[1]), &[("reason", "sai")])
            .await
            .refused(422)
            .body;
        assert!(
            html.contains(">sai</textarea>"),
            "the reason typed comes back"
        );
        officer
            .submit(&remove_page(&crew[1]), &[])
            .await
            .refused(422);
        // The API's bad bodies (raw: the point is the input).
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
            let (refused, denied) = s
                .counting_denials(s.submit(&remove_page(&crew[1]), &[("reason", page_reason)]))
                .await;
            refused.refused_as(404, username);
            assert_eq!(denied, 1, "{username} page: one denied row");
            let (refused, denied) = s
                .counting_denials(s.unlink_person(&case, &crew[1], api_reason))
                .await;
            // A problem document.
            refused.refused_as(404, username).problem();
            assert_eq!(denied, 1, "{username} api: one denied row");
        }
        unchanged(&get_case().await);

        // From the page: back to the case, which says so; the timeline keeps who and why.
        let to = officer
            .submit(&remove_page(&crew[1]), &[("reason", page_reason)])
            .await
            .unwrap();
        assert_eq!(to, format!("/cases/{id}?removed=1#persons"));
        let page = officer.page(&to).await;
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
        officer
            .unlink_person(&case, &crew[2], api_reason)
            .await
            .unwrap();
        let again = officer
            .unlink_person(&case, &crew[2], api_reason)
            .await
            .refused(422);
        assert_eq!(again.fields(), ["person"], "{again:?}");
        // The page form for a person no longer on the case: 422 and a readable message.
        let refused = officer
            .submit(&remove_page(&crew[2]), &[("reason", page_reason)])
            .await
            .refused(422);
        assert!(refused.body.contains("Người này không có trong vụ việc."));
        let v = get_case().await;
        assert_eq!(v.persons, [crew[0].clone()]);
        assert_eq!(v.version, before.version);
        let removals = v.events_of("person_unlinked");
        assert_eq!(removals.len(), 2);
        assert_eq!(removals[0].body, format!("{}: {api_reason}", crew[2]));
        assert_eq!(removals[1].body, format!("{}: {page_reason}", crew[1]));
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
    }
);

/// Record the crew of a boat; their ids.
async fn record_crew(officer: &crate::support::Staff<'_>, names: &[&str]) -> Vec<String> {
    let mut crew = vec![];
    for name in names {
        crew.push(
            officer
                .record_person(&person(name, TOKYO))
                .await
                .unwrap()
                .id,
        );
    }
    crew
}

/// A fishing boat held by the coast guard, its captain the first person on the case.
fn boat_held(captain: &str) -> CaseIntake {
    case_of("fishermen", TOKYO, "A fishing boat held by the coast guard")
        .urgent()
        .via_partner()
        .about(&[captain])
}
