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

// Defect 11 (#14, ADR 0019): a partner reaches no person record, even one referred to it by
// the old person-level grant; it reads the snapshot of the chosen fields as they were when
// the referral was made.
contract_db!(
    partners_read_the_frozen_snapshot_never_the_person,
    async |db: &baoho_store::testing::TestDb| {
        let s = db.store.as_ref();
        let w = World::new(s).await;
        let head = w.head("head.snap", TOKYO).await;
        let officer = w.officer_under("off.snap", TOKYO, &head).await;
        let police = w.police("mps.snap").await;
        let p = officer.new_person("Vũ Thị Ảnh", "JP", TOKYO).await;
        let c = officer.cases();
        let case = c.create(intake("accident", vec![p.clone()])).await.unwrap();
        let r = c
            .refer(
                &case.summary.id,
                referral("MPS", "Verify identity", &["identity"]),
            )
            .await
            .unwrap();
        // A grant as the removed `Persons::refer` wrote it, in a database made before.
        baoho_store::testing::legacy_person_referral(db, &p, "MPS").await;
        let pp = police.persons();
        let before = police.denied().await;
        assert!(matches!(pp.get(&p).await, Err(StoreError::NotFound)));
        assert!(matches!(pp.export(&p).await, Err(StoreError::NotFound)));
        assert_eq!(police.denied().await, before + 2);
        let found = pp.search(&search("vu thi anh")).await.unwrap();
        assert!(found.hits.is_empty(), "{:?}", found.hits);
        // The person is renamed after the referral: the partner still reads the name sent.
        let op = officer.persons();
        let rec = op.get(&p).await.unwrap();
        let mut data = rec.data.clone();
        data.full_name = "Vũ Thị Ảnh Mới".into();
        op.update(&p, rec.version, data).await.unwrap();
        let seen = police.inbox_at(now()).get(&r.id).await.unwrap();
        let person = &seen.snapshot.persons[0];
        assert_eq!(person.full_name.as_deref(), Some("Vũ Thị Ảnh"));
        // Fields not chosen are not there.
        assert!(person.hometown.is_none() && person.documents.is_empty());
        assert!(person.next_of_kin.is_empty() && seen.snapshot.summary.is_none());
        let json = serde_json::to_string(&seen).unwrap();
        for absent in [
            "Mới",
            "Nghệ An",
            "Trần Thị Bé",
            "C1234567",
            "immigration centre",
        ] {
            assert!(
                !json.contains(absent),
                "{absent} reached the partner: {json}"
            );
        }
        w.deliver_all().await;
    }
);

