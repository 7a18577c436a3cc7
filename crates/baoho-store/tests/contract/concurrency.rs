//! Concurrent writers (issue #14, defect 6 and check 19): edits of one case with one version,
//! transfer requests of one case, and fifty clients appending to and editing ten cases. Each
//! story runs its clients as tasks of a multi-threaded runtime, each on its own connection of
//! the pool, released together by a barrier; on PostgreSQL they overlap inside the database
//! (before the row locks and version conditions of ADR 0014, two edits with one version both
//! succeeded there). Bounded work, no clock: the stories end when every client has done its
//! operations.

use crate::support::*;
use baoho_store::testing::TestDb;
use baoho_store::{Cases, StoreError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::Barrier;

/// Like `contract_db!`, on a multi-threaded runtime (the clients run in parallel), each
/// backend followed by `verify()`.
macro_rules! race {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = baoho_store::testing::fresh_sqlite().await;
                ($body)(&db).await;
                crate::support::verify(&db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) = baoho_store::testing::fresh_postgres().await else {
                    return;
                };
                ($body)(&db).await;
                crate::support::verify(&db).await;
            }
        }
    };
}

fn charge(v: &str) -> BTreeMap<String, String> {
    [("charge".to_owned(), v.to_owned())].into_iter().collect()
}

/// Run `f(i)` for each client `i` as its own task, all released at once; the results in
/// client order.
async fn together<T, F, Fut>(clients: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let start = Arc::new(Barrier::new(clients));
    let mut tasks = Vec::with_capacity(clients);
    for i in 0..clients {
        let work = f(i);
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            work.await
        }));
    }
    let mut out = Vec::with_capacity(clients);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

race!(two_edits_with_one_version_one_wins, async |db: &TestDb| {
    let w = World::new(db.store.as_ref()).await;
    let a = w.officer("tokyo1", TOKYO).await;
    let b = w.officer("tokyo2", TOKYO).await;
    let id = a
        .cases()
        .create(intake("arrest", vec![]))
        .await
        .unwrap()
        .summary
        .id;
    // Several rounds: each is one race, two officers saving the form they both opened.
    for round in 0..8 {
        let version = a.cases().get(&id).await.unwrap().version;
        let handles: Vec<Cases> = vec![a.cases(), b.cases()];
        let handles = Arc::new(handles);
        let results = together(2, |i| {
            let (h, id) = (handles.clone(), id.clone());
            async move {
                h[i].set_details(&id, version, &charge(&format!("round {round} by {i}")))
                    .await
            }
        })
        .await;
        let won: Vec<usize> = (0..2).filter(|i| results[*i].is_ok()).collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: exactly one edit wins: {results:?}"
        );
        let lost = 1 - won[0];
        assert!(
            matches!(results[lost], Err(StoreError::Conflict(_))),
            "round {round}: the other is told of the conflict: {results:?}"
        );
        let now = a.cases().get(&id).await.unwrap();
        assert_eq!(now.version, version + 1, "round {round}");
        assert_eq!(
            now.details.get("charge").map(String::as_str),
            Some(format!("round {round} by {}", won[0]).as_str()),
            "round {round}: the winner's value is the one kept"
        );
    }
});

race!(
    two_transfer_requests_leave_one_pending,
    async |db: &TestDb| {
        let w = World::new(db.store.as_ref()).await;
        let a = w.officer("tokyo1", TOKYO).await;
        let b = w.officer("tokyo2", TOKYO).await;
        let _seoul = w.officer("seoul1", SEOUL).await;
        for round in 0..6 {
            let id = a
                .cases()
                .create(intake("missing", vec![]))
                .await
                .unwrap()
                .summary
                .id;
            let handles = Arc::new(vec![a.cases(), b.cases()]);
            let results = together(2, |i| {
                let (h, id) = (handles.clone(), id.clone());
                let to = if i == 0 { SEOUL } else { BERLIN };
                async move {
                    h[i].request_transfer(&id, to, "The family says he moved on")
                        .await
                }
            })
            .await;
            let ok = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(ok, 1, "round {round}: one request is pending: {results:?}");
            assert!(
                results
                    .iter()
                    .any(|r| matches!(r, Err(StoreError::Conflict(_)))),
                "round {round}: the other is a conflict: {results:?}"
            );
            let c = a.cases();
            let case = c.get(&id).await.unwrap();
            let pending = c
                .transfers_of(&case)
                .await
                .unwrap()
                .into_iter()
                .filter(|t| t.status == "requested")
                .count();
            assert_eq!(pending, 1, "round {round}");
        }
        // The rule itself, whatever path inserts: a second pending transfer of a case is
        // refused by the database (migration 0017).
        let dup = raw(
            db,
            "INSERT INTO case_transfer (id, case_rid, from_mission, to_mission, reason, status, requested_by, created_at) \
             SELECT id || '-2', case_rid, from_mission, to_mission, reason, status, requested_by, created_at \
             FROM case_transfer WHERE status = 'requested'",
        )
        .await;
        assert!(dup.is_err(), "two pending transfers of one case: {dup:?}");
        w.deliver_all().await;
    }
);

/// Check 19: this many clients…
const CLIENTS: usize = 50;
/// …on this many cases…
const CASES: usize = 10;
/// …each doing this many rounds of (append, edit, stale edit).
const ROUNDS: usize = 3;

