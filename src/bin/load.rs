//! `load`: one stage of the pipeline; see `load --help`.

fn main() -> std::process::ExitCode {
    tiktok_etl::cli::commands::load(std::env::args_os())
}
