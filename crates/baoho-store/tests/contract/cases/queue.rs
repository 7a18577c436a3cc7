//! The work queue: my cases, new since my last look, closures and referrals to approve,
//! partners' answers.

use crate::support::*;
use baoho_domain::access::Role;
use baoho_store::{AuditAction, AuditFilter, CaseFilter, Store, StoreError, WorkQueue};

contract!(
    work_queue_lists_and_new_since_last_look,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let head = w.head("head.tokyo", TOKYO).await;
        let me = w.officer_under("tokyo.me", TOKYO, &head).await;
        let colleague = w.officer_under("tokyo.other", TOKYO, &head).await;
        let seoul = w.officer("seoul.q", SEOUL).await;
        let t0 = now();
        let mine = me.cases_at(t0);
        let other = colleague.cases_at(t0);
        let kr = seoul.cases_at(t0);
        let own = mine.create(intake("arrest", vec![])).await.unwrap();
        // First look: nothing "since", no previous look; my case is mine and new.
        let q = mine.work_queue().await.unwrap();
        assert_eq!(q.last_looked, None);
        assert_eq!(q.since_last_look.total, 0);
        assert_eq!(q.mine.total, 1);
        assert_eq!(q.mine.cases[0].id, own.summary.id);
        assert_eq!(q.unassessed.total, 1);
        assert_eq!(q.approvals.total, 0);
        // A colleague opens one at my mission, Seoul one elsewhere, I open another myself.
        let theirs = other.create(intake("accident", vec![])).await.unwrap();
        kr.create(intake_in("accident", "KR", SEOUL)).await.unwrap();
        mine.create(intake("illness", vec![])).await.unwrap();
        let q = mine.work_queue().await.unwrap();
        assert!(q.last_looked.is_some());
        assert_eq!(q.since_last_look.total, 1, "{:?}", q.since_last_look);
        assert_eq!(q.since_last_look.cases[0].id, theirs.summary.id);
        assert_eq!(q.mine.total, 2);
        assert_eq!(q.unassessed.total, 3);
        // Counted up to a cap: 3 new cases counted up to 2 show as "2+"; 2 up to 2 exactly.
        let capped = mine.work_queue_counting_up_to(2).await.unwrap();
        assert_eq!(
            (capped.unassessed.total, capped.unassessed.total_is_at_least),
            (2, true)
        );
        assert_eq!(
            capped.unassessed.cases.len(),
            3,
            "the page itself is not capped"
        );
        assert_eq!(capped.unassessed.shown_total(), "2+");
        assert_eq!(capped.mine.shown_total(), "2");
        assert_eq!(
            (capped.mine.total, capped.mine.total_is_at_least),
            (2, false)
        );
        // Looking again: nothing new since.
        assert_eq!(mine.work_queue().await.unwrap().since_last_look.total, 0);
        // The colleague's own first look lists nothing "since".
        assert_eq!(other.work_queue().await.unwrap().since_last_look.total, 0);
        assert_eq!(
            other
                .list(&CaseFilter {
                    open_only: true,
                    ..Default::default()
                })
                .await
                .unwrap()
                .total,
            3
        );
        // One audit row per look.
        let rows = s
            .audit_query(&AuditFilter {
                actor: Some(me.id.clone()),
                action: Some(AuditAction::Search),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 4);
        // A partner liaison has no work queue.
        let liaison = w.police("mps.q").await;
        assert!(matches!(
            liaison.cases_at(t0).work_queue().await,
            Err(StoreError::Forbidden)
        ));
    }
);

