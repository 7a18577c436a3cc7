//! Access over HTTP: the route guard as declared, and the role × scope × verb matrix on
//! persons of three missions.

use crate::support::{Staff, TestApp, both_backends};
use baoho_domain::access::Role;
use baoho_server::routes::{Access, Kind, table};
use serde_json::{Value, json};

fn concrete(path: &str) -> String {
    path.replace("{id}", "0190aaaa-0000-7000-8000-000000000000")
        .replace("{code}", "EMB-JP-TOKYO")
        .replace("{name}", "baoho-5.css")
        .replace("{*file}", "index.html")
}

#[tokio::test]
async fn every_route_is_guarded_as_declared() {
    let app = crate::support::spawn_sqlite().await;
    app.account("analyst1", Role::Analyst, "CD", true).await;
    let analyst = app.login("analyst1").await;
    for r in table() {
        let path = concrete(&r.path);
        let req = app.client.request(r.method.clone(), app.url(&path));
        match r.access {
            Access::Public => assert!(
                ![
                    "/persons",
                    "/api/v1/persons",
                    "/admin",
                    "/audit",
                    "/api/v1/audit",
                    "/api/v1/session"
                ]
                .iter()
                .any(|p| r.path.starts_with(p)),
                "{} serves personal or account data and cannot be public",
                r.path
            ),
            Access::PasswordOnly | Access::Staff | Access::Roles(_) => {
                // Without a session: the API says 401, pages send to the sign-in page.
                let res = req.send().await.unwrap();
                match r.kind {
                    Kind::Api => {
                        assert_eq!(res.status(), 401, "{} {}", r.method, r.path);
                        assert!(
                            res.headers()["content-type"]
                                .to_str()
                                .unwrap()
                                .starts_with("application/problem+json")
                        );
                    }
                    _ => {
                        assert_eq!(res.status(), 303, "{} {}", r.method, r.path);
                        assert!(
                            res.headers()["location"]
                                .to_str()
                                .unwrap()
                                .starts_with("/login"),
                            "{}",
                            r.path
                        );
                    }
                }
                // With a session of a role not in the list: 403.
                if let Access::Roles(roles) = r.access {
                    assert!(!roles.contains(&Role::Analyst));
                    let res = app
                        .client
                        .request(r.method.clone(), app.url(&path))
                        .header("cookie", &analyst.cookie)
                        .header("x-csrf-token", &analyst.csrf)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 403, "{} {}", r.method, r.path);
                }
            }
        }
    }
    app.stop().await;
}

/// One person per mission, created by HQ; the Seoul person carries an old person-level grant
/// to the police.
async fn three_missions(app: &TestApp) -> Vec<(String, &'static str, &'static str)> {
    app.account("hq.maker", Role::HqOfficer, "CD", true).await;
    let hq = app.login("hq.maker").await;
    let mut out = vec![];
    for (name, country, mission) in [
        ("Nguyễn Văn Tokyo", "JP", "EMB-JP-TOKYO"),
        ("Trần Thị Seoul", "KR", "EMB-KR-SEOUL"),
        ("Lê Đức Berlin", "DE", "EMB-DE-BERLIN"),
    ] {
        let r = hq
            .post_json("/api/v1/persons", &json!({"full_name": name, "country": country, "mission": mission, "birth": {"year": 1990, "month": null, "day": null}, "documents": [{"kind": "passport", "number": format!("C{:07}", out.len() + 1)}]}))
            .await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        out.push((v["id"].as_str().unwrap().to_owned(), name, mission));
    }
    // A person-level grant to the police as the old `Persons::refer` wrote it: it opens
    // nothing (a partner reads only referral snapshots, ADR 0019).
    baoho_store::testing::legacy_person_referral(&app.db, &out[1].0, "MPS").await;
    out
}

/// What the policy should allow, written out independently of the code under test.
/// (No role is limited by the verb any more: partners, who were read-only, now reach no
/// person at all.)
fn expected(role: Role, agency: &str, mission: &str, _verb: &str) -> bool {
    match role {
        Role::HqOfficer => true,
        Role::MissionOfficer | Role::HeadOfMission => agency == mission,
        // Partners read referral snapshots in their inbox, never a person (ADR 0019).
        Role::PartnerLiaison => false,
        Role::Analyst | Role::Administrator | Role::Auditor => false,
    }
}

