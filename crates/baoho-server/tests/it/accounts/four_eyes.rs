//! An administrator alone cannot make or reset an account that reads files: the change is a
//! request, a second administrator approves or refuses it, the requester can do neither, the
//! account's supervisor is told, and every step is audited.

use crate::support::stories::*;
use crate::support::{PASSWORD, TestApp, both_backends};
use baoho_domain::access::Role;
use baoho_store::accounts::{AccountRequest, RequestStatus};
use baoho_store::audit::{AuditAction, AuditFilter, AuditOutcome};
use baoho_store::{Accounts, Notification};

const NEW_PASSWORD: &str = "a brand new passphrase 2026";

fn accounts(app: &TestApp) -> Accounts {
    Accounts::new(app.db.store.as_ref())
}

/// The request about `username` (pending first, then the latest decided).
async fn request_for(app: &TestApp, username: &str) -> AccountRequest {
    accounts(app)
        .requests(50)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.username == username)
        .expect("a request")
}

/// The notices delivered to `id` so far (after the outbox's turn).
async fn notices(app: &TestApp, id: &str) -> Vec<Notification> {
    app.deliver_notices_due_by(app.now()).await;
    accounts(app).notifications(id, 50).await.unwrap()
}

/// Audit rows of `action` by `actor` with `outcome`.
async fn rows(app: &TestApp, actor: &str, action: AuditAction, outcome: AuditOutcome) -> usize {
    app.audit(AuditFilter {
        actor: Some(actor.to_owned()),
        action: Some(action),
        outcome: Some(outcome),
        ..Default::default()
    })
    .await
    .len()
}

both_backends!(
    an_hq_officer_needs_a_second_administrator,
    async |app: &TestApp| {
        let ids = app.with_staff(&[at_hq("chief", Role::HeadOfMission)]).await;
        let chief = &ids[0];
        let a = app.join(at_hq("admin.a", Role::Administrator)).await;
        let b = app.join(at_hq("admin.b", Role::Administrator)).await;
        let form = [
            ("username", "new.hq"),
            ("display_name", "Cán bộ mới"),
            ("role", "hq_officer"),
            ("agency_code", "CD"),
            ("supervisor", "chief"),
            ("password", NEW_PASSWORD),
        ];
        // One administrator asks: a request, no account, nobody can sign in with it.
        let to = a.submit("/admin/accounts", &form).await.unwrap();
        assert_eq!(to, "/admin/accounts/requests?requested=1");
        assert!(accounts(app).by_username("new.hq").await.unwrap().is_none());
        assert_eq!(
            app.password_step("new.hq", NEW_PASSWORD).await.status(),
            401
        );
        let req = request_for(app, "new.hq").await;
        assert_eq!(req.status, RequestStatus::Pending);
        assert_eq!(req.role, Role::HqOfficer);
        assert_eq!(
            rows(
                app,
                &a.account_id,
                AuditAction::AccountRequest,
                AuditOutcome::Allowed
            )
            .await,
            1
        );
        // The supervisor is told.
        let told = notices(app, chief).await;
        assert!(
            told.iter()
                .any(|n| n.kind == "account_requested" && n.actor == a.account_id),
            "{told:?}"
        );
        // Asking twice for the same username: a conflict.
        a.submit("/admin/accounts", &form).await.refused(422);
        // The requester sees "waiting", and cannot approve (nor refuse) their own request.
        let page = a.page("/admin/accounts/requests").await;
        assert!(page.contains(&format!("wait-{}", req.id)), "{page}");
        assert!(!page.contains(&format!("approve-{}", req.id)));
        for verb in ["approve", "refuse"] {
            a.submit(&format!("/admin/accounts/requests/{}/{verb}", req.id), &[])
                .await
                .refused(403);
        }
        assert_eq!(
            request_for(app, "new.hq").await.status,
            RequestStatus::Pending
        );
        assert_eq!(
            rows(
                app,
                &a.account_id,
                AuditAction::AccountApprove,
                AuditOutcome::Denied
            )
            .await,
            1
        );
        assert_eq!(
            rows(
                app,
                &a.account_id,
                AuditAction::AccountRefuse,
                AuditOutcome::Denied
            )
            .await,
            1
        );
        assert!(accounts(app).by_username("new.hq").await.unwrap().is_none());
        // A second administrator approves: the account exists and its user can sign in.
        let page = b.page("/admin/accounts/requests").await;
        assert!(page.contains(&format!("approve-{}", req.id)), "{page}");
        let to = b
            .submit(&format!("/admin/accounts/requests/{}/approve", req.id), &[])
            .await
            .unwrap();
        assert_eq!(to, "/admin/accounts/requests?decided=approved");
        let made = accounts(app)
            .by_username("new.hq")
            .await
            .unwrap()
            .expect("created");
        assert_eq!(made.role, Role::HqOfficer);
        assert_eq!(made.supervisor_id.as_deref(), Some(chief.as_str()));
        let step = app.password_step("new.hq", NEW_PASSWORD).await;
        assert_eq!(step.status(), 303);
        assert!(
            step.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/mfa/enrol")
        );
        let done = request_for(app, "new.hq").await;
        assert_eq!(done.status, RequestStatus::Approved);
        assert_eq!(done.decided_by.as_deref(), Some(b.account_id.as_str()));
        assert_eq!(done.account_id.as_deref(), Some(made.id.as_str()));
        assert_eq!(
            rows(
                app,
                &b.account_id,
                AuditAction::AccountApprove,
                AuditOutcome::Allowed
            )
            .await,
            1
        );
        assert!(
            notices(app, chief)
                .await
                .iter()
                .any(|n| n.kind == "account_created")
        );
        // Decided once: a second decision is a conflict.
        b.submit(&format!("/admin/accounts/requests/{}/refuse", req.id), &[])
            .await
            .refused(409);
    }
);

