//! Accounts, logins, MFA material and sessions.

use crate::support::*;
use baoho_domain::access::{Agency, AgencyKind, Role};
use baoho_store::accounts::LoginSlot;
use baoho_store::audit::{AuditAction, AuditEntry, AuditFilter, AuditOutcome};
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

// --- four eyes on accounts that read files (issue #14 defect 5, ADR 0017) -------------------

/// Which roles need a second administrator follows the access policy: every role that may
/// come near a file, and the administrator; not the auditor nor the analyst.
#[test]
fn four_eyes_follows_the_policy() {
    use baoho_store::accounts::needs_four_eyes;
    for role in [
        Role::MissionOfficer,
        Role::HqOfficer,
        Role::HeadOfMission,
        Role::PartnerLiaison,
        Role::Administrator,
    ] {
        assert!(needs_four_eyes(role), "{role:?}");
    }
    for role in [Role::Auditor, Role::Analyst] {
        assert!(!needs_four_eyes(role), "{role:?}");
    }
}

contract!(
    an_account_request_takes_effect_only_on_another_administrators_approval,
    async |s: &dyn Store| {
        use baoho_store::accounts::{RequestKind, RequestStatus};
        let w = World::new(s).await;
        let accounts = w.accounts();
        let a = w.admin("adm.a").await;
        let b = w.admin("adm.b").await;
        let chief = w.head("chief.t", TOKYO).await;
        let by = |who: &Actor<'_>| {
            AuditEntry::new(now(), &who.id, AuditAction::Admin, AuditOutcome::Allowed)
        };
        let new = NewAccount {
            username: "New.Officer".into(),
            display_name: "Cán bộ".into(),
            role: Role::MissionOfficer,
            agency: Agency {
                kind: AgencyKind::Mission,
                code: TOKYO.into(),
            },
            supervisor_id: Some(chief.id.clone()),
            password_hash: "$argon2id$asked".into(),
            demo: false,
        };
        let req = accounts.request_create(&new, by(&a)).await.unwrap();
        assert_eq!(req.kind, RequestKind::Create);
        assert_eq!(req.username, "new.officer");
        assert!(accounts.by_username("new.officer").await.unwrap().is_none());
        // One pending request per username.
        let again = accounts.request_create(&new, by(&a)).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        // The requester decides nothing; the attempt is a denied row.
        let own = accounts.decide_request(&req.id, true, by(&a)).await;
        assert!(matches!(own, Err(StoreError::Forbidden)), "{own:?}");
        assert_eq!(a.denied().await, 1);
        assert!(accounts.by_username("new.officer").await.unwrap().is_none());
        // The supervisor is told of the request.
        w.deliver_all().await;
        assert_eq!(chief.notices().await, 1);
        // Another administrator approves: the account, with the hash asked for.
        let done = accounts
            .decide_request(&req.id, true, by(&b))
            .await
            .unwrap();
        assert_eq!(done.status, RequestStatus::Approved);
        let made = accounts.by_username("new.officer").await.unwrap().unwrap();
        assert_eq!(made.password_hash, "$argon2id$asked");
        assert_eq!(done.account_id.as_deref(), Some(made.id.as_str()));
        let twice = accounts.decide_request(&req.id, false, by(&b)).await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        w.deliver_all().await;
        assert_eq!(chief.notices().await, 2);

        // A reset: nothing until approved; refused, nothing at all.
        accounts
            .enrol_totp(&made.id, "envelope", 1, &["code".into()], by(&b))
            .await
            .unwrap();
        accounts
            .create_session(&session(&made.id, "tok-1"))
            .await
            .unwrap();
        let reset = accounts
            .request_reset(&made.id, "$argon2id$reset", by(&b))
            .await
            .unwrap();
        assert_eq!(reset.kind, RequestKind::Reset);
        let dup = accounts
            .request_reset(&made.id, "$argon2id$x", by(&a))
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        let refused = accounts
            .decide_request(&reset.id, false, by(&a))
            .await
            .unwrap();
        assert_eq!(refused.status, RequestStatus::Refused);
        let same = accounts.get(&made.id).await.unwrap();
        assert_eq!(same.password_hash, "$argon2id$asked");
        assert!(same.totp_secret.is_some());
        let reset = accounts
            .request_reset(&made.id, "$argon2id$reset", by(&b))
            .await
            .unwrap();
        accounts
            .decide_request(&reset.id, true, by(&a))
            .await
            .unwrap();
        let after = accounts.get(&made.id).await.unwrap();
        assert_eq!(after.password_hash, "$argon2id$reset");
        assert!(
            after.totp_secret.is_none(),
            "the second factor is enrolled again"
        );
        assert!(
            accounts
                .session(&session(&made.id, "tok-1").token_hash)
                .await
                .unwrap()
                .is_none()
        );
        // Each step has its audit row.
        for (action, n) in [
            (AuditAction::AccountRequest, 3),
            (AuditAction::AccountApprove, 3),
            (AuditAction::AccountRefuse, 1),
        ] {
            let rows = s
                .audit_query(&AuditFilter {
                    action: Some(action),
                    limit: 100,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(rows.len(), n, "{action:?}");
        }
        // The supervisor heard of the reset asked for (twice) and done.
        w.deliver_all().await;
        assert_eq!(chief.notices().await, 5);
    }
);
