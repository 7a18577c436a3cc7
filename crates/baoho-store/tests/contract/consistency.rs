//! The check run after every story notices what it is there to notice: the control case of
//! `verify()`, as the canary test has its control value.

use crate::support::*;
use baoho_store::testing::TestDb;

contract_db!(
    verify_notices_a_case_without_members_and_an_undelivered_notice,
    async |db: &TestDb| {
        let w = World::new(db.store.as_ref()).await;
        let tokyo = w.officer("tokyo.check", TOKYO).await;
        let hq = w.hq("hq.check").await;
        let c = tokyo.cases();
        let case = c.create(intake("accident", vec![])).await.unwrap();
        assert_eq!(broken_invariants(db).await, Vec::<String>::new());
        // Someone removes the case's members behind the store's back.
        raw(db, "DELETE FROM case_member").await.unwrap();
        let broken = broken_invariants(db).await;
        assert!(
            broken
                .iter()
                .any(|b| b.starts_with("every case has a member:")),
            "{broken:?}"
        );
        raw(
            db,
            "INSERT INTO case_member (case_rid, account_id) SELECT rid, created_by FROM case_file",
        )
        .await
        .unwrap();
        // An assignment's notice waits in the outbox until the worker delivers it.
        c.assign(&case.summary.id, &hq.id).await.unwrap();
        let broken = broken_invariants(db).await;
        assert_eq!(
            broken,
            ["every delivery was delivered (a story drains its outbox): 1 rows break it"]
        );
        assert_eq!(w.deliver_all().await, 1);
        assert_eq!(hq.notices().await, 1);
    }
);
