//! Deliveries through the outbox: overdue cases escalate up the chain, once per level, and the
//! worker delivers each row once.

use crate::support::*;
use baoho_domain::case::{Escalation, Rag};
use baoho_store::cases::escalate_overdue;
use baoho_store::{CaseFilter, Store};

contract!(
    overdue_cases_escalate_up_the_chain_through_the_outbox,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let head = w.head("head.tokyo", TOKYO).await;
        let section = w.officer("section.tokyo", TOKYO).await;
        let officer = w.officer_under("tokyo1", TOKYO, &section).await;
        let hq = w.hq("hq1").await;
        // An injected clock: the case is opened at t0; nothing sleeps.
        let t0 = now();
        let rec = officer
            .cases_at(t0)
            .create(intake("arrest", vec![]))
            .await
            .unwrap();
        let id = rec.summary.id.clone();
        let at = |h: i64| t0 + chrono::Duration::hours(h);
        let escalate = |t| escalate_overdue(s, &w.keys, t);
        let overdue_only = CaseFilter {
            overdue_only: true,
            ..Default::default()
        };
        assert_eq!(escalate(at(23)).await.unwrap(), 0, "within the deadline");
        let seen = officer.cases_at(at(19)).get(&id).await.unwrap();
        assert_eq!(seen.summary.rag, Rag::Amber);
        // Overdue: the officer's supervisor (head of the consular section).
        assert_eq!(escalate(at(25)).await.unwrap(), 1);
        assert_eq!(escalate(at(26)).await.unwrap(), 0, "once per level");
        assert_eq!(w.deliver(at(25)).await, 1);
        assert_eq!(section.notices().await, 1);
        // Half the allowed time again: the head of mission; the whole again: headquarters.
        assert_eq!(escalate(at(37)).await.unwrap(), 1);
        w.deliver(at(37)).await;
        assert_eq!(head.notices().await, 1);
        assert_eq!(escalate(at(49)).await.unwrap(), 1);
        w.deliver(at(49)).await;
        assert_eq!(hq.notices().await, 1);
        assert_eq!(w.deliver(at(50)).await, 0, "each delivery once");
        let c = officer.cases_at(at(49)).get(&id).await.unwrap();
        assert_eq!(c.summary.escalation, Escalation::Headquarters);
        assert_eq!(c.summary.rag, Rag::Red);
        let overdue = officer.cases_at(at(49)).list(&overdue_only).await.unwrap();
        assert_eq!(overdue.total, 1);
        let not_yet = officer.cases_at(at(1)).list(&overdue_only).await.unwrap();
        assert_eq!(not_yet.total, 0);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
);