contract!(
    work_queue_lists_referrals_to_approve_and_answers_since_last_look,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let head = w.head("head.tokyo", TOKYO).await;
        let officer = w.officer_under("tokyo.ref", TOKYO, &head).await;
        // Osaka's jurisdiction is Japan too: Tokyo's cases are in its head's lists, but its
        // head approves only Osaka's referrals.
        let osaka = w.head("head.osaka", OSAKA).await;
        let hq = w.hq("hq.ref").await;
        let police = w.police("mps.ref").await;
        let t0 = now();
        let secs = |n: i64| t0 + chrono::Duration::seconds(n);
        let c = officer.cases_at(t0);
        let open = c.create(intake("accident", vec![])).await.unwrap();
        // Trafficking cases are restricted: listed only to their members.
        let hidden = c.create(intake("trafficking", vec![])).await.unwrap();
        assert!(hidden.summary.restricted);
        let req = |agency: &str, consent: bool| {
            let purpose = "Receive at the airport";
            if consent {
                referral(agency, purpose, &["identity"])
            } else {
                override_referral(agency, purpose, &["identity"], UNCONSCIOUS)
            }
        };
        let waiting = c.refer(&open.summary.id, req("P-79", false)).await.unwrap();
        assert_eq!(waiting.status, "awaiting_approval");
        c.refer(&hidden.summary.id, req("P-79", false))
            .await
            .unwrap();
        let sent = c.refer(&open.summary.id, req("MPS", true)).await.unwrap();
        // What `acc` finds in their work queue at t0 + `at` seconds (in `role`, if promoted).
        let queue = async |acc: &Actor<'_>, at: i64, role: Option<Role>| -> WorkQueue {
            let who = role.map_or_else(|| acc.who.clone(), |r| acc.as_role(r));
            let c = cases_as(s, &w.keys, &who, secs(at));
            c.work_queue().await.unwrap()
        };
        // The head of mission: the open case's override only (not the restricted case's,
        // whose member they are not; not the referral sent with consent).
        let q = queue(&head, 1, None).await;
        assert_eq!(q.referral_approvals.total, 1, "{:?}", q.referral_approvals);
        let item = &q.referral_approvals.items[0];
        assert_eq!(
            (
                item.case_id.as_str(),
                item.case_reference.as_str(),
                item.case_type.as_str(),
                item.referral_id.as_str(),
                item.agency.as_str(),
                item.purpose.as_str()
            ),
            (
                open.summary.id.as_str(),
                open.summary.reference.as_str(),
                "accident",
                waiting.id.as_str(),
                "P-79",
                "Receive at the airport"
            )
        );
        assert_eq!(q.referral_approvals.shown_total(), "1");
        // HQ approves everywhere (the restricted case is not listed to it either).
        assert_eq!(queue(&hq, 1, None).await.referral_approvals.total, 1);
        // Another mission's head, although the case is in its lists: nothing to approve.
        assert_eq!(queue(&osaka, 1, None).await.referral_approvals.total, 0);
        // The requester: not a supervisor; and promoted to one, never their own requests.
        assert_eq!(queue(&officer, 1, None).await.referral_approvals.total, 0);
        assert_eq!(
            queue(&officer, 1, Some(Role::HeadOfMission))
                .await
                .referral_approvals
                .total,
            0
        );
        // Counted up to the cap, like the case lists.
        let capped = head.cases_at(secs(1)).work_queue_counting_up_to(0).await;
        let capped = capped.unwrap();
        assert_eq!(capped.referral_approvals.shown_total(), "0+");
        // Approved: gone from the queue.
        head.cases_at(secs(2))
            .approve_referral(&open.summary.id, &waiting.id)
            .await
            .unwrap();
        assert_eq!(queue(&head, 3, None).await.referral_approvals.total, 0);
        // The police answer after the officer's last look (at 1 s): the officer sees the answer,
        // without its text; the head of mission (no member of the case) does not.
        police
            .inbox_at(secs(10))
            .respond(&sent.id, "accepted", "Identity confirmed")
            .await
            .unwrap();
        let q = queue(&officer, 20, None).await;
        assert_eq!(q.referral_answers.total, 1, "{:?}", q.referral_answers);
        let a = &q.referral_answers.items[0];
        assert_eq!(
            (
                a.case_id.as_str(),
                a.referral_id.as_str(),
                a.agency.as_str(),
                a.status.as_str()
            ),
            (
                open.summary.id.as_str(),
                sent.id.as_str(),
                "MPS",
                "accepted"
            )
        );
        assert!(!format!("{q:?}").contains("Identity confirmed"));
        assert_eq!(queue(&head, 20, None).await.referral_answers.total, 0);
        // Looked at once: not again.
        assert_eq!(queue(&officer, 30, None).await.referral_answers.total, 0);
        // A first look lists the answers of the last 7 days: a new member of the case sees it,
        // until it is older than that.
        let colleague = w.officer_under("tokyo.ref2", TOKYO, &head).await;
        let colleague2 = w.officer_under("tokyo.ref3", TOKYO, &head).await;
        let moved = w.officer_under("tokyo.ref4", TOKYO, &head).await;
        for acc in [&colleague, &colleague2, &moved] {
            officer
                .cases_at(secs(40))
                .assign(&open.summary.id, &acc.id)
                .await
                .unwrap();
        }
        assert_eq!(queue(&colleague, 50, None).await.referral_answers.total, 1);
        // A member since posted to Seoul: the case is no longer in their places, as in the
        // queue's case lists.
        let seoul = moved.posted_to(SEOUL, &["KR"]);
        assert_eq!(
            cases_as(s, &w.keys, &seoul, secs(50))
                .work_queue()
                .await
                .unwrap()
                .referral_answers
                .total,
            0
        );
        assert_eq!(
            queue(&colleague2, 8 * 86_400, None)
                .await
                .referral_answers
                .total,
            0
        );
        // The partners, the supervisors and the new members were told.
        w.deliver_all().await;
    }
);

