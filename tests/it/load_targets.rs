//! The targets the load conformance suite runs on: SQLite always, SQL
//! Server when `MSSQL_URL` is set (an ADO.NET string of a login that may
//! create tables, with `password=` or DB_PASSWORD set); each read back with
//! its own client, every value as text.

use std::process::{Child, Command, Stdio};

use rusqlite::Connection;

use super::load_fixture::Fixture;
use crate::util;

/// A database a conformance case loads into.
pub(crate) enum Db {
    Sqlite(String),
    SqlServer { url: String, table: String },
}

impl Db {
    /// SQLite in `f`; SQL Server too when `MSSQL_URL` is set (else says it
    /// is skipped).
    pub fn all(f: &Fixture) -> Vec<Db> {
        let mut all = vec![Db::Sqlite(f.target())];
        match std::env::var("MSSQL_URL").ok().filter(|u| !u.is_empty()) {
            Some(url) => {
                let table = format!(
                    "dbo.tiktok_shop_orders_it_{}_{}",
                    std::process::id(),
                    unique()
                );
                all.push(Db::SqlServer { url, table });
            }
            None => println!("SQL Server: skipped: MSSQL_URL not set"),
        }
        all
    }

    pub fn name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "SQLite",
            Db::SqlServer { .. } => "SQL Server",
        }
    }

    /// A load command of `run` in `mode` into this database.
    pub fn load(&self, f: &Fixture, run: &str, mode: &str) -> Command {
        let mut cmd = util::command("load");
        cmd.args([
            "--store",
            f.store.to_str().unwrap(),
            "--run-id",
            run,
            "--load-mode",
            mode,
        ]);
        match self {
            Db::Sqlite(target) => {
                cmd.args(["--target", &format!("{target}?busy_timeout_ms=120000")]);
            }
            Db::SqlServer { url, table } => {
                cmd.args(["--target", url, "--table", table, "--create-table"]);
                if let Ok(password) = std::env::var("DB_PASSWORD") {
                    cmd.env("DB_PASSWORD", password);
                }
            }
        }
        cmd
    }

    /// Starts a load in the background.
    pub fn spawn(&self, f: &Fixture, run: &str, mode: &str) -> Child {
        self.load(f, run, mode)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the load binary starts")
    }

    /// `SELECT`s of `columns` from the staging table (`table`) or the audit
    /// table (`audit`), every value as text (`None`: NULL).
    pub fn select(&self, columns: &str, from_audit: bool, order: &str) -> Vec<Vec<Option<String>>> {
        match self {
            Db::Sqlite(target) => {
                let path = target.trim_start_matches("sqlite://");
                let conn = Connection::open(path).unwrap();
                let from = if from_audit {
                    "etl_load_audit"
                } else {
                    "tiktok_shop_orders"
                };
                let exists: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM sqlite_master WHERE name = ?1",
                        [from],
                        |r| r.get(0),
                    )
                    .unwrap();
                if exists == 0 {
                    return Vec::new();
                }
                let mut stmt = conn
                    .prepare(&format!("SELECT {columns} FROM {from} ORDER BY {order}"))
                    .unwrap();
                let width = stmt.column_count();
                stmt.query_map([], |row| {
                    (0..width)
                        .map(|i| {
                            row.get_ref(i).map(|v| match v {
                                rusqlite::types::ValueRef::Null => None,
                                rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
                                rusqlite::types::ValueRef::Text(t) => {
                                    Some(String::from_utf8_lossy(t).into_owned())
                                }
                                other => Some(format!("{other:?}")),
                            })
                        })
                        .collect()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
            }
            Db::SqlServer { url, table } => {
                let from = if from_audit {
                    "dbo.etl_load_audit".to_owned()
                } else {
                    table.clone()
                };
                let filter = if from_audit {
                    format!(" WHERE target_table = N'{table}'")
                } else {
                    String::new()
                };
                mssql_select(
                    url,
                    &format!("SELECT {columns} FROM {from}{filter} ORDER BY {order}"),
                )
            }
        }
    }

    /// Drops what the case created (SQL Server; SQLite lives in a temp dir).
    pub fn clean_up(&self) {
        if let Db::SqlServer { url, table } = self {
            mssql_select(url, &format!("DROP TABLE IF EXISTS {table}; SELECT 1"));
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Runs `query` on the SQL Server of `url`; every column must be text or
/// castable by the query (`CAST(x AS NVARCHAR(…))`), or a number.
fn mssql_select(url: &str, query: &str) -> Vec<Vec<Option<String>>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use tokio_util::compat::TokioAsyncWriteCompatExt;
        let mut text = url.to_owned();
        if !url.to_ascii_lowercase().contains("password=") {
            text.push_str(&format!(
                ";password={}",
                std::env::var("DB_PASSWORD").unwrap()
            ));
        }
        let config = tiberius::Config::from_ado_string(&text).unwrap();
        let tcp = tokio::net::TcpStream::connect(config.get_addr())
            .await
            .unwrap();
        let mut client = tiberius::Client::connect(config, tcp.compat_write())
            .await
            .unwrap();
        let rows = client
            .simple_query(query)
            .await
            .unwrap()
            .into_first_result()
            .await
            .unwrap();
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        row.try_get::<&str, _>(i)
                            .map(|v| v.map(str::to_owned))
                            .or_else(|_| row.try_get::<i64, _>(i).map(|v| v.map(|n| n.to_string())))
                            .or_else(|_| row.try_get::<i32, _>(i).map(|v| v.map(|n| n.to_string())))
                            .unwrap_or_else(|e| panic!("column {i} of {query}: {e}"))
                    })
                    .collect()
            })
            .collect()
    })
}

pub(crate) type Rows = Vec<Vec<Option<String>>>;

/// (order_id, item_id, etl_batch_id, total_amount) in key order.
pub(crate) fn table(db: &Db) -> Rows {
    db.select(
        "order_id, item_id, etl_batch_id, CAST(total_amount AS NVARCHAR(40))",
        false,
        "order_id, item_id, etl_batch_id",
    )
}

/// (run, mode, outcome, staged, inserted, updated, unchanged, deleted,
/// finished) of every audit row, oldest first.
pub(crate) fn audit(db: &Db) -> Rows {
    db.select(
        "run_id, load_mode, outcome, CAST(rows_staged AS NVARCHAR(20)), CAST(rows_inserted AS NVARCHAR(20)), \
         CAST(rows_updated AS NVARCHAR(20)), CAST(rows_unchanged AS NVARCHAR(20)), \
         CAST(rows_deleted AS NVARCHAR(20)), CASE WHEN finished_at IS NULL THEN 'open' ELSE 'closed' END",
        true,
        "load_id",
    )
}

pub(crate) fn text(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}
