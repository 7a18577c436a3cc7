//! A case's life: intake, timeline, checklist, statuses and the supervisor's closure.

use crate::support::*;
use baoho_domain::case::{Escalation, Rag, Status};
use baoho_store::{CaseFilter, NewEvent, Store, StoreError};

/// Money advanced to a person: the amount in yen (minor units) and the repayment undertaking.
fn advance(body: &str, amount: Option<i64>, repayment: Option<&str>) -> NewEvent {
    NewEvent {
        kind: "money_advanced".into(),
        body: body.into(),
        amount_minor: amount,
        currency: amount.map(|_| "JPY".into()),
        repayment: repayment.map(str::to_owned),
    }
}

contract!(
    cases_intake_workflow_and_close_approval,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let head = w.head("head.tokyo", TOKYO).await;
        let officer = w.officer_under("tokyo1", TOKYO, &head).await;
        let seoul = w.officer("seoul1", SEOUL).await;
        let t0 = now();
        let p = officer.new_person("Ngô Văn Bắt", "JP", TOKYO).await;
        let c = officer.cases_at(t0);
        let rec = c.create(intake("arrest", vec![p.clone()])).await.unwrap();
        assert!(rec.summary.reference.starts_with("BH-"));
        assert_eq!(rec.summary.status, Status::New);
        assert_eq!(
            rec.summary.lead_officer.as_deref(),
            Some(officer.id.as_str())
        );
        assert_eq!(rec.persons, vec![p.clone()]);
        assert_eq!(
            rec.description,
            "Arrested at a factory raid; family called the hotline"
        );
        assert_eq!(
            rec.summary.due_at - rec.summary.opened_at,
            chrono::Duration::hours(24)
        );
        assert_eq!(rec.summary.rag, Rag::Green);
        // Create answers with the case as a read finds it (PostgreSQL keeps microseconds).
        let read = c.get(&rec.summary.id).await.unwrap();
        let strip = |r: &baoho_store::CaseRecord| {
            let mut r = r.clone();
            for t in [&mut r.summary.opened_at, &mut r.summary.due_at]
                .into_iter()
                .chain(r.events.iter_mut().map(|e| &mut e.at))
            {
                *t = chrono::DateTime::UNIX_EPOCH;
            }
            r
        };
        assert_eq!(strip(&read), strip(&rec));
        assert!(
            (read.summary.due_at - rec.summary.due_at).abs() < chrono::Duration::milliseconds(1)
        );
        // Bad intake changes nothing.
        let mut bad = intake("kidnapping", vec![]);
        assert!(matches!(
            c.create(bad.clone()).await,
            Err(StoreError::Validation(_))
        ));
        bad.case_type = "arrest".into();
        bad.persons = vec!["no-such-person".into()];
        assert!(matches!(
            c.create(bad).await,
            Err(StoreError::Validation(_))
        ));
        // Another mission cannot see it, or link a Tokyo person to its own case.
        let cs = seoul.cases_at(t0);
        assert!(matches!(
            cs.get(&rec.summary.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            cs.add_event(&rec.summary.id, entry_of("note", "x")).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(cs.list(&CaseFilter::default()).await.unwrap().total, 0);
        let mut other = intake_in("arrest", "KR", SEOUL);
        other.persons = vec![p.clone()];
        assert!(matches!(
            cs.create(other).await,
            Err(StoreError::Validation(_))
        ));
        // Timeline, checklist, workflow with optimistic concurrency.
        let visit = entry_of("consular_visit", "Visited at Osaka detention centre");
        c.add_event(&rec.summary.id, visit).await.unwrap();
        assert!(matches!(
            c.add_event(&rec.summary.id, advance("ticket", None, Some("signed")))
                .await,
            Err(StoreError::Validation(_))
        ));
        assert!(
            matches!(
                c.add_event(&rec.summary.id, advance("Bus ticket", Some(12000), None))
                    .await,
                Err(StoreError::Validation(_))
            ),
            "an advance says whether repayment was undertaken"
        );
        let ticket = advance("Bus ticket", Some(12000), Some("signed"));
        c.add_event(&rec.summary.id, ticket).await.unwrap();
        c.check(&rec.summary.id, 1, true).await.unwrap();
        c.set_status(&rec.summary.id, 1, Status::Assessed, "")
            .await
            .unwrap();
        assert!(matches!(
            c.set_status(&rec.summary.id, 1, Status::InProgress, "")
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            c.set_status(&rec.summary.id, 2, Status::Closed, "").await,
            Err(StoreError::Validation(_))
        ));
        c.set_status(&rec.summary.id, 2, Status::Resolved, "")
            .await
            .unwrap();
        // Closing needs a supervisor, who is not the requester.
        c.request_close(&rec.summary.id, 3).await.unwrap();
        assert!(matches!(
            c.approve_close(&rec.summary.id, 4).await,
            Err(StoreError::Forbidden)
        ));
        let h = head.cases_at(t0);
        let queue = h
            .list(&CaseFilter {
                awaiting_approval: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(queue.cases.len(), 1);
        h.approve_close(&rec.summary.id, 4).await.unwrap();
        let closed = c.get(&rec.summary.id).await.unwrap();
        assert_eq!(closed.summary.status, Status::Closed);
        assert_eq!(closed.checks_done, vec![1]);
        let kinds: Vec<&str> = closed.events.iter().map(|e| e.kind.as_str()).collect();
        assert!(kinds.contains(&"consular_visit") && kinds.contains(&"money_advanced"));
        assert_eq!(closed.summary.escalation, Escalation::Officer);
        // Reopening needs a reason.
        assert!(
            c.set_status(&rec.summary.id, 5, Status::InProgress, "no")
                .await
                .is_err()
        );
        c.set_status(
            &rec.summary.id,
            5,
            Status::InProgress,
            "the family sent new documents",
        )
        .await
        .unwrap();
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        // The supervisors were told of the closure request.
        assert_eq!(w.deliver_all().await, 1);
    }
);
