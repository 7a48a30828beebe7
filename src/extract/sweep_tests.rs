//! One test per paging edge, against an in-memory API whose page tokens are
//! positions in the live list (as the real one's are) and whose orders a
//! script updates between requests.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use super::*;
use crate::source::{ShopPace, SourceStats};

const SINCE: i64 = 1_000_000;
const UNTIL: i64 = 1_100_000;

/// An order as the server holds it: the time it is filed under, and the
/// `update_time` its payload shows (none, in one test).
#[derive(Debug, Clone, Copy)]
struct Held {
    filed: i64,
    shown: Option<i64>,
}

type Script = Box<dyn Fn(u32, &mut BTreeMap<String, Held>) + Send + Sync>;

/// The fake API: `script` runs before each search request is answered
/// (with the request's number, from 1).
struct Live {
    orders: Mutex<BTreeMap<String, Held>>,
    requests: Mutex<u32>,
    script: Script,
    /// Requests answered with an empty page and a token to the first page.
    empty_pages: Vec<u32>,
}

impl Live {
    fn new(orders: impl IntoIterator<Item = (String, i64)>) -> Live {
        let orders = orders
            .into_iter()
            .map(|(id, t)| {
                let held = Held {
                    filed: t,
                    shown: Some(t),
                };
                (id, held)
            })
            .collect();
        Live {
            orders: Mutex::new(orders),
            requests: Mutex::new(0),
            script: Box::new(|_, _| {}),
            empty_pages: Vec::new(),
        }
    }

    fn with_script(
        self,
        script: impl Fn(u32, &mut BTreeMap<String, Held>) + Send + Sync + 'static,
    ) -> Live {
        Live {
            script: Box::new(script),
            ..self
        }
    }

    /// The orders filed in `[since, until)` now, by id.
    fn in_window(&self) -> HashMap<String, i64> {
        let orders = self.orders.lock().unwrap();
        orders
            .iter()
            .filter(|(_, h)| (SINCE..UNTIL).contains(&h.filed))
            .map(|(id, h)| (id.clone(), h.filed))
            .collect()
    }

    fn requests(&self) -> u32 {
        *self.requests.lock().unwrap()
    }
}

impl OrderSource for Live {
    type Error = std::io::Error;

    fn is_retryable(_: &std::io::Error) -> bool {
        false
    }

    fn stats(&self) -> SourceStats {
        SourceStats::default()
    }

    fn pace(&self, _: &ShopCipher) -> Option<ShopPace> {
        None
    }

    async fn shops(&self) -> Result<Vec<ShopCipher>, std::io::Error> {
        Ok(Vec::new())
    }

    async fn search(
        &self,
        _: &ShopCipher,
        window: &Window,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<RecordPage, std::io::Error> {
        let number = {
            let mut requests = self.requests.lock().unwrap();
            *requests += 1;
            *requests
        };
        assert!(number < 10_000, "the sweep does not end");
        let mut orders = self.orders.lock().unwrap();
        (self.script)(number, &mut orders);
        let (since, until) = (window.since.timestamp(), window.until.timestamp());
        let mut live: Vec<(&String, &Held)> = orders
            .iter()
            .filter(|(_, h)| (since..until).contains(&h.filed))
            .collect();
        live.sort_by_key(|(id, h)| (h.filed, (*id).clone()));
        let request_id = format!("req-{number}");
        if self.empty_pages.contains(&number) {
            return Ok(RecordPage {
                request_id,
                records: Vec::new(),
                next_cursor: Some("0".into()),
                total_count: Some(live.len() as u64),
            });
        }
        let offset: usize = cursor.map_or(0, |c| c.parse().unwrap());
        let end = (offset + page_size as usize).min(live.len());
        let records = live[offset.min(end)..end]
            .iter()
            .map(|(id, h)| RawRecord {
                id: (*id).clone(),
                status: None,
                create_time: None,
                update_time: h.shown,
                payload: "{}".into(),
            })
            .collect();
        Ok(RecordPage {
            request_id,
            records,
            next_cursor: (end < live.len()).then(|| end.to_string()),
            total_count: Some(live.len() as u64),
        })
    }
}

/// Collects what sweeps emit; slices split off are swept after.
struct Collect {
    emitted: Mutex<Vec<RawRecord>>,
    splits: Mutex<Vec<(i64, i64)>>,
    target: u64,
}

impl SweepSink for Collect {
    fn window_end(&self) -> i64 {
        UNTIL
    }

    async fn records(&self, _: &str, records: Vec<RawRecord>) -> Result<(), ExtractError> {
        self.emitted.lock().unwrap().extend(records);
        Ok(())
    }

    fn covered(&self, _: i64) {}

    fn split_off(&self, start: i64, end: i64) {
        self.splits.lock().unwrap().push((start, end));
    }

