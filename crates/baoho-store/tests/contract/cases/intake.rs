//! Opening a case: where it may go, and the persons linked to it (and removed, with a reason).

use crate::support::*;
use baoho_store::{AuditAction, AuditFilter, AuditOutcome, CaseRecord, Store, StoreError};

contract!(
    a_case_goes_to_a_mission_that_covers_its_country,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let hq = w.hq("hq.place").await;
        let c = hq.cases();
        // Seoul does not cover Japan: refused on the mission, before anything is written.
        let mut k = intake("accident", vec![]);
        k.mission = SEOUL.into();
        match c.check_intake(&k) {
            Err(StoreError::Validation(errs)) => {
                assert_eq!(errs[0].field, "mission");
                assert_eq!(errs[0].code, "case.error.mission_country");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(c.create(k).await, Err(StoreError::Validation(_))));
        // A permanent mission covers no country.
        let pm = baoho_domain::refdata::missions()
            .iter()
            .find(|m| m.jurisdiction.is_empty())
            .expect("a permanent mission in the reference data");
        let mut k = intake("accident", vec![]);
        k.mission = pm.code.clone();
        assert!(matches!(c.create(k).await, Err(StoreError::Validation(_))));
        // A concurrent accreditation counts (Kuwait covers Bahrain); so does no mission.
        let bahrain = intake_in("accident", "BH", "EMB-KW-KUWAITCITY");
        c.create(bahrain).await.unwrap();
        let mut k = intake("accident", vec![]);
        k.mission = String::new();
        c.create(k).await.unwrap();
        // Osaka's consulate covers Japan too.
        let mut k = intake("accident", vec![]);
        k.mission = OSAKA.into();
        c.create(k).await.unwrap();
    }
);

