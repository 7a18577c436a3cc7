//! The intake duplicate warning with the matcher: a registry of synthetic persons is read into
//! the server's matcher; a name typed the foreign way, given name first or one letter off,
//! with the date of birth, finds its person first (where the text search finds nothing); a
//! namesake born in another year ranks below; persons outside the officer's scope are never
//! shown; a person recorded while the server runs is found at the next intake; and until the
//! matcher is ready, the text search answers.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends, personal};
use baoho_domain::date::PartialDate;
use baoho_domain::person::{Document, DocumentKind, PersonInput, Sex};
use baoho_server::dupes::Readiness;
use baoho_store::audit::{AuditAction, AuditFilter};
use baoho_store::{AccessCtx, Accounts, Persons};
use serde_json::{Value, json};

/// Synthetic persons beside the ones a story names (above the matcher's training minimum).
const REGISTRY: usize = 600;

fn synthetic(n: usize) -> Vec<PersonInput> {
    let mut g = baoho_gen::Generator::new(20261124);
    (0..n)
        .map(|i| {
            let p = g.person();
            let (country, mission) = if i % 3 == 0 {
                ("KR", "EMB-KR-SEOUL")
            } else {
                ("JP", "EMB-JP-TOKYO")
            };
            let mut documents = vec![Document {
                kind: DocumentKind::CitizenId,
                number: p.national_id.clone(),
                issuing_country: "VN".into(),
                issued_by: String::new(),
                issued_on: None,
                expires_on: None,
            }];
            if let Some(pp) = &p.passport {
                documents.push(Document {
                    kind: DocumentKind::Passport,
                    number: pp.clone(),
                    issuing_country: "VN".into(),
                    issued_by: String::new(),
                    issued_on: None,
                    expires_on: None,
                });
            }
            PersonInput {
                full_name: p.full_name(),
                birth: Some(p.dob),
                sex: match p.sex {
                    baoho_gen::Sex::Male => Sex::Male,
                    baoho_gen::Sex::Female => Sex::Female,
                },
                hometown: p.hometown.clone(),
                nationality: "VN".into(),
                country: country.into(),
                mission: mission.into(),
                documents,
                ..Default::default()
            }
        })
        .collect()
}

fn named(name: &str, birth: &str, country: &str, mission: &str) -> PersonInput {
    PersonInput {
        full_name: name.into(),
        birth: PartialDate::parse(birth).ok(),
        sex: Sex::Male,
        nationality: "VN".into(),
        country: country.into(),
        mission: mission.into(),
        ..Default::default()
    }
}

/// Import `extra` and a synthetic registry as the HQ officer `hq_id` (who is assigned to all
/// of them), then rebuild the matcher and wait for it. Returns the ids of `extra`.
async fn registry(app: &TestApp, hq_id: &str, extra: Vec<PersonInput>) -> Vec<String> {
    // The build started at launch (on an empty registry) has finished.
    assert_eq!(app.dupes.settled().await, Readiness::TooSmall);
    let accounts = Accounts::new(app.db.store.as_ref());
    let who = accounts
        .identity(&accounts.get(hq_id).await.unwrap())
        .await
        .unwrap();
    let h = Persons::new(
        app.db.store.as_ref(),
        app.keys.clone(),
        AccessCtx {
            who,
            request_id: "test-import".into(),
            purpose: "test registry".into(),
            at: app.now(),
        },
    );
    let n = extra.len();
    let mut all = extra;
    all.extend(synthetic(REGISTRY));
    let ids = h.import(all).await.unwrap();
    app.dupes.build().await.unwrap();
    assert_eq!(app.dupes.readiness(), Readiness::Ready);
    ids.into_iter().take(n).collect()
}