    fn split_target(&self) -> u64 {
        self.target
    }
}

/// Sweeps the window (and every slice split off, one after another) and
/// returns the records emitted and the summed stats.
async fn sweep_all(source: &Live, page_size: u32, target: u64) -> (Vec<RawRecord>, SweepStats) {
    let shop = ShopCipher::parse("GCP_test_shop").unwrap();
    let sink = Collect {
        emitted: Mutex::new(Vec::new()),
        splits: Mutex::new(vec![(SINCE, UNTIL)]),
        target,
    };
    let mut total = SweepStats::default();
    loop {
        let next = sink.splits.lock().unwrap().pop();
        let Some((start, end)) = next else { break };
        let slice = Slice::new(start, end);
        let stats = sweep(source, &shop, &slice, page_size, &sink)
            .await
            .unwrap();
        total.pages += stats.pages;
        total.emitted += stats.emitted;
        total.duplicates += stats.duplicates;
        total.crowded_seconds += stats.crowded_seconds;
    }
    (sink.emitted.into_inner().unwrap(), total)
}

fn ids(prefix: &str, times: impl IntoIterator<Item = i64>) -> Vec<(String, i64)> {
    times
        .into_iter()
        .enumerate()
        .map(|(i, t)| (format!("{prefix}{i:05}"), t))
        .collect()
}

/// The newest version emitted of each order; panics on an order emitted
/// twice in one version.
fn newest(emitted: &[RawRecord]) -> HashMap<String, Option<i64>> {
    let mut versions: HashMap<(String, Option<i64>), u32> = HashMap::new();
    for r in emitted {
        *versions.entry((r.id.clone(), r.update_time)).or_default() += 1;
    }
    let doubled: Vec<_> = versions.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "emitted twice: {doubled:?}");
    let mut newest: HashMap<String, Option<i64>> = HashMap::new();
    for r in emitted {
        let best = newest.entry(r.id.clone()).or_insert(r.update_time);
        *best = (*best).max(r.update_time);
    }
    newest
}

/// Every order of the window at the end was emitted in its final version.
fn assert_all_final(source: &Live, emitted: &[RawRecord]) {
    let got = newest(emitted);
    for (id, time) in source.in_window() {
        assert_eq!(got.get(&id), Some(&Some(time)), "order {id}");
    }
}

#[tokio::test]
async fn a_quiet_window_is_read_whole_once() {
    let source = Live::new(ids("a", (0..1_000).map(|i| SINCE + i * 97)));
    let (emitted, stats) = sweep_all(&source, 100, 1_000_000).await;
    assert_eq!(emitted.len(), 1_000);
    assert_all_final(&source, &emitted);
    assert_eq!(stats.crowded_seconds, 0);
}

#[tokio::test]
async fn a_page_entirely_within_one_second_is_read_with_tokens_to_its_end() {
    // 250 orders share one second, with quieter orders around them.
    let crowded = SINCE + 5_000;
    let mut orders = ids("before", (0..150).map(|i| SINCE + i * 10));
    orders.extend(ids("burst", std::iter::repeat_n(crowded, 250)));
    orders.extend(ids("after", (0..150).map(|i| crowded + 1 + i * 10)));
    let source = Live::new(orders);
    let (emitted, stats) = sweep_all(&source, 100, 1_000_000).await;
    assert_eq!(stats.crowded_seconds, 1);
    assert_eq!(emitted.len(), 550, "each order once");
    assert_all_final(&source, &emitted);
}

#[tokio::test]
async fn a_crowded_second_whose_orders_move_away_while_it_is_read_loses_none() {
    // While the second is read with tokens, orders of it already read are
    // updated to later in the window: every later page shifts up.
    let crowded = SINCE + 100;
    let source =
        Live::new(ids("burst", std::iter::repeat_n(crowded, 350))).with_script(move |n, orders| {
            let moved: Vec<String> = orders
                .iter()
                .filter(|(_, h)| h.filed == crowded)
                .take(7)
                .map(|(id, _)| id.clone())
                .collect();
            if n >= 3 {
                for id in moved {
                    let t = crowded + 1_000 + i64::from(n);
                    orders.insert(
                        id,
                        Held {
                            filed: t,
                            shown: Some(t),
                        },
                    );
                }
            }
        });
    let (emitted, stats) = sweep_all(&source, 100, 1_000_000).await;
    assert!(stats.crowded_seconds >= 1);
    assert_all_final(&source, &emitted);
    assert_eq!(newest(&emitted).len(), 350);
}

#[tokio::test]
async fn an_empty_page_with_a_next_token_is_followed() {
    let mut source = Live::new(ids("a", (0..250).map(|i| SINCE + i)));
    source.empty_pages = vec![1];
    let (emitted, _) = sweep_all(&source, 100, 1_000_000).await;
    assert_eq!(emitted.len(), 250);
    assert_all_final(&source, &emitted);
    assert!(source.requests() >= 4, "the empty page and three pages");
}

