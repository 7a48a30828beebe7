//! `extract`: one stage of the pipeline; see `extract --help`.

fn main() -> std::process::ExitCode {
    tiktok_etl::cli::commands::extract(std::env::args_os())
}