fn ids(v: &Value) -> Vec<String> {
    v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person"]["id"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(
    matcher_finds_a_name_typed_another_way_with_its_birth_date,
    async |app: &TestApp| {
        personal(&["Nguyễn Văn Thành", "NGUYEN VAN THANH", "Thanh Van Nguyen"]);
        let hq = app
            .with_staff(&[hq("dup.hq"), officer("dup.tokyo", TOKYO)])
            .await
            .remove(0);
        let known = registry(
            app,
            &hq,
            vec![
                named("Nguyễn Văn Thành", "1990-05-12", "JP", "EMB-JP-TOKYO"),
                // A namesake born fifteen years earlier.
                named("Nguyễn Văn Thành", "1975-03-02", "JP", "EMB-JP-TOKYO"),
            ],
        )
        .await;
        let (thanh, namesake) = (&known[0], &known[1]);
        let officer = app.login("dup.tokyo").await;
        for typed in ["NGUYEN VAN THANH", "Thanh Van Nguyen", "Nguyen Van Tanh"] {
            let v = officer
                .possible_duplicates(
                    &json!({"full_name": typed, "birth": {"year": 1990, "month": 5, "day": 12}}),
                )
                .await;
            assert_eq!(v["method"], "matcher");
            let found = ids(&v);
            assert_eq!(found.first(), Some(thanh), "{typed}: {v}");
            let first = &v["candidates"][0];
            assert!(
                ["review", "match"].contains(&first["decision"].as_str().unwrap()),
                "{typed}: {v}"
            );
            let born = first["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["field"] == "born")
                .unwrap();
            assert_eq!(
                (&born["level"], &born["agrees"]),
                (&json!("same"), &json!(true))
            );
            if let Some(i) = found.iter().position(|id| id == namesake) {
                assert!(i > 0, "the namesake born in 1975 ranks below");
                assert!(v["candidates"][i]["probability"].as_f64() < first["probability"].as_f64());
            }
        }
        // The text search finds no one for the misspelled name: the matcher does.
        let v: Value = officer
            .get("/api/v1/persons?q=Nguyen%20Van%20Tanh&birth_year=1990")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["hits"].as_array().unwrap().len(), 0, "{v}");

        // The intake form shows the warning with the likelihood and the reasons (Vietnamese
        // by default, English on request).
        let form = [
            ("case_type", "detention"),
            ("priority", "high"),
            ("channel", "hotline"),
            ("country", "JP"),
            ("mission", "EMB-JP-TOKYO"),
            ("summary", "Gia đình gọi đường dây nóng"),
            ("person_name", "Thanh Van Nguyen"),
            ("person_birth", "12/05/1990"),
        ];
        let r = officer.post_form("/cases", &form).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        let warning = &html[html.find("duplicate-warning").unwrap()..];
        assert!(warning.contains(thanh.as_str()), "the person is offered");
        assert!(
            warning.find(thanh.as_str()) < warning.find(namesake.as_str()).or(Some(usize::MAX)),
            "most likely first"
        );
        assert!(warning.contains("Ngày sinh: cùng ngày"), "{warning}");
        assert!(warning.contains("Khả năng là cùng người"));
        let en = officer
            .app
            .client
            .post(officer.app.url("/cases"))
            .header("cookie", format!("{}; lang=en", officer.cookie))
            .form(
                &form
                    .iter()
                    .copied()
                    .chain([("csrf", officer.csrf.as_str())])
                    .collect::<Vec<_>>(),
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(en.contains("Born: same date"), "English reasons");
        // Nothing was recorded while the warning was shown.
        let v: Value = officer.get("/api/v1/cases").await.json().await.unwrap();
        assert_eq!(v["total"], 0);
    }
);

both_backends!(
    candidates_outside_the_officers_scope_are_never_shown,
    async |app: &TestApp| {
        personal(&["Trần Thị Hoa", "TRAN THI HOA", "Đinh Thị Ngọc Hân"]);
        let hq = app
            .with_staff(&[hq("scope.hq"), officer("scope.tokyo", TOKYO)])
            .await
            .remove(0);
        let mut restricted = named("Đinh Thị Ngọc Hân", "1999-09-09", "JP", "EMB-JP-TOKYO");
        restricted.restricted = vec![baoho_domain::access::Restricted::Trafficking];
        let known = registry(
            app,
            &hq,
            vec![
                named("Trần Thị Hoa", "1985-02-03", "KR", "EMB-KR-SEOUL"),
                restricted,
            ],
        )
        .await;
        let (seoul, hidden) = (&known[0], &known[1]);
        let officer = app.login("scope.tokyo").await;
        let head = app.login("scope.hq").await;
        for (typed, birth, id) in [
            (
                "TRAN THI HOA",
                json!({"year": 1985, "month": 2, "day": 3}),
                seoul,
            ),
            (
                "DINH THI NGOC HAN",
                json!({"year": 1999, "month": 9, "day": 9}),
                hidden,
            ),
        ] {
            let q = json!({"full_name": typed, "birth": birth});
            // HQ (assigned to every imported person) is shown the person...
            let v = head.possible_duplicates(&q).await;
            assert_eq!(v["method"], "matcher");
            assert_eq!(ids(&v).first(), Some(id), "{v}");
            // ...Tokyo is not, neither in the API nor on the intake page.
            let body = officer.possible_duplicates(&q).await.to_string();
            assert!(!body.contains(id.as_str()), "out of scope leaked: {body}");
            let html = officer
                .post_form(
                    "/cases",
                    &[
                        ("case_type", "detention"),
                        ("country", "JP"),
                        ("mission", "EMB-JP-TOKYO"),
                        ("summary", "Gọi đường dây nóng"),
                        ("person_name", typed),
                        ("person_birth", birth_text(&birth).as_str()),
                    ],
                )
                .await
                .text()
                .await
                .unwrap();
            assert!(!html.contains(id.as_str()), "out of scope on the page");
        }
    }
);

fn birth_text(b: &Value) -> String {
    format!(
        "{}-{:02}-{:02}",
        b["year"],
        b["month"].as_u64().unwrap(),
        b["day"].as_u64().unwrap()
    )
}

both_backends!(
    a_person_recorded_while_running_is_found_at_the_next_intake,
    async |app: &TestApp| {
        personal(&[
            "Lê Thị Mỹ Duyên",
            "LE THI MY DUYEN",
            "Võ Minh Khôi",
            "VO MINH KHOI",
        ]);
        let hq = app
            .with_staff(&[hq("run.hq"), officer("run.tokyo", TOKYO)])
            .await
            .remove(0);
        registry(app, &hq, vec![]).await;
        let builds = system_reads(app).await;
        let officer = app.login("run.tokyo").await;
        // Recorded through the API...
        let duyen = officer
            .record_person(&PersonInput {
                birth: PartialDate::parse("2001-11-30").ok(),
                ..person("Lê Thị Mỹ Duyên", TOKYO)
            })
            .await
            .unwrap();
        // ...and as a new person at intake (the officer confirms no one listed is them).
        let r = officer
            .post_form(
                "/cases",
                &[
                    ("case_type", "detention"),
                    ("priority", "high"),
                    ("channel", "hotline"),
                    ("country", "JP"),
                    ("mission", "EMB-JP-TOKYO"),
                    ("summary", "Gọi đường dây nóng"),
                    ("person_name", "Võ Minh Khôi"),
                    ("person_birth", "1994-07-21"),
                    ("person_passport", "C7654321"),
                    ("confirm_new", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        for (typed, birth, want) in [
            (
                "LE THI MY DUYEN",
                json!({"year": 2001, "month": 11, "day": 30}),
                Some(duyen.id.as_str()),
            ),
            (
                "Khoi Minh Vo",
                json!({"year": 1994, "month": 7, "day": 21}),
                None,
            ),
        ] {
            let v = officer
                .possible_duplicates(&json!({"full_name": typed, "birth": birth}))
                .await;
            assert_eq!(v["method"], "matcher", "no rebuild needed: {v}");
            let first = &v["candidates"][0];
            match want {
                Some(id) => assert_eq!(first["person"]["id"], id, "{v}"),
                None => assert_eq!(first["person"]["full_name"], "Võ Minh Khôi", "{v}"),
            }
        }
        // A passport alone finds its holder.
        let v = officer
            .possible_duplicates(&json!({"passport": "c 765 4321"}))
            .await;
        assert_eq!(
            v["candidates"][0]["person"]["full_name"], "Võ Minh Khôi",
            "{v}"
        );
        assert_eq!(v["candidates"][0]["same_document"], true);
        // Two pushes did not rebuild: still one system read per build, none per person.
        assert_eq!(system_reads(app).await, builds);
    }
);

/// System reads of the registry (one per matcher build).
async fn system_reads(app: &TestApp) -> usize {
    app.audit(AuditFilter {
        actor: Some("system".into()),
        object_kind: Some("person".into()),
        action: Some(AuditAction::Read),
        ..Default::default()
    })
    .await
    .len()
}

both_backends!(
    the_text_search_answers_until_the_matcher_can,
    async |app: &TestApp| {
        personal(&["Hồ Thị Bích", "HO THI BICH"]);
        let officer = app.join(officer("small.tokyo", TOKYO)).await;
        officer
            .record_person(&PersonInput {
                birth: PartialDate::parse("1980").ok(),
                ..person("Hồ Thị Bích", TOKYO)
            })
            .await
            .unwrap();
        // One person is too few to train on: the build settles as too small.
        assert_eq!(app.dupes.settled().await, Readiness::TooSmall);
        assert_eq!(system_reads(app).await, 1, "one audit row for the build");
        let v = officer
            .possible_duplicates(
                &json!({"full_name": "HO THI BICH", "birth": {"year": 1980, "month": null, "day": null}}),
            )
            .await;
        assert_eq!(v["method"], "text_search");
        assert_eq!(v["candidates"][0]["person"]["full_name"], "Hồ Thị Bích");
        assert_eq!(v["candidates"][0]["probability"], Value::Null);
        // Bad input is a 422 and changes nothing, never a 500.
        for bad in [
            json!({}),
            json!({"full_name": ""}),
            json!({"full_name": "x".repeat(201)}),
            json!({"full_name": "A", "birth": {"year": 99999}}),
            json!({"full_name": 7}),
            json!({"full_name": "A", "nickname": "B"}),
        ] {
            let r = officer.post_json("/api/v1/persons/duplicates", &bad).await;
            assert_eq!(r.status(), 422, "{bad}");
        }
    }
);