both_backends!(role_scope_verb_matrix, async |app: &TestApp| {
    let persons = three_missions(app).await;
    let missing = "0190aaaa-0000-7000-8000-000000000000";
    let accounts: Vec<(&str, Role, &str)> = vec![
        ("m.tokyo", Role::MissionOfficer, "EMB-JP-TOKYO"),
        ("m.seoul", Role::MissionOfficer, "EMB-KR-SEOUL"),
        ("m.berlin", Role::MissionOfficer, "EMB-DE-BERLIN"),
        ("h.tokyo", Role::HeadOfMission, "EMB-JP-TOKYO"),
        ("hq", Role::HqOfficer, "CD"),
        ("police", Role::PartnerLiaison, "MPS"),
        ("analyst", Role::Analyst, "CD"),
        ("admin", Role::Administrator, "CD"),
        ("auditor", Role::Auditor, "CD"),
    ];
    let missing_api = {
        app.account("probe", Role::HqOfficer, "CD", true).await;
        let p = app.login("probe").await;
        let r = p.get(&format!("/api/v1/persons/{missing}")).await;
        assert_eq!(r.status(), 404);
        let v: Value = r.json().await.unwrap();
        (v["type"].clone(), v["title"].clone(), v["status"].clone())
    };
    let mut checked = 0;
    for (username, role, agency) in &accounts {
        app.account(username, *role, agency, true).await;
        let s: Staff = app.login(username).await;
        for (id, name, mission) in &persons {
            for verb in [
                "read",
                "edit",
                "export",
                "page-read",
                "page-edit",
                "page-export",
                "search",
            ] {
                let allowed = expected(*role, agency, mission, verb.trim_start_matches("page-"));
                let before = s.denied().await;
                let status = match verb {
                    "read" => s.get(&format!("/api/v1/persons/{id}")).await.status(),
                    "export" => s
                        .get(&format!("/api/v1/persons/{id}/export"))
                        .await
                        .status(),
                    "page-read" => s.get(&format!("/persons/{id}")).await.status(),
                    "page-edit" => s.get(&format!("/persons/{id}/edit")).await.status(),
                    "page-export" => s.get(&format!("/persons/{id}/export")).await.status(),
                    "edit" => {
                        // Read with HQ's eyes to know the version; then try to write.
                        let r = s.put_json(&format!("/api/v1/persons/{id}"), &json!({"version": 1, "full_name": name, "country": &mission[4..6], "mission": mission})).await;
                        let st = r.status();
                        if st == 200 {
                            // Put it back to version-independent state for the next editor.
                            let v: Value = r.json().await.unwrap();
                            assert!(v["version"].as_i64().unwrap() >= 2);
                        }
                        st
                    }
                    "search" => {
                        let r = s
                            .get(&format!(
                                "/api/v1/persons?q={}",
                                baoho_domain::text::fold(name).replace(' ', "+")
                            ))
                            .await;
                        let st = r.status();
                        if st == 200 {
                            let v: Value = r.json().await.unwrap();
                            let found = v["hits"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|h| h["id"] == id.as_str());
                            assert_eq!(found, allowed, "{username} search {name}");
                        } else {
                            assert_eq!(st, 403, "{username} search");
                            assert!(!allowed);
                        }
                        checked += 1;
                        continue;
                    }
                    _ => unreachable!(),
                };
                let after = s.denied().await;
                if allowed {
                    assert!(
                        status == 200 || (verb == "edit" && status == 409),
                        "{username} {verb} {name}: {status}"
                    );
                    assert_eq!(after, before, "{username} {verb} {name}: no denied row");
                } else {
                    assert_eq!(status, 404, "{username} {verb} {name}");
                    assert_eq!(
                        after,
                        before + 1,
                        "{username} {verb} {name}: one denied row"
                    );
                }
                checked += 1;
            }
        }
        // Uniform 404: an out-of-scope record answers exactly like a missing one.
        if let Some((id, _, _)) = persons
            .iter()
            .find(|(_, _, m)| !expected(*role, agency, m, "read"))
        {
            let r = s.get(&format!("/api/v1/persons/{id}")).await;
            let v: Value = r.json().await.unwrap();
            assert_eq!(
                (v["type"].clone(), v["title"].clone(), v["status"].clone()),
                missing_api.clone(),
                "{username}"
            );
            assert!(
                !v.to_string().contains(id.as_str())
                    || v["instance"].as_str().unwrap().contains(id.as_str())
            );
        }
    }
    assert_eq!(checked, accounts.len() * persons.len() * 7);
    assert!(app.db.store.verify_audit().await.unwrap().broken.is_none());
});
