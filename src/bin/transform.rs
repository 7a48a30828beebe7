//! `transform`: one stage of the pipeline; see `transform --help`.

fn main() -> std::process::ExitCode {
    tiktok_etl::cli::commands::transform(std::env::args_os())
}
