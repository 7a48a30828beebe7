//! Ids the renderer derives rather than plans: ids named after a thing
//! (carriers, delivery options, warehouses, shops) and tracking numbers in
//! each carrier's own shape.

use crate::world::plan::OrderPlan;
use crate::world::rng::{Rng, combine, hash_str};

/// A 19-digit id derived from a name.
pub(crate) fn named_id(prefix: u64, name: &str) -> String {
    (prefix + hash_str(name) % 1_000_000_000_000_000).to_string()
}

/// The tracking number of package `index`.
pub(crate) fn tracking_number(plan: &OrderPlan, index: usize) -> String {
    let mut rng = Rng::new(combine(plan.details_seed, 0x7_0000 + index as u64));
    format!(
        "{}{}",
        plan.carrier.tracking_prefix,
        rng.digits(plan.carrier.digits)
    )
}

#[test]
fn named_ids_have_19_digits_and_follow_the_name() {
    let a = named_id(6_617_000_000_000_000_000, "USPS");
    assert_eq!(a.len(), 19);
    assert_eq!(a, named_id(6_617_000_000_000_000_000, "USPS"));
    assert_ne!(a, named_id(6_617_000_000_000_000_000, "UPS"));
}
