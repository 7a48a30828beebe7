//! What to extract, checked once before anything is touched.

use tiktok_shop_api::{Rate, Window};

use crate::shop::ShopCipher;

/// Which shops to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shops {
    /// Every shop the credentials may read, asked from the source.
    Authorized,
    /// These shops, in this order (never empty, never repeated).
    Only(Vec<ShopCipher>),
}

/// Orders per API page: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub const MAX: PageSize = PageSize(100);

    pub fn new(size: u32) -> Result<PageSize, String> {
        if (1..=100).contains(&size) {
            Ok(PageSize(size))
        } else {
            Err(format!("the page size is {size}; the API takes 1 to 100"))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// What to extract.
#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// Orders whose `update_time` is in `[since, until)`.
    pub window: Window,
    pub shops: Shops,
    pub page_size: PageSize,
    /// How fast each shop's requests may go (for the manifest: the source's
    /// pacer applies it).
    pub qps: Rate,
    /// Workers sweeping one shop's slices at once.
    pub workers_per_shop: usize,
    /// Shops extracted at once.
    pub shops_at_once: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_what_the_api_takes() {
        assert_eq!(PageSize::new(1).unwrap().get(), 1);
        assert_eq!(PageSize::MAX.get(), 100);
        for bad in [0, 101] {
            assert!(PageSize::new(bad).unwrap_err().contains("1 to 100"));
        }
    }
}
