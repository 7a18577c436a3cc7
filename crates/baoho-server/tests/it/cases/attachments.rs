//! Attachments: upload, download, and scope.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends};

both_backends!(
    attachments_upload_download_and_stay_in_scope,
    async |app: &TestApp| {
        app.with_staff(&[officer("off.b", SEOUL)]).await;
        let a = app.join(officer("off.a", TOKYO)).await;
        let case = a
            .open_case(&case_of("lost_documents", TOKYO, "Passport stolen").normal())
            .await
            .unwrap();
        let id = case.id.as_str();
        // The case page's upload form (multipart, its CSRF token in the query).
        let upload = |csrf: Option<String>, bytes: Vec<u8>| {
            let url = match &csrf {
                Some(t) => app.url(&format!("/cases/{id}/attachments?csrf={t}")),
                None => app.url(&format!("/cases/{id}/attachments")),
            };
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("biên bản.txt"),
            );
            app.client
                .post(url)
                .header("cookie", &a.cookie)
                .multipart(form)
                .send()
        };
        assert_eq!(
            upload(None, b"report".to_vec()).await.unwrap().status(),
            403,
            "CSRF token required"
        );
        assert_eq!(
            upload(Some(a.csrf.clone()), vec![0u8, 1, 2, 255])
                .await
                .unwrap()
                .status(),
            422,
            "binary of unknown type"
        );
        assert_eq!(
            upload(
                Some(a.csrf.clone()),
                "Biên bản mất hộ chiếu".as_bytes().to_vec()
            )
            .await
            .unwrap()
            .status(),
            303
        );
        let page = a.page(&format!("/cases/{id}")).await;
        let href = page
            .split(&format!("/cases/{id}/attachments/"))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let got = a.get(&format!("/cases/{id}/attachments/{href}")).await;
        assert_eq!(got.status(), 200);
        assert_eq!(got.text().await.unwrap(), "Biên bản mất hộ chiếu");
        let b = app.login("off.b").await;
        assert_eq!(
            b.get(&format!("/cases/{id}/attachments/{href}"))
                .await
                .status(),
            404
        );
    }
);
