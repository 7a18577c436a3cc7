//! Restricted categories (trafficking, minor, gender-based violence) are added by any editor
//! and lifted only by a supervisor with a reason, never through break-glass, as their own
//! audited action (issue #14, defect 7).

use crate::support::*;
use baoho_store::audit::{AuditAction, AuditFilter, AuditOutcome};
use baoho_store::{Store, StoreError};

const REASON: &str = "Court ruled she is not a trafficking victim; case closed";

async fn lift_rows(s: &dyn Store, outcome: AuditOutcome) -> Vec<String> {
    s.audit_query(&AuditFilter {
        action: Some(AuditAction::RestrictionLift),
        outcome: Some(outcome),
        limit: 100,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.entry.purpose)
    .collect()
}

contract!(
    only_a_supervisor_lifts_a_restriction,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let head = w.head("head1", TOKYO).await;
        let head2 = w.head("head2", TOKYO).await;
        let tokyo = w.officer_under("tokyo1", TOKYO, &head).await;
        let tokyo2 = w.officer("tokyo2", TOKYO).await;
        let mut victim = person("Phạm Thị Lan", "JP", TOKYO);
        victim.restricted = vec![R::Trafficking];
        let v = tokyo.persons().create(victim).await.unwrap();
        let hidden = async || {
            tokyo2
                .persons()
                .search(&search("pham thi lan"))
                .await
                .unwrap()
                .hits
                .is_empty()
        };
        assert!(hidden().await);

        // The assigned editor may add a restriction…
        let mut more = v.data.clone();
        more.restricted = vec![R::Trafficking, R::Minor];
        let v = tokyo
            .persons()
            .update(&v.id, v.version, more)
            .await
            .unwrap();
        assert_eq!(v.data.restricted, vec![R::Trafficking, R::Minor]);
        // …and may not remove one, in an edit or as a lift.
        let mut less = v.data.clone();
        less.restricted = vec![R::Minor];
        match tokyo.persons().update(&v.id, v.version, less.clone()).await {
            Err(StoreError::Validation(e)) => {
                assert_eq!(e[0].field, "restricted");
                assert_eq!(e[0].code, "person.error.lift_in_edit");
            }
            other => panic!("an editor removed a restriction: {other:?}"),
        }
        assert!(matches!(
            tokyo
                .persons()
                .lift_restriction(&v.id, v.version, &[R::Trafficking], REASON)
                .await,
            Err(StoreError::Forbidden)
        ));
        // A break-glass grant (even a supervisor's) lifts nothing either.
        let h2 = head2.persons();
        h2.break_glass(&v.id, "Victim in hospital, family must be reached tonight")
            .await
            .unwrap();
        assert!(matches!(
            h2.update(&v.id, v.version, less.clone()).await,
            Err(StoreError::Validation(_))
        ));
        assert!(matches!(
            h2.lift_restriction(&v.id, v.version, &[R::Trafficking], REASON)
                .await,
            Err(StoreError::Forbidden)
        ));
        let same = tokyo.persons().get(&v.id).await.unwrap();
        assert_eq!(same.version, v.version, "nothing changed");
        assert_eq!(same.data.restricted, vec![R::Trafficking, R::Minor]);
        assert!(hidden().await);
        assert_eq!(lift_rows(s, AuditOutcome::Denied).await.len(), 4);

        // The supervisor assigned to the record lifts it, with a reason, on the current
        // version.
        tokyo.persons().assign(&v.id, &head.id).await.unwrap();
        let h = head.persons();
        let current = h.get(&v.id).await.unwrap();
        assert!(matches!(
            h.lift_restriction(&v.id, current.version, &[R::Trafficking], "adult now")
                .await,
            Err(StoreError::Validation(e)) if e[0].field == "reason"
        ));
        assert!(matches!(
            h.lift_restriction(&v.id, current.version, &[R::GenderBasedViolence], REASON)
                .await,
            Err(StoreError::Validation(e)) if e[0].field == "lift"
        ));
        assert!(matches!(
            h.lift_restriction(&v.id, current.version - 1, &[R::Trafficking], REASON)
                .await,
            Err(StoreError::Conflict(_))
        ));
        let lifted = h
            .lift_restriction(&v.id, current.version, &[R::Trafficking], REASON)
            .await
            .unwrap();
        assert_eq!(lifted.data.restricted, vec![R::Minor]);
        assert_eq!(lifted.version, current.version + 1);
        let allowed = lift_rows(s, AuditOutcome::Allowed).await;
        assert_eq!(allowed.len(), 1, "its own audit action: {allowed:?}");
        assert!(allowed[0].contains("trafficking") && allowed[0].contains(REASON));
        // Still restricted as a minor: the colleague still does not find her.
        assert!(hidden().await);
        // The last restriction lifted, the record is an ordinary one.
        h.lift_restriction(&v.id, lifted.version, &[R::Minor], REASON)
            .await
            .unwrap();
        assert!(!hidden().await);
    }
);
