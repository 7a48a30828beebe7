//! The flags of the stage binaries, flattened into `tiktok-etl run` too.
//!
//! Secrets (`TIKTOK_APP_SECRET`, `TIKTOK_ACCESS_TOKEN`,
//! `TIKTOK_REFRESH_TOKEN`, `DB_PASSWORD`, each also as `NAME_FILE`) are not
//! flags at all: they are read from the environment (`tiktok_shop_api::
//! secret`), so they never show in `--help`, in `ps` or in shell history.
//!
//! Each group turns into the typed configuration of its stage here, once,
//! so a bad value fails before any data moves.

use chrono::{DateTime, Duration, Utc};
use clap::Args;
use std::sync::Arc;

use tiktok_shop_api::window::parse_time;
use tiktok_shop_api::{
    ApiClient, ApiConfig, Credentials, DEFAULT_AUTH_BASE_URL, DEFAULT_BASE_URL, Pacer, Rate,
    Secret, Window,
};

use super::error::CliError;
use crate::extract::{ExtractConfig, PageSize, Shops};
use crate::load::{LoadConfig, TableName, Target};
use crate::manifest::LoadMode;
use crate::run_id::RunId;
use crate::shop::ShopCipher;
use crate::source::tiktok::TikTokShop;
use crate::store::Store;
use crate::store::tokens::StoreTokens;
use crate::telemetry::LogFormat;
use crate::transform::Pii;

/// Flags every binary has.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// The run id that keys every file of the run: the Airflow run id
    /// (`{{ run_id }}`), or for manual runs the one extract generates and
    /// prints. Runs are stored under `runs/<segment>/`, where the segment is
    /// the id with every byte outside `[A-Za-z0-9._-]` written as `=XX`.
    #[arg(long, env = "ETL_RUN_ID")]
    pub run_id: Option<String>,

    /// Where the Parquet files live: a local path, `file:///path` or
    /// `s3://bucket/prefix` (S3 reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_REGION, and AWS_ENDPOINT_URL / AWS_ALLOW_HTTP=true for
    /// S3-compatible servers such as MinIO).
    #[arg(long, env = "ETL_STORE", default_value = "./data")]
    pub store: String,

    #[command(flatten)]
    pub log: LogArgs,
}

/// How the command logs.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log format on stderr: `text` for people, `json` for Airflow and log
    /// shippers. Set the level with RUST_LOG (default `info`).
    #[arg(long, env = "ETL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl CommonArgs {
    /// The run id of `--run-id`, or an error telling where to find it.
    pub fn run_id(&self, stage: &str) -> Result<RunId, CliError> {
        let raw = self.run_id.as_deref().ok_or_else(|| {
            CliError::config(format!(
                "{stage} needs --run-id (or ETL_RUN_ID): the run id extract printed, or the Airflow run id"
            ))
        })?;
        RunId::parse(raw).map_err(CliError::Config)
    }

    /// The run id of `--run-id`, or a fresh `manual__<time>` one.
    pub fn run_id_or_new(&self) -> Result<RunId, CliError> {
        match self.run_id.as_deref() {
            Some(raw) => RunId::parse(raw).map_err(CliError::Config),
            None => Ok(RunId::generate(Utc::now())),
        }
    }
}

/// Which orders to extract: an `update_time` window and the shops.
#[derive(Debug, Clone, Args)]
pub struct ExtractArgs {
    /// Start of the `update_time` window (inclusive), RFC 3339, e.g.
    /// `2026-11-25T00:00:00Z`. Give it with --until, or use --days-back.
    #[arg(long, env = "ETL_SINCE", value_parser = parse_time, requires = "until")]
    pub since: Option<DateTime<Utc>>,

    /// End of the `update_time` window (exclusive), RFC 3339.
    #[arg(long, env = "ETL_UNTIL", value_parser = parse_time, requires = "since")]
    pub until: Option<DateTime<Utc>>,

    /// Extract the last N days up to now (like the old `run_etl.py
    /// --days-back`). Used when --since/--until are not given; default 1.
    #[arg(long, env = "ETL_DAYS_BACK", conflicts_with_all = ["since", "until"],
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days_back: Option<u32>,

