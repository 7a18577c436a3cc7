//! The work queue: what is new since I last looked, referrals awaiting my approval, answers.

use crate::support::{TestApp, both_backends};
use baoho_domain::access::Role;
use serde_json::{Value, json};

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
