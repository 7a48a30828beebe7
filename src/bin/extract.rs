//! `extract`: one stage of the pipeline; see `extract --help`.

fn main() -> std::process::ExitCode {
    tiktok_etl::cli::stages::extract_main(std::env::args_os().collect())
}
