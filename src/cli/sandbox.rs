//! The local TikTok Shop API simulator, for `tiktok-etl sandbox` and
//! `tiktok-etl run --sandbox` (builds with the `sandbox` feature only).

use std::net::SocketAddr;

use clap::Args;
use tiktok_shop_sandbox::args::{SandboxArgs, serve_cli};
use tiktok_shop_sandbox::{Sandbox, SandboxConfig};

use super::args::{ExtractArgs, LogArgs};
use super::error::CliError;

#[derive(Debug, Args)]
pub struct SandboxCommand {
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(command: SandboxCommand) -> Result<(), CliError> {
    Ok(serve_cli(command.sandbox).await?)
}

/// Starts a sandbox on loopback and points `extract` at it: its URL, its
/// credentials, and its shops unless some were given.
pub async fn start(extract: &mut ExtractArgs) -> Result<Sandbox, CliError> {
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let sandbox = Sandbox::start(SandboxConfig::default(), loopback)
        .await
        .map_err(|source| {
            CliError::Sandbox(tiktok_shop_sandbox::args::ServeError::Start {
                addr: loopback,
                source,
            })
        })?;
    println!(
        "sandbox:   TikTok Shop API simulator at {}",
        sandbox.base_url()
    );
    let config = sandbox.config();
    if extract.shop_ciphers.is_empty() {
        extract.shop_ciphers = config.shops.clone();
    }
    extract.api.api_base_url = sandbox.base_url().to_owned();
    extract.api.auth_base_url = sandbox.base_url().to_owned();
    extract.api.app_key = Some(config.app_key.clone());
    extract.api.credentials = Some(sandbox_credentials(config));
    Ok(sandbox)
}

/// Stops the sandbox, saying what it served of `window`, the window the
/// run read (orders extract asked about past it are not counted).
pub async fn stop(sandbox: Sandbox, window: Option<&tiktok_shop_api::Window>) {
    let (since, until) = window.map_or((i64::MIN, i64::MAX), |w| {
        (w.since.timestamp(), w.until.timestamp())
    });
    let (orders, line_items) = sandbox.served_within(since, until);
    println!("sandbox:   served {line_items} line items of {orders} orders in the window");
    sandbox.shutdown().await;
}

fn sandbox_credentials(config: &SandboxConfig) -> tiktok_shop_api::Credentials {
    use tiktok_shop_api::Secret;
    tiktok_shop_api::Credentials {
        app_key: config.app_key.clone(),
        app_secret: Secret::new(config.app_secret.clone()),
        access_token: Secret::new(config.access_token.clone()),
        refresh_token: Some(Secret::new(config.refresh_token.clone())),
    }
}