contract!(
    a_person_added_by_mistake_is_removed_with_a_reason,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let officer = w.officer("tokyo.unlink", TOKYO).await;
        let seoul = w.officer("seoul.unlink", SEOUL).await;
        let police = w.police("mps.unlink").await;
        let auditor = w.auditor("auditor.unlink").await;
        let mut crew = vec![];
        for name in ["Lê Văn Thuyền", "Lê Văn Lưới", "Lê Văn Neo"] {
            crew.push(officer.new_person(name, "JP", TOKYO).await);
        }
        let far = seoul.new_person("Lê Văn Xa", "KR", SEOUL).await;
        let t0 = now();
        let c = officer.cases_at(t0);
        let rec = c
            .create(intake("fishermen", vec![crew[0].clone()]))
            .await
            .unwrap();
        let id = rec.summary.id.clone();
        // Linking: a second person, not twice.
        c.link_person(&id, &crew[1]).await.unwrap();
        assert!(matches!(
            c.link_person(&id, &crew[1]).await,
            Err(StoreError::Validation(e)) if e[0].field == "person" && e[0].code == "case.error.person_linked"
        ));
        // A referral sent now carries both (its snapshot is kept as sent).
        let to_police = referral("MPS", "Verify identity", &["identity"]);
        let referral = c.refer(&id, to_police).await.unwrap();
        assert_eq!(referral.snapshot.persons.len(), 2);
        let before = c.get(&id).await.unwrap();
        assert_eq!(before.persons, vec![crew[0].clone(), crew[1].clone()]);
        let unchanged = |k: &CaseRecord| {
            assert_eq!(k.persons, before.persons);
            assert_eq!(k.events.len(), before.events.len());
            assert_eq!(k.version, before.version);
        };
        let updates = || async {
            s.audit_query(&AuditFilter {
                object_id: Some(id.clone()),
                action: Some(AuditAction::Update),
                outcome: Some(AuditOutcome::Allowed),
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
        };
        let updates_before = updates().await.len();
        // A reason is required: trimmed, at least 5 characters, no control characters.
        for reason in ["", "    ", " ab ", "nhầm", "nhầm\u{0}người"] {
            assert!(
                matches!(
                    c.unlink_person(&id, &crew[1], reason).await,
                    Err(StoreError::Validation(e)) if e[0].field == "reason" && e[0].code == "case.error.unlink_reason"
                ),
                "{reason:?}"
            );
        }
        assert!(matches!(
            c.unlink_person(&id, &crew[1], &"x".repeat(2001)).await,
            Err(StoreError::Validation(_))
        ));
        // A person not on the case: a field error, nothing written (not even a denied row).
        let denied_before = officer.denied().await;
        assert!(matches!(
            c.unlink_person(&id, &crew[2], "Added by mistake").await,
            Err(StoreError::Validation(e)) if e[0].field == "person" && e[0].code == "case.error.person_not_linked"
        ));
        assert_eq!(officer.denied().await, denied_before);
        // A person I may not read (or none): refused as at linking, with the person's denied row.
        for p in [far.as_str(), "no-such-person"] {
            assert!(matches!(
                c.unlink_person(&id, p, "Added by mistake").await,
                Err(StoreError::Validation(e)) if e[0].field == "person" && e[0].code == "case.error.person"
            ));
        }
        assert_eq!(officer.denied().await, denied_before + 2);
        // Another mission, a partner liaison, an auditor: the case does not exist for them
        // (one denied row each).
        for a in [&seoul, &police, &auditor] {
            let before = a.denied().await;
            let h = a.cases_at(t0);
            assert!(
                matches!(
                    h.unlink_person(&id, &crew[1], "Added by mistake").await,
                    Err(StoreError::NotFound)
                ),
                "{}",
                a.username
            );
            assert_eq!(a.denied().await, before + 1, "{}", a.username);
        }
        unchanged(&c.get(&id).await.unwrap());
        assert_eq!(updates().await.len(), updates_before);
        // The lead removes the person (the reason typed decomposed, stored NFC).
        c.unlink_person(&id, &crew[1], "  Tru\u{0300}ng te\u{0302}n, nhầm người  ")
            .await
            .unwrap();
        let after = c.get(&id).await.unwrap();
        assert_eq!(after.persons, vec![crew[0].clone()]);
        assert_eq!(after.version, before.version, "no version: like linking");
        let ev = &after.events[0];
        assert_eq!(ev.kind, "person_unlinked");
        assert_eq!(ev.author, officer.id);
        assert_eq!(ev.body, format!("{}: Trùng tên, nhầm người", crew[1]));
        assert_eq!(after.events.len(), before.events.len() + 1);
        let rows = updates().await;
        assert_eq!(rows.len(), updates_before + 1);
        assert_eq!(rows[0].entry.actor, officer.id);
        assert_eq!(rows[0].entry.object_kind, "case");
        assert_eq!(rows[0].entry.purpose, "person unlinked");
        assert!(
            !rows[0].entry.purpose.contains("Trùng"),
            "the reason is in the encrypted timeline, not the audit trail"
        );
        // Twice: not on the case any more.
        assert!(matches!(
            c.unlink_person(&id, &crew[1], "Added by mistake").await,
            Err(StoreError::Validation(e)) if e[0].code == "case.error.person_not_linked"
        ));
        // The last person may go too (a case may be opened with no one), and come back.
        c.unlink_person(&id, &crew[0], "Wrong boat's crew list")
            .await
            .unwrap();
        assert!(c.get(&id).await.unwrap().persons.is_empty());
        c.link_person(&id, &crew[1]).await.unwrap();
        assert_eq!(c.get(&id).await.unwrap().persons, vec![crew[1].clone()]);
        // The referral sent before keeps the persons it carried.
        let k = c.get(&id).await.unwrap();
        let refs = c.referrals(&k).await.unwrap();
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].snapshot.persons.len(), 2);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        // The police were told of the referral; the new lead, of the case.
        w.deliver_all().await;
    }
);
