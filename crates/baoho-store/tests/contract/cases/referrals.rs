//! Referrals to partner agencies: only the chosen fields, only to their agency's inbox.

use crate::support::*;
use baoho_store::{Store, StoreError};

contract!(
    referrals_carry_only_chosen_fields_and_reach_only_their_agency,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let head = w.head("head.tokyo", TOKYO).await;
        let officer = w.officer_under("tokyo1", TOKYO, &head).await;
        let police = w.police("mps1").await;
        let army = w.defence("mnd1").await;
        let t0 = now();
        let p = officer.new_person("Vũ Văn Giải", "JP", TOKYO).await;
        let c = officer.cases_at(t0);
        let case = c.create(intake("scam_centre", vec![p])).await.unwrap();
        // Without consent and without a reason: refused.
        let unexplained = override_referral("MPS", "Verify identity", &["identity"], "");
        let bad = c.refer(&case.summary.id, unexplained).await;
        assert!(matches!(bad, Err(StoreError::Validation(_))));
        // With consent: sent at once, carrying only identity and documents.
        let purpose = "Verify identity before return";
        let to_police = referral("MPS", purpose, &["identity", "documents"]);
        let r = c.refer(&case.summary.id, to_police).await.unwrap();
        assert_eq!(r.status, "sent");
        assert_eq!(
            r.snapshot.persons[0].full_name.as_deref(),
            Some("Vũ Văn Giải")
        );
        assert_eq!(r.snapshot.persons[0].documents[0].number, "C1234567");
        assert!(
            r.snapshot.persons[0].next_of_kin.is_empty()
                && r.snapshot.summary.is_none()
                && r.snapshot.persons[0].hometown.is_none()
        );
        w.deliver(now()).await;
        assert_eq!(police.notices().await, 1);
        // The police inbox has it; defence's does not, and cannot open it.
        let ip = police.inbox_at(now());
        assert_eq!(ip.list().await.unwrap().len(), 1);
        let ia = army.inbox_at(now());
        assert!(ia.list().await.unwrap().is_empty());
        let before = army.denied().await;
        assert!(matches!(ia.get(&r.id).await, Err(StoreError::NotFound)));
        assert!(matches!(
            ia.respond(&r.id, "accepted", "x").await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(army.denied().await, before + 2);
        // Partners never see the case itself.
        let pc = police.cases();
        assert!(matches!(
            pc.get(&case.summary.id).await,
            Err(StoreError::NotFound)
        ));
        // The police answer; the case side sees the status and the answer.
        ip.respond(&r.id, "accepted", "Identity confirmed, family informed")
            .await
            .unwrap();
        let seen = c
            .referrals(&c.get(&case.summary.id).await.unwrap())
            .await
            .unwrap();
        assert_eq!(seen[0].status, "accepted");
        assert_eq!(seen[0].response, "Identity confirmed, family informed");
        // An override without consent waits for a supervisor, who is told, and then it goes.
        let fields = ["identity", "hometown"];
        let to_province = override_referral("P-79", "Receive at the airport", &fields, UNCONSCIOUS);
        let o = c.refer(&case.summary.id, to_province).await.unwrap();
        assert_eq!(o.status, "awaiting_approval");
        assert!(matches!(
            c.approve_referral(&case.summary.id, &o.id).await,
            Err(StoreError::Forbidden)
        ));
        w.deliver(now()).await;
        assert_eq!(head.notices().await, 1);
        let h = head.cases();
        h.approve_referral(&case.summary.id, &o.id).await.unwrap();
        assert_eq!(
            c.referrals(&c.get(&case.summary.id).await.unwrap())
                .await
                .unwrap()
                .iter()
                .find(|x| x.id == o.id)
                .unwrap()
                .status,
            "sent"
        );
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        // The answer and the approved referral were announced too.
        w.deliver_all().await;
    }
);
