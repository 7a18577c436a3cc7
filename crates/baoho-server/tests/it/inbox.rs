//! The partner inbox: a referral reaches the partner agency it is addressed to, and only it.

use crate::support::{TestApp, both_backends, personal};
use baoho_domain::access::Role;
use serde_json::{Value, json};

both_backends!(
    referral_reaches_the_partner_inbox_only,
    async |app: &TestApp| {
        app.account("off.r", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("mps.r", Role::PartnerLiaison, "MPS", true)
            .await;
        app.account("mnd.r", Role::PartnerLiaison, "MND", true)
            .await;
        let officer = app.login("off.r").await;
        let p: Value = officer
        .post_json("/api/v1/persons", &json!({"full_name": "Đinh Văn Hồi", "country": "JP", "mission": "EMB-JP-TOKYO", "documents": [{"kind": "passport", "number": "H7788990"}], "notes": "not for the police"}))
        .await
        .json()
        .await
        .unwrap();
        personal(&["Đinh Văn Hồi", "H7788990", "not for the police"]);
        let case: Value = officer
        .post_json("/api/v1/cases", &json!({"case_type": "deportation", "priority": "high", "channel": "partner", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "On the host state's deportation list", "persons": [p["id"]]}))
        .await
        .json()
        .await
        .unwrap();
        let cid = case["id"].as_str().unwrap();
        let r = officer
        .post_json(&format!("/api/v1/cases/{cid}/referrals"), &json!({"agency": "MPS", "purpose": "Verify identity", "fields": ["identity", "documents"], "consent": true}))
        .await;
        assert_eq!(r.status(), 201);
        let rid = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let police = app.login("mps.r").await;
        let inbox = police.get("/inbox").await.text().await.unwrap();
        assert!(inbox.contains(&rid));
        let page = police
            .get(&format!("/inbox/{rid}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Đinh Văn Hồi") && page.contains("H7788990"));
        assert!(
            !page.contains("not for the police"),
            "only the chosen fields"
        );
        assert_eq!(
            police.get(&format!("/cases/{cid}")).await.status(),
            404,
            "partners never see the case"
        );
        assert_eq!(
            police
                .get(&format!("/persons/{}", p["id"].as_str().unwrap()))
                .await
                .status(),
            404
        );
        assert_eq!(
            police
                .post_form(
                    &format!("/inbox/{rid}"),
                    &[("status", "accepted"), ("note", "Đã xác minh")]
                )
                .await
                .status(),
            303
        );
        let army = app.login("mnd.r").await;
        let before = army.denied().await;
        assert_eq!(army.get(&format!("/inbox/{rid}")).await.status(), 404);
        assert_eq!(
            army.post_form(
                &format!("/inbox/{rid}"),
                &[("status", "accepted"), ("note", "x")]
            )
            .await
            .status(),
            404
        );
        assert_eq!(army.denied().await, before + 2);
        assert_eq!(
            officer.get("/inbox").await.status(),
            403,
            "officers have no inbox"
        );
        let page = officer
            .get(&format!("/cases/{cid}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Đã xác minh"),
            "the case side sees the answer"
        );
    }
);