/// What one client saw acknowledged.
#[derive(Default, Debug)]
struct Acks {
    /// (case, body) of each acknowledged timeline entry.
    appends: Vec<(usize, String)>,
    /// (case, version it edited, value) of each edit that won.
    edits: Vec<(usize, i64, String)>,
    /// Edits refused as stale.
    conflicts: usize,
    /// Cases this client made itself lead of.
    assigned: Vec<usize>,
}

race!(
    fifty_clients_append_to_and_edit_ten_cases,
    async |db: &TestDb| {
        let w = World::new(db.store.as_ref()).await;
        let owner = w.officer("owner", TOKYO).await;
        let mut ids = Vec::new();
        for _ in 0..CASES {
            let c = owner
                .cases()
                .create(intake("arrest", vec![]))
                .await
                .unwrap();
            ids.push(c.summary.id);
        }
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            clients.push(w.officer(&format!("client{i:02}"), TOKYO).await);
        }
        let handles: Arc<Vec<Cases>> = Arc::new(clients.iter().map(|c| c.cases()).collect());
        let accounts: Vec<String> = clients.iter().map(|c| c.id.clone()).collect();
        let ids = Arc::new(ids);
        let acks = together(CLIENTS, |i| {
            let (h, ids) = (handles.clone(), ids.clone());
            let account = accounts[i].clone();
            async move {
                let me = &h[i];
                let mut acks = Acks::default();
                for round in 0..ROUNDS {
                    let k = (i + round * 7) % CASES;
                    let id = &ids[k];
                    // An append is never refused and never lost.
                    let body = format!("client {i} round {round}");
                    me.add_event(id, entry_of("note", &body)).await.unwrap();
                    acks.appends.push((k, body));
                    // An edit of the version just read: it wins, or someone else's came first.
                    let version = me.get(id).await.unwrap().version;
                    let value = format!("set by client {i} in round {round}");
                    match me.set_details(id, version, &charge(&value)).await {
                        Ok(()) => acks.edits.push((k, version, value)),
                        Err(StoreError::Conflict(_)) => acks.conflicts += 1,
                        Err(e) => panic!("client {i}: {e}"),
                    }
                    // The same version again is stale whatever happened: never a silent
                    // overwrite.
                    let again = me.set_details(id, version, &charge("stale")).await;
                    assert!(
                        matches!(again, Err(StoreError::Conflict(_))),
                        "client {i}: a stale version was accepted: {again:?}"
                    );
                    acks.conflicts += 1;
                }
                if i % 5 == 0 {
                    let k = i % CASES;
                    me.assign(&ids[k], &account).await.unwrap();
                    acks.assigned.push(k);
                }
                acks
            }
        })
        .await;
        let c = owner.cases();
        let mut leads: HashMap<usize, BTreeSet<String>> = HashMap::new();
        for (i, a) in acks.iter().enumerate() {
            for k in &a.assigned {
                leads.entry(*k).or_default().insert(accounts[i].clone());
            }
        }
        let conflicts: usize = acks.iter().map(|a| a.conflicts).sum();
        assert!(
            conflicts >= CLIENTS * ROUNDS,
            "every stale edit was refused"
        );
        for (k, id) in ids.iter().enumerate() {
            let case = c.get(id).await.unwrap();
            // Every acknowledged append is on its case's timeline exactly once.
            let notes: Vec<&str> = case
                .events
                .iter()
                .filter(|e| e.kind == "note")
                .map(|e| e.body.as_str())
                .collect();
            let mut expected: Vec<&str> = acks
                .iter()
                .flat_map(|a| a.appends.iter())
                .filter(|(kk, _)| *kk == k)
                .map(|(_, b)| b.as_str())
                .collect();
            let mut seen = notes.clone();
            seen.sort_unstable();
            expected.sort_unstable();
            assert_eq!(
                seen, expected,
                "case {k}: the timeline holds each append once"
            );
            // No two edits won on the same version (a lost update), and each is counted.
            let edits: Vec<&(usize, i64, String)> = acks
                .iter()
                .flat_map(|a| a.edits.iter())
                .filter(|(kk, ..)| *kk == k)
                .collect();
            let versions: BTreeSet<i64> = edits.iter().map(|(_, v, _)| *v).collect();
            assert_eq!(
                versions.len(),
                edits.len(),
                "case {k}: two edits of one version won"
            );
            let details_events = case.events.iter().filter(|e| e.kind == "details").count();
            assert_eq!(details_events, edits.len(), "case {k}");
            let assigns = leads.get(&k).map_or(0, BTreeSet::len);
            assert_eq!(
                case.version,
                1 + edits.len() as i64 + assigns as i64,
                "case {k}: each acknowledged change moved the version once"
            );
            // The value kept is the one written on the last version.
            if let Some(last) = edits.iter().max_by_key(|(_, v, _)| *v) {
                assert_eq!(case.details.get("charge"), Some(&last.2), "case {k}");
            }
            // Exactly one lead officer: a member, and one who took the lead (or the owner).
            let lead = case.summary.lead_officer.clone();
            let lead = lead.unwrap_or_else(|| panic!("case {k} has no lead officer"));
            assert!(
                case.members.contains(&lead),
                "case {k}: the lead is a member"
            );
            match leads.get(&k) {
                Some(who) => assert!(who.contains(&lead), "case {k}: lead {lead} never assigned"),
                None => assert_eq!(lead, owner.id, "case {k}"),
            }
        }
        w.deliver_all().await;
    }
);
