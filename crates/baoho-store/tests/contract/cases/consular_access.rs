//! The consular access clock (arrest, notification, visits) and the country report.

use crate::support::*;
use baoho_domain::case::{AccessClock, Breach};
use baoho_store::{Store, StoreError};

/// Arrested `arrest` days ago; the mission notified and access asked for `notified` days ago,
/// granted `granted` days ago (counted back from `now`).
fn clock(
    now: chrono::DateTime<chrono::Utc>,
    arrest: i64,
    notified: i64,
    granted: i64,
) -> AccessClock {
    let days = |d: i64| Some(now - chrono::Duration::days(d));
    AccessClock {
        arrested_at: days(arrest),
        notified_at: days(notified),
        requested_at: days(notified),
        granted_at: days(granted),
        visits: vec![],
    }
}

contract!(
    consular_access_clock_and_country_report,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let officer = w.officer("tokyo1", TOKYO).await;
        let seoul = w.officer("seoul1", SEOUL).await;
        let now = now();
        let days = |d: i64| now - chrono::Duration::days(d);
        let c = officer.cases_at(now);
        let late = c.create(intake("arrest", vec![])).await.unwrap();
        let fine = c.create(intake("detention", vec![])).await.unwrap();
        let lost = c.create(intake("lost_documents", vec![])).await.unwrap();
        // Notified eight days after the arrest: late; the other within a day.
        let (late_clock, fine_clock) = (clock(now, 20, 12, 10), clock(now, 10, 9, 8));
        c.set_access_clock(&late.summary.id, &late_clock)
            .await
            .unwrap();
        c.set_access_clock(&fine.summary.id, &fine_clock)
            .await
            .unwrap();
        let visit = entry_of("consular_visit", "Visited");
        c.add_event(&fine.summary.id, visit).await.unwrap();
        // Out-of-order dates and the wrong type are refused.
        assert!(matches!(
            c.set_access_clock(
                &fine.summary.id,
                &AccessClock {
                    arrested_at: Some(days(1)),
                    notified_at: Some(days(2)),
                    ..Default::default()
                }
            )
            .await,
            Err(StoreError::Validation(_))
        ));
        assert!(matches!(
            c.set_access_clock(
                &lost.summary.id,
                &AccessClock {
                    arrested_at: Some(days(1)),
                    ..Default::default()
                }
            )
            .await,
            Err(StoreError::Validation(_))
        ));
        let clock = c
            .access_clock(&c.get(&late.summary.id).await.unwrap())
            .await
            .unwrap();
        assert_eq!(clock.breaches(now), vec![Breach::LateNotification(8)]);
        assert_eq!(
            c.access_clock(&c.get(&fine.summary.id).await.unwrap())
                .await
                .unwrap()
                .visits
                .len(),
            1
        );
        // Another mission cannot read or set the clock.
        let cs = seoul.cases_at(now);
        assert!(matches!(
            cs.get(&late.summary.id).await,
            Err(StoreError::NotFound)
        ));
        // A record opened by Tokyo does not open the clock for Seoul's handle either.
        let opened_by_tokyo = c.get(&late.summary.id).await.unwrap();
        assert!(matches!(
            cs.access_clock(&opened_by_tokyo).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            cs.set_access_clock(&late.summary.id, &AccessClock::default())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(cs.access_report().await.unwrap().is_empty());
        let report = c.access_report().await.unwrap();
        assert_eq!(report.len(), 1);
        assert_eq!(report[0].country, "JP");
        assert_eq!(report[0].cases, 2);
        assert_eq!(report[0].late_notifications, 1);
        assert_eq!(report[0].median_notification_days, Some(4.5));
        assert!((report[0].compliance() - 0.5).abs() < 1e-9);
    }
);
