//! `load`: one stage of the pipeline; see `load --help`.

fn main() -> std::process::ExitCode {
    tiktok_etl::cli::stages::load_main(std::env::args_os().collect())
}
