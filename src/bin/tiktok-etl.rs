//! `tiktok-etl`: the operator's tool for manual work; see `tiktok-etl --help`.

fn main() -> std::process::ExitCode {
    tiktok_etl::cli::app::main(std::env::args_os().collect())
}