    /// Shop ciphers to read, comma-separated (`cipher` from
    /// GET /authorization/202309/shops; `tiktok-etl check` lists them).
    /// Default: every shop the access token is authorized for.
    #[arg(
        long = "shop-cipher",
        env = "TIKTOK_SHOP_CIPHER",
        value_delimiter = ','
    )]
    pub shop_ciphers: Vec<String>,

    /// Orders per API page (1-100).
    #[arg(long, env = "ETL_PAGE_SIZE", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub page_size: u32,

    /// Requests per second per shop. A number pins the rate; `auto` starts
    /// low, doubles while calls succeed, and after the first HTTP 429 stays
    /// just under what the API accepted (TikTok publishes no limit: it is
    /// per app and shop, and changes).
    #[arg(long, env = "ETL_QPS", default_value = "auto", value_parser = Rate::parse)]
    pub qps: Rate,

    /// Requests in flight at most, over every shop together.
    #[arg(long, env = "ETL_MAX_IN_FLIGHT", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_in_flight: u32,

    /// Workers sweeping one shop's time slices at once (they wait on the
    /// shop's rate, so more only helps when the API is slow to answer).
    #[arg(long, env = "ETL_WORKERS_PER_SHOP", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub workers_per_shop: u32,

    /// Shops extracted at once.
    #[arg(long, env = "ETL_SHOPS_AT_ONCE", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub shops_at_once: u32,

    /// How far behind now the window must end, in seconds: the API lags
    /// behind real time, so an `--until` later than now minus this (and the
    /// end of `--days-back`) is moved back to it. The manifest records the
    /// window actually read.
    #[arg(long, env = "ETL_LAG_SECONDS", default_value_t = 120)]
    pub lag_seconds: u32,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// Where the TikTok Shop API is and which app calls it. The secrets are read
/// from the environment, never from flags.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// The app key of your TikTok Shop Partner Center app.
    #[arg(long, env = "TIKTOK_APP_KEY", hide_env_values = true)]
    pub app_key: Option<String>,

    /// Base URL of the shop API (`tiktok-etl sandbox` prints a local one).
    #[arg(long, env = "TIKTOK_API_BASE_URL", default_value = DEFAULT_BASE_URL)]
    pub api_base_url: String,

    /// Base URL of the token API, used to refresh an expired access token.
    #[arg(long, env = "TIKTOK_AUTH_BASE_URL", default_value = DEFAULT_AUTH_BASE_URL)]
    pub auth_base_url: String,

    /// Credentials given by the program itself (the in-process sandbox of
    /// `run --sandbox`) instead of the environment.
    #[arg(skip)]
    pub credentials: Option<Credentials>,
}

impl ApiArgs {
    /// The API configuration, with the credentials from the environment.
    pub fn config(&self) -> Result<ApiConfig, CliError> {
        Ok(ApiConfig {
            base_url: self.api_base_url.clone(),
            auth_base_url: self.auth_base_url.clone(),
            credentials: match &self.credentials {
                Some(given) => given.clone(),
                None => Credentials::from_env(self.app_key.clone())?,
            },
        })
    }

    /// The TikTok Shop client these flags name (for `check`).
    pub fn client(&self) -> Result<ApiClient, CliError> {
        Ok(ApiClient::new(self.config()?)?)
    }

    /// The TikTok Shop source for extract: `client` paced at `qps` per shop
    /// with at most `max_in_flight` requests at once, its rotated tokens
    /// kept in the store.
    pub async fn source(
        client: ApiClient,
        qps: Rate,
        max_in_flight: u32,
        store: &Store,
    ) -> Result<TikTokShop, CliError> {
        let tokens = StoreTokens::for_app(store, client.app_key());
        let client = client
            .with_pacer(Arc::new(Pacer::new(qps, max_in_flight as usize)))
            .with_token_store(Arc::new(tokens))
            .await?;
        Ok(TikTokShop::new(client))
    }
}

/// How to transform the raw orders.
#[derive(Debug, Clone, Args)]
pub struct TransformArgs {
    /// What to do with personal data (buyer and recipient names, phone,
    /// address lines, e-mail, nickname, avatar, CPF): `keep` it as the API
    /// sends it, `mask` it (first character and `***`), or `hash` it (hex
    /// HMAC-SHA256 keyed with ETL_PII_HASH_KEY or ETL_PII_HASH_KEY_FILE, so
    /// the same person hashes the same in every run and joins still work).
    #[arg(long, env = "ETL_PII", value_enum, default_value_t = PiiPolicy::Keep)]
    pub pii: PiiPolicy,
}

/// `--pii`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PiiPolicy {
    Keep,
    Mask,
    Hash,
}

