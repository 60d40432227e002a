//! The bridge's durable state in SQLite (WAL): received deliveries, the inbox of work,
//! poll cursors and registration facts.
//!
//! An event is acknowledged (webhook 202, poll cursor advanced) only after the
//! transaction that stores it has committed, and the cursor moves in that same
//! transaction, so a crash at any moment neither loses nor repeats an event. Each inbox
//! item remembers the agent's answer once it has one, so a crash after the agent call
//! never leads to a second call for the same message or task.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed.
    #[error("bridge state database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The state directory could not be created.
    #[error("creating state directory {path}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A stored payload did not decode.
    #[error("stored payload does not decode: {0}")]
    Json(#[from] serde_json::Error),
    /// The blocking task did not finish.
    #[error("state task did not finish")]
    Join,
}

/// What an inbox item is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// A message an agent should answer.
    Message,
    /// A task assigned to an agent.
    Task,
}

impl ItemKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Task => "task",
        }
    }
}

/// Work to store.
#[derive(Clone, Debug)]
pub struct NewItem {
    /// Dedup key, e.g. `message:<id>:<agent>`.
    pub key: String,
    /// The agent (lower-cased name).
    pub agent: String,
    /// Message or task.
    pub kind: ItemKind,
    /// The resource.
    pub payload: Value,
}

/// Work claimed for processing.
#[derive(Clone, Debug)]
pub struct Item {
    /// Dedup key.
    pub key: String,
    /// The agent.
    pub agent: String,
    /// Message or task.
    pub kind: ItemKind,
    /// The resource.
    pub payload: Value,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The agent's answer, once it has one.
    pub answer: Option<String>,
    /// Whether the answer is a question back (`input-required`).
    pub needs_input: bool,
    /// Progress through the item's steps (tasks: 1 = marked working and announced).
    pub step: i64,
}

/// One batch to store atomically.
#[derive(Clone, Debug, Default)]
pub struct Ingest {
    /// A webhook delivery id: a repeat makes the whole batch a no-op.
    pub delivery: Option<(String, String, Vec<u8>)>,
    /// New work (duplicates by key are ignored).
    pub items: Vec<NewItem>,
    /// Cursors to move in the same transaction.
    pub cursors: Vec<(String, String)>,
}

/// The result of an ingest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ingested {
    /// The delivery id was seen before; nothing was stored.
    pub duplicate: bool,
    /// New items stored.
    pub new_items: usize,
}

/// Inbox counts for metrics and health.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting or being processed.
    pub pending: u64,
    /// Finished.
    pub done: u64,
    /// Given up (reported to the channel).
    pub failed: u64,
}

/// The state database.
#[derive(Clone, Debug)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    ingest: std::sync::mpsc::SyncSender<(Ingest, tokio::sync::oneshot::Sender<Result<Ingested, StoreError>>)>,
}

/// Most ingests committed together in one transaction.
const GROUP_COMMIT_MAX: usize = 512;

const SCHEMA: &str = r"
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, event TEXT NOT NULL, body BLOB NOT NULL, received_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
    key TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_ms INTEGER NOT NULL,
    lease_ms INTEGER,
    answer TEXT,
    needs_input INTEGER NOT NULL DEFAULT 0,
    step INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_due ON inbox(state, agent, next_ms);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

type Pending = (Ingest, tokio::sync::oneshot::Sender<Result<Ingested, StoreError>>);

