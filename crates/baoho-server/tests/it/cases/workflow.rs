//! A case's life over HTTP: intake, the work queue, the page's actions, supervisor-approved
//! closure; and every case operation's JSON API keeping the page's gate.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends, personal};
use baoho_domain::date::PartialDate;

both_backends!(intake_queue_actions_and_closure, async |app: &TestApp| {
    personal(&["Phan Thị Duyên", "K1234987", "Chồng gọi đường dây nóng"]);
    app.with_staff(&[head("head.t", TOKYO)]).await;
    let officer = app.join(officer("off.t", TOKYO)).await;
    // The person is already known.
    let known = officer
        .record_person(&PersonInput {
            birth: PartialDate::parse("1993").ok(),
            ..person("Phan Thị Duyên", TOKYO)
        })
        .await
        .unwrap();
    let form = |extra: &[(&'static str, &'static str)]| {
        let mut f = vec![
            ("case_type", "detention"),
            ("priority", "high"),
            ("channel", "hotline"),
            ("country", "JP"),
            ("city", "Nagoya"),
            ("mission", TOKYO),
            (
                "summary",
                "Chồng gọi đường dây nóng: vợ bị tạm giữ tại Nagoya",
            ),
            ("person_name", "PHAN THI DUYEN"),
            ("person_birth", "1993"),
        ];
        f.extend_from_slice(extra);
        f
    };
    // Intake of a name already in the registry: the duplicate warning, nothing recorded.
    let warned = officer.submit("/cases", &form(&[])).await.refused(200);
    assert!(
        warned.body.contains("duplicate-warning") && warned.body.contains(&known.id),
        "warning lists the known person"
    );
    assert_eq!(officer.cases_total().await, 0);
    // The officer picks the existing person.
    let mut picked: Vec<(&str, &str)> = form(&[]);
    picked.push(("person_id", known.id.as_str()));
    let case_url = officer.submit("/cases", &picked).await.unwrap();
    let id = case_url.trim_start_matches("/cases/").to_owned();
    let page = officer.page(&case_url).await;
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
    let q = officer.page("/cases").await;
    assert!(q.contains(&id) && q.contains("q-mine"));
    // Consular visit, checklist, status moves: the case page's forms.
    let visit = [
        ("kind", "consular_visit"),
        ("body", "Gặp đương sự tại đồn cảnh sát Nagoya"),
    ];
    officer.on_case_page(&id, "events", &visit).await.unwrap();
    let money = [
        ("kind", "money_advanced"),
        ("body", "Vé xe"),
        ("amount", "35.50"),
        ("currency", "usd"),
        ("repayment", "signed"),
    ];
    officer.on_case_page(&id, "events", &money).await.unwrap();
    let nonsense = [("kind", "nonsense"), ("body", "x")];
    officer
        .on_case_page(&id, "events", &nonsense)
        .await
        .refused(422);
    let tick = [("item", "1"), ("done", "1")];
    officer.on_case_page(&id, "check", &tick).await.unwrap();
    for (v, to) in [("1", "in_progress"), ("2", "resolved")] {
        let step = [("version", v), ("status", to)];
        officer.on_case_page(&id, "status", &step).await.unwrap();
    }
    // A stale version is a conflict; closing directly is refused.
    let stale = [("version", "1"), ("status", "in_progress")];
    officer
        .on_case_page(&id, "status", &stale)
        .await
        .refused(409);
    let close = [("version", "3"), ("status", "closed")];
    officer
        .on_case_page(&id, "status", &close)
        .await
        .refused(422);
    let v3 = [("version", "3")];
    officer
        .on_case_page(&id, "close-request", &v3)
        .await
        .unwrap();
    let v4 = [("version", "4")];
    // Not one's own closure.
    officer
        .on_case_page(&id, "close-approve", &v4)
        .await
        .refused(403);
    // The head of mission sees it awaiting approval, and approves.
    let head = app.login("head.t").await;
    let q = head.page("/cases").await;
    assert!(q.contains("q-approvals") && q.contains(&id));
    head.on_case_page(&id, "close-approve", &v4).await.unwrap();
    let v = officer.case(&id).await.unwrap();
    assert_eq!(v.status, Status::Closed);
    assert!(!v.events_of("consular_visit").is_empty() && !v.events_of("money_advanced").is_empty());
    assert!(v.events.iter().any(|e| e.amount_minor == Some(3550)
        && e.currency.as_deref() == Some("USD")
        && e.repayment.as_deref() == Some("signed")));
    // Lists, filters, export.
    let list = officer
        .page("/cases/list?case_type=detention&status=closed")
        .await;
    assert!(list.contains(&id));
    let list = officer.page("/cases/list?case_type=arrest").await;
    assert!(!list.contains(&id));
    // "Open" is every case not yet resolved or closed: the closed case is not in it.
    let open = officer.page("/cases/list?status=open").await;
    assert!(!open.contains(&id));
    assert!(open.contains("<option value=\"open\" selected>"));
    let open = officer.cases_where("status=open&case_type=detention").await;
    assert_eq!(open.total, 0, "{open:?}");
    // Places are chosen by name, not typed as codes; the choice is kept.
    let list = officer
        .page("/cases/list?mission=EMB-JP-TOKYO&country=JP")
        .await;
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
});

