//! The flags of the stage binaries, flattened into `tiktok-etl run` too.
//!
//! Secrets (`TIKTOK_APP_SECRET`, `TIKTOK_ACCESS_TOKEN`,
//! `TIKTOK_REFRESH_TOKEN`, `DB_PASSWORD`, each also as `NAME_FILE`) are not
//! flags at all: they are read from the environment by [`crate::secret`], so
//! they never show in `--help`, in `ps` or in shell history.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use clap::Args;

use crate::api::{ApiConfig, Credentials};
use crate::error::Error;
use crate::load::LoadMode;
use crate::manifest::Window;
use crate::store::layout::is_shop_cipher;
use crate::telemetry::LogFormat;

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

    /// Log format on stderr: `text` for people, `json` for Airflow and log
    /// shippers. Set the level with RUST_LOG (default `info`).
    #[arg(long, env = "ETL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Which orders to extract: an `update_time` window and the shops.
#[derive(Debug, Clone, Args)]
pub struct ExtractArgs {
    /// Start of the `update_time` window (inclusive), RFC 3339, e.g.
    /// `2026-11-25T00:00:00Z`. Give it with --until, or use --days-back.
    #[arg(long, env = "ETL_SINCE", value_parser = parse_time, requires = "until")]
    pub since: Option<DateTime<FixedOffset>>,

    /// End of the `update_time` window (exclusive), RFC 3339.
    #[arg(long, env = "ETL_UNTIL", value_parser = parse_time, requires = "since")]
    pub until: Option<DateTime<FixedOffset>>,

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
    #[arg(long, env = "TIKTOK_API_BASE_URL", default_value = crate::api::DEFAULT_BASE_URL)]
    pub api_base_url: String,

    /// Base URL of the token API, used to refresh an expired access token.
    #[arg(long, env = "TIKTOK_AUTH_BASE_URL", default_value = crate::api::DEFAULT_AUTH_BASE_URL)]
    pub auth_base_url: String,
}

impl ApiArgs {
    /// The API configuration, with the credentials from the environment.
    pub fn config(&self) -> Result<ApiConfig, Error> {
        Ok(ApiConfig {
            base_url: self.api_base_url.clone(),
            auth_base_url: self.auth_base_url.clone(),
            credentials: Credentials::from_env(self.app_key.clone())?,
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
    /// Production SQL Server tables come from `sql/` instead.
    #[arg(long, env = "ETL_CREATE_TABLE")]
    pub create_table: bool,
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

/// `transform` has only the common flags; this keeps the three alike.
#[derive(Debug, Clone, Args)]
pub struct TransformArgs {}

fn parse_time(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("{e}: expected RFC 3339 with an offset, e.g. 2026-11-25T00:00:00Z"))
}

impl ExtractArgs {
    /// The `[since, until)` window these flags name, relative to `now`.
    pub fn window(&self, now: DateTime<Utc>) -> Result<Window, Error> {
        let (since, until) = match (self.since, self.until) {
            (Some(since), Some(until)) => (since.to_utc(), until.to_utc()),
            _ => {
                let until = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
                (
                    until - Duration::days(i64::from(self.days_back.unwrap_or(1))),
                    until,
                )
            }
        };
        if since >= until {
            return Err(Error::config(format!(
                "--since ({}) must be before --until ({}); the window is [since, until)",
                since.to_rfc3339(),
                until.to_rfc3339()
            )));
        }
        Ok(Window { since, until })
    }

    /// The shop ciphers, checked to be usable as store path segments. Empty
    /// means "every shop the token may read", resolved by extract.
    pub fn shops(&self) -> Result<Vec<String>, Error> {
        let mut shops: Vec<String> = Vec::new();
        for shop in self
            .shop_ciphers
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            if !shops.iter().any(|seen| seen == shop) {
                shops.push(shop.to_owned());
            }
        }
        if let Some(bad) = shops.iter().find(|s| !is_shop_cipher(s)) {
            return Err(Error::config(format!(
                "{bad:?} is not a shop cipher: ciphers are letters, digits, `_` and `-` \
                 (`tiktok-etl check` lists the ciphers of your shops)"
            )));
        }
        Ok(shops)
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
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn days_back_counts_back_from_now_to_the_second() {
        let args = parse(&["--days-back", "7"]).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-30T10:20:30.900Z")
            .unwrap()
            .to_utc();
        let w = args.window(now).unwrap();
        assert_eq!(w.until.to_rfc3339(), "2026-11-30T10:20:30+00:00");
        assert_eq!(w.since.to_rfc3339(), "2026-11-23T10:20:30+00:00");
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
        assert_eq!(args.shops().unwrap(), ["GCP_a", "ROW_b"]);
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
