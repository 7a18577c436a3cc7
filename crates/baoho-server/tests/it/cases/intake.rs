//! Intake: each case type asks for its own fields, checked with the rest of the case.

use crate::support::{TestApp, both_backends, personal};
use baoho_domain::access::Role;
use serde_json::{Value, json};

both_backends!(
    each_case_type_has_its_own_fields_and_advances_record_repayment,
    async |app: &TestApp| {
        app.account("off.d", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.seoul.d", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        let officer = app.login("off.d").await;
        // The type's fields are data: the API lists them.
        let types: Value = officer
            .get("/api/v1/case-types")
            .await
            .json()
            .await
            .unwrap();
        let death = types
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == "death")
            .unwrap();
        assert!(
            death["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["key"] == "remains" && f["kind"] == "choice")
        );

        let bad = officer
            .post_json("/api/v1/cases", &json!({"case_type": "death", "priority": "urgent", "channel": "hotline", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Died in a work accident", "details": {"date_of_death": "31/02/2026", "vessel_name": "not a death field"}}))
            .await;
        assert_eq!(bad.status(), 422);
        let problem: Value = bad.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"details.date_of_death") && fields.contains(&"details.vessel_name"),
            "{problem}"
        );
        assert_eq!(
            officer
                .get("/api/v1/cases")
                .await
                .json::<Value>()
                .await
                .unwrap()["total"],
            0,
            "nothing was created"
        );

        let r = officer
            .post_json("/api/v1/cases", &json!({"case_type": "death", "priority": "urgent", "channel": "hotline", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Died in a work accident", "details": {"date_of_death": "03/11/2026", "remains": "undecided", "cause": " Tai nạn lao động "}}))
            .await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        let id = v["id"].as_str().unwrap().to_owned();
        assert_eq!(v["details"]["date_of_death"], "2026-11-03");
        assert_eq!(v["details"]["cause"], "Tai nạn lao động");

        // The family decided: the page form replaces the fields (version checked).
        let r = officer
            .post_form(
                &format!("/cases/{id}/details"),
                &[
                    ("version", "1"),
                    ("d_date_of_death", "2026-11-03"),
                    ("d_remains", "repatriate_ashes"),
                    ("d_cause", "Tai nạn lao động"),
                    ("d_funeral_home", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let stale = officer
            .put_json(
                &format!("/api/v1/cases/{id}/details"),
                &json!({"version": 1, "details": {"remains": "local_burial"}}),
            )
            .await;
        assert_eq!(stale.status(), 409, "a stale version is refused");
        let wrong = officer
            .put_json(
                &format!("/api/v1/cases/{id}/details"),
                &json!({"version": 2, "details": {"remains": "sea"}}),
            )
            .await;
        assert_eq!(wrong.status(), 422);
        let v: Value = officer
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["details"]["remains"], "repatriate_ashes",
            "refused writes changed nothing"
        );
        assert_eq!(v["version"], 2);
        let page = officer
            .get(&format!("/cases/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Hỏa táng, đưa tro cốt về nước"),
            "a choice shows its label"
        );
        assert!(
            v["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "details" && e["body"] == "remains")
        );

        // Money advanced says whether the citizen undertook to repay.
        let no = officer
            .post_json(&format!("/api/v1/cases/{id}/events"), &json!({"kind": "money_advanced", "body": "Chi phí hỏa táng", "amount_minor": 150000, "currency": "JPY"}))
            .await;
        assert_eq!(no.status(), 422);
        let yes = officer
            .post_json(&format!("/api/v1/cases/{id}/events"), &json!({"kind": "money_advanced", "body": "Chi phí hỏa táng", "amount_minor": 150000, "currency": "JPY", "repayment": "pending"}))
            .await;
        assert_eq!(yes.status(), 204);
        let page = officer
            .get(&format!("/cases/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("chưa ký cam kết hoàn trả"));

        // Another mission: 404 and a denied row, on the page form and the API.
        let seoul = app.login("off.seoul.d").await;
        let before = seoul.denied().await;
        assert_eq!(
            seoul
                .post_form(
                    &format!("/cases/{id}/details"),
                    &[("version", "3"), ("d_remains", "local_burial")]
                )
                .await
                .status(),
            404
        );
        assert_eq!(
            seoul
                .put_json(
                    &format!("/api/v1/cases/{id}/details"),
                    &json!({"version": 3, "details": {"remains": "local_burial"}})
                )
                .await
                .status(),
            404
        );
        assert_eq!(seoul.denied().await, before + 2);
        let v: Value = officer
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["details"]["remains"], "repatriate_ashes");
        assert!(app.db.store.verify_audit().await.unwrap().broken.is_none());
    }
);

both_backends!(
    intake_asks_for_the_types_own_fields,
    async |app: &TestApp| {
        personal(&["Đỗ Văn Khải", "Hải Phong 27"]);
        app.account("off.tf", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("police.tf", Role::PartnerLiaison, "MPS", true)
            .await;
        app.account("audit.tf", Role::Auditor, "CD", true).await;
        let officer = app.login("off.tf").await;
        let count_cases = async || -> Value {
            officer
                .get("/api/v1/cases")
                .await
                .json::<Value>()
                .await
                .unwrap()["total"]
                .clone()
        };

        // The JSON intake takes the fields as an object, and says so.
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        assert_eq!(
            doc["components"]["schemas"]["CaseIntake"]["properties"]["details"]["type"],
            "object"
        );

        // The fragment htmx swaps in when the type changes: that type's fields, in the page's
        // language, each with its kind of input; a fragment, not a page.
        let r = officer.get("/cases/new/fields?case_type=death").await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let frag = r.text().await.unwrap();
        assert!(!frag.contains("<html"), "{frag}");
        for want in [
            "Thông tin riêng của loại vụ việc",
            "Ngày mất",
            "Nơi mất",
            "Nguyên nhân",
            "Cơ sở tang lễ",
            r#"type="date" id="d_date_of_death" name="details.date_of_death""#,
            r#"<select id="d_remains" name="details.remains">"#,
            r#"<option value="repatriate_ashes">Hỏa táng, đưa tro cốt về nước</option>"#,
        ] {
            assert!(frag.contains(want), "{want:?} missing from {frag}");
        }
        let frag = officer
            .get("/cases/new/fields?case_type=fishermen")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            frag.contains("Số thuyền viên")
                && frag.contains(r#"inputmode="decimal" id="d_crew" name="details.crew""#)
                && !frag.contains("Ngày mất"),
            "{frag}"
        );
        // No type chosen: an empty block. An unknown type: a readable 404, never a 500.
        let r = officer.get("/cases/new/fields?case_type=").await;
        assert_eq!(r.status(), 200);
        assert!(!r.text().await.unwrap().contains("details."));
        let r = officer.get("/cases/new/fields?case_type=piracy").await;
        assert_eq!(r.status(), 404);
        assert!(r.text().await.unwrap().contains("<html"), "a readable page");

        // The intake page: the select fetches the block; empty until a type is chosen, and a
        // link can preselect a type (an unknown one is ignored).
        let page = officer.get("/cases/new").await.text().await.unwrap();
        assert!(page.contains(r##"hx-get="/cases/new/fields" hx-target="#type-fields""##));
        assert!(page.contains(r#"<div id="type-fields" aria-live="polite"></div>"#));
        let page = officer
            .get("/cases/new?case_type=fishermen")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"<option value="fishermen" selected>"#));
        assert!(page.contains("Tên tàu") && page.contains(r#"name="details.vessel_name""#));
        let r = officer.get("/cases/new?case_type=piracy").await;
        assert_eq!(r.status(), 200);
        assert!(!r.text().await.unwrap().contains("name=\"details."));

        // A bad value (a number that is not one, a choice not offered): the form comes back
        // with the message beside the field and every value kept; nothing recorded, not even
        // the new person.
        let fishermen = |crew: &'static str| {
            vec![
                ("case_type", "fishermen"),
                ("priority", "urgent"),
                ("channel", "mission"),
                ("country", "JP"),
                ("mission", "EMB-JP-TOKYO"),
                ("summary", "Tàu cá bị bắt giữ gần đảo"),
                ("person_name", "Đỗ Văn Khải"),
                ("details.vessel_name", "Hải Phong 27"),
                ("details.crew", crew),
                ("details.seized_on", "2026-03-02"),
                // A field of another type, left in the form after the type changed: ignored.
                ("details.remains", "local_burial"),
            ]
        };
        let r = officer.post_form("/cases", &fishermen("mười hai")).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        let at = html.find(r#"name="details.crew""#).expect("the crew field");
        let near = &html[at..];
        let near = &near[..near.find("</div>").unwrap()];
        assert!(
            near.contains(r#"value="mười hai""#)
                && near.contains("Một số: chỉ chữ số, dùng dấu chấm cho phần thập phân."),
            "the message beside the field: {near}"
        );
        assert!(html.contains(r#"value="Hải Phong 27""#) && html.contains("Đỗ Văn Khải"));
        assert!(
            !html.contains("details.remains"),
            "another type's field is not shown"
        );
        assert_eq!(count_cases().await, 0);
        let v: Value = officer
            .get("/api/v1/persons?q=Do%20Van%20Khai")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["hits"].as_array().unwrap().len(),
            0,
            "no person either: {v}"
        );
        // The same for any of the case's own refusals: an empty summary, an unknown mission.
        // The new person is recorded only with the case.
        for (field, value) in [("summary", ""), ("mission", "EMB-XX-NOWHERE")] {
            let form: Vec<(&str, &str)> = fishermen("12")
                .into_iter()
                .map(|(k, v)| if k == field { (k, value) } else { (k, v) })
                .collect();
            let r = officer.post_form("/cases", &form).await;
            assert_eq!(r.status(), 422, "{field}");
            assert_eq!(count_cases().await, 0);
            let v: Value = officer
                .get("/api/v1/persons?q=Do%20Van%20Khai")
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(v["hits"].as_array().unwrap().len(), 0, "{field}: {v}");
        }
        let death = [
            ("case_type", "death"),
            ("priority", "urgent"),
            ("channel", "mission"),
            ("country", "JP"),
            ("mission", "EMB-JP-TOKYO"),
            ("summary", "Lao động tử vong do tai nạn"),
            ("details.remains", "sea"),
        ];
        let r = officer.post_form("/cases", &death).await;
        assert_eq!(r.status(), 422);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Hãy chọn một giá trị trong danh sách.")
        );
        assert_eq!(count_cases().await, 0);

        // Good values: recorded with the case, cleaned (a day as DD/MM/YYYY, spaces), and
        // shown on the case page and in the API.
        let mut good = fishermen("12");
        good.retain(|(k, _)| *k != "details.seized_on");
        good.push(("details.seized_on", "02/03/2026"));
        good.push(("confirm_new", "1"));
        let r = officer.post_form("/cases", &good).await;
        assert_eq!(r.status(), 303);
        let case_url = r.headers()["location"].to_str().unwrap().to_owned();
        let id = case_url.trim_start_matches("/cases/");
        let v: Value = officer
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["details"],
            json!({"vessel_name": "Hải Phong 27", "crew": "12", "seized_on": "2026-03-02"}),
            "only the chosen type's fields"
        );
        let page = officer.get(&case_url).await.text().await.unwrap();
        let facts = &page[page.find("case-details").unwrap()..];
        assert!(facts.contains("Hải Phong 27") && facts.contains("2026-03-02"));
        // The case page's form is the same rendering, under its own names.
        assert!(page.contains(r#"id="d_crew" name="d_crew" value="12""#));

        // The duplicate warning re-renders the form: the type's fields come back filled.
        let mut again = fishermen("12");
        again.retain(|(k, _)| *k != "summary");
        again.push(("summary", "Tàu thứ hai"));
        let r = officer.post_form("/cases", &again).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("duplicate-warning"));
        assert!(
            html.contains(r#"name="details.vessel_name" value="Hải Phong 27""#)
                && html.contains(r#"name="details.crew" value="12""#),
            "values kept through the warning"
        );
        assert_eq!(count_cases().await, 1);

        // The mission select follows the country: the missions covering it first, the only
        // one chosen for the officer; a mission chosen for another country is dropped.
        let page = officer.get("/cases/new").await.text().await.unwrap();
        assert!(page.contains(r#"hx-get="/cases/new/missions""#));
        let options = |q: &'static str| {
            let officer = &officer;
            async move {
                let r = officer.get(&format!("/cases/new/missions?{q}")).await;
                assert_eq!(r.status(), 200, "{q}");
                r.text().await.unwrap()
            }
        };
        let bh = options("country=BH&mission=").await;
        assert!(
            bh.contains(r#"<optgroup label="Phụ trách "#)
                && bh.contains(r#"<option value="EMB-KW-KUWAITCITY" selected>"#),
            "Kuwait's embassy covers Bahrain: {bh}"
        );
        let jp = options("country=JP&mission=EMB-KR-SEOUL").await;
        let covering = &jp[..jp.find("</optgroup>").unwrap()];
        assert!(covering.contains("EMB-JP-TOKYO") && covering.contains("CG-JP-OSAKA"));
        assert!(!covering.contains("EMB-KR-SEOUL") && !jp.contains(" selected"));
        let kept = options("country=JP&mission=cg-jp-osaka").await;
        assert!(kept.contains(r#"<option value="CG-JP-OSAKA" selected>"#));
        let nowhere = options("country=ZZ&mission=%00").await;
        assert!(!nowhere.contains("optgroup") && nowhere.contains("EMB-JP-TOKYO"));

        // Only the roles that open cases get the form and its fragments.
        for who in ["police.tf", "audit.tf"] {
            let s = app.login(who).await;
            assert_eq!(
                s.get("/cases/new/fields?case_type=death").await.status(),
                403,
                "{who}"
            );
            assert_eq!(
                s.get("/cases/new/missions?country=JP").await.status(),
                403,
                "{who}"
            );
            assert_eq!(s.get("/cases/new").await.status(), 403, "{who}");
        }
        // Signed out: a page is sent to sign in; htmx is told to load the sign-in page
        // rather than swap it into the form.
        let r = app.get("/cases/new/fields?case_type=death").await;
        assert_eq!(r.status(), 303);
        let r = app
            .client
            .get(app.url("/cases/new/fields?case_type=death"))
            .header("hx-request", "true")
            .header("hx-current-url", app.url("/cases/new?case_type=death"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(
            r.headers()["hx-redirect"],
            "/login?next=%2Fcases%2Fnew%3Fcase_type%3Ddeath"
        );
    }
);