/// Applies one batch inside an open transaction.
fn apply(tx: &rusqlite::Transaction<'_>, batch: &Ingest, now: i64) -> Result<Ingested, StoreError> {
    if let Some((id, event, body)) = &batch.delivery {
        let fresh = tx
            .prepare_cached("INSERT OR IGNORE INTO deliveries (id, event, body, received_ms) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![id, event, body, now])?;
        if fresh == 0 {
            return Ok(Ingested { duplicate: true, new_items: 0 });
        }
    }
    let mut new_items = 0;
    for item in &batch.items {
        new_items += tx
            .prepare_cached("INSERT OR IGNORE INTO inbox (key, agent, kind, payload, next_ms, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)")?
            .execute(params![item.key, item.agent, item.kind.as_str(), serde_json::to_string(&item.payload)?, now])?;
    }
    for (name, value) in &batch.cursors {
        tx.prepare_cached(
            "INSERT INTO cursors (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![name, value])?;
    }
    Ok(Ingested { duplicate: false, new_items })
}

/// The group-commit writer: takes every batch waiting, commits them in one
/// transaction, then answers each. Exits when every `Store` clone is gone.
fn ingest_writer(mut conn: Connection, queue: &std::sync::mpsc::Receiver<Pending>) {
    while let Ok(first) = queue.recv() {
        let mut pending = vec![first];
        while pending.len() < GROUP_COMMIT_MAX {
            match queue.try_recv() {
                Ok(next) => pending.push(next),
                Err(_) => break,
            }
        }
        let now = now_ms();
        let outcome = (|| -> Result<Vec<Ingested>, StoreError> {
            let tx = conn.transaction()?;
            let mut results = Vec::with_capacity(pending.len());
            for (batch, _) in &pending {
                results.push(apply(&tx, batch, now)?);
            }
            tx.commit()?;
            Ok(results)
        })();
        match outcome {
            Ok(results) => {
                for ((_, reply), result) in pending.into_iter().zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            Err(err) => {
                tracing::error!(error = %err, batches = pending.len(), "ingest transaction failed; nothing of it was stored");
                for (_, reply) in pending {
                    let _ = reply.send(Err(StoreError::Join));
                }
            }
        }
    }
}

fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl Store {
    /// Opens `bridge.sqlite3` in `dir`, creating both as needed, and releases leases left
    /// by a previous process (none of its work can still be in flight).
    ///
    /// # Errors
    /// [`StoreError`] when the directory or database cannot be used.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir { path: dir.to_owned(), source })?;
        let conn = Connection::open(dir.join("bridge.sqlite3"))?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")?;
        conn.execute_batch(SCHEMA)?;
        conn.execute("UPDATE inbox SET lease_ms = NULL WHERE lease_ms IS NOT NULL", [])?;
        let writer = Connection::open(dir.join("bridge.sqlite3"))?;
        writer.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")?;
        let (ingest, queue) = std::sync::mpsc::sync_channel(4 * GROUP_COMMIT_MAX);
        std::thread::Builder::new()
            .name("bridge-ingest".into())
            .spawn(move || ingest_writer(writer, &queue))
            .map_err(|source| StoreError::Dir { path: dir.to_owned(), source })?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)), ingest })
    }

    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .map_err(|_| StoreError::Join)?
    }

    /// Stores a batch atomically; returns once it is committed.
    ///
    /// Concurrent calls are committed together by one writer thread (group commit): one
    /// transaction for many webhooks, each answered only after that transaction commits.
    ///
    /// # Errors
    /// [`StoreError`]; nothing of this batch is stored then.
    pub async fn ingest(&self, batch: Ingest) -> Result<Ingested, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        match self.ingest.try_send((batch, reply)) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(pending)) => {
                // A full queue blocks; wait for room off the async threads.
                let sender = self.ingest.clone();
                let sent = tokio::task::spawn_blocking(move || sender.send(pending).is_ok())
                    .await
                    .map_err(|_| StoreError::Join)?;
                if !sent {
                    return Err(StoreError::Join);
                }
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(StoreError::Join),
        }
        answer.await.map_err(|_| StoreError::Join)?
    }

    /// Reads a cursor.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn cursor(&self, name: &str) -> Result<Option<String>, StoreError> {
        let name = name.to_owned();
        self.call(move |conn| {
            Ok(conn.query_row("SELECT value FROM cursors WHERE name = ?1", [name], |r| r.get(0)).optional()?)
        })
        .await
    }

    /// Reads a remembered value.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.call(move |conn| {
            Ok(conn.query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        })
        .await
    }

    /// Remembers a value.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
        .await
    }

    /// Claims up to `limit` due items of an agent for `lease_ms`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn claim(&self, agent: &str, limit: usize, lease_ms: i64) -> Result<Vec<Item>, StoreError> {
        let agent = agent.to_owned();
        self.call(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let items = {
                let mut stmt = tx.prepare_cached(
                    "SELECT key, agent, kind, payload, attempts, answer, needs_input, step FROM inbox
                     WHERE state = 'pending' AND agent = ?1 AND next_ms <= ?2 AND (lease_ms IS NULL OR lease_ms <= ?2)
                     ORDER BY rowid LIMIT ?3",
                )?;
                let rows = stmt.query_map(params![agent, now, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, u32>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, bool>(6)?,
                        r.get::<_, i64>(7)?,
                    ))
                })?;
                let mut items = Vec::new();
                for row in rows {
                    let (key, agent, kind, payload, attempts, answer, needs_input, step) = row?;
                    let kind = if kind == "task" { ItemKind::Task } else { ItemKind::Message };
                    items.push(Item {
                        key,
                        agent,
                        kind,
                        payload: serde_json::from_str(&payload)?,
                        attempts,
                        answer,
                        needs_input,
                        step,
                    });
                }
                items
            };
            for item in &items {
                tx.execute("UPDATE inbox SET lease_ms = ?2 WHERE key = ?1", params![item.key, now + lease_ms])?;
            }
            tx.commit()?;
            Ok(items)
        })
        .await
    }

    /// When the next item of an agent is due (Unix ms).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn next_due(&self, agent: &str) -> Result<Option<i64>, StoreError> {
        let agent = agent.to_owned();
        self.call(move |conn| {
            Ok(conn.query_row(
                "SELECT MIN(MAX(next_ms, COALESCE(lease_ms, 0))) FROM inbox WHERE state = 'pending' AND agent = ?1",
                [agent],
                |r| r.get(0),
            )?)
        })
        .await
    }

    /// Records the agent's answer (before it is posted anywhere).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn save_answer(&self, key: &str, answer: &str, needs_input: bool) -> Result<(), StoreError> {
        let (key, answer) = (key.to_owned(), answer.to_owned());
        self.call(move |conn| {
            conn.execute(
                "UPDATE inbox SET answer = ?2, needs_input = ?3, updated_ms = ?4 WHERE key = ?1",
                params![key, answer, needs_input, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    /// Records progress through an item's steps.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn set_step(&self, key: &str, step: i64) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.call(move |conn| {
            conn.execute("UPDATE inbox SET step = ?2, updated_ms = ?3 WHERE key = ?1", params![key, step, now_ms()])?;
            Ok(())
        })
        .await
    }

    /// Finishes an item (`done` or `failed`).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn finish(&self, key: &str, failed: bool, error: Option<&str>) -> Result<(), StoreError> {
        let (key, error) = (key.to_owned(), error.map(str::to_owned));
        self.call(move |conn| {
            conn.execute(
                "UPDATE inbox SET state = ?2, last_error = ?3, lease_ms = NULL, updated_ms = ?4 WHERE key = ?1",
                params![key, if failed { "failed" } else { "done" }, error, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    /// Schedules another attempt.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn retry_at(&self, key: &str, at_ms: i64, error: &str) -> Result<(), StoreError> {
        let (key, error) = (key.to_owned(), error.to_owned());
        self.call(move |conn| {
            conn.execute(
                "UPDATE inbox SET attempts = attempts + 1, next_ms = ?2, lease_ms = NULL, last_error = ?3, updated_ms = ?4 WHERE key = ?1",
                params![key, at_ms, error, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    /// Counts inbox items by state.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        self.call(|conn| {
            let mut counts = Counts::default();
            let mut stmt = conn.prepare_cached("SELECT state, COUNT(*) FROM inbox GROUP BY state")?;
            for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))? {
                let (state, n) = row?;
                match state.as_str() {
                    "pending" => counts.pending = n,
                    "done" => counts.done = n,
                    _ => counts.failed += n,
                }
            }
            Ok(counts)
        })
        .await
    }
}
