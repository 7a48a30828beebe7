//! `transform`: one stage of the pipeline; see `transform --help`.

fn main() -> std::process::ExitCode {
    tiktok_etl::cli::stages::transform_main(std::env::args_os().collect())
}