both_backends!(
    every_case_operation_has_a_json_api_that_keeps_the_same_gate,
    async |app: &TestApp| {
        let ids = app
            .with_staff(&[
                officer("off.j", TOKYO),
                head("head.j", TOKYO),
                officer("off.seoul.j", SEOUL),
            ])
            .await;
        let head_id = ids[1].as_str();
        let officer = app.login("off.j").await;
        let head = app.login("head.j").await;
        let seoul = app.login("off.seoul.j").await;
        let p = officer
            .record_person(&person("Vũ Thị Lan", TOKYO))
            .await
            .unwrap();
        let case = officer
            .open_case(
                &case_of("arrest", TOKYO, "Arrested in Nagoya")
                    .urgent()
                    .by_hotline()
                    .about(&[&p.id]),
            )
            .await
            .unwrap();
        let pdf = b"%PDF-1.4\n% synthetic test file\n".to_vec();
        let file = "giấy tạm giữ.pdf";
        // Another mission first: every new operation is 404 with one denied row, and changes
        // nothing.
        let (refusals, denied) = seoul
            .counting_denials(async {
                vec![
                    seoul.assign(&case, head_id).await.refused(404),
                    seoul.check(&case, 0, true).await.refused(404),
                    seoul.request_closure(&case, 1).await.refused(404),
                    seoul.approve_closure(&case, 1).await.refused(404),
                    seoul
                        .record_consular_access(&case, &[("arrested", "2026-11-01")])
                        .await
                        .refused(404),
                    crate::support::stories::refusal(
                        seoul
                            .get(&format!("/api/v1/cases/{}/attachments", case.id))
                            .await,
                    )
                    .await,
                    seoul.attach(&case, file, pdf.clone()).await.refused(404),
                ]
            })
            .await;
        assert!(refusals.iter().all(|r| r.status == 404), "{refusals:?}");
        assert_eq!(denied, refusals.len());

        // The case's own officer, through JSON only.
        officer.assign(&case, head_id).await.unwrap();
        officer.assign(&case, "nobody").await.refused(422);
        officer.check(&case, 0, true).await.unwrap();
        officer.check(&case, 500, true).await.refused(422);
        officer
            .record_consular_access(
                &case,
                &[("arrested", "2026-11-01"), ("notified", "2026-11-09")],
            )
            .await
            .unwrap();
        officer
            .record_consular_access(&case, &[("arrested", "1 Nov")])
            .await
            .refused(422);
        let att = officer.attach(&case, file, pdf.clone()).await.unwrap();
        let att_id = att["id"].as_str().unwrap();
        let list: Vec<serde_json::Value> = officer
            .read(&format!("/api/v1/cases/{}/attachments", case.id))
            .await;
        assert_eq!(list[0]["id"], att["id"]);
        let download = format!("/api/v1/cases/{}/attachments/{att_id}", case.id);
        let got = officer.get(&download).await;
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
        assert_eq!(seoul.get(&download).await.status(), 404);
        // An override referral waits for the head of mission, who approves it by API.
        let r = officer
            .refer(
                &case,
                &override_referral(
                    "MPS",
                    "Verify identity",
                    &["identity"],
                    "The person is unconscious in hospital",
                ),
            )
            .await
            .unwrap();
        assert_eq!(r.status, "awaiting_approval");
        // Not the requester's own.
        officer.approve_referral(&case, &r.id).await.refused(403);
        seoul.approve_referral(&case, &r.id).await.refused(404);
        head.approve_referral(&case, &r.id).await.unwrap();
        assert_eq!(officer.referrals(&case).await[0].status, "sent");
        // Through the workflow to a closure the head approves.
        let mut version = officer.case(&case).await.unwrap().version;
        for to in ["assessed", "in_progress", "resolved"] {
            officer.set_status(&case, version, to).await.unwrap();
            version += 1;
        }
        // Stale.
        officer
            .request_closure(&case, version - 1)
            .await
            .refused(409);
        officer.request_closure(&case, version).await.unwrap();
        version += 1;
        head.approve_closure(&case, version).await.unwrap();
        let v = officer.case(&case).await.unwrap();
        assert_eq!(v.status, Status::Closed);
        assert_eq!(v.checks_done, vec![0]);
    }
);
