//! `tiktok-etl check`: can the ETL reach the API and the database? (The old
//! `run_etl.py test`.)
//!
//! Each check prints one line and changes nothing. The API check lists the
//! shops the access token may read, with the ciphers to put in
//! TIKTOK_SHOP_CIPHER; the database check connects and compares the table
//! with the staged schema.

use clap::Args;
use std::sync::Arc;

use tiktok_shop_api::secret;

use super::args::{ApiArgs, LogArgs, TargetArgs};
use super::error::CliError;
use super::exit::error_chain;
use crate::load::{self, LoadConfig};
use crate::manifest::LoadMode;
use crate::store::Store;
use crate::store::tokens::StoreTokens;

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub api: ApiArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// The store whose `state/` keeps the API tokens a refresh rotated
    /// (the same `--store` as the stages').
    #[arg(long, env = "ETL_STORE", default_value = "./data")]
    pub store: String,

    /// Check only the database.
    #[arg(long, conflicts_with = "skip_database")]
    pub skip_api: bool,

    /// Check only the API.
    #[arg(long)]
    pub skip_database: bool,

    #[command(flatten)]
    pub log: LogArgs,
}

/// Runs the checks, printing a line for each; fails with the first failure
/// after every check has run.
pub async fn run(args: &CheckArgs) -> Result<(), CliError> {
    let mut first_failure = None;
    if !args.skip_api {
        match api(args).await {
            Ok(text) => println!("api:      ok, {text}"),
            Err(e) => {
                println!("api:      FAILED: {}", secret::redact(&error_chain(&e)));
                first_failure.get_or_insert(e);
            }
        }
    }
    if !args.skip_database {
        match database(args).await {
            Ok(text) => println!("database: ok, {text}"),
            Err(e) => {
                println!("database: FAILED: {}", secret::redact(&error_chain(&e)));
                first_failure.get_or_insert(e);
            }
        }
    }
    first_failure.map_or(Ok(()), Err)
}

async fn api(args: &CheckArgs) -> Result<String, CliError> {
    let store = Store::open(&args.store)?;
    let tokens = StoreTokens::for_app(&store, args.api.client()?.app_key());
    let shops = args
        .api
        .client()?
        .with_token_store(Arc::new(tokens))
        .await?
        .authorized_shops()
        .await?;
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

async fn database(args: &CheckArgs) -> Result<String, CliError> {
    let (target, table) = args.target.parsed()?;
    let config = LoadConfig::new(target, table, LoadMode::Merge, false)?;
    Ok(load::check(&config).await?)
}
