//! Test support: a fresh store on each backend.
//!
//! `test_stores()` gives a SQLite store in a temporary folder and a PostgreSQL store in a
//! fresh database (dropped when the [`TestStore`] is dropped). PostgreSQL is found at
//! `VX_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`). When it cannot be
//! reached, the run fails if `CI` or `VX_REQUIRE_POSTGRES` is set, and otherwise prints how
//! to point the tests at a server and runs SQLite only.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Backend, Store};

pub struct TestStore {
    pub store: Store,
    /// The URL of this store, for a server or CLI started by the test.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Database { admin_url: String, name: String },
}

impl TestStore {
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Cleanup::Database { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Dropping may happen inside a runtime: do the async work on a thread of its own.
            // FORCE ends the connections the test's pool still holds.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                let _ = rt.block_on(crate::admin::drop_postgres_database(&admin_url, &name));
            })
            .join();
        }
    }
}

fn postgres_url() -> String {
    std::env::var("VX_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

fn postgres_required() -> bool {
    ["CI", "VX_REQUIRE_POSTGRES"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.is_empty() && s != "0" && s != "false"))
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A migrated SQLite store in a temporary folder.
pub async fn sqlite_store() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.sqlite").display());
    let store = Store::connect(&url).await.expect("open SQLite");
    store.migrate().await.expect("migrate SQLite");
    TestStore {
        store,
        url,
        cleanup: Cleanup::Dir(dir),
    }
}

/// A migrated PostgreSQL store in a fresh database, or `None` where PostgreSQL is not
/// reachable and not required.
pub async fn postgres_store() -> Option<TestStore> {
    let admin_url = postgres_url();
    let name = format!(
        "vx_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros() % 1_000_000
    );
    let url = match crate::admin::create_postgres_database(&admin_url, &name).await {
        Ok(url) => url,
        Err(e) if !postgres_required() => {
            eprintln!(
                "PostgreSQL not reachable ({e}); running SQLite only. Point the tests at a server with \
                 VX_TEST_POSTGRES=postgres://USER@HOST:PORT/DB (set CI=1 or VX_REQUIRE_POSTGRES=1 to make this an error)."
            );
            return None;
        }
        Err(e) => {
            panic!("PostgreSQL is required for this test run (CI/VX_REQUIRE_POSTGRES set) but: {e}")
        }
    };
    let store = Store::connect(&url).await.expect("open test database");
    store.migrate().await.expect("migrate PostgreSQL");
    Some(TestStore {
        store,
        url,
        cleanup: Cleanup::Database { admin_url, name },
    })
}

/// One fresh store per available backend: SQLite always, PostgreSQL when reachable.
pub async fn test_stores() -> Vec<TestStore> {
    let mut out = vec![sqlite_store().await];
    out.extend(postgres_store().await);
    out
}

/// A fresh database on a PostgreSQL primary that has a streaming replica (the pair of
/// `scripts/pg-replica`, named by `VX_TEST_PG_PRIMARY` and `VX_TEST_PG_REPLICA`): the
/// migrated primary store, and the URL of the same database on the replica, which is
/// readable when this returns.
pub struct ReplicaPair {
    pub primary: TestStore,
    pub replica_url: String,
}

/// `None` where no pair is named and none is required (CI or `VX_REQUIRE_POSTGRES` makes its
/// absence an error: `scripts/test` starts one).
pub async fn replica_pair() -> Option<ReplicaPair> {
    let (primary_admin, replica_admin) = match (
        std::env::var("VX_TEST_PG_PRIMARY"),
        std::env::var("VX_TEST_PG_REPLICA"),
    ) {
        (Ok(p), Ok(r)) => (p, r),
        _ if postgres_required() => panic!(
            "a PostgreSQL primary with a replica is required for this test run (CI/VX_REQUIRE_POSTGRES set): \
             run it through scripts/test, or start one with scripts/pg-replica start and export what it prints"
        ),
        _ => {
            eprintln!("no replica pair (VX_TEST_PG_PRIMARY, VX_TEST_PG_REPLICA): skipped; scripts/pg-replica start makes one");
            return None;
        }
    };
    let name = format!(
        "vx_replica_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros() % 1_000_000
    );
    let url = crate::admin::create_postgres_database(&primary_admin, &name)
        .await
        .expect("create a database on the replica pair's primary");
    let store = Store::connect(&url).await.expect("open the primary");
    store.migrate().await.expect("migrate the primary");
    let mut replica_url = url::Url::parse(&replica_admin).expect("VX_TEST_PG_REPLICA is a URL");
    replica_url.set_path(&name);
    let replica_url = replica_url.to_string();
    // The new database and its migrations reach the standby within the replication lag.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(replica) = Store::connect(&replica_url).await {
            let ready = replica.data_version().await.is_ok();
            replica.close().await;
            if ready {
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the replica did not show database {name} within 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Some(ReplicaPair {
        primary: TestStore {
            store,
            url,
            cleanup: Cleanup::Database {
                admin_url: primary_admin,
                name,
            },
        },
        replica_url,
    })
}
