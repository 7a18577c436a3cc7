//! The partner inbox: a referral reaches the partner agency it is addressed to, and only it.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends, personal};

both_backends!(
    referral_reaches_the_partner_inbox_only,
    async |app: &TestApp| {
        app.with_staff(&[police("mps.r"), defence("mnd.r")]).await;
        let officer = app.join(officer("off.r", TOKYO)).await;
        let p = officer
            .record_person(&PersonInput {
                documents: vec![passport("H7788990")],
                notes: "not for the police".into(),
                ..person("Đinh Văn Hồi", TOKYO)
            })
            .await
            .unwrap();
        personal(&["Đinh Văn Hồi", "H7788990", "not for the police"]);
        let case = officer
            .open_case(
                &case_of("deportation", TOKYO, "On the host state's deportation list")
                    .via_partner()
                    .about(&[&p.id]),
            )
            .await
            .unwrap();
        let r = officer
            .refer(
                &case,
                &referral("MPS", "Verify identity", &["identity", "documents"]),
            )
            .await
            .unwrap();
        let police = app.login("mps.r").await;
        let inbox = police.page("/inbox").await;
        assert!(inbox.contains(&r.id));
        let page = police.page(&format!("/inbox/{}", r.id)).await;
        assert!(page.contains("Đinh Văn Hồi") && page.contains("H7788990"));
        assert!(
            !page.contains("not for the police"),
            "only the chosen fields"
        );
        // Partners never see the case, nor the person.
        police.case(&case).await.refused(404);
        assert_eq!(
            police.get(&format!("/cases/{}", case.id)).await.status(),
            404
        );
        assert_eq!(
            police.get(&format!("/persons/{}", p.id)).await.status(),
            404
        );
        police
            .answer_referral(&r.id, "accepted", "Đã xác minh")
            .await
            .unwrap();
        let army = app.login("mnd.r").await;
        let (_, denied) = army
            .counting_denials(async {
                assert_eq!(army.get(&format!("/inbox/{}", r.id)).await.status(), 404);
                army.answer_referral(&r.id, "accepted", "x")
                    .await
                    .refused(404);
            })
            .await;
        assert_eq!(denied, 2);
        assert_eq!(
            officer.get("/inbox").await.status(),
            403,
            "officers have no inbox"
        );
        let page = officer.page(&format!("/cases/{}", case.id)).await;
        assert!(
            page.contains("Đã xác minh"),
            "the case side sees the answer"
        );
    }
);
