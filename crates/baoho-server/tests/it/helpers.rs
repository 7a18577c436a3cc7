use baoho_server::{AppState, Config};
use baoho_store::RefData;
use baoho_store::testing::{TestDb, fresh_postgres, fresh_sqlite};
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// A running server on a random port with its own fresh database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: TestDb,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Stop gracefully and wait for the server to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("join").expect("server ended cleanly");
        }
    }
}

pub async fn start(db: TestDb) -> TestApp {
    db.store
        .load_reference_data(&RefData::embedded())
        .await
        .expect("reference data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = Config {
        listen: addr,
        database: db.url.expose().to_owned(),
        ..Config::default()
    };
    let state = AppState::new(db.store.clone(), config);
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(baoho_server::launch(listener, state, async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        addr,
        client,
        db,
        stop: Some(tx),
        handle: Some(handle),
    }
}

pub async fn spawn_sqlite() -> TestApp {
    start(fresh_sqlite().await).await
}

/// None when PostgreSQL is not configured (and not required).
pub async fn spawn_postgres() -> Option<TestApp> {
    Some(start(fresh_postgres().await?).await)
}

/// Run the same story on both backends.
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let app = $crate::helpers::spawn_sqlite().await;
                ($body)(&app).await;
                app.stop().await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(app) = $crate::helpers::spawn_postgres().await else {
                    return;
                };
                eprintln!("{} on postgres", stringify!($name));
                ($body)(&app).await;
                app.stop().await;
            }
        }
    };
}
pub(crate) use both_backends;
