//! Referrals to partners (issue #14, defect 11; ADR 0019): a partner reads only the snapshot
//! that was referred, as it was then, never a person's record; consent is a record of who
//! consented, to what, when and how; an override needs a second person.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends, personal};
use serde_json::{Value, json};

both_backends!(
    partner_reads_the_frozen_snapshot_never_the_person,
    async |app: &TestApp| {
        app.with_staff(&[police("mps.snap")]).await;
        let officer = app.join(officer("off.snap", TOKYO)).await;
        let recorded = PersonInput {
            documents: vec![passport("K5566778")],
            hometown: "Hà Tĩnh".into(),
            notes: "ghi chú nội bộ".into(),
            ..person("Lương Văn Sáng", TOKYO)
        };
        let p = officer.record_person(&recorded).await.unwrap();
        personal(&[
            "Lương Văn Sáng",
            "Lương Văn Sáng Mới",
            "K5566778",
            "Hà Tĩnh",
        ]);
        let case = officer
            .open_case(&case_of("accident", TOKYO, "Injured at a building site").about(&[&p.id]))
            .await
            .unwrap();
        let r = officer
            .refer(&case, &referral("MPS", "Verify identity", &["identity"]))
            .await
            .unwrap();
        // A person-level grant as the old `Persons::refer` wrote it (databases made before).
        baoho_store::testing::legacy_person_referral(&app.db, &p.id, "MPS").await;
        // The officer renames the person after the referral.
        let rec: Value = officer.read(&format!("/api/v1/persons/{}", p.id)).await;
        let mut edit = serde_json::to_value(PersonInput {
            full_name: "Lương Văn Sáng Mới".into(),
            ..recorded.clone()
        })
        .unwrap();
        edit["version"] = rec["version"].clone();
        let res = officer
            .put_json(&format!("/api/v1/persons/{}", p.id), &edit)
            .await;
        assert_eq!(res.status(), 200);

        let police = app.login("mps.snap").await;
        let page = police.page(&format!("/inbox/{}", r.id)).await;
        assert!(page.contains("Lương Văn Sáng"), "the name sent");
        assert!(
            !page.contains("Sáng Mới"),
            "a later change does not reach the partner"
        );
        for not_chosen in ["K5566778", "Hà Tĩnh", "ghi chú nội bộ", "building site"] {
            assert!(!page.contains(not_chosen), "{not_chosen}: not chosen");
        }
        let inbox: Value = police.read("/api/v1/inbox").await;
        let sent = inbox.to_string();
        assert!(sent.contains("Lương Văn Sáng") && !sent.contains("Sáng Mới"));
        assert!(!sent.contains("K5566778") && !sent.contains("Hà Tĩnh"));
        // The person's page, API, export and search: not in the partner's scope.
        let (_, denied) = police
            .counting_denials(async {
                for path in [
                    format!("/persons/{}", p.id),
                    format!("/api/v1/persons/{}", p.id),
                    format!("/api/v1/persons/{}/export", p.id),
                ] {
                    assert_eq!(police.get(&path).await.status(), 404, "{path}");
                }
            })
            .await;
        assert!(denied >= 3, "{denied} denied rows");
        let found = police.get("/api/v1/persons?q=luong%20van%20sang").await;
        if found.status() == 200 {
            let v: Value = found.json().await.unwrap();
            assert!(!v.to_string().contains(&p.id), "{v}");
        } else {
            assert!([403, 404].contains(&found.status().as_u16()));
        }
    }
);

both_backends!(an_override_needs_a_second_person, async |app: &TestApp| {
    app.with_staff(&[police("mps.ovr"), hq("hq.second")]).await;
    let officer = app.join(officer("off.ovr", TOKYO)).await;
    let sender = app.join(hq("hq.sender")).await;
    let case = officer
        .open_case(&case_of("accident", TOKYO, "Found unconscious"))
        .await
        .unwrap();
    let reason = "Person unconscious in hospital, family cannot be reached";
    let o = sender
        .refer(
            &case,
            &override_referral("MPS", "Locate the family", &["identity"], reason),
        )
        .await
        .unwrap();
    assert_eq!(o.status, "awaiting_approval", "not self-approved");
    let police = app.login("mps.ovr").await;
    assert_eq!(police.get(&format!("/inbox/{}", o.id)).await.status(), 404);
    assert!(!police.page("/inbox").await.contains(&o.id));
    // The sender may not approve it: neither by the API nor by the page; both audited.
    let (_, denied) = sender
        .counting_denials(async {
            sender.approve_referral(&case, &o.id).await.refused(403);
            let res = sender
                .post_form(
                    &format!("/cases/{}/referrals/{}/approve", case.id, o.id),
                    &[],
                )
                .await;
            assert_eq!(res.status(), 403);
            let res = sender
                .post_json(
                    &format!("/api/v1/cases/{}/referrals/{}/refusal", case.id, o.id),
                    &json!({"reason": "I no longer think this is needed"}),
                )
                .await;
            assert_eq!(res.status(), 403);
        })
        .await;
    assert_eq!(denied, 3);
    let page = sender.page(&format!("/cases/{}", case.id)).await;
    assert!(page.contains("own-override") && !page.contains("approve-referral"));
    // A mission officer may not either.
    officer.approve_referral(&case, &o.id).await.refused(403);
    assert_eq!(
        officer.referral(&case, &o.id).await.status,
        "awaiting_approval"
    );
    // A second HQ officer sees the reason and approves: the partner now has it.
    let second = app.login("hq.second").await;
    let page = second.page(&format!("/cases/{}", case.id)).await;
    assert!(page.contains(reason) && page.contains("approve-referral"));
    second.approve_referral(&case, &o.id).await.unwrap();
    let sent = second.referral(&case, &o.id).await;
    assert_eq!(sent.status, "sent");
    let d = sent.decision.unwrap();
    assert!(d.approved);
    assert_ne!(d.by, sent.requested_by);
    let seen = police.page(&format!("/inbox/{}", o.id)).await;
    assert!(seen.contains("referral-consent"));
    assert!(
        !seen.contains(reason),
        "the override's reason stays with the service"
    );

    // Refused with a reason: never sent; a reason too short changes nothing.
    let o2 = officer
        .refer(
            &case,
            &override_referral("MPS", "Check a record", &["identity"], reason),
        )
        .await
        .unwrap();
    let refuse = format!("/api/v1/cases/{}/referrals/{}/refusal", case.id, o2.id);
    let res = second.post_json(&refuse, &json!({"reason": "no"})).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        officer.referral(&case, &o2.id).await.status,
        "awaiting_approval"
    );
    let why = "The person can be asked tomorrow when awake";
    let res = second.post_json(&refuse, &json!({"reason": why})).await;
    assert_eq!(res.status(), 204);
    let refused = officer.referral(&case, &o2.id).await;
    assert_eq!(refused.status, "refused");
    assert_eq!(refused.decision.unwrap().reason, why);
    assert_eq!(police.get(&format!("/inbox/{}", o2.id)).await.status(), 404);
    second.approve_referral(&case, &o2.id).await.refused(404);
    let page = officer.page(&format!("/cases/{}", case.id)).await;
    assert!(page.contains(why));
});