// Defect 11 (#14, ADR 0019): consent is a record (who, purpose, day, how, recorded by whom),
// of which the partner sees the purpose and the day; an override waits for a second person
// — never its sender, whatever their role — who approves or refuses it with a reason.
contract!(
    consent_is_a_record_and_an_override_needs_a_second_person,
    async |s: &dyn Store| {
        use baoho_store::{ConsentGiver, ConsentMethod, ConsentPurpose, ReferralRequest};
        let w = World::new(s).await;
        let head = w.head("head.cons", TOKYO).await;
        let officer = w.officer_under("off.cons", TOKYO, &head).await;
        let hq = w.hq("hq.cons").await;
        let hq2 = w.hq("hq2.cons").await;
        let police = w.police("mps.cons").await;
        let p = officer.new_person("Đỗ Văn Khải", "JP", TOKYO).await;
        let case = officer
            .cases()
            .create(intake("accident", vec![p]))
            .await
            .unwrap();
        let id = case.summary.id.as_str();
        let c = officer.cases();
        // A bare "consent: true" is no record: refused, nothing written.
        let bare = ReferralRequest {
            agency: "MPS".into(),
            purpose: "Verify identity".into(),
            fields: vec!["identity".into()],
            consent: true,
            override_reason: String::new(),
        };
        assert!(matches!(
            c.refer(id, bare).await,
            Err(StoreError::Validation(e)) if e[0].code == "referral.error.consent_record"
        ));
        // A guardian must be named; consent is not given in the future.
        let mut by_guardian = referral("MPS", "Verify identity", &["identity"]);
        let k = by_guardian.consent.as_mut().unwrap();
        k.given_by = ConsentGiver::Guardian;
        k.purpose = ConsentPurpose::ReturnReception;
        k.method = ConsentMethod::Written;
        k.given_on = (now() - chrono::Duration::days(2)).date_naive();
        let mut unnamed = by_guardian.clone();
        unnamed.consent.as_mut().unwrap().given_by_name = "  ".into();
        let mut future = by_guardian.clone();
        future.consent.as_mut().unwrap().given_on =
            (now() + chrono::Duration::days(3)).date_naive();
        future.consent.as_mut().unwrap().given_by_name = "Đỗ Thị Mẹ".into();
        for (bad, code) in [
            (unnamed, "referral.error.consent_name"),
            (future, "referral.error.consent_date"),
        ] {
            assert!(matches!(
                c.refer(id, bad).await,
                Err(StoreError::Validation(e)) if e[0].code == code
            ));
        }
        assert!(
            c.referrals(&c.get(id).await.unwrap())
                .await
                .unwrap()
                .is_empty()
        );
        // Recorded: who, to what, when, how, by whom — the case side reads all of it.
        by_guardian.consent.as_mut().unwrap().given_by_name = "Đỗ Thị Mẹ".into();
        let given = c.refer(id, by_guardian).await.unwrap();
        assert_eq!(given.status, "sent");
        let listed = c.referrals(&c.get(id).await.unwrap()).await.unwrap();
        let rec = listed[0].consent_record.clone().unwrap();
        assert_eq!(rec.given_by, ConsentGiver::Guardian);
        assert_eq!(rec.given_by_name.as_deref(), Some("Đỗ Thị Mẹ"));
        assert_eq!(rec.purpose, ConsentPurpose::ReturnReception);
        assert_eq!(rec.method, ConsentMethod::Written);
        assert_eq!(
            rec.given_on,
            (now() - chrono::Duration::days(2)).date_naive()
        );
        assert_eq!(rec.recorded_by, officer.account.id);
        // The partner: the purpose and the day only.
        let seen = police.inbox_at(now()).get(&given.id).await.unwrap();
        assert_eq!(seen.consent, "given");
        assert_eq!(seen.consent_purpose, Some(ConsentPurpose::ReturnReception));
        assert_eq!(seen.consent_given_on, Some(rec.given_on));
        let json = serde_json::to_string(&seen).unwrap();
        assert!(
            !json.contains("Đỗ Thị Mẹ") && !json.contains("written"),
            "{json}"
        );
        assert!(!json.contains(&officer.account.id), "{json}");

        // An HQ officer's override is not sent on their own say-so.
        let h1 = hq.cases();
        let o = h1
            .refer(
                id,
                override_referral("MND", "Locate the family", &["identity"], UNCONSCIOUS),
            )
            .await
            .unwrap();
        assert_eq!(o.status, "awaiting_approval");
        let army = w.defence("mnd.cons").await;
        assert!(army.inbox_at(now()).list().await.unwrap().is_empty());
        assert!(matches!(
            army.inbox_at(now()).get(&o.id).await,
            Err(StoreError::NotFound)
        ));
        // Its sender cannot approve it, nor refuse it; a mission officer neither: 403, audited.
        let before = hq.denied().await;
        assert!(matches!(
            h1.approve_referral(id, &o.id).await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            h1.refuse_referral(id, &o.id, "I changed my mind about this one")
                .await,
            Err(StoreError::Forbidden)
        ));
        assert_eq!(hq.denied().await, before + 2);
        let before = officer.denied().await;
        assert!(matches!(
            c.approve_referral(id, &o.id).await,
            Err(StoreError::Forbidden)
        ));
        assert_eq!(officer.denied().await, before + 1);
        // A second HQ officer approves: now the partner has it.
        hq2.cases().approve_referral(id, &o.id).await.unwrap();
        let seen = army.inbox_at(now()).get(&o.id).await.unwrap();
        assert_eq!(seen.consent, "override");
        assert_eq!(seen.consent_purpose, None);
        let mine = h1.referrals(&h1.get(id).await.unwrap()).await.unwrap();
        let approved = mine.iter().find(|x| x.id == o.id).unwrap();
        let d = approved.decision.clone().unwrap();
        assert!(d.approved && d.by == hq2.account.id);
        assert_eq!(approved.override_reason.as_deref(), Some(UNCONSCIOUS));
        assert!(matches!(
            hq2.cases().approve_referral(id, &o.id).await,
            Err(StoreError::NotFound)
        ));

        // A mission officer's override, refused by the head of mission with a reason.
        let o2 = c
            .refer(
                id,
                override_referral("MPS", "Check a record", &["identity"], UNCONSCIOUS),
            )
            .await
            .unwrap();
        let hh = head.cases();
        assert!(matches!(
            hh.refuse_referral(id, &o2.id, "no").await,
            Err(StoreError::Validation(_))
        ));
        let why = "The person can be asked tomorrow when awake";
        hh.refuse_referral(id, &o2.id, why).await.unwrap();
        let listed = c.referrals(&c.get(id).await.unwrap()).await.unwrap();
        let refused = listed.iter().find(|x| x.id == o2.id).unwrap();
        assert_eq!(refused.status, "refused");
        let d = refused.decision.clone().unwrap();
        assert!(!d.approved && d.by == head.account.id && d.reason == why);
        assert!(matches!(
            police.inbox_at(now()).get(&o2.id).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(police.inbox_at(now()).list().await.unwrap().len(), 1);
        assert!(matches!(
            hh.approve_referral(id, &o2.id).await,
            Err(StoreError::NotFound)
        ));
        // The senders learn the decisions.
        w.deliver_all().await;
        assert!(hq.notices().await >= 1);
        assert!(officer.notices().await >= 1);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
);