both_backends!(
    a_reset_of_a_file_reader_needs_a_second_administrator,
    async |app: &TestApp| {
        let ids = app
            .with_staff(&[head("tokyo.head", TOKYO), officer("tokyo.off", TOKYO)])
            .await;
        let (head_id, off_id) = (&ids[0], &ids[1]);
        let a = app.join(at_hq("admin.a", Role::Administrator)).await;
        let b = app.join(at_hq("admin.b", Role::Administrator)).await;
        let officer = app.login("tokyo.off").await;
        let reset = format!("/admin/accounts/{off_id}/reset");
        let to = a
            .submit(&reset, &[("password", NEW_PASSWORD)])
            .await
            .unwrap();
        assert_eq!(to, "/admin/accounts/requests?requested=1");
        // Nothing changed yet: the old password, the second factor and the session hold.
        assert_eq!(
            app.password_step("tokyo.off", NEW_PASSWORD).await.status(),
            401
        );
        let step = app.password_step("tokyo.off", PASSWORD).await;
        assert!(
            step.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login/mfa")
        );
        assert_eq!(officer.get("/api/v1/session").await.status(), 200);
        assert!(
            accounts(app)
                .get(off_id)
                .await
                .unwrap()
                .totp_secret
                .is_some()
        );
        // No supervisor on the account: the heads of its mission are told.
        assert!(
            notices(app, head_id)
                .await
                .iter()
                .any(|n| n.kind == "account_reset_requested"),
            "the head of mission is told"
        );
        // The requester cannot approve it.
        let req = request_for(app, "tokyo.off").await;
        a.submit(&format!("/admin/accounts/requests/{}/approve", req.id), &[])
            .await
            .refused(403);
        // Refused by the second: nothing changes, and a new request may be made.
        b.submit(&format!("/admin/accounts/requests/{}/refuse", req.id), &[])
            .await
            .unwrap();
        assert_eq!(
            request_for(app, "tokyo.off").await.status,
            RequestStatus::Refused
        );
        assert_eq!(
            rows(
                app,
                &b.account_id,
                AuditAction::AccountRefuse,
                AuditOutcome::Allowed
            )
            .await,
            1
        );
        assert_eq!(officer.get("/api/v1/session").await.status(), 200);
        a.submit(&reset, &[("password", NEW_PASSWORD)])
            .await
            .unwrap();
        let again = accounts(app)
            .requests(50)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.status == RequestStatus::Pending)
            .expect("the second request");
        b.submit(
            &format!("/admin/accounts/requests/{}/approve", again.id),
            &[],
        )
        .await
        .unwrap();
        // Approved: the new password, the second factor to enrol again, the sessions ended.
        assert_eq!(officer.get("/api/v1/session").await.status(), 401);
        assert!(
            accounts(app)
                .get(off_id)
                .await
                .unwrap()
                .totp_secret
                .is_none()
        );
        assert_eq!(app.password_step("tokyo.off", PASSWORD).await.status(), 401);
        let step = app.password_step("tokyo.off", NEW_PASSWORD).await;
        assert!(
            step.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/mfa/enrol")
        );
        assert!(
            notices(app, head_id)
                .await
                .iter()
                .any(|n| n.kind == "account_reset")
        );
    }
);

both_backends!(
    an_auditor_is_made_by_one_administrator,
    async |app: &TestApp| {
        // The policy gives auditors (and analysts) no file: one administrator is enough.
        let a = app.join(at_hq("admin.a", Role::Administrator)).await;
        let to = a
            .submit(
                "/admin/accounts",
                &[
                    ("username", "new.auditor"),
                    ("display_name", "Kiểm toán viên"),
                    ("role", "auditor"),
                    ("agency_code", "CD"),
                    ("password", NEW_PASSWORD),
                ],
            )
            .await
            .unwrap();
        assert_eq!(to, "/admin/accounts?created=1");
        assert!(
            accounts(app)
                .by_username("new.auditor")
                .await
                .unwrap()
                .is_some()
        );
        // Another administrator, though, needs a second one (else one administrator makes their own
        // "second").
        let to = a
            .submit(
                "/admin/accounts",
                &[
                    ("username", "admin.c"),
                    ("display_name", "Quản trị viên"),
                    ("role", "administrator"),
                    ("agency_code", "CD"),
                    ("password", NEW_PASSWORD),
                ],
            )
            .await
            .unwrap();
        assert_eq!(to, "/admin/accounts/requests?requested=1");
        assert!(
            accounts(app)
                .by_username("admin.c")
                .await
                .unwrap()
                .is_none()
        );
    }
);