impl TransformArgs {
    /// The policy, with the hash key read from the environment.
    pub fn pii(&self) -> Result<Pii, CliError> {
        Ok(match self.pii {
            PiiPolicy::Keep => Pii::Keep,
            PiiPolicy::Mask => Pii::Mask,
            PiiPolicy::Hash => match Secret::from_env("ETL_PII_HASH_KEY")? {
                Some(key) if key.expose().len() >= 16 => Pii::Hash(key),
                Some(_) => {
                    return Err(CliError::config(
                        "ETL_PII_HASH_KEY is shorter than 16 characters: use a long random secret \
                         (e.g. `openssl rand -hex 32`), kept as safely as the database password",
                    ));
                }
                None => {
                    return Err(CliError::config(
                        "--pii hash needs a key: set ETL_PII_HASH_KEY (or ETL_PII_HASH_KEY_FILE) \
                         to a long random secret, the same for every run so hashes stay comparable",
                    ));
                }
            },
        })
    }
}

/// How to load the staged rows.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// `merge` upserts on (order_id, item_id), keeping the newest version;
    /// `append` keeps this run's rows as a batch (re-running replaces the
    /// batch); `replace` makes the table exactly this run's rows.
    #[arg(long, env = "ETL_LOAD_MODE", value_enum, default_value_t = LoadMode::Merge)]
    pub load_mode: LoadMode,

    /// Create the table when it is missing (never alters an existing one).
    /// Production SQL Server tables come from `sql/` instead. On SQL Server
    /// it also creates the audit table `etl_load_audit` when missing.
    #[arg(long, env = "ETL_CREATE_TABLE")]
    pub create_table: bool,

    /// Let `--load-mode replace` empty the table when the run staged no
    /// rows. Without it such a load changes nothing and exits 2.
    #[arg(long, env = "ETL_ALLOW_EMPTY_REPLACE")]
    pub allow_empty_replace: bool,

    /// Rows per batch read from the staged files and sent to the database
    /// (one TDS bulk load per batch on SQL Server). Memory grows with it,
    /// never with the run: about 2 KiB per row.
    #[arg(long, env = "ETL_BATCH_SIZE", default_value_t = 4_096,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: u32,
}

/// The database the load writes to (and `check` checks).
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Where to load: `sqlite://path` (the embedded default), or a SQL Server
    /// ADO.NET connection string (`server=tcp:host,1433;database=…;user
    /// id=…;TrustServerCertificate=true`) whose password comes from
    /// DB_PASSWORD or DB_PASSWORD_FILE when the string has none.
    #[arg(
        long,
        env = "ETL_TARGET",
        default_value = "sqlite://./data/staging.db",
        hide_env_values = true
    )]
    pub target: String,

    /// The staging table, optionally schema-qualified for SQL Server
    /// (`dbo.tiktok_shop_orders`).
    #[arg(long, env = "ETL_TABLE", default_value = "tiktok_shop_orders")]
    pub table: String,
}

impl LoadArgs {
    /// The load configuration: the target parsed (and its password read),
    /// the table name and mode checked.
    pub fn config(&self) -> Result<LoadConfig, CliError> {
        let (target, table) = self.target.parsed()?;
        let mut config = LoadConfig::new(target, table, self.load_mode, self.create_table)?;
        config.allow_empty_replace = self.allow_empty_replace;
        config.batch_rows = self.batch_size as usize;
        Ok(config)
    }
}

impl TargetArgs {
    pub fn parsed(&self) -> Result<(Target, TableName), CliError> {
        Ok((Target::parse(&self.target)?, TableName::parse(&self.table)?))
    }
}

impl ExtractArgs {
    /// The extract configuration these flags name, relative to `now`.
    pub fn config(&self, now: DateTime<Utc>) -> Result<ExtractConfig, CliError> {
        let shops = self.shops()?;
        Ok(ExtractConfig {
            window: self.window(now)?,
            shops: if shops.is_empty() {
                Shops::Authorized
            } else {
                Shops::Only(shops)
            },
            page_size: PageSize::new(self.page_size).map_err(CliError::Config)?,
            qps: self.qps,
            workers_per_shop: self.workers_per_shop as usize,
            shops_at_once: self.shops_at_once as usize,
        })
    }

    /// The `[since, until)` window these flags name, relative to `now`,
    /// ending at least `--lag-seconds` before `now`.
    pub fn window(&self, now: DateTime<Utc>) -> Result<Window, CliError> {
        let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let latest = now - Duration::seconds(i64::from(self.lag_seconds));
        let (since, until) = match (self.since, self.until) {
            (Some(since), Some(until)) => (since, until),
            _ => (
                latest - Duration::days(i64::from(self.days_back.unwrap_or(1))),
                latest,
            ),
        };
        let until = if until > latest {
            tracing::info!(
                asked = %until.to_rfc3339(),
                used = %latest.to_rfc3339(),
                lag_seconds = self.lag_seconds,
                "the window ends too close to now: it ends --lag-seconds before now instead"
            );
            latest
        } else {
            until
        };
        Window::new(since, until).ok_or_else(|| {
            CliError::config(format!(
                "--since ({}) must be before --until ({}); the window is [since, until)",
                since.to_rfc3339(),
                until.to_rfc3339()
            ))
        })
    }

