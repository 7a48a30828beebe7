//! The orders: a deterministic function of (seed, shop, sequence number).
//!
//! Time is cut into slots of `86400 / orders_per_day` seconds from a fixed
//! epoch; order `seq` of a shop is created in slot `seq`. Everything else
//! about it (basket, prices, buyer, lifecycle) comes from a random stream
//! seeded by (seed, shop, seq). So any order can be regenerated on its own,
//! a window is found by enumerating slots, and nothing needs to be stored.
//! This module draws the plan (numbers and ids); the renderer turns a plan
//! into the API's JSON at a given "now".

use std::ops::Range;

use crate::world::basket::basket;
use crate::world::buyer::choose_buyer;
use crate::world::lifecycle::Shape;
use crate::world::markets::markets_of_shop;
use crate::world::payment::payment;
use crate::world::plan::{MAX_SHOPS, OrderPlan, Shop};
use crate::world::rng::{Rng, combine, permute};
use crate::world::timeline::Timeline;

/// Slot 0 starts here (2016-01-01T00:00:00Z); no order is older.
pub(crate) const EPOCH: i64 = 1_451_606_400;

/// The knobs of the generator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Generator {
    pub seed: u64,
    pub orders_per_day: u32,
    pub corrupt_every: Option<u32>,
    /// Shops opened here: no order was created before.
    pub opened: i64,
}

impl Generator {
    fn slot_len(&self) -> i64 {
        (86_400 / i64::from(self.orders_per_day.max(1))).max(1)
    }

    /// When order `seq` of `shop` is created.
    pub(crate) fn create_time(&self, shop: &Shop, seq: u64) -> i64 {
        let start = i128::from(seq) * 86_400 / i128::from(self.orders_per_day.max(1));
        let jitter = Rng::new(combine(shop.key, seq)).below(self.slot_len() as u64) as i64;
        EPOCH + start as i64 + jitter
    }

    /// Sequence numbers of every order that may be created in `[from, to)`
    /// (a superset: callers check [`Generator::create_time`]).
    pub(crate) fn seqs_created_in(&self, from: i64, to: i64) -> Range<u64> {
        if self.orders_per_day == 0 {
            return 0..0;
        }
        let per_day = i128::from(self.orders_per_day);
        let lo = (i128::from(from.max(self.opened) - EPOCH - self.slot_len()).max(0) * per_day
            / 86_400) as u64;
        let hi = (i128::from(to - EPOCH).max(0) * per_day / 86_400) as u64 + 2;
        lo..hi.max(lo)
    }

    /// The whole plan of order `seq` of `shop`.
    pub(crate) fn plan(&self, shop: &Shop, seq: u64) -> OrderPlan {
        let created = self.create_time(shop, seq);
        let mut rng = Rng::new(combine(shop.key, seq ^ 0x0DE5_0000_0000_0000));
        let markets = markets_of_shop(shop.index);
        let weights: Vec<u32> = markets.iter().map(|(_, w)| *w).collect();
        let market_slot = rng.weighted(&weights);
        let market = markets[market_slot].0;
        let order_number = seq * MAX_SHOPS as u64 + shop.index as u64;
        let id = 576_000_000_000_000_000 + permute(order_number, combine(self.seed, 1), 52);
        let pool = u64::from(self.orders_per_day).max(40) * 5;
        let buyer = choose_buyer(self.seed, shop, market, market_slot, rng.below(pool));
        let mut lines = basket(
            &mut rng,
            market,
            order_number,
            self.seed,
            buyer.place.tax_e5,
        );
        let packages = if lines.len() >= 2 && rng.chance(150) {
            2
        } else {
            1
        };
        let split = lines.len().div_ceil(2);
        for (i, line) in lines.iter_mut().enumerate() {
            line.package = usize::from(packages == 2 && i >= split);
        }
        let payment = payment(&mut rng, market, buyer.place, &lines);
        let pre_order = rng.chance(20);
        let is_cod = rng.chance(market.cod_per_mille);
        let fulfilled_by_tiktok = rng.chance(100);
        let shape = Shape {
            on_hold_per_mille: market.on_hold_per_mille,
            pre_order,
            packages,
        };
        OrderPlan {
            id,
            order_number,
            market,
            buyer,
            lines,
            payment,
            timeline: Timeline::plan(&mut rng, created, shape),
            carrier: rng.pick(market.carriers),
            shipping_type: if fulfilled_by_tiktok || rng.chance(800) {
                "TIKTOK"
            } else {
                "SELLER"
            },
            fulfillment_type: if fulfilled_by_tiktok {
                "FULFILLMENT_BY_TIKTOK"
            } else {
                "FULFILLMENT_BY_SELLER"
            },
            payment_method: if is_cod {
                "Cash on delivery"
            } else {
                rng.pick::<&str>(market.payment_methods)
            },
            is_cod,
            pre_order,
            corrupt: self
                .corrupt_every
                .is_some_and(|n| n > 0 && seq % u64::from(n) == 0),
            details_seed: rng.next_u64(),
        }
    }
}

