//! Restricted categories through the pages and the API (issue #14, defect 7): an editor, even
//! assigned, cannot untick one (a readable refusal in both languages, a `denied` audit row);
//! a break-glass grant lifts nothing; the head of mission lifts one with a reason, on the edit
//! page or through the API, and that is its own audit action.

use crate::support::{Staff, TestApp, both_backends};
use baoho_domain::access::Role;
use baoho_store::audit::{AuditAction, AuditFilter, AuditOutcome};
use baoho_store::{AccessCtx, Accounts, Persons};
use serde_json::{Value, json};

const NAME: &str = "Lò Thị Mai";
const TOKYO: &str = "EMB-JP-TOKYO";
const REASON: &str = "Court found she was not trafficked; family reunited";

/// A form post with the page language chosen by its cookie.
async fn post_form_in(
    s: &Staff<'_>,
    lang: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut f: Vec<(&str, &str)> = form.to_vec();
    f.push(("csrf", &s.csrf));
    s.app
        .client
        .post(s.app.url(path))
        .header("cookie", format!("{}; lang={lang}", s.cookie))
        .form(&f)
        .send()
        .await
        .unwrap()
}

async fn person(s: &Staff<'_>, id: &str) -> Value {
    let r = s.get(&format!("/api/v1/persons/{id}")).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn found_by(s: &Staff<'_>) -> bool {
    let r: Value = s
        .get("/api/v1/persons?q=lo+thi+mai")
        .await
        .json()
        .await
        .unwrap();
    !r["hits"].as_array().unwrap().is_empty()
}

async fn lift_rows(app: &TestApp, outcome: AuditOutcome) -> Vec<baoho_store::AuditRecord> {
    app.audit(AuditFilter {
        action: Some(AuditAction::RestrictionLift),
        outcome: Some(outcome),
        ..Default::default()
    })
    .await
}

both_backends!(
    only_a_supervisor_lifts_a_restriction,
    async |app: &TestApp| {
        app.account("tokyo.head", Role::HeadOfMission, TOKYO, true)
            .await;
        app.account("tokyo.head2", Role::HeadOfMission, TOKYO, true)
            .await;
        let a_id = app
            .account("tokyo.a", Role::MissionOfficer, TOKYO, true)
            .await;
        app.account("tokyo.b", Role::MissionOfficer, TOKYO, true)
            .await;
        let head = app.login("tokyo.head").await;
        let r = head
            .post_json(
                "/api/v1/persons",
                &json!({"full_name": NAME, "country": "JP", "mission": TOKYO,
                        "restricted": ["trafficking"]}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let p: Value = r.json().await.unwrap();
        let id = p["id"].as_str().unwrap().to_owned();
        let version = p["version"].as_i64().unwrap();
        // The head (its creator) assigns officer a to the record, as a case officer.
        let accounts = Accounts::new(app.db.store.as_ref());
        let head_account = accounts.by_username("tokyo.head").await.unwrap().unwrap();
        let ctx = AccessCtx {
            who: accounts.identity(&head_account).await.unwrap(),
            request_id: "test".into(),
            purpose: String::new(),
            at: app.now(),
        };
        Persons::new(app.db.store.as_ref(), app.keys.clone(), ctx)
            .assign(&id, &a_id)
            .await
            .unwrap();
        let a = app.login("tokyo.a").await;
        let b = app.login("tokyo.b").await;
        assert!(!found_by(&b).await, "restricted: not listed to colleagues");

        // The assigned editor sees no lift box, and cannot untick the category: the form
        // says why, in either language, and nothing changes.
        let page = a
            .get(&format!("/persons/{id}/edit"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("restricted_trafficking"));
        assert!(!page.contains("id=\"lift-restriction\""));
        let v = version.to_string();
        let untick = [
            ("full_name", NAME),
            ("nationality", "VN"),
            ("country", "JP"),
            ("mission", TOKYO),
            ("sex", "unknown"),
            ("version", v.as_str()),
        ];
        let path = format!("/persons/{id}");
        for (lang, says) in [
            ("en", "Only a supervisor can remove a restricted category"),
            ("vi", "Chỉ cấp trên mới được bỏ nhóm cần bảo vệ đặc biệt"),
        ] {
            let r = post_form_in(&a, lang, &path, &untick).await;
            assert_eq!(r.status(), 422, "{lang}");
            let html = r.text().await.unwrap();
            assert!(html.contains("id=\"restricted-error\""), "{lang}");
            assert!(html.contains(says), "{lang}: the refusal is readable");
        }
        let edit = json!({"version": version, "full_name": NAME, "country": "JP",
                          "mission": TOKYO, "restricted": []});
        let r = a.put_json(&format!("/api/v1/persons/{id}"), &edit).await;
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "restricted");
        let lift = json!({"version": version, "lift": ["trafficking"], "reason": REASON});
        let lift_path = format!("/api/v1/persons/{id}/lift-restriction");
        let r = a.post_json(&lift_path, &lift).await;
        assert_eq!(r.status(), 403);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json")
        );
        let lift_form = [
            ("version", v.as_str()),
            ("lift_trafficking", "on"),
            ("reason", REASON),
        ];
        let page_path = format!("/persons/{id}/lift-restriction");
        let r = post_form_in(&a, "en", &page_path, &lift_form).await;
        assert_eq!(r.status(), 403);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"lift-error\"") && html.contains("Only the head of mission"));

        // Another head of mission, through break-glass: the record opens, the lift does not.
        let head2 = app.login("tokyo.head2").await;
        let r = head2
            .post_form(
                &format!("/persons/{id}/break-glass"),
                &[(
                    "reason",
                    "Victim in hospital, family must be reached tonight",
                )],
            )
            .await;
        assert_eq!(r.status(), 303);
        let page = head2
            .get(&format!("/persons/{id}/edit"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains("id=\"lift-restriction\""),
            "no lift via break-glass"
        );
        assert_eq!(head2.post_json(&lift_path, &lift).await.status(), 403);
        let same = person(&a, &id).await;
        assert_eq!(same["version"], version);
        assert_eq!(same["restricted"], json!(["trafficking"]));
        assert!(!found_by(&b).await);
        assert_eq!(lift_rows(app, AuditOutcome::Denied).await.len(), 6);

        // The head of mission, assigned, lifts it on the edit page with a reason.
        let page = head
            .get_in("vi", &format!("/persons/{id}/edit"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"lift-restriction\"") && page.contains("lift_trafficking"));
        assert!(page.contains("Bỏ hạn chế"));
        let short = [
            ("version", v.as_str()),
            ("lift_trafficking", "on"),
            ("reason", "adult"),
        ];
        let r = post_form_in(&head, "en", &page_path, &short).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("at least 15 characters"));
        let r = head.post_form(&page_path, &lift_form).await;
        assert_eq!(r.status(), 303);
        let now = person(&head, &id).await;
        assert_eq!(now["restricted"], json!([]));
        assert_eq!(now["version"], version + 1);
        assert!(found_by(&b).await, "lifted: colleagues find her again");
        let allowed = lift_rows(app, AuditOutcome::Allowed).await;
        assert_eq!(allowed.len(), 1, "its own audit action");
        assert_eq!(allowed[0].entry.actor, head.account_id);
        assert!(allowed[0].entry.purpose.contains(REASON));
        // A stale lift through the API is a conflict.
        assert_eq!(head.post_json(&lift_path, &lift).await.status(), 409);
        app.verify().await;
    }
);
