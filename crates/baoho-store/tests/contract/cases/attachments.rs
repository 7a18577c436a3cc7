//! Attachments: sealed in the object store, limited by type and size, scoped to the case.

use crate::support::*;
use baoho_store::{Store, StoreError};
use object_store::ObjectStoreExt;

contract!(
    attachments_are_encrypted_limited_and_scoped,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let tokyo = w.officer("tokyo1", TOKYO).await;
        let seoul = w.officer("seoul1", SEOUL).await;
        let objects = object_store::memory::InMemory::new();
        let t = tokyo.cases();
        let case = t.create(intake("lost_documents", vec![])).await.unwrap();
        let pdf = b"%PDF-1.7 police report of Nguyen Van Mat, passport C7654321".to_vec();
        let a = t
            .attach(
                &objects,
                &case.summary.id,
                "Biên bản Nguyễn Văn Mất.pdf",
                &pdf,
            )
            .await
            .unwrap();
        assert_eq!(a.content_type, "application/pdf");
        // Stored sealed: neither the bytes nor the name are readable in the object store.
        let raw = objects
            .get(&sealed_at(&case.summary.id, &a.id))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let raw = String::from_utf8_lossy(&raw);
        assert!(
            !raw.contains("C7654321")
                && !raw.contains("Nguyen Van Mat")
                && !raw.contains("Biên bản")
        );
        let (meta, bytes) = t.download(&objects, &case.summary.id, &a.id).await.unwrap();
        assert_eq!(bytes, pdf);
        assert_eq!(meta.file_name, "Biên bản Nguyễn Văn Mất.pdf");
        assert_eq!(
            t.attachments(&t.get(&case.summary.id).await.unwrap())
                .await
                .unwrap()
                .len(),
            1
        );
        // Types by content, sizes limited; other missions see nothing.
        assert!(matches!(
            t.attach(
                &objects,
                &case.summary.id,
                "x.zip",
                b"PK\x03\x04\x00\x00binary"
            )
            .await,
            Err(StoreError::Validation(_))
        ));
        assert!(matches!(
            t.attach(
                &objects,
                &case.summary.id,
                "big.txt",
                &vec![b'a'; baoho_store::cases::attachments::MAX_BYTES + 1]
            )
            .await,
            Err(StoreError::Validation(_))
        ));
        let k = seoul.cases();
        assert!(matches!(
            k.download(&objects, &case.summary.id, &a.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            k.attach(&objects, &case.summary.id, "y.txt", b"hello")
                .await,
            Err(StoreError::NotFound)
        ));
    }
);
