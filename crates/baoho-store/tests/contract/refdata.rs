//! Reference data and the database settings: migrations, durability, countries, provinces,
//! missions and their jurisdictions.

use baoho_store::{Backend, DatabaseUrl, OpenMode, RefData, Store, StoreError};

contract!(ping_and_migrate_twice, async |s: &dyn Store| {
    s.ping().await.unwrap();
    // Migrations are idempotent: running them again changes nothing.
    s.migrate().await.unwrap();
    s.ping().await.unwrap();
});

contract!(durability_settings, async |s: &dyn Store| {
    let d = s.durability().await.unwrap();
    match s.backend() {
        Backend::Sqlite => {
            assert_eq!(d.journal, "wal");
            assert_eq!(
                d.synchronous, "1+wal-fsync",
                "commits must wait for an fsync of the WAL"
            );
            assert_eq!(d.foreign_keys, "1");
        }
        Backend::Postgres => {
            assert_eq!(d.synchronous, "on");
        }
    }
});

contract!(reference_data_loads_once, async |s: &dyn Store| {
    let data = RefData::embedded();
    let first = s.load_reference_data(&data).await.unwrap();
    assert_eq!(first.countries as usize, data.countries.len());
    assert_eq!(first.provinces as usize, data.provinces.len());
    assert_eq!(first.missions as usize, data.missions.len());
    assert_eq!(first.languages as usize, data.languages.len());
    let again = s.load_reference_data(&data).await.unwrap();
    assert_eq!(again, Default::default(), "a second load inserts nothing");
    assert_eq!(s.countries().await.unwrap().len(), data.countries.len());
    assert_eq!(s.provinces().await.unwrap().len(), data.provinces.len());
    assert_eq!(s.languages().await.unwrap().len(), data.languages.len());
    let missions = s.missions().await.unwrap();
    assert_eq!(missions.len(), data.missions.len());
    let mut want: Vec<_> = data.missions.clone();
    want.sort_by(|a, b| a.code.cmp(&b.code));
    let mut got = missions.clone();
    got.sort_by(|a, b| a.code.cmp(&b.code));
    for (g, w) in got.iter().zip(&want) {
        let mut wj = w.jurisdiction.clone();
        wj.sort();
        assert_eq!((&g.code, &g.jurisdiction), (&w.code, &wj));
    }
});

contract!(provinces_keep_the_merger, async |s: &dyn Store| {
    s.load_reference_data(&RefData::embedded()).await.unwrap();
    let provinces = s.provinces().await.unwrap();
    let new: Vec<_> = provinces.iter().filter(|p| p.era == "2025").collect();
    let old: Vec<_> = provinces.iter().filter(|p| p.era == "pre2025").collect();
    assert_eq!(new.len(), 34);
    assert_eq!(old.len(), 63);
    for o in old {
        let target = o
            .merged_into
            .as_deref()
            .expect("old province has a successor");
        assert!(
            new.iter().any(|n| n.code == target),
            "{} → {target}",
            o.code
        );
    }
});

contract!(
    administrator_edits_survive_restart,
    async |s: &dyn Store| {
        let data = RefData::embedded();
        s.load_reference_data(&data).await.unwrap();
        let Some(first) = data.missions.first() else {
            return;
        };
        let mut m = s.mission(&first.code).await.unwrap();
        m.area = "Edited by an administrator — đã sửa".into();
        m.jurisdiction = vec![m.country.clone()];
        s.update_mission(&m).await.unwrap();
        s.load_reference_data(&data).await.unwrap();
        let back = s.mission(&first.code).await.unwrap();
        assert_eq!(back, m);
    }
);

contract!(
    unknown_and_invalid_are_typed_errors,
    async |s: &dyn Store| {
        s.load_reference_data(&RefData::embedded()).await.unwrap();
        assert!(matches!(
            s.mission("NO-SUCH-MISSION").await,
            Err(StoreError::NotFound)
        ));
        let mut ghost = baoho_store::Mission {
            code: "NO-SUCH".into(),
            kind: "embassy".into(),
            name_vi: "x".into(),
            name_en: "x".into(),
            city: "x".into(),
            country: "VN".into(),
            area: String::new(),
            active: true,
            jurisdiction: vec![],
        };
        assert!(matches!(
            s.update_mission(&ghost).await,
            Err(StoreError::NotFound)
        ));
        // A mission pointing at a country that does not exist is refused by the foreign key.
        if let Some(first) = s.missions().await.unwrap().first() {
            ghost = first.clone();
            ghost.jurisdiction = vec!["QQ".into()];
            let r = s.update_mission(&ghost).await;
            assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
            // …and changes nothing.
            assert_eq!(&s.mission(&first.code).await.unwrap(), first);
        }
    }
);

#[tokio::test]
async fn a_missing_sqlite_file_is_not_created_by_serve() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
    let r = baoho_store::open(&url, OpenMode::MustExist).await;
    assert!(matches!(r, Err(StoreError::DatabaseMissing(_))));
    assert!(!path.exists(), "no empty database was created");
}
