//! Referrals to a partner state: sent by letter, its answer recorded on the case.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends, personal};
use serde_json::json;

both_backends!(
    referral_to_a_partner_state_goes_by_letter_and_its_answer_is_recorded_on_the_case,
    async |app: &TestApp| {
        app.with_staff(&[
            officer("off.seoul.s", SEOUL),
            police("police.s"),
            auditor("auditor.s"),
        ])
        .await;
        let officer = app.join(officer("off.s", TOKYO)).await;
        let p = officer
            .record_person(&PersonInput {
                documents: vec![passport("P5566778")],
                notes: "kept inside the service".into(),
                ..person("Phạm Thị Sương", TOKYO)
            })
            .await
            .unwrap();
        personal(&["Phạm Thị Sương", "P5566778", "kept inside the service"]);
        let case = officer
            .open_case(
                &case_of("detention", TOKYO, "Held at an immigration centre")
                    .in_city("Osaka")
                    .about(&[&p.id]),
            )
            .await
            .unwrap();
        let cid = case.id.as_str();
        // Viet Nam is not a partner state of its own service; unknown codes are refused.
        for bad in ["STATE-VN", "STATE-XX", "STATE-", "STATE-JPN"] {
            officer
                .refer(&case, &referral(bad, "Verify", &["identity"]))
                .await
                .refused_as(422, bad);
        }
        let state = officer
            .refer(
                &case,
                &referral(
                    "state-jp",
                    "Grant consular access and confirm the charges",
                    &["identity", "documents", "location"],
                ),
            )
            .await
            .unwrap();
        assert_eq!(state.agency, "STATE-JP");
        assert_eq!(state.channel, "diplomatic");
        assert_eq!(state.status, "sent");
        let rid = state.id.as_str();
        // An agency referral on the same case, answered only in the agency's inbox.
        let mps = officer
            .refer(&case, &referral("MPS", "Verify identity", &["identity"]))
            .await
            .unwrap();
        assert_eq!(mps.channel, "inbox");

        // The letter carries only the chosen fields, never the case's own notes.
        let letter = format!("/cases/{cid}/referrals/{rid}/letter");
        let html = officer.page(&letter).await;
        assert!(
            html.contains("Phạm Thị Sương") && html.contains("P5566778") && html.contains("Osaka")
        );
        assert!(!html.contains("kept inside the service"));
        assert!(
            !html.contains("Held at an immigration centre"),
            "summary not chosen"
        );
        assert!(html.contains(&case.reference));
        assert!(
            html.contains("Thư chuyển thông tin"),
            "in the page language"
        );
        // The same letter in English for the host state, whatever the officer's language.
        let en = officer.page(&format!("{letter}?lang=en")).await;
        assert!(en.contains("Referral letter") && !en.contains("Thư chuyển thông tin"));
        assert!(en.contains("P5566778"));
        // Another language asked for: the page's own.
        let other = officer.page(&format!("{letter}?lang=fr")).await;
        assert!(other.contains("Thư chuyển thông tin"));

        // Bad answers change nothing.
        for (status, note) in [("maybe", "x"), ("accepted", &*"n".repeat(5001))] {
            officer
                .record_state_answer(&case, rid, status, note)
                .await
                .refused_as(422, status);
        }
        // Agencies answer in their inbox.
        officer
            .record_state_answer(&case, &mps.id, "done", "not ours to record")
            .await
            .refused(422);
        officer
            .record_state_answer(&case, "0190aaaa-0000-7000-8000-000000000000", "done", "")
            .await
            .refused(404);
        let unanswered = officer.referral(&case, rid).await;
        assert_eq!(unanswered.status, "sent");
        assert_eq!(unanswered.response, "");

        // The state's answer, recorded on the case through the page form.
        let answer = format!("referrals/{rid}/answer");
        officer
            .on_case_page(
                &case,
                &answer,
                &[
                    ("status", "accepted"),
                    ("note", "Công hàm số 214/2026: thăm lãnh sự ngày 28/11"),
                ],
            )
            .await
            .unwrap();
        let answered = officer.referral(&case, rid).await;
        assert_eq!(answered.status, "accepted");
        assert!(answered.response.contains("214/2026"));
        let page = officer.page(&format!("/cases/{cid}")).await;
        assert!(page.contains("214/2026"));
        assert!(page.contains(&letter));
        assert!(
            !officer
                .case(&case)
                .await
                .unwrap()
                .events_of("referral")
                .is_empty(),
            "the answer is on the timeline"
        );

        // Every new route: 404 and one denied row for another mission, a partner, an auditor
        // (the raw requests: the point is each route's gate).
        for username in ["off.seoul.s", "police.s", "auditor.s"] {
            let s = app.login(username).await;
            for (method, path) in [
                ("GET", letter.clone()),
                ("GET", format!("/api/v1/cases/{cid}/referrals")),
                ("FORM", format!("/cases/{cid}/{answer}")),
                ("JSON", format!("/api/v1/cases/{cid}/{answer}")),
            ] {
                let (res, denied) = s
                    .counting_denials(async {
                        match method {
                            "GET" => s.get(&path).await,
                            "FORM" => {
                                s.post_form(&path, &[("status", "declined"), ("note", "x")])
                                    .await
                            }
                            _ => {
                                s.post_json(&path, &json!({"status": "declined", "note": "x"}))
                                    .await
                            }
                        }
                    })
                    .await;
                let refused = refusal(res).await;
                assert_eq!(refused.status, 404, "{username} {method} {path}");
                assert!(
                    !refused.body.contains("Phạm Thị Sương") && !refused.body.contains("214/2026")
                );
                assert_eq!(denied, 1, "{username} {path}: one denied row");
            }
        }
        assert_eq!(
            officer.referral(&case, rid).await.status,
            "accepted",
            "refused writes changed nothing"
        );
    }
);
