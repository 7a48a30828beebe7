//! What an order is before anyone looks at it: the plan the generator
//! draws (numbers, ids, who, what, how it will live) and the pieces it is
//! made of. Every part of the world that makes or reads a piece of an
//! order (buyers, baskets, payments, the generator) shares these types
//! from here, so none of them has to know the others.

use crate::world::catalog::Sku;
use crate::world::markets::market::{Carrier, Market, Person, Place};
use crate::world::money::Payment;
use crate::world::rng::permute;
use crate::world::timeline::Timeline;

/// Shops are numbered into ids, so their count is bounded.
pub(crate) const MAX_SHOPS: usize = 64;

/// A configured shop.
#[derive(Debug, Clone)]
pub(crate) struct Shop {
    pub index: usize,
    pub cipher: String,
    /// Seeds everything about the shop: combine(seed, hash(cipher)).
    pub key: u64,
}

/// Who bought: the same buyer index always has the same name and address.
#[derive(Debug, Clone)]
pub(crate) struct Buyer {
    pub user_id: u64,
    pub person: &'static Person,
    pub place: &'static Place,
    pub street: &'static str,
    /// Seeds the buyer's digits (postal code, phone, e-mail).
    pub seed: u64,
}

/// One unit of a SKU in an order (a line item).
#[derive(Debug, Clone)]
pub(crate) struct LinePlan {
    pub id: u64,
    pub sku: Sku,
    pub original: i64,
    pub seller_discount: i64,
    pub platform_discount: i64,
    pub tax: i64,
    pub package: usize,
}

impl LinePlan {
    pub(crate) fn sale(&self) -> i64 {
        self.original - self.seller_discount - self.platform_discount
    }
}

/// Everything about one order except how it looks at a given time.
#[derive(Debug, Clone)]
pub(crate) struct OrderPlan {
    pub id: u64,
    pub order_number: u64,
    pub market: &'static Market,
    pub buyer: Buyer,
    pub lines: Vec<LinePlan>,
    pub payment: Payment,
    pub timeline: Timeline,
    pub carrier: &'static Carrier,
    pub shipping_type: &'static str,
    pub fulfillment_type: &'static str,
    pub payment_method: &'static str,
    pub is_cod: bool,
    pub pre_order: bool,
    pub corrupt: bool,
    /// Seeds the cosmetic choices of the renderer (notes, nicknames, ...).
    pub details_seed: u64,
}

impl OrderPlan {
    /// The 19-digit id of package `index` of this order.
    pub(crate) fn package_id(&self, index: usize) -> u64 {
        1_152_000_000_000_000_000 + permute(self.order_number * 4 + index as u64, 0x9ACC, 60)
    }
}
