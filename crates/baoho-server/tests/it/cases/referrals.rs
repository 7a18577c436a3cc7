//! Referrals to a partner state: sent by letter, its answer recorded on the case.

use crate::support::{TestApp, both_backends, personal};
use baoho_domain::access::Role;
use serde_json::{Value, json};

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
