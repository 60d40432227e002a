//! SQLite storage: one write connection, a small pool of readers, WAL mode.
//!
//! Every call runs on tokio's blocking pool (`spawn_blocking`), never on a runtime
//! thread. Writes run in one transaction each: a change and the webhook outbox rows it
//! causes commit together or not at all.

pub mod agents;
pub mod api_keys;
pub mod audit;
pub mod deliveries;
pub mod messages;
mod migrations;
pub mod orgs;
pub mod projects;
pub mod tasks;
pub mod users;
pub mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, Transaction};

use crate::error::ApiError;

/// How many read connections the pool keeps.
const READERS: usize = 4;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Opening the database file failed.
    #[error("opening database at {path}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored JSON column did not decode.
    #[error("stored json does not decode: {0}")]
    Json(#[from] serde_json::Error),
    /// The blocking task panicked or was cancelled.
    #[error("database task did not finish")]
    Join,
    /// A rule check inside the transaction refused the change (rolled back).
    #[error("{0}")]
    Api(ApiError),
}

impl From<ApiError> for DbError {
    fn from(err: ApiError) -> Self {
        Self::Api(err)
    }
}

/// A result of a storage call.
pub type DbResult<T> = Result<T, DbError>;

/// The hub's database.
#[derive(Clone, Debug)]
pub struct Db {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )
}

impl Db {
    /// Opens (creating if needed) `hub.sqlite3` in `data_dir` and applies migrations.
    ///
    /// # Errors
    /// [`DbError::Open`] when the file cannot be opened, or a migration error.
    pub fn open(data_dir: &Path) -> DbResult<Self> {
        let path = data_dir.join("hub.sqlite3");
        let open = |flags| {
            Connection::open_with_flags(&path, flags).map_err(|source| DbError::Open { path: path.clone(), source })
        };
        let mut writer =
            open(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        configure(&writer)?;
        migrations::apply(&mut writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = open(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            configure(&reader)?;
            readers.push(reader);
        }
        Ok(Self { inner: Arc::new(Inner { writer: Mutex::new(writer), readers: Mutex::new(readers), path }) })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one write transaction; commits on `Ok`, rolls back on `Err`.
    ///
    /// # Errors
    /// Whatever `f` returns, or a commit failure.
    pub async fn write<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> DbResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let tx = conn.transaction()?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
        .map_err(|_| DbError::Join)?
    }

    /// Runs `f` on a read connection (a consistent snapshot within `f`).
    ///
    /// # Errors
    /// Whatever `f` returns.
    pub async fn read<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => {
                    let conn = Connection::open_with_flags(
                        &inner.path,
                        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    configure(&conn)?;
                    conn
                }
            };
            let result = (|| {
                let tx = conn.unchecked_transaction()?;
                let value = f(&tx)?;
                tx.finish()?;
                Ok(value)
            })();
            let mut pool = inner.readers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if pool.len() < READERS {
                pool.push(conn);
            }
            result
        })
        .await
        .map_err(|_| DbError::Join)?
    }

    /// Runs `f` synchronously on the write connection (CLI commands, not request paths).
    ///
    /// # Errors
    /// Whatever `f` returns.
    pub fn write_blocking<T>(&self, f: impl FnOnce(&Transaction<'_>) -> DbResult<T>) -> DbResult<T> {
        let mut conn = self.inner.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = conn.transaction()?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// Encodes a value as a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> DbResult<String> {
    Ok(serde_json::to_string(value)?)
}

/// Decodes a JSON column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> DbResult<T> {
    Ok(serde_json::from_str(text)?)
}
