//! Accounts, logins, MFA material and sessions.

use crate::support::*;
use baoho_domain::access::{Agency, AgencyKind, Role};
use baoho_store::audit::{AuditAction, AuditEntry, AuditOutcome};
use baoho_store::{NewAccount, Store, StoreError};

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

    // Failed logins count and lock; success resets.
    let e = || AuditEntry::new(now(), &a.id, AuditAction::Login, AuditOutcome::Failed);
    accounts
        .record_login(Some(&a.id), LC::Failure { lock_until: None }, e())
        .await
        .unwrap();
    let until = now() + chrono::Duration::minutes(15);
    accounts
        .record_login(
            Some(&a.id),
            LC::Failure {
                lock_until: Some(until),
            },
            e(),
        )
        .await
        .unwrap();
    let locked = accounts.get(&a.id).await.unwrap();
    assert_eq!(locked.failed_logins, 2);
    assert!(locked.locked_until.is_some());
    accounts
        .record_login(Some(&a.id), LC::Success, e())
        .await
        .unwrap();
    assert_eq!(accounts.get(&a.id).await.unwrap().failed_logins, 0);

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
