//! Intake: each case type asks for its own fields, checked with the rest of the case.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends, personal};
use serde_json::Value;

both_backends!(
    each_case_type_has_its_own_fields_and_advances_record_repayment,
    async |app: &TestApp| {
        app.with_staff(&[officer("off.seoul.d", SEOUL)]).await;
        let officer = app.join(officer("off.d", TOKYO)).await;
        // The type's fields are data: the API lists them.
        let types: Vec<Value> = officer.read("/api/v1/case-types").await;
        let death = types.iter().find(|t| t["code"] == "death").unwrap();
        assert!(
            death["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["key"] == "remains" && f["kind"] == "choice")
        );

        let death_in_tokyo = |fields: &[(&str, &str)]| {
            case_of("death", TOKYO, "Died in a work accident")
                .urgent()
                .by_hotline()
                .with_details(fields)
        };
        let bad = officer
            .open_case(&death_in_tokyo(&[
                ("date_of_death", "31/02/2026"),
                ("vessel_name", "not a death field"),
            ]))
            .await
            .refused(422);
        let fields = bad.fields();
        assert!(
            fields.iter().any(|f| f == "details.date_of_death")
                && fields.iter().any(|f| f == "details.vessel_name"),
            "{bad:?}"
        );
        assert_eq!(officer.cases_total().await, 0, "nothing was created");

        let case = officer
            .open_case(&death_in_tokyo(&[
                ("date_of_death", "03/11/2026"),
                ("remains", "undecided"),
                ("cause", " Tai nạn lao động "),
            ]))
            .await
            .unwrap();
        assert_eq!(case.details["date_of_death"], "2026-11-03");
        assert_eq!(case.details["cause"], "Tai nạn lao động");

        // The family decided: the page form replaces the fields (version checked).
        officer
            .on_case_page(
                &case,
                "details",
                &[
                    ("version", "1"),
                    ("d_date_of_death", "2026-11-03"),
                    ("d_remains", "repatriate_ashes"),
                    ("d_cause", "Tai nạn lao động"),
                    ("d_funeral_home", ""),
                ],
            )
            .await
            .unwrap();
        // A stale version is refused.
        officer
            .edit_details(&case, 1, &[("remains", "local_burial")])
            .await
            .refused(409);
        officer
            .edit_details(&case, 2, &[("remains", "sea")])
            .await
            .refused(422);
        let v = officer.case(&case).await.unwrap();
        assert_eq!(
            v.details["remains"], "repatriate_ashes",
            "refused writes changed nothing"
        );
        assert_eq!(v.version, 2);
        let page = officer.page(&format!("/cases/{}", case.id)).await;
        assert!(
            page.contains("Hỏa táng, đưa tro cốt về nước"),
            "a choice shows its label"
        );
        assert!(
            v.events
                .iter()
                .any(|e| e.kind == "details" && e.body == "remains")
        );

        // Money advanced says whether the citizen undertook to repay.
        let advanced = NewEvent {
            amount_minor: Some(150000),
            currency: Some("JPY".into()),
            ..entry("money_advanced", "Chi phí hỏa táng")
        };
        officer.add_event(&case, &advanced).await.refused(422);
        let pending = NewEvent {
            repayment: Some("pending".into()),
            ..advanced
        };
        officer.add_event(&case, &pending).await.unwrap();
        let page = officer.page(&format!("/cases/{}", case.id)).await;
        assert!(page.contains("chưa ký cam kết hoàn trả"));

        // Another mission: 404 and a denied row, on the page form and the API.
        let seoul = app.login("off.seoul.d").await;
        let (_, denied) = seoul
            .counting_denials(async {
                seoul
                    .on_case_page(
                        &case,
                        "details",
                        &[("version", "3"), ("d_remains", "local_burial")],
                    )
                    .await
                    .refused(404);
                seoul
                    .edit_details(&case, 3, &[("remains", "local_burial")])
                    .await
                    .refused(404);
            })
            .await;
        assert_eq!(denied, 2);
        let v = officer.case(&case).await.unwrap();
        assert_eq!(v.details["remains"], "repatriate_ashes");
    }
);

both_backends!(
    intake_asks_for_the_types_own_fields,
    async |app: &TestApp| {
        personal(&["Đỗ Văn Khải", "Hải Phong 27"]);
        app.with_staff(&[police("police.tf"), auditor("audit.tf")])
            .await;
        let officer = app.join(officer("off.tf", TOKYO)).await;
        let no_one_named_khai = async || {
            let found: Value = officer.read("/api/v1/persons?q=Do%20Van%20Khai").await;
            assert_eq!(found["hits"].as_array().unwrap().len(), 0, "{found}");
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
        let frag = officer.page("/cases/new/fields?case_type=fishermen").await;
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
        let page = officer.page("/cases/new").await;
        assert!(page.contains(r##"hx-get="/cases/new/fields" hx-target="#type-fields""##));
        assert!(page.contains(r#"<div id="type-fields" aria-live="polite"></div>"#));
        let page = officer.page("/cases/new?case_type=fishermen").await;
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
        let html = officer
            .submit("/cases", &fishermen("mười hai"))
            .await
            .refused(422)
            .body;
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
        assert_eq!(officer.cases_total().await, 0);
        // No person either.
        no_one_named_khai().await;
        // The same for any of the case's own refusals: an empty summary, an unknown mission.
        // The new person is recorded only with the case.
        for (field, value) in [("summary", ""), ("mission", "EMB-XX-NOWHERE")] {
            let form: Vec<(&str, &str)> = fishermen("12")
                .into_iter()
                .map(|(k, v)| if k == field { (k, value) } else { (k, v) })
                .collect();
            officer.submit("/cases", &form).await.refused(422);
            assert_eq!(officer.cases_total().await, 0, "{field}");
            no_one_named_khai().await;
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
        let refused = officer.submit("/cases", &death).await.refused(422);
        assert!(
            refused
                .body
                .contains("Hãy chọn một giá trị trong danh sách.")
        );
        assert_eq!(officer.cases_total().await, 0);

        // Good values: recorded with the case, cleaned (a day as DD/MM/YYYY, spaces), and
        // shown on the case page and in the API.
        let mut good = fishermen("12");
        good.retain(|(k, _)| *k != "details.seized_on");
        good.push(("details.seized_on", "02/03/2026"));
        good.push(("confirm_new", "1"));
        let case_url = officer.submit("/cases", &good).await.unwrap();
        let id = case_url.trim_start_matches("/cases/");
        let v = officer.case(id).await.unwrap();
        assert_eq!(
            v.details,
            details(&[
                ("vessel_name", "Hải Phong 27"),
                ("crew", "12"),
                ("seized_on", "2026-03-02")
            ]),
            "only the chosen type's fields"
        );
        let page = officer.page(&case_url).await;
        let facts = &page[page.find("case-details").unwrap()..];
        assert!(facts.contains("Hải Phong 27") && facts.contains("2026-03-02"));
        // The case page's form is the same rendering, under its own names.
        assert!(page.contains(r#"id="d_crew" name="d_crew" value="12""#));

        // The duplicate warning re-renders the form: the type's fields come back filled.
        let mut again = fishermen("12");
        again.retain(|(k, _)| *k != "summary");
        again.push(("summary", "Tàu thứ hai"));
        // The warning is a page (200), not a case.
        let html = officer.submit("/cases", &again).await.refused(200).body;
        assert!(html.contains("duplicate-warning"));
        assert!(
            html.contains(r#"name="details.vessel_name" value="Hải Phong 27""#)
                && html.contains(r#"name="details.crew" value="12""#),
            "values kept through the warning"
        );
        assert_eq!(officer.cases_total().await, 1);

        // The mission select follows the country: the missions covering it first, the only
        // one chosen for the officer; a mission chosen for another country is dropped.
        let page = officer.page("/cases/new").await;
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
        let here = app.url("/cases/new?case_type=death");
        let r = app
            .get_with_headers(
                "/cases/new/fields?case_type=death",
                &[("hx-request", "true"), ("hx-current-url", &here)],
            )
            .await;
        assert_eq!(r.status(), 204);
        assert_eq!(
            r.headers()["hx-redirect"],
            "/login?next=%2Fcases%2Fnew%3Fcase_type%3Ddeath"
        );
    }
);
