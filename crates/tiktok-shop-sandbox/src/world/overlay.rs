//! The mutation overlay: orders whose life no longer follows the
//! generator's plan. The generator stays a pure function of (seed, shop,
//! sequence number); an order the sandbox changed since it started (a
//! same-second burst, a live update) keeps its edited timeline here, keyed
//! by shop and sequence number, and every reader looks here first.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use crate::world::timeline::Timeline;

/// The edited timelines of one shop, by sequence number.
pub(crate) type ShopEdits = BTreeMap<u64, Timeline>;

#[derive(Debug)]
pub(crate) struct Overlay {
    shops: RwLock<Vec<ShopEdits>>,
    /// Bumped by every edit, so cached windows know they are stale.
    version: AtomicU64,
}

impl Overlay {
    pub(crate) fn new(shops: usize) -> Overlay {
        Overlay {
            shops: RwLock::new(vec![ShopEdits::new(); shops]),
            version: AtomicU64::new(0),
        }
    }

    /// The edits of every shop, indexed like the shops.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Vec<ShopEdits>> {
        self.shops.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Applies `change` to the timeline of order `seq` of shop `shop` (its
    /// `original` the first time); keeps it and returns true if it changed.
    pub(crate) fn edit(
        &self,
        shop: usize,
        seq: u64,
        original: impl FnOnce() -> Timeline,
        change: impl FnOnce(&mut Timeline) -> bool,
    ) -> bool {
        let mut shops = self.shops.write().unwrap_or_else(PoisonError::into_inner);
        let Some(edits) = shops.get_mut(shop) else {
            return false;
        };
        let mut timeline = edits.get(&seq).cloned().unwrap_or_else(original);
        if !change(&mut timeline) {
            return false;
        }
        edits.insert(seq, timeline);
        self.version.fetch_add(1, Ordering::AcqRel);
        true
    }
}

#[test]
fn edits_are_kept_per_shop_and_bump_the_version() {
    let overlay = Overlay::new(2);
    let original = || Timeline {
        created: 5,
        ..Timeline::default()
    };
    assert!(!overlay.edit(0, 7, original, |_| false));
    assert_eq!((overlay.version(), overlay.read()[0].len()), (0, 0));
    assert!(overlay.edit(1, 7, original, |t| {
        t.created += 1;
        true
    }));
    assert!(overlay.edit(
        1,
        7,
        || unreachable!(),
        |t| {
            t.created += 1;
            true
        }
    ));
    assert_eq!(overlay.read()[1][&7].created, 7, "edits build on edits");
    assert_eq!(overlay.version(), 2);
    assert!(!overlay.edit(9, 7, original, |_| true), "no such shop");
}
