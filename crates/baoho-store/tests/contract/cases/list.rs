//! Case lists and counts: open cases by type and age, the order of an unfiltered list.

use crate::support::*;
use baoho_domain::case::Status;
use baoho_store::{CaseFilter, Store};

contract!(open_cases_by_type_mission_and_age, async |s: &dyn Store| {
    let w = World::new(s).await;
    let tokyo = w.officer("tokyo1", TOKYO).await;
    let hq = w.hq("hq1").await;
    let now = now();
    for (ty, days_ago) in [
        ("arrest", 0),
        ("arrest", 3),
        ("arrest", 40),
        ("illness", 10),
    ] {
        tokyo
            .cases_at(now - chrono::Duration::days(days_ago))
            .create(intake(ty, vec![]))
            .await
            .unwrap();
    }
    let counts = hq.cases_at(now).open_counts().await.unwrap();
    let arrest = counts.iter().find(|c| c.case_type == "arrest").unwrap();
    assert_eq!(
        (
            arrest.under_1_day,
            arrest.under_7_days,
            arrest.under_30_days,
            arrest.older
        ),
        (1, 1, 0, 1)
    );
    assert_eq!(arrest.total(), 3);
    assert_eq!(
        arrest.overdue, 2,
        "the 3- and 40-day-old urgent arrests are past their 24 h"
    );
    assert_eq!(counts.iter().map(|c| c.total()).sum::<i64>(), 4);
});

contract!(
    an_unfiltered_list_puts_open_cases_before_settled_ones,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let officer = w.officer("tokyo.order", TOKYO).await;
        let t0 = now();
        // Five cases opened an hour apart: the older, the nearer its deadline.
        let mut ids = Vec::new();
        for h in (1..=5).rev() {
            let c = officer.cases_at(t0 - chrono::Duration::hours(h));
            let case = c.create(intake("accident", vec![])).await.unwrap();
            ids.push(case.summary.id);
        }
        // The two oldest (nearest deadlines) are resolved.
        let c = officer.cases_at(t0);
        for id in &ids[..2] {
            resolve(&c, id).await;
        }
        let want = [&ids[2], &ids[3], &ids[4], &ids[0], &ids[1]];
        // One page: the open cases by deadline, then the settled ones.
        let all = c.list(&CaseFilter::default()).await.unwrap();
        let got: Vec<&String> = all.cases.iter().map(|k| &k.id).collect();
        assert_eq!(got, want);
        assert_eq!(all.total, 5);
        // Pages of two cross from the open part to the settled part without a gap or a repeat.
        let mut paged = Vec::new();
        for offset in [0, 2, 4] {
            let p = c
                .list(&CaseFilter {
                    limit: 2,
                    offset,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(p.total, 5, "offset {offset}");
            paged.extend(p.cases.into_iter().map(|k| k.id));
        }
        assert_eq!(paged.iter().collect::<Vec<_>>(), want);
        // A status asked for keeps the plain deadline order.
        let resolved = c
            .list(&CaseFilter {
                status: Some(Status::Resolved),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            resolved.cases.iter().map(|k| &k.id).collect::<Vec<_>>(),
            [&ids[0], &ids[1]]
        );
    }
);
