//! Command-line plumbing shared by every binary: the common flags, the
//! runtime, the exit-code mapping and the final summary line.
//!
//! Every flag has an environment variable behind it; the doc comments here
//! are the `--help` text.

pub mod args;
pub mod commands;
pub mod stages;

use std::future::Future;
use std::process::ExitCode;

use crate::error::{Error, Failure};
use crate::manifest::Manifest;
use crate::run_id::RunId;
use crate::telemetry::{self, LogFormat};

pub use args::{CommonArgs, ExtractArgs, LoadArgs, TransformArgs};

/// Builds the runtime, runs `work`, and turns its result into an exit code:
/// 0 done, 1 worth retrying, 2 fix something first. The error and its causes
/// go to stderr with every known secret redacted.
pub fn run_main<F, Fut>(log_format: LogFormat, work: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    telemetry::init(log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(Failure::Retryable.exit_code());
        }
    };
    match runtime.block_on(work()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = error.exit_code();
            let hint = match error.failure() {
                Failure::Retryable => "this looks transient: retrying may succeed",
                Failure::Fatal => "retrying will not help until this is fixed",
            };
            let message = crate::secret::redact(&error_chain(&error));
            match log_format {
                LogFormat::Json => tracing::error!(exit_code = code, hint, "{message}"),
                LogFormat::Text => eprintln!("error: {message}\n({hint}; exit code {code})"),
            }
            ExitCode::from(code)
        }
    }
}

/// The error and all its sources, `: `-separated (like anyhow's `{:#}`).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Prints the stage's one-line JSON summary as the last line of stdout.
pub fn print_summary(manifest: &Manifest, store_location: &str) {
    println!("{}", manifest.summary_line(store_location));
}

/// The run id from `--run-id`, or an error telling where to find it.
pub fn require_run_id(raw: Option<&str>, stage: &str) -> Result<RunId, Error> {
    let raw = raw.ok_or_else(|| {
        Error::config(format!(
            "{stage} needs --run-id (or ETL_RUN_ID): the run id extract printed, or the Airflow run id"
        ))
    })?;
    RunId::parse(raw).map_err(Error::Config)
}

/// The testing hook `ETL_FAULT_FAIL_ONCE=<path>`: when set and `<path>` does
/// not exist, create it and fail with a retryable error before doing any
/// work. Used to prove that Airflow retries one stage alone.
pub fn injected_fault() -> Result<(), Error> {
    let Some(marker) = std::env::var("ETL_FAULT_FAIL_ONCE")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return Ok(());
    };
    if std::path::Path::new(&marker).exists() {
        return Ok(());
    }
    std::fs::write(&marker, b"injected fault fired\n")
        .map_err(|e| Error::config(format!("ETL_FAULT_FAIL_ONCE: cannot create {marker}: {e}")))?;
    Err(Error::InjectedFault(marker))
}