    /// The shop ciphers, checked to be usable as store path segments. Empty
    /// means "every shop the token may read", resolved by extract.
    pub fn shops(&self) -> Result<Vec<ShopCipher>, CliError> {
        Ok(ShopCipher::parse_list(
            self.shop_ciphers.iter().map(String::as_str),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        extract: ExtractArgs,
    }

    fn parse(args: &[&str]) -> Result<ExtractArgs, clap::Error> {
        Probe::try_parse_from(std::iter::once("probe").chain(args.iter().copied()))
            .map(|p| p.extract)
    }

    #[test]
    fn since_after_until_is_a_config_error() {
        let args = parse(&[
            "--since",
            "2026-11-25T06:00:00Z",
            "--until",
            "2026-11-25T00:00:00Z",
        ])
        .unwrap();
        let err = args.window(Utc::now()).unwrap_err();
        assert!(err.to_string().contains("must be before --until"), "{err}");
        assert_eq!(err.failure(), crate::failure::Failure::Fatal);
    }

    #[test]
    fn days_back_counts_back_from_now_minus_the_lag_to_the_second() {
        let args = parse(&["--days-back", "7"]).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-30T10:20:30.900Z")
            .unwrap()
            .to_utc();
        let w = args.window(now).unwrap();
        assert_eq!(w.until.to_rfc3339(), "2026-11-30T10:18:30+00:00");
        assert_eq!(w.since.to_rfc3339(), "2026-11-23T10:18:30+00:00");
        let no_lag = parse(&["--days-back", "1", "--lag-seconds", "0"]).unwrap();
        assert_eq!(
            no_lag.window(now).unwrap().until.to_rfc3339(),
            "2026-11-30T10:20:30+00:00"
        );
    }

    #[test]
    fn a_window_ending_in_the_future_ends_the_lag_before_now() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .unwrap()
            .to_utc();
        let args = parse(&[
            "--since",
            "2026-11-30T06:00:00Z",
            "--until",
            "2026-11-30T12:00:00Z",
            "--lag-seconds",
            "300",
        ])
        .unwrap();
        let w = args.window(now).unwrap();
        assert_eq!(w.until.to_rfc3339(), "2026-11-30T09:55:00+00:00");
        assert_eq!(w.since.to_rfc3339(), "2026-11-30T06:00:00+00:00");
        let future = parse(&[
            "--since",
            "2026-11-30T09:58:00Z",
            "--until",
            "2026-11-30T12:00:00Z",
            "--lag-seconds",
            "300",
        ])
        .unwrap();
        assert!(future.window(now).is_err(), "nothing left to read");
    }

    #[test]
    fn offsets_are_converted_to_utc_and_flags_conflict() {
        let args = parse(&[
            "--since",
            "2026-11-25T07:00:00+07:00",
            "--until",
            "2026-11-25T06:00:00Z",
        ])
        .unwrap();
        assert_eq!(
            args.window(Utc::now()).unwrap().since.to_rfc3339(),
            "2026-11-25T00:00:00+00:00"
        );
        assert!(
            parse(&["--since", "2026-11-25T00:00:00Z"]).is_err(),
            "since needs until"
        );
        assert!(parse(&["--days-back", "1", "--since", "x"]).is_err());
        assert!(parse(&["--since", "yesterday", "--until", "2026-11-25T00:00:00Z"]).is_err());
    }

    #[test]
    fn shop_ciphers_are_split_and_checked() {
        let args = parse(&["--shop-cipher", "GCP_a, ROW_b,GCP_a"]).unwrap();
        let shops = args.shops().unwrap();
        assert_eq!(
            shops.iter().map(ShopCipher::as_str).collect::<Vec<_>>(),
            ["GCP_a", "ROW_b"]
        );
        let bad = parse(&["--shop-cipher", "../etc"]).unwrap();
        assert!(
            bad.shops()
                .unwrap_err()
                .to_string()
                .contains("not a shop cipher")
        );
        assert!(
            parse(&[]).unwrap().shops().unwrap().is_empty(),
            "no cipher: every authorized shop"
        );
    }
}
