//! The work queue: what is new since I last looked, referrals awaiting my approval, answers.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends};

both_backends!(
    work_queue_shows_what_is_new_since_i_last_looked,
    async |app: &TestApp| {
        let head = app.join(head("head.q", TOKYO)).await;
        let officer = app.join(officer("off.q", TOKYO)).await;
        // First look: nothing to compare with yet.
        let page = head.page("/cases").await;
        assert!(
            !page.contains("id=\"q-since\""),
            "no since list on the first look"
        );
        let v = head.queue().await;
        assert!(v.last_looked.is_some(), "{v:?}");
        assert_eq!(v.since_last_look.total, 0);
        // The officer opens a case; the head's next look lists it, once.
        let created = officer
            .open_case(&case_of("accident", TOKYO, "Tai nạn giao thông ở Chiba").by_hotline())
            .await
            .unwrap();
        let page = head.page("/cases").await;
        let since = &page[page.find("q-since").expect("the since list")..];
        assert!(since.contains(&created.id));
        let v = head.queue().await;
        assert_eq!(v.since_last_look.total, 0, "{v:?}");
        assert_eq!(v.unassessed.total, 1);
        // The officer's queue has it as theirs.
        let v = officer.queue().await;
        assert_eq!(v.mine.total, 1);
        assert_eq!(v.approvals.total, 0);
    }
);

both_backends!(
    work_queue_lists_referrals_awaiting_my_approval_and_answers_since_i_last_looked,
    async |app: &TestApp| {
        // Osaka's jurisdiction is Japan: Tokyo's cases are in its head's lists, not its approvals.
        app.with_staff(&[
            head("head.rq", TOKYO),
            officer("off.rq", TOKYO),
            head("head.osaka.rq", OSAKA),
            police("mps.rq"),
        ])
        .await;
        let officer = app.login("off.rq").await;
        let head = app.login("head.rq").await;
        let osaka = app.login("head.osaka.rq").await;
        let case = officer
            .open_case(
                &case_of("deportation", TOKYO, "On the host state's deportation list")
                    .via_partner(),
            )
            .await
            .unwrap();
        let (cid, reference) = (case.id.as_str(), case.reference.as_str());
        // The lead looks at the queue once (the answers below come after this look).
        let v = officer.queue().await;
        assert_eq!(v.referral_answers.total, 0, "{v:?}");
        // An override without the person's consent waits for the head of mission.
        let waiting = officer
            .refer(
                &case,
                &override_referral(
                    "P-79",
                    "Receive at Tan Son Nhat airport",
                    &["identity"],
                    "Unconscious in hospital, family unreachable",
                ),
            )
            .await
            .unwrap();
        assert_eq!(waiting.status, "awaiting_approval");
        let page = head.page("/cases").await;
        let section = &page[page
            .find("id=\"q-referral-approvals\"")
            .expect("the head's referral approvals")..];
        assert!(
            section.contains(&format!("/cases/{cid}#referrals")) && section.contains(reference)
        );
        assert!(section.contains("Receive at Tan Son Nhat airport"));
        let v = head.queue().await;
        assert_eq!(v.referral_approvals.total, 1, "{v:?}");
        let item = serde_json::to_value(&v.referral_approvals.items[0]).unwrap();
        assert_eq!(item["case_id"], cid);
        assert_eq!(item["case_reference"], reference);
        assert_eq!(item["case_type"], "deportation");
        assert_eq!(item["agency"], "P-79");
        assert_eq!(item["referral_id"], waiting.id.as_str());
        assert!(item["created_at"].is_string());
        // Not another mission's head (who lists the case), not the requester.
        let list = osaka.cases_where("country=JP").await;
        assert_eq!(list.total, 1, "the case is in Osaka's lists: {list:?}");
        let page = osaka.page("/cases").await;
        assert!(page.contains(cid), "the case is in Osaka's new cases");
        assert!(!page.contains("q-referral-approvals"));
        let v = osaka.queue().await;
        assert_eq!(v.referral_approvals.total, 0, "{v:?}");
        let page = officer.page("/cases").await;
        assert!(!page.contains("q-referral-approvals"));
        let v = officer.queue().await;
        assert_eq!(v.referral_approvals.total, 0, "{v:?}");
        // Approved from the case page: gone from the head's queue.
        let approve = format!("referrals/{}/approve", waiting.id);
        head.on_case_page(&case, &approve, &[]).await.unwrap();
        let page = head.page("/cases").await;
        assert!(!page.contains("q-referral-approvals"));
        let v = head.queue().await;
        assert_eq!(v.referral_approvals.total, 0, "{v:?}");
        // The police answer a referral sent with consent, a minute after the lead's last look.
        let sent = officer
            .refer(&case, &referral("MPS", "Verify identity", &["identity"]))
            .await
            .unwrap();
        app.advance(60);
        let police = app.login("mps.rq").await;
        police
            .answer_referral(&sent.id, "accepted", "Danh tính đã xác minh")
            .await
            .unwrap();
        app.advance(60);
        // The lead's queue lists the answer (not its text), linked to the case…
        let page = officer.page("/cases").await;
        let section = &page[page
            .find("id=\"q-referral-answers\"")
            .expect("the lead's referral answers")..];
        assert!(
            section.contains(&format!("/cases/{cid}#referrals")) && section.contains(reference)
        );
        assert!(
            !page.contains("Danh tính đã xác minh"),
            "not the answer's text"
        );
        // …once: looking again, it is gone (page and JSON alike).
        let v = officer.queue().await;
        assert_eq!(v.referral_answers.total, 0, "{v:?}");
        assert!(!officer.page("/cases").await.contains("q-referral-answers"));
        // The head of mission is no member of the case: no answers in their queue.
        let v = head.queue().await;
        assert_eq!(v.referral_answers.total, 0, "{v:?}");
    }
);
