//! Transfers between missions: accepted from the receiving mission's queue.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends};

both_backends!(
    a_transfer_is_accepted_from_the_receiving_queue,
    async |app: &TestApp| {
        app.with_staff(&[officer("off.kr", SEOUL)]).await;
        let tokyo = app.join(officer("off.tk", TOKYO)).await;
        let case = tokyo
            .open_case(&case_of("missing", TOKYO, "Lost contact with family").by_hotline())
            .await
            .unwrap();
        let transfer = tokyo
            .transfer(&case, SEOUL, "Last seen boarding a ferry to Busan")
            .await
            .unwrap();
        let seoul = app.login("off.kr").await;
        // Not theirs yet.
        seoul.case(&case).await.refused(404);
        let q = seoul.page("/cases").await;
        assert!(q.contains("q-transfers") && q.contains("Last seen boarding a ferry"));
        seoul.accept_transfer(&transfer).await.unwrap();
        assert_eq!(seoul.case(&case).await.unwrap().mission, SEOUL);
        let page = tokyo.page(&format!("/cases/{}", case.id)).await;
        assert!(page.contains("id=\"transfers\"") && page.contains("EMB-KR-SEOUL"));
    }
);
