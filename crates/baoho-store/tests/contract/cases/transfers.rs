//! Transfers of a case between missions.

use crate::support::*;
use baoho_store::{Store, StoreError};

contract!(
    transfers_move_a_case_between_missions,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let tokyo = w.officer("tokyo1", TOKYO).await;
        let seoul = w.officer("seoul1", SEOUL).await;
        let berlin = w.officer("berlin1", BERLIN).await;
        let t = tokyo.cases();
        let k = seoul.cases();
        let b = berlin.cases();
        let case = t.create(intake("missing", vec![])).await.unwrap();
        assert!(matches!(
            t.request_transfer(&case.summary.id, TOKYO, "same mission")
                .await,
            Err(StoreError::Validation(_))
        ));
        assert!(matches!(
            k.request_transfer(&case.summary.id, SEOUL, "not mine to move")
                .await,
            Err(StoreError::NotFound)
        ));
        let tr = t
            .request_transfer(
                &case.summary.id,
                SEOUL,
                "The family says he crossed to Busan",
            )
            .await
            .unwrap();
        assert!(matches!(
            t.request_transfer(&case.summary.id, BERLIN, "twice").await,
            Err(StoreError::Conflict(_))
        ));
        // Seoul sees it waiting (not the file); Berlin does not, and cannot decide it.
        assert_eq!(k.incoming_transfers().await.unwrap().len(), 1);
        assert!(matches!(
            k.get(&case.summary.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(b.incoming_transfers().await.unwrap().is_empty());
        assert!(matches!(
            b.decide_transfer(&tr.id, true).await,
            Err(StoreError::NotFound)
        ));
        k.decide_transfer(&tr.id, true).await.unwrap();
        // Now Seoul holds the case (its lead is the acceptor); Tokyo, still a member, keeps reading.
        let moved = k.get(&case.summary.id).await.unwrap();
        assert_eq!(moved.summary.mission, SEOUL);
        assert_eq!(
            moved.summary.lead_officer.as_deref(),
            Some(seoul.id.as_str())
        );
        assert!(moved.events.iter().any(|e| e.kind == "transfer"));
        assert_eq!(
            t.transfers_of(&t.get(&case.summary.id).await.unwrap())
                .await
                .unwrap()[0]
                .status,
            "accepted"
        );
        assert!(
            matches!(
                k.decide_transfer(&tr.id, false).await,
                Err(StoreError::NotFound)
            ),
            "decided once"
        );
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        // Seoul was asked; the case's members were told of its answer.
        assert_eq!(w.deliver_all().await, 2);
    }
);