contract!(
    closures_to_approve_are_only_those_i_may_approve,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let osaka_officer = w.officer("osaka.off", OSAKA).await;
        let osaka_head = w.head("osaka.head", OSAKA).await;
        let tokyo_head = w.head("tokyo.head", TOKYO).await;
        let hq = w.hq("hq.appr").await;
        let t0 = now();
        let c = osaka_officer.cases_at(t0);
        let rec = c.create(intake_in("accident", "JP", OSAKA)).await.unwrap();
        let id = rec.summary.id.clone();
        resolve(&c, &id).await;
        c.request_close(&id, 3).await.unwrap();
        // Tokyo's head sees the Osaka case (Japan is Tokyo's jurisdiction too) but may not
        // approve its closure: it is not in their list of closures to approve.
        for (a, want) in [
            (&tokyo_head, (0, false)),
            (&osaka_head, (1, true)),
            (&hq, (1, true)),
        ] {
            let h = a.cases_at(t0);
            let q = h.work_queue().await.unwrap();
            let got = h.get(&id).await.unwrap();
            assert_eq!(
                (q.approvals.total, h.can_approve(&got)),
                want,
                "{}",
                a.username
            );
        }
        assert!(matches!(
            tokyo_head.cases_at(t0).approve_close(&id, 4).await,
            Err(StoreError::Forbidden)
        ));
        // Osaka's head and headquarters were asked to approve.
        w.deliver_all().await;
    }
);

contract!(
    an_answer_i_recorded_myself_is_not_news_to_me,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let me = w.officer("tokyo.writer", TOKYO).await;
        let colleague = w.officer("tokyo.reader", TOKYO).await;
        let t0 = now();
        let at = |secs: i64| t0 + chrono::Duration::seconds(secs);
        let c = me.cases_at(at(0));
        let case = c.create(intake("detention", vec![])).await.unwrap();
        let id = case.summary.id.clone();
        let to_host_state = referral("STATE-JP", "Consular access", &["identity"]);
        let r = c.refer(&id, to_host_state).await.unwrap();
        // The colleague joins the case (as its lead); both have looked once before the answer.
        c.assign(&id, &colleague.id).await.unwrap();
        for who in [&me, &colleague] {
            who.cases_at(at(1)).work_queue().await.unwrap();
        }
        // I record the host state's answer from its diplomatic note.
        me.cases_at(at(10))
            .record_state_answer(&id, &r.id, "accepted", "Access on Monday")
            .await
            .unwrap();
        let answers = async |who: &Actor<'_>| {
            let q = who.cases_at(at(20)).work_queue().await.unwrap();
            q.referral_answers.total
        };
        assert_eq!(answers(&me).await, 0, "I recorded it: not news to me");
        assert_eq!(
            answers(&colleague).await,
            1,
            "my colleague on the case learns of it"
        );
        // The colleague was told of the assignment.
        w.deliver_all().await;
    }
);
