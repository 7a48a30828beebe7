//! From a command's result to the exit code Airflow acts on
//! (`docs/contracts.md`, "Exit codes"): 0 done, 1 worth retrying, 2 fix
//! something first. The error and its causes go to stderr with every known
//! secret redacted.

use std::future::Future;
use std::process::ExitCode;

use tiktok_shop_api::secret;

use super::error::CliError;
use crate::failure::Failure;
use crate::telemetry::{self, LogFormat};

/// The exit code of a kind of failure.
pub fn code(failure: Failure) -> u8 {
    match failure {
        Failure::Retryable => 1,
        Failure::Fatal => 2,
    }
}

/// The runtime's worker threads.
#[derive(Debug, Clone, Copy)]
pub enum Workers {
    PerCore,
    One,
}

/// Sets up tracing, builds the runtime, runs `work`, and turns its result
/// into an exit code.
pub fn run_main<F, Fut>(log_format: LogFormat, work: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), CliError>>,
{
    run_main_with(log_format, Workers::PerCore, work)
}

/// [`run_main`] on a runtime with `workers` worker threads.
pub fn run_main_with<F, Fut>(log_format: LogFormat, workers: Workers, work: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), CliError>>,
{
    telemetry::init(log_format);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Workers::One = workers {
        runtime.worker_threads(1);
    }
    let result = runtime
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
        .and_then(|runtime| runtime.block_on(work()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error, log_format);
            ExitCode::from(code(error.failure()))
        }
    }
}

fn report(error: &CliError, log_format: LogFormat) {
    let failure = error.failure();
    let code = code(failure);
    let hint = match failure {
        Failure::Retryable => "this looks transient: retrying may succeed",
        Failure::Fatal => "retrying will not help until this is fixed",
    };
    let message = secret::redact(&error_chain(error));
    match log_format {
        LogFormat::Json => tracing::error!(exit_code = code, hint, "{message}"),
        LogFormat::Text => eprintln!("error: {message}\n({hint}; exit code {code})"),
    }
}

/// The error and all its sources, `: `-separated (like anyhow's `{:#}`),
/// skipping a cause whose text is already shown.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_map_to_exit_codes_and_chains_show_causes_once() {
        assert_eq!(code(Failure::Retryable), 1);
        assert_eq!(code(Failure::Fatal), 2);
        let io = std::io::Error::other("disk on fire");
        let error = CliError::Runtime(io);
        assert_eq!(error.failure(), Failure::Retryable);
        assert_eq!(
            error_chain(&error),
            "cannot start the async runtime: disk on fire"
        );
    }
}
