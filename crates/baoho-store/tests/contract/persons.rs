//! The person registry: create, read, edit, search, import, and the scope that hides persons.

use crate::support::*;
use baoho_domain::person::PersonInput;
use baoho_store::{AuditAction, AuditFilter, AuditOutcome, Store, StoreError};

contract!(persons_create_read_edit_search, async |s: &dyn Store| {
    let w = World::new(s).await;
    let a = w.officer("tokyo1", TOKYO).await;
    let h = a.persons();
    let created = h
        .create(person("Nguyễn Văn Đức", "JP", TOKYO))
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    let got = h.get(&created.id).await.unwrap();
    assert_eq!(got.data.full_name, "Nguyễn Văn Đức");
    assert_eq!(got.data.documents[0].number, "C1234567");
    assert_eq!(got.data.next_of_kin[0].phone, "+84 912 345 678");
    assert!(got.hometown_province.is_some());

    // Diacritic- and case-insensitive, any order; đ = d; document numbers loosely.
    for q in ["nguyen van duc", "NGUYỄN VĂN ĐỨC", "duc nguyen", "đức"] {
        let r = h.search(&search(q)).await.unwrap();
        assert_eq!(r.hits.len(), 1, "{q}");
        assert_eq!(r.hits[0].full_name, "Nguyễn Văn Đức");
    }
    let r = h.search(&search("c-1234567")).await.unwrap();
    assert_eq!(r.hits.len(), 1);
    let r = h.search(&search("nguyen van an")).await.unwrap();
    assert!(r.hits.is_empty());
    let r = h
        .search(&PQ {
            text: "duc".into(),
            birth_year: Some(1991),
            limit: 0,
        })
        .await
        .unwrap();
    assert!(r.hits.is_empty(), "birth year narrows");
    // Search operators in the query are only words.
    let r = h.search(&search("\" OR * NEAR(")).await.unwrap();
    assert!(r.hits.is_empty());

    // Optimistic concurrency.
    let mut edit = got.data.clone();
    edit.full_name = "Nguyễn Văn Đức Anh".into();
    let v2 = h.update(&created.id, 1, edit.clone()).await.unwrap();
    assert_eq!(v2.version, 2);
    let stale = h.update(&created.id, 1, edit).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let r = h.search(&search("duc anh")).await.unwrap();
    assert_eq!(r.hits.len(), 1, "the name index follows edits");

    // Bad input changes nothing.
    let mut bad = v2.data.clone();
    bad.full_name = "  ".into();
    assert!(matches!(
        h.update(&created.id, 2, bad).await,
        Err(StoreError::Validation(_))
    ));
    assert_eq!(h.get(&created.id).await.unwrap().version, 2);

    // Every read and write left its row.
    let rows = s
        .audit_query(&AuditFilter {
            object_id: Some(created.id.clone()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    // create, read, update, read (the refused edits changed nothing and wrote nothing).
    assert_eq!(rows.len(), 4);
    assert!(s.verify_audit().await.unwrap().broken.is_none());
});

contract!(persons_outside_scope_do_not_exist, async |s: &dyn Store| {
    let w = World::new(s).await;
    let head = w.head("head.tokyo", TOKYO).await;
    let tokyo = w.officer_under("tokyo1", TOKYO, &head).await;
    let tokyo2 = w.officer_under("tokyo2", TOKYO, &head).await;
    let seoul = w.officer("seoul1", SEOUL).await;
    let hq = w.hq("hq1").await;
    let police = w.police("mps1").await;
    let admin = w.admin("admin1").await;
    let h_tokyo = tokyo.persons();
    let p = h_tokyo
        .create(person("Lê Thị Hoa", "JP", TOKYO))
        .await
        .unwrap();

    for acc in [&seoul, &police, &admin] {
        let h = acc.persons();
        let before = acc.denied().await;
        assert!(matches!(h.get(&p.id).await, Err(StoreError::NotFound)));
        assert!(matches!(
            h.get("no-such-person").await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(h.export(&p.id).await, Err(StoreError::NotFound)));
        assert!(matches!(
            h.update(&p.id, 1, p.data.clone()).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(acc.denied().await, before + 4, "{}", acc.username);
        let found = h.search(&search("le thi hoa")).await;
        assert!(
            matches!(&found, Ok(r) if r.hits.is_empty())
                || matches!(found, Err(StoreError::Forbidden))
        );
    }
    // HQ sees it; the police never read a person (only referral snapshots, ADR 0019).
    let h_hq = hq.persons();
    assert!(h_hq.get(&p.id).await.is_ok());
    let h_police = police.persons();
    assert!(matches!(
        h_police.get(&p.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        h_police
            .search(&search("hoa"))
            .await
            .unwrap()
            .hits
            .is_empty()
    );
    assert!(matches!(
        h_police.update(&p.id, 1, p.data.clone()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        h_police.export(&p.id).await,
        Err(StoreError::NotFound)
    ));

    // Restricted: the creator is assigned; a colleague is not, and must break the glass.
    let mut victim = person("Phạm Thị Lan", "JP", TOKYO);
    victim.restricted = vec![R::Trafficking];
    let v = h_tokyo.create(victim).await.unwrap();
    assert!(h_tokyo.get(&v.id).await.is_ok());
    let h_tokyo2 = tokyo2.persons();
    assert!(matches!(
        h_tokyo2.get(&v.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        h_tokyo2
            .search(&search("pham thi lan"))
            .await
            .unwrap()
            .hits
            .is_empty()
    );
    assert!(matches!(h_hq.get(&v.id).await, Err(StoreError::NotFound)));
    assert!(h_tokyo2.can_break_glass(&v.id).await.unwrap());
    assert!(matches!(
        h_tokyo2.break_glass(&v.id, "urgent").await,
        Err(StoreError::Validation(_))
    ));
    h_tokyo2
        .break_glass(&v.id, "Victim in hospital, family must be reached tonight")
        .await
        .unwrap();
    let opened = h_tokyo2.get(&v.id).await.unwrap();
    assert!(opened.via_break_glass);
    let notes = w.accounts().notifications(&head.id, 10).await.unwrap();
    assert_eq!(notes.len(), 1, "the supervisor is told at once");
    assert_eq!(notes[0].object_id, v.id);
    // Break-glass never widens scope.
    let h_seoul = seoul.persons();
    assert!(matches!(
        h_seoul
            .break_glass(&v.id, "Victim in hospital, family must be reached tonight")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(!h_seoul.can_break_glass(&v.id).await.unwrap());
    // Roles without case access: search is refused outright.
    let h_admin = admin.persons();
    assert!(matches!(
        h_admin.search(&search("hoa")).await,
        Err(StoreError::Forbidden)
    ));
    assert!(matches!(
        h_admin.create(person("X Y", "JP", TOKYO)).await,
        Err(StoreError::Forbidden)
    ));
    // A mission officer cannot create a person in another mission's area.
    assert!(matches!(
        h_seoul.create(person("X Y", "JP", TOKYO)).await,
        Err(StoreError::Validation(_))
    ));
    assert!(s.verify_audit().await.unwrap().broken.is_none());
});

contract!(persons_import_in_batches, async |s: &dyn Store| {
    let w = World::new(s).await;
    let hq = w.hq("hq.import").await;
    let h = hq.persons();
    let families = ["Nguyễn", "Trần", "Lê", "Phạm", "Đặng"];
    let givens = ["An", "Bình", "Cường", "Dũng", "Đức", "Hoa", "Lan", "Mai"];
    let place = |i: usize| {
        if i.is_multiple_of(2) {
            ("JP", TOKYO)
        } else {
            ("KR", SEOUL)
        }
    };
    let inputs = |from: usize, n: usize| -> Vec<PersonInput> {
        (from..from + n)
            .map(|i| {
                let (country, mission) = place(i);
                let mut p = person(
                    &format!(
                        "{} Văn {}",
                        families[i % families.len()],
                        givens[i % givens.len()]
                    ),
                    country,
                    mission,
                );
                p.documents[0].number = format!("C{:07}", 1_000_000 + i);
                p
            })
            .collect()
    };
    let before = s.verify_audit().await.unwrap().rows;
    let mut ids = h.import(inputs(0, 200)).await.unwrap();
    ids.extend(h.import(inputs(200, 150)).await.unwrap());
    assert_eq!(ids.len(), 350);
    assert!(h.import(vec![]).await.unwrap().is_empty());

    // Exactly one `import` row per person, naming it, in the trail.
    let after = s.verify_audit().await.unwrap();
    assert!(after.broken.is_none());
    assert_eq!(after.rows, before + 350);
    let rows = s
        .audit_query(&AuditFilter {
            action: Some(AuditAction::Import),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 350);
    let mut named: Vec<_> = rows.iter().map(|r| r.entry.object_id.clone()).collect();
    named.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(named, want);

    // Searchable at once, folded, by the importer and (within its scope) by a mission.
    // Person i is families[i % 5] Văn givens[i % 8]: a name recurs every 40 persons.
    let r = h.search(&search_hundred("nguyen van an")).await.unwrap();
    assert_eq!(r.hits.len(), 9, "i ≡ 0 (mod 40): 0, 40, …, 320");
    assert!(r.hits.iter().all(|p| p.full_name == "Nguyễn Văn An"));
    assert!(r.hits.iter().any(|p| p.id == ids[0] && p.country == "JP"));
    let r = h.search(&search_hundred("DANG VAN DUC")).await.unwrap();
    assert_eq!(r.hits.len(), 9, "i ≡ 4 (mod 40)");
    assert!(r.hits.iter().all(|p| p.full_name == "Đặng Văn Đức"));
    let r = h.search(&search("C1000349")).await.unwrap();
    assert_eq!(r.hits.len(), 1, "document numbers are indexed too");
    assert_eq!(r.hits[0].id, ids[349]);
    let tokyo = w.officer("tokyo.import", TOKYO).await;
    let h_tokyo = tokyo.persons();
    let r = h_tokyo
        .search(&search_hundred("dang van duc"))
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 9, "i ≡ 4 (mod 40) is even: all in Tokyo");
    let r = h_tokyo.search(&search_hundred("van")).await.unwrap();
    assert!(r.hits.iter().all(|p| p.mission == TOKYO));

    // Encrypted and assigned exactly as `create` does.
    let got = h.get(&ids[7]).await.unwrap();
    assert_eq!(got.data.documents[0].number, "C1000007");
    assert_eq!(got.data.next_of_kin[0].phone, "+84 912 345 678");
    assert_eq!(got.created_by, hq.id);

    // One bad input refuses the whole batch, naming its index; nothing is written.
    let mut bad = inputs(400, 3);
    bad[1].full_name = "  ".into();
    let err = h.import(bad).await.unwrap_err();
    match err {
        StoreError::Validation(errs) => {
            assert!(errs.iter().any(|f| f.field == "[1].full_name"), "{errs:?}")
        }
        e => panic!("{e:?}"),
    }
    // Outside the importer's scope: refused, one denied row, nothing written.
    let before_denied = tokyo.denied().await;
    let err = h_tokyo.import(inputs(500, 4)).await.unwrap_err();
    assert!(matches!(err, StoreError::Validation(_)), "{err:?}");
    assert_eq!(tokyo.denied().await, before_denied + 1);
    // A role without case access: Forbidden and one denied row.
    let admin = w.admin("admin.import").await;
    let h_admin = admin.persons();
    assert!(matches!(
        h_admin.import(inputs(600, 2)).await,
        Err(StoreError::Forbidden)
    ));
    assert_eq!(admin.denied().await, 1);
    let end = s.verify_audit().await.unwrap();
    assert!(end.broken.is_none());
    // The refusals wrote their denied rows and the searches theirs; no person was added.
    let imported = s
        .audit_query(&AuditFilter {
            action: Some(AuditAction::Import),
            outcome: Some(AuditOutcome::Allowed),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(imported.len(), 350);
});
