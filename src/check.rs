//! `tiktok-etl check`: can the ETL reach the API and the database? (The old
//! `run_etl.py test`.)
//!
//! Each check prints one line and changes nothing. The API check lists the
//! shops the access token may read, with the ciphers to put in
//! TIKTOK_SHOP_CIPHER; the database check connects and compares the table
//! with the staged schema.

use clap::Args;

use crate::api::ApiClient;
use crate::cli::args::{ApiArgs, TargetArgs};
use crate::error::Error;
use crate::load::{self, LoadConfig, LoadMode};
use crate::telemetry::LogFormat;

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub api: ApiArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// Check only the database.
    #[arg(long, conflicts_with = "skip_database")]
    pub skip_api: bool,

    /// Check only the API.
    #[arg(long)]
    pub skip_database: bool,

    /// Log format on stderr.
    #[arg(long, env = "ETL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Runs the checks, printing a line for each; fails with the first failure
/// after every check has run.
pub async fn run(args: &CheckArgs) -> Result<(), Error> {
    let mut first_failure = None;
    if !args.skip_api {
        match api(args).await {
            Ok(text) => println!("api:      ok, {text}"),
            Err(e) => {
                println!(
                    "api:      FAILED: {}",
                    crate::secret::redact(&crate::cli::error_chain(&e))
                );
                first_failure.get_or_insert(e);
            }
        }
    }
    if !args.skip_database {
        let config = LoadConfig {
            target: args.target.target.clone(),
            mode: LoadMode::Merge,
            table: args.target.table.clone(),
            create_table: false,
        };
        match load::check(&config).await {
            Ok(text) => println!("database: ok, {text}"),
            Err(e) => {
                println!(
                    "database: FAILED: {}",
                    crate::secret::redact(&crate::cli::error_chain(&e))
                );
                first_failure.get_or_insert(e);
            }
        }
    }
    first_failure.map_or(Ok(()), Err)
}

async fn api(args: &CheckArgs) -> Result<String, Error> {
    let config = args.api.config()?;
    let shops = ApiClient::new(config)?.authorized_shops().await?;
    let mut text = format!(
        "{} authorized shop(s) at {}",
        shops.len(),
        args.api.api_base_url
    );
    for shop in &shops {
        text.push_str(&format!(
            "\n          {} {} ({}, {})",
            shop.cipher, shop.name, shop.region, shop.seller_type
        ));
    }
    let ciphers: Vec<&str> = shops.iter().map(|s| s.cipher.as_str()).collect();
    text.push_str(&format!(
        "\n          TIKTOK_SHOP_CIPHER={}",
        ciphers.join(",")
    ));
    Ok(text)
}
