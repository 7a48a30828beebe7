//! Same-second bursts: many orders sharing one `update_time` second, as
//! when the platform refreshes a batch of orders at once. A page can then
//! lie entirely within one second, which breaks a client that resumes
//! from "the last `update_time` it saw" with an exclusive bound (it skips
//! the rest of the second) or an inclusive one without paging inside the
//! second (it reads the same page forever).
//!
//! A burst takes the orders of each shop created last before its instant
//! and freezes them there: updated at that second, unchanged since.

use crate::world::orders::Orders;

/// Puts `count` orders of every shop in a burst at `at` (unix seconds);
/// returns how many orders it froze in all (fewer when a shop has fewer
/// orders before `at`).
pub(crate) fn install(orders: &Orders, at: i64, count: u32) -> u32 {
    let generator = orders.generator;
    let mut frozen = 0;
    for shop in &orders.shops {
        let mut taken = 0;
        for seq in generator.seqs_created_in(generator.opened, at).rev() {
            if taken == count {
                break;
            }
            let created = generator.create_time(shop, seq);
            if created < generator.opened || created >= at {
                continue;
            }
            if orders.edit(shop, seq, |timeline| timeline.freeze(at)) {
                taken += 1;
            }
        }
        frozen += taken;
    }
    frozen
}

#[cfg(test)]
use crate::world::{generator::Generator, query::Query};

#[test]
fn a_burst_puts_its_orders_in_one_second_for_good() {
    let at = 1_795_500_000;
    let generator = Generator {
        seed: 5,
        orders_per_day: 300,
        corrupt_every: None,
        opened: at - 10 * 86_400,
    };
    let orders = Orders::new(generator, &["GCP_A".to_owned(), "ROW_B".to_owned()]);
    assert_eq!(install(&orders, at, 250), 500);
    for shop in &orders.shops {
        let later = at + 30 * 86_400;
        let second = Query::updated_in(shop.index, at, at + 1);
        let burst = orders.window(&second, shop, later);
        assert!(burst.len() >= 250, "{}", burst.len());
        assert!(burst.iter().all(|e| e.update_time == at));
    }
    let tiny = Generator {
        opened: at - 600,
        ..generator
    };
    assert!(install(&Orders::new(tiny, &["ROW_C".to_owned()]), at, 250) < 10);
}
