//! `tiktok-etl inspect`: the runs in a store, or what one run's stages
//! wrote (`crate::inspect` builds the text).

use clap::Args;

use super::args::CommonArgs;
use super::error::CliError;
use crate::inspect;
use crate::run_id::RunId;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Rows to show from each Parquet file.
    #[arg(long, default_value_t = 3)]
    pub rows: usize,
}

pub async fn run(args: &InspectArgs) -> Result<(), CliError> {
    let store = Store::open(&args.common.store)?;
    let text = match args.common.run_id.as_deref() {
        None => inspect::list_runs(&store).await?,
        Some(raw) => {
            let run_id = RunId::parse(raw).map_err(CliError::Config)?;
            inspect::report(&store, &run_id, args.rows).await?
        }
    };
    print!("{text}");
    Ok(())
}