#[tokio::test]
async fn an_order_without_update_time_is_kept_and_never_moves_the_sweep() {
    let mut orders: BTreeMap<String, Held> = ids("a", (0..300).map(|i| SINCE + i * 3))
        .into_iter()
        .map(|(id, t)| {
            (
                id,
                Held {
                    filed: t,
                    shown: Some(t),
                },
            )
        })
        .collect();
    // Shown without update_time, and (on a later page) one whose payload
    // says a time past the window, as after a refresh during the search.
    orders.get_mut("a00099").unwrap().shown = None;
    orders.get_mut("a00150").unwrap().shown = Some(UNTIL + 50);
    let source = Live::new([]);
    *source.orders.lock().unwrap() = orders;
    let (emitted, _) = sweep_all(&source, 100, 1_000_000).await;
    let got = newest(&emitted);
    assert_eq!(got.len(), 300, "every order, once");
    assert_eq!(got["a00099"], None);
    assert_eq!(got["a00150"], Some(UNTIL + 50));
    assert_eq!(got["a00299"], Some(SINCE + 299 * 3));
}

#[tokio::test]
async fn a_page_of_orders_without_update_time_falls_back_to_tokens() {
    let source = Live::new(ids("a", (0..250).map(|i| SINCE + i)));
    for held in source.orders.lock().unwrap().values_mut() {
        held.shown = None;
    }
    let (emitted, _) = sweep_all(&source, 100, 1_000_000).await;
    assert_eq!(newest(&emitted).len(), 250);
}

#[tokio::test]
async fn an_order_updated_past_until_while_paging_costs_no_other_order() {
    // Before each of the first requests, the oldest order of the window is
    // updated past `until`: with tokens, each would lose one unread order.
    let source = Live::new(ids("a", (0..500).map(|i| SINCE + i * 11))).with_script(|n, orders| {
        if (2..=4).contains(&n) {
            let oldest = orders
                .iter()
                .filter(|(_, h)| h.filed < UNTIL)
                .min_by_key(|(_, h)| h.filed)
                .map(|(id, _)| id.clone())
                .unwrap();
            let t = UNTIL + i64::from(n);
            orders.insert(
                oldest,
                Held {
                    filed: t,
                    shown: Some(t),
                },
            );
        }
    });
    let (emitted, _) = sweep_all(&source, 100, 1_000_000).await;
    let got = newest(&emitted);
    assert_eq!(
        got.len(),
        500,
        "the three moved orders were read before they moved"
    );
    assert_all_final(&source, &emitted);
}

/// A small xorshift, so the random walks below are the same every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Sweeps 40 random windows: orders (some crowded into one second)
/// updated at random between requests to the server's clock, which starts
/// at `clock` and moves on a little with every request (an update takes
/// "now", later than every order's time). Every order in the window at the
/// end is emitted in its final version, so every order that never changed
/// is too.
async fn random_walks(target: u64, clock: i64) {
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let crowded = SINCE + 40_000;
        let mut orders = ids("q", (0..400).map(|_| SINCE + rng.below(80_000) as i64));
        orders.extend(ids("c", std::iter::repeat_n(crowded, 120)));
        let walk = Mutex::new((Rng(seed), clock));
        let source = Live::new(orders).with_script(move |_, orders| {
            let (rng, now) = &mut *walk.lock().unwrap();
            *now += 1 + rng.below(300) as i64;
            for _ in 0..rng.below(4) {
                let key = match rng.below(4) {
                    0 => format!("c{:05}", rng.below(120)),
                    _ => format!("q{:05}", rng.below(400)),
                };
                orders.insert(
                    key,
                    Held {
                        filed: *now,
                        shown: Some(*now),
                    },
                );
            }
        });
        let (emitted, _) = sweep_all(&source, 50, target).await;
        assert_all_final(&source, &emitted);
    }
}

#[tokio::test]
async fn random_updates_within_one_slice_never_lose_an_order() {
    // The server's clock inside the window (ours runs ahead of it): updated
    // orders move to later in the slice, and a few past its end.
    random_walks(1_000_000, SINCE + 80_000).await;
    random_walks(1_000_000, UNTIL - 2_000).await;
}

#[tokio::test]
async fn random_updates_past_the_window_never_lose_an_order_across_slices() {
    // Split into slices of about 150 orders (swept one after another, the
    // newest first); updates carry the server's "now", past the window's
    // end (see the module docs: the window ends --lag-seconds before now).
    random_walks(150, UNTIL).await;
}

#[tokio::test]
async fn a_slice_whose_rest_fits_on_its_page_is_not_split() {
    // Asked to split while its last page is read: nothing is handed over.
    let source = Live::new(ids("a", (0..150).map(|i| SINCE + i * 100)));
    let shop = ShopCipher::parse("GCP_test_shop").unwrap();
    let sink = Collect {
        emitted: Mutex::new(Vec::new()),
        splits: Mutex::new(Vec::new()),
        target: 1_000_000,
    };
    let slice = Slice::new(SINCE, UNTIL);
    slice.want_split();
    sweep(&source, &shop, &slice, 100, &sink).await.unwrap();
    assert_eq!(
        sink.splits.lock().unwrap().len(),
        1,
        "split on the first, full page"
    );
    slice.want_split();
    let rest = Slice::new(SINCE + 14_000, UNTIL);
    rest.want_split();
    sweep(&source, &shop, &rest, 100, &sink).await.unwrap();
    assert_eq!(
        sink.splits.lock().unwrap().len(),
        1,
        "one page held the rest"
    );
}