#[cfg(test)]
use crate::world::catalog::Sku;
#[cfg(test)]
use crate::world::plan::LinePlan;
#[cfg(test)]
use std::collections::{HashMap, HashSet};

#[cfg(test)]
fn generator() -> Generator {
    Generator {
        seed: 7,
        orders_per_day: 800,
        corrupt_every: Some(10),
        opened: EPOCH,
    }
}

#[cfg(test)]
fn shops() -> [Shop; 2] {
    [
        Shop {
            index: 0,
            cipher: "GCP_A".into(),
            key: 11,
        },
        Shop {
            index: 1,
            cipher: "ROW_B".into(),
            key: 12,
        },
    ]
}

#[cfg(test)]
fn plans() -> impl Iterator<Item = OrderPlan> {
    let g = generator();
    shops()
        .into_iter()
        .flat_map(move |shop| (300_000..302_000u64).map(move |seq| g.plan(&shop, seq)))
}

#[test]
fn plans_are_deterministic_and_ids_unique() {
    let g = generator();
    let [a, _] = shops();
    assert_eq!(
        format!("{:?}", g.plan(&a, 5)),
        format!("{:?}", g.plan(&a, 5))
    );
    let mut orders = HashSet::new();
    let mut lines = HashSet::new();
    for plan in plans() {
        assert!(orders.insert(plan.id));
        assert_eq!(plan.id.to_string().len(), 18);
        assert_eq!(plan.buyer.user_id.to_string().len(), 19);
        assert!(
            plan.lines
                .iter()
                .all(|l| lines.insert(l.id) && l.id.to_string().len() == 18)
        );
    }
}

#[test]
fn one_line_item_per_unit_sharing_the_sku_prices() {
    let mut quantities = HashMap::new();
    for plan in plans() {
        let mut per_sku: HashMap<Sku, Vec<&LinePlan>> = HashMap::new();
        for line in &plan.lines {
            per_sku.entry(line.sku).or_default().push(line);
        }
        for units in per_sku.values() {
            let first = units[0];
            assert!(units.iter().all(
                |u| (u.original, u.sale(), u.tax) == (first.original, first.sale(), first.tax)
            ));
            *quantities.entry(units.len()).or_insert(0) += 1;
        }
    }
    assert!(
        quantities.contains_key(&1) && quantities.contains_key(&3),
        "{quantities:?}"
    );
}

#[test]
fn money_adds_up_exactly() {
    for plan in plans() {
        let p = &plan.payment;
        let sum = |f: fn(&LinePlan) -> i64| plan.lines.iter().map(f).sum::<i64>();
        assert_eq!(p.original_total_product_price, sum(|l| l.original));
        assert_eq!(p.sub_total, sum(|l| l.sale()));
        assert_eq!(
            p.sub_total,
            p.original_total_product_price - p.seller_discount - p.platform_discount
        );
        assert_eq!(
            p.shipping_fee,
            p.original_shipping_fee
                - p.shipping_fee_seller_discount
                - p.shipping_fee_platform_discount
        );
        assert_eq!(p.tax, sum(|l| l.tax) + p.shipping_fee_tax);
        assert_eq!(
            p.total_amount,
            p.sub_total + p.shipping_fee + p.tax + p.retail_delivery_fee
        );
        assert!(plan.lines.iter().all(|l| l.sale() > 0) && p.shipping_fee >= 0);
    }
}

#[test]
fn slots_enumerate_every_order_of_a_range() {
    let g = generator();
    let [a, _] = shops();
    let (from, to) = (EPOCH + 1000 * 86_400 + 77, EPOCH + 1001 * 86_400);
    let seqs: Vec<u64> = g
        .seqs_created_in(from, to)
        .filter(|s| (from..to).contains(&g.create_time(&a, *s)))
        .collect();
    let wider = g.seqs_created_in(from - 86_400, to + 86_400);
    let all = wider
        .filter(|s| (from..to).contains(&g.create_time(&a, *s)))
        .count();
    assert_eq!(seqs.len(), all);
    assert!((790..=800).contains(&all), "{all}");
    assert!(plans().filter(|p| p.corrupt).count() == 400);
}