both_backends!(
    the_consent_record_says_who_what_when_and_how,
    async |app: &TestApp| {
        app.with_staff(&[police("mps.rec")]).await;
        let officer = app.join(officer("off.rec", TOKYO)).await;
        let p = officer
            .record_person(&person("Hồ Thị Nhỏ", TOKYO))
            .await
            .unwrap();
        personal(&["Hồ Thị Nhỏ", "Hồ Văn Cha"]);
        let case = officer
            .open_case(&case_of("accident", TOKYO, "A minor hurt in a fall").about(&[&p.id]))
            .await
            .unwrap();
        let day = (app.now() - chrono::Duration::days(1))
            .date_naive()
            .to_string();
        let form = |basis: &'static str, on: &str| -> Vec<(&'static str, String)> {
            vec![
                ("agency", "MPS".into()),
                ("purpose", "Find the family at home".into()),
                ("f_identity", "on".into()),
                ("basis", basis.into()),
                ("consent_by", "guardian".into()),
                ("consent_by_name", "Hồ Văn Cha".into()),
                ("consent_purpose", "family_contact".into()),
                ("consent_on", on.into()),
                ("consent_method", "phone".into()),
            ]
        };
        let post = async |f: Vec<(&'static str, String)>| {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            officer.on_case_page(&case, "referrals", &f).await
        };
        // Bad input writes nothing: no basis, a day in the future, a guardian without a name.
        post(form("", &day)).await.refused(422);
        post(form("given", "2999-01-01")).await.refused(422);
        let mut unnamed = form("given", &day);
        unnamed.retain(|(k, _)| *k != "consent_by_name");
        post(unnamed).await.refused(422);
        assert!(officer.referrals(&case).await.is_empty());
        post(form("given", &day)).await.unwrap();
        let r = officer.referrals(&case).await.remove(0);
        assert_eq!(r.status, "sent");
        let k = r.consent_record.clone().unwrap();
        assert_eq!(k.given_on.to_string(), day);
        assert_eq!(k.given_by_name.as_deref(), Some("Hồ Văn Cha"));
        // The case page, in both languages: who, to what, when, how, recorded by whom.
        for (lang, who, what, how) in [
            ("en", "guardian", "contacting the family", "by phone"),
            (
                "vi",
                "người giám hộ",
                "liên hệ với gia đình",
                "qua điện thoại",
            ),
        ] {
            let res = officer.get_in(lang, &format!("/cases/{}", case.id)).await;
            assert_eq!(res.status(), 200);
            let page = res.text().await.unwrap();
            let block = page
                .split(&format!("id=\"consent-{}\"", r.id))
                .nth(1)
                .and_then(|b| b.split("</dl>").next())
                .expect("the consent record on the case page");
            for want in [who, "Hồ Văn Cha", what, day.as_str(), how, "Cán bộ off.rec"] {
                assert!(block.contains(want), "{lang}: {want} missing from {block}");
            }
        }
        // The partner: the purpose and the day, not who or how.
        let police = app.login("mps.rec").await;
        for (lang, what, how) in [
            ("en", "contacting the family", "by phone"),
            ("vi", "liên hệ với gia đình", "qua điện thoại"),
        ] {
            let res = police.get_in(lang, &format!("/inbox/{}", r.id)).await;
            assert_eq!(res.status(), 200);
            let page = res.text().await.unwrap();
            assert!(page.contains(what) && page.contains(&day), "{lang}");
            assert!(
                !page.contains("Hồ Văn Cha") && !page.contains(how),
                "{lang}"
            );
        }
        let inbox: Value = police.read("/api/v1/inbox").await;
        assert_eq!(inbox[0]["consent_purpose"], "family_contact");
        assert_eq!(inbox[0]["consent_given_on"], day.as_str());
        assert!(!inbox.to_string().contains("Hồ Văn Cha"));
        assert!(inbox[0].get("consent_record").is_none());
    }
);
