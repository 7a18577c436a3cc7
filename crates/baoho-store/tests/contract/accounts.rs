//! Accounts, logins, MFA material and sessions.

use crate::support::*;
use baoho_domain::access::{Agency, AgencyKind, Role};
use baoho_store::accounts::LoginSlot;
use baoho_store::audit::{AuditAction, AuditEntry, AuditOutcome};
use baoho_store::{Accounts, NewAccount, Store, StoreError};

contract!(accounts_sessions_and_mfa_material, async |s: &dyn Store| {
    let w = World::new(s).await;
    let accounts = w.accounts();
    let a = w.officer("An.Nguyen", TOKYO).await;
    assert_eq!(a.username, "an.nguyen");
    let again = accounts.by_username(" AN.NGUYEN ").await.unwrap().unwrap();
    assert_eq!(again.id, a.id);
    // Same username twice: a conflict, and nothing written.
    let dup = accounts
        .create(
            &NewAccount {
                username: "an.nguyen".into(),
                display_name: "x".into(),
                role: Role::Analyst,
                agency: Agency {
                    kind: AgencyKind::ConsularDepartment,
                    code: "CD".into(),
                },
                supervisor_id: None,
                password_hash: "h".into(),
                demo: false,
            },
            AuditEntry::system(now(), AuditAction::Create, AuditOutcome::Allowed),
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    assert_eq!(accounts.list().await.unwrap().len(), 1);
    // A mission officer's identity carries the mission's jurisdiction.
    assert!(
        a.who.jurisdiction.contains(&"JP".to_string()),
        "{:?}",
        a.who.jurisdiction
    );

    // Failed logins count when their slot is taken, before evaluation, and lock at the
    // limit; a passed first step gives its slot back; success resets.
    let e = || AuditEntry::new(now(), &a.id, AuditAction::Login, AuditOutcome::Failed);
    // Whole seconds: both backends store them exactly.
    let until = chrono::DateTime::from_timestamp(now().timestamp() + 900, 0).unwrap();
    let slot = accounts
        .take_login_slot(&a.id, now(), 2, until)
        .await
        .unwrap();
    assert_eq!(
        slot,
        LoginSlot::Taken {
            failed_logins: 1,
            locks: false
        }
    );
    accounts
        .record_login(Some(&a.id), LC::Passed { slot_locked: false }, e())
        .await
        .unwrap();
    assert_eq!(accounts.get(&a.id).await.unwrap().failed_logins, 0);
    for n in 1..=2 {
        let slot = accounts
            .take_login_slot(&a.id, now(), 2, until)
            .await
            .unwrap();
        assert_eq!(
            slot,
            LoginSlot::Taken {
                failed_logins: n,
                locks: n == 2
            }
        );
        accounts
            .record_login(Some(&a.id), LC::None, e())
            .await
            .unwrap();
    }
    let locked = accounts.get(&a.id).await.unwrap();
    assert_eq!(locked.failed_logins, 2);
    assert_eq!(locked.locked_until, Some(until));
    // Locked: no slot, nothing counted.
    assert_eq!(
        accounts
            .take_login_slot(&a.id, now(), 2, until)
            .await
            .unwrap(),
        LoginSlot::Locked { until }
    );
    assert_eq!(accounts.get(&a.id).await.unwrap().failed_logins, 2);
    // After the lock ends, the count starts again.
    let later = until + chrono::Duration::seconds(1);
    let later_until = later + chrono::Duration::minutes(15);
    assert_eq!(
        accounts
            .take_login_slot(&a.id, later, 2, later_until)
            .await
            .unwrap(),
        LoginSlot::Taken {
            failed_logins: 1,
            locks: false
        }
    );
    assert_eq!(accounts.get(&a.id).await.unwrap().locked_until, None);
    accounts
        .record_login(Some(&a.id), LC::Success, e())
        .await
        .unwrap();
    assert_eq!(accounts.get(&a.id).await.unwrap().failed_logins, 0);
    assert!(matches!(
        accounts
            .take_login_slot("acc-nobody", now(), 2, until)
            .await,
        Err(StoreError::NotFound)
    ));

    // TOTP steps are accepted once; recovery codes once.
    accounts
        .enrol_totp(
            &a.id,
            "v1:k1:envelope",
            100,
            &["h1".into(), "h2".into()],
            e(),
        )
        .await
        .unwrap();
    assert!(
        !accounts.accept_totp_step(&a.id, 100).await.unwrap(),
        "replayed step"
    );
    assert!(accounts.accept_totp_step(&a.id, 101).await.unwrap());
    assert!(
        accounts
            .use_recovery_code(&a.id, "h1", now())
            .await
            .unwrap()
    );
    assert!(
        !accounts
            .use_recovery_code(&a.id, "h1", now())
            .await
            .unwrap()
    );
    assert_eq!(accounts.unused_recovery_codes(&a.id).await.unwrap(), 1);

    // Sessions: upgrade replaces the token; disabling the account ends them at once.
    accounts
        .create_session(&session(&a.id, "t1"))
        .await
        .unwrap();
    let mut up = session(&a.id, "t2");
    up.mfa_ok = true;
    accounts.upgrade_session("t1", &up).await.unwrap();
    assert!(accounts.session("t1").await.unwrap().is_none());
    assert!(accounts.session("t2").await.unwrap().unwrap().mfa_ok);
    accounts.set_disabled(&a.id, true, e()).await.unwrap();
    assert!(accounts.session("t2").await.unwrap().is_none());
    assert!(accounts.get(&a.id).await.unwrap().disabled);
});

// Defect 2 of #14: the count and the decision are one statement. 50 attempts racing for a
// slot on one account: exactly the limit get one, the rest find the account locked.
contract!(
    login_slots_are_atomic_under_concurrency,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let a = w.officer("race.target", TOKYO).await;
        let limit = 5;
        // Whole seconds: both backends store them exactly.
        let until = chrono::DateTime::from_timestamp(now().timestamp() + 900, 0).unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let accounts = Accounts::new(s);
            let id = a.id.clone();
            tasks.spawn(async move { accounts.take_login_slot(&id, now(), limit, until).await });
        }
        let (mut taken, mut locked, mut locks) = (0, 0, 0);
        while let Some(r) = tasks.join_next().await {
            match r.unwrap().unwrap() {
                LoginSlot::Taken { locks: l, .. } => {
                    taken += 1;
                    locks += usize::from(l);
                }
                LoginSlot::Locked { .. } => locked += 1,
            }
        }
        assert_eq!(taken, limit as usize, "exactly the limit may be evaluated");
        assert_eq!(locked, 50 - limit as usize);
        assert_eq!(locks, 1, "one slot sets the lock");
        let acc = w.accounts().get(&a.id).await.unwrap();
        assert_eq!(acc.failed_logins, limit);
        assert_eq!(acc.locked_until, Some(until));
    }
);
