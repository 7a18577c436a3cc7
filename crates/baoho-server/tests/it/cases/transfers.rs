//! Transfers between missions: accepted from the receiving mission's queue.

use crate::support::{TestApp, both_backends};
use baoho_domain::access::Role;
use serde_json::{Value, json};

both_backends!(
    a_transfer_is_accepted_from_the_receiving_queue,
    async |app: &TestApp| {
        app.account("off.tk", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.kr", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        let tokyo = app.login("off.tk").await;
        let case: Value = tokyo
        .post_json("/api/v1/cases", &json!({"case_type": "missing", "priority": "high", "channel": "hotline", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Lost contact with family"}))
        .await
        .json()
        .await
        .unwrap();
        let id = case["id"].as_str().unwrap();
        let r = tokyo.post_json(&format!("/api/v1/cases/{id}/transfers"), &json!({"to_mission": "EMB-KR-SEOUL", "reason": "Last seen boarding a ferry to Busan"})).await;
        assert_eq!(r.status(), 201);
        let tid = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let seoul = app.login("off.kr").await;
        assert_eq!(
            seoul.get(&format!("/api/v1/cases/{id}")).await.status(),
            404,
            "not theirs yet"
        );
        let q = seoul.get("/cases").await.text().await.unwrap();
        assert!(q.contains("q-transfers") && q.contains("Last seen boarding a ferry"));
        assert_eq!(
            seoul
                .post_form(&format!("/transfers/{tid}/accept"), &[])
                .await
                .status(),
            303
        );
        let v: Value = seoul
            .get(&format!("/api/v1/cases/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["mission"], "EMB-KR-SEOUL");
        let page = tokyo
            .get(&format!("/cases/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"transfers\"") && page.contains("EMB-KR-SEOUL"));
    }
);
