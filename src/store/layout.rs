//! Every path of a run, built in one place (`docs/contracts.md`, "Store
//! layout").
//!
//! ```text
//! runs/<run>/extract/shop=<shop_cipher>/part-00000.parquet
//! runs/<run>/extract/_manifest.json
//! runs/<run>/transform/order_lines/part-00000.parquet
//! runs/<run>/transform/rejects/part-00000.parquet
//! runs/<run>/transform/_manifest.json
//! runs/<run>/load/_manifest.json
//! ```

use crate::manifest::StageName;
use crate::run_id::RunId;
use crate::shop::ShopCipher;

/// The paths of one run, relative to the store root.
#[derive(Debug, Clone)]
pub struct RunLayout {
    run_id: RunId,
    dir: String,
}

impl RunLayout {
    pub fn new(run_id: &RunId) -> Self {
        RunLayout {
            run_id: run_id.clone(),
            dir: format!("runs/{}", run_id.segment()),
        }
    }

    pub fn run_id(&self) -> &RunId {
        &self.run_id
    }

    pub fn run_dir(&self) -> &str {
        &self.dir
    }

    pub fn stage_dir(&self, stage: StageName) -> String {
        format!("{}/{stage}", self.dir)
    }

    pub fn manifest(&self, stage: StageName) -> String {
        format!("{}/{stage}/_manifest.json", self.dir)
    }

    pub fn extract_part(&self, shop_cipher: &ShopCipher, part: usize) -> String {
        format!(
            "{}/extract/shop={shop_cipher}/{}",
            self.dir,
            part_name(part)
        )
    }

    pub fn order_lines_part(&self, part: usize) -> String {
        format!("{}/transform/order_lines/{}", self.dir, part_name(part))
    }

    pub fn rejects_part(&self, part: usize) -> String {
        format!("{}/transform/rejects/{}", self.dir, part_name(part))
    }
}

fn part_name(part: usize) -> String {
    format!("part-{part:05}.parquet")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_documented_layout() {
        let layout = RunLayout::new(&RunId::parse("scheduled__2026-11-25T06:00:00+00:00").unwrap());
        let run = "runs/scheduled__2026-11-25T06=3A00=3A00=2B00=3A00";
        assert_eq!(
            layout.extract_part(&ShopCipher::parse("GCP_abc").unwrap(), 0),
            format!("{run}/extract/shop=GCP_abc/part-00000.parquet")
        );
        assert_eq!(
            layout.manifest(StageName::Extract),
            format!("{run}/extract/_manifest.json")
        );
        assert_eq!(
            layout.order_lines_part(1),
            format!("{run}/transform/order_lines/part-00001.parquet")
        );
        assert_eq!(
            layout.rejects_part(0),
            format!("{run}/transform/rejects/part-00000.parquet")
        );
        assert_eq!(
            layout.manifest(StageName::Load),
            format!("{run}/load/_manifest.json")
        );
    }
}
