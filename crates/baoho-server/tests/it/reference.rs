//! Reference data: countries, provinces, missions over the API and the missions page, found
//! without diacritics.

use crate::support::{TestApp, both_backends};
use serde_json::Value;

both_backends!(reference_data_over_the_api, async |app: &TestApp| {
    let countries: Vec<Value> = app.read("/api/v1/countries").await;
    assert!(countries.len() >= 240);
    let vn = countries.iter().find(|c| c["alpha2"] == "VN").unwrap();
    assert_eq!(vn["name_vi"], "Việt Nam");

    // Missions responsible for Cambodia: the embassy and the consulates general.
    let kh: Vec<Value> = app.read("/api/v1/missions?country=kh").await;
    assert!(kh.iter().any(|m| m["kind"] == "embassy"), "{kh:?}");
    let code = kh[0]["code"].as_str().unwrap().to_owned();
    let one: Value = app.read(&format!("/api/v1/missions/{code}")).await;
    assert_eq!(one["code"], code);

    // Provinces: 34 new, 63 old, and an old one knows where it went.
    let new: Vec<Value> = app.read("/api/v1/provinces?era=2025").await;
    assert_eq!(new.len(), 34);
    let old: Vec<Value> = app.read("/api/v1/provinces?era=pre2025").await;
    assert_eq!(old.len(), 63);
    let quang_nam: Vec<Value> = app
        .read("/api/v1/provinces?era=pre2025&q=QUANG%20NAM")
        .await;
    assert_eq!(quang_nam.len(), 1, "{quang_nam:?}");
    let target = quang_nam[0]["merged_into"].as_str().unwrap();
    let da_nang = new.iter().find(|p| p["code"] == target).unwrap();
    assert!(da_nang["name_vi"].as_str().unwrap().contains("Đà Nẵng"));
});

both_backends!(
    search_folds_diacritics_and_nfd_input,
    async |app: &TestApp| {
        use unicode_normalization::UnicodeNormalization;
        let plain: Vec<Value> = app.read("/api/v1/provinces?q=ha%20noi").await;
        assert!(
            plain
                .iter()
                .any(|p| p["name_vi"].as_str().unwrap().contains("Hà Nội")),
            "{plain:?}"
        );
        let nfd: String = "Hà Nội".nfd().collect();
        let q = serde_urlencoded::to_string([("q", nfd.as_str())]).unwrap();
        let decomposed: Vec<Value> = app.read(&format!("/api/v1/provinces?{q}")).await;
        assert_eq!(plain, decomposed, "NFD input finds the same as plain input");
    }
);

both_backends!(
    unknown_mission_is_a_problem_document,
    async |app: &TestApp| {
        let r = app.get("/api/v1/missions/NO-SUCH").await;
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let rid = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], 404);
        assert_eq!(v["type"], "urn:baoho:problem:not-found");
        assert_eq!(v["instance"], "/api/v1/missions/NO-SUCH");
        assert_eq!(v["request_id"], rid);
    }
);
both_backends!(
    missions_page_searches_without_diacritics,
    async |app: &TestApp| {
        let r = app.get("/missions?q=nhat%20ban").await;
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(body.contains("Nhật Bản"), "the Japan missions are listed");
        assert!(!body.contains("Campuchia"), "Cambodia's are not");
    }
);
