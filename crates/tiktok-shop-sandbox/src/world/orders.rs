//! Every order of the configured shops: the generator's plans with the
//! overlay's edits on top. This is the one door through which the rest of
//! the sandbox (endpoints, oracles, live updates) reads or changes orders,
//! so none of them can forget the overlay.

use crate::world::generator::Generator;
use crate::world::overlay::{Overlay, ShopEdits};
use crate::world::plan::{OrderPlan, Shop};
use crate::world::query::Query;
use crate::world::rng::{combine, hash_str};
use crate::world::timeline::Timeline;
use crate::world::window::{Entry, window};

#[derive(Debug)]
pub(crate) struct Orders {
    pub generator: Generator,
    pub shops: Vec<Shop>,
    overlay: Overlay,
}

impl Orders {
    /// The orders of shops `ciphers` (in that order: a shop's index is its
    /// position), seeded by `seed`.
    pub(crate) fn new(generator: Generator, ciphers: &[String]) -> Orders {
        let shops: Vec<Shop> = ciphers
            .iter()
            .enumerate()
            .map(|(index, cipher)| Shop {
                index,
                cipher: cipher.clone(),
                key: combine(generator.seed, hash_str(cipher)),
            })
            .collect();
        Orders {
            generator,
            overlay: Overlay::new(shops.len()),
            shops,
        }
    }

    pub(crate) fn shop(&self, cipher: &str) -> Option<&Shop> {
        self.shops.iter().find(|s| s.cipher == cipher)
    }

    /// Order `seq` of `shop` as it is now: its plan, with its edited
    /// timeline if it has one.
    pub(crate) fn plan(&self, shop: &Shop, seq: u64) -> OrderPlan {
        let mut plan = self.generator.plan(shop, seq);
        if let Some(timeline) = self
            .overlay
            .read()
            .get(shop.index)
            .and_then(|e| e.get(&seq))
        {
            plan.timeline = timeline.clone();
        }
        plan
    }

    /// Every order of `shop` that `query` matches at `now`, sorted.
    pub(crate) fn window(&self, query: &Query, shop: &Shop, now: i64) -> Vec<Entry> {
        let overlay = self.overlay.read();
        let none = ShopEdits::new();
        let edits = overlay.get(shop.index).unwrap_or(&none);
        window(&self.generator, shop, edits, query, now)
    }

    /// Changes the timeline of order `seq` of `shop`; true if it changed.
    pub(crate) fn edit(
        &self,
        shop: &Shop,
        seq: u64,
        change: impl FnOnce(&mut Timeline) -> bool,
    ) -> bool {
        let original = || self.generator.plan(shop, seq).timeline;
        self.overlay.edit(shop.index, seq, original, change)
    }

    /// Changes with every edit (cache keys use it).
    pub(crate) fn version(&self) -> u64 {
        self.overlay.version()
    }

    /// The sequence numbers and timelines of the edited orders of `shop`.
    pub(crate) fn edited(&self, shop: &Shop) -> Vec<(u64, Timeline)> {
        self.overlay
            .read()
            .get(shop.index)
            .map(|edits| edits.iter().map(|(s, t)| (*s, t.clone())).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
fn orders() -> Orders {
    let generator = Generator {
        seed: 7,
        orders_per_day: 400,
        corrupt_every: None,
        opened: crate::world::generator::EPOCH + 3000 * 86_400,
    };
    Orders::new(generator, &["GCP_A".to_owned(), "ROW_B".to_owned()])
}

#[test]
fn an_edited_order_is_served_with_its_edit_everywhere() {
    let orders = orders();
    let shop = orders.shops[1].clone();
    let now = orders.generator.opened + 60 * 86_400;
    let day = Query::updated_in(1, now - 86_400, now);
    let before = orders.window(&day, &shop, now);
    let victim = before[before.len() / 2];
    let later = now + 3600;
    assert!(orders.edit(&shop, victim.seq, |t| t.touch(now - 10)));
    let after = orders.window(&day, &shop, now);
    assert_eq!(after.len(), before.len(), "still in the window");
    let moved = after
        .iter()
        .find(|e| e.id == victim.id)
        .map(|e| e.update_time);
    assert_eq!(moved, Some(now - 10));
    assert_eq!(
        orders
            .plan(&shop, victim.seq)
            .timeline
            .state_at(later)
            .map(|s| s.1),
        Some(now - 10)
    );
    let next = Query::updated_in(1, now, later);
    assert!(
        orders
            .window(&next, &shop, later)
            .iter()
            .all(|e| e.id != victim.id)
    );
    assert_eq!(orders.version(), 1);
    assert_eq!(orders.edited(&shop).len(), 1);
    assert!(orders.edited(&orders.shops[0]).is_empty());
}

#[test]
fn an_order_touched_long_after_its_life_is_still_found() {
    let orders = orders();
    let shop = orders.shops[0].clone();
    let now = orders.generator.opened + 200 * 86_400;
    let old = Query::updated_in(0, orders.generator.opened, orders.generator.opened + 86_400);
    let victim = orders.window(&old, &shop, now)[0];
    assert!(orders.edit(&shop, victim.seq, |t| t.touch(now - 5)));
    let recent = orders.window(&Query::updated_in(0, now - 60, now), &shop, now);
    let found = recent
        .iter()
        .find(|e| e.id == victim.id)
        .map(|e| e.update_time);
    assert_eq!(found, Some(now - 5));
    assert!(
        orders
            .window(&old, &shop, now)
            .iter()
            .all(|e| e.id != victim.id)
    );
}
