//! Edge cases the random payloads of `scan_tests.rs` cannot reach: repeated
//! keys (`serde_json::Value` holds none), values inside `payment` and line
//! items, raw control characters, escaped keys, every number shape, nulls
//! and empties where containers are read, and deep nesting everywhere.
//! Wherever the byte reader reads a payload, `agree` holds serde_json to
//! the same slots; these say where it must read fast and where it must
//! leave the payload to serde_json.

use super::super::order::Order;
use super::super::plan::{Entry, PLAN};
use super::super::scan;
use super::{XorShift, agree, placed};

/// Repeated keys: for a slot or a kept text the last value wins (null too),
/// nested objects merge, the first `line_items` that is not null counts, an
/// unknown key is named once per time it is met: both readers, alike.
#[test]
fn repeated_keys_are_read_fast_and_alike() {
    let payloads = [
        r#"{"id":"1","id":"2","line_items":[{"id":"3"}]}"#,
        r#"{"id":"1","buyer_message":"a","buyer_message":null,"line_items":[{"id":"3"}]}"#,
        r#"{"id":"1","packages":[1],"packages":null,"line_items":[{"id":"3"}]}"#,
        r#"{"id":"1","packages":null,"packages":[1],"line_items":[{"id":"3"}]}"#,
        r#"{"id":"1","payment":{"tax":"1","tax":"2"},"payment":{"total_amount":"3"},"line_items":[{"id":"3"}]}"#,
        r#"{"id":"1","payment":{"tax":"1"},"payment":null,"line_items":[{"id":"3"}]}"#,
        r#"{"id":"1","recipient_address":{"district_info":[1]},"recipient_address":{"district_info":null},"line_items":[{"id":"3"}]}"#,
        r#"{"id":"1","line_items":null,"line_items":[{"id":"3"}]}"#,
        r#"{"id":"1","line_items":[],"line_items":[{"id":"3"}]}"#,
        r#"{"id":"1","line_items":[{"id":"3"}],"line_items":[{"id":"4"},{"id":"5"}],"line_items":null}"#,
        r#"{"id":"1","line_items":[{"id":"3","id":"4","item_tax":[{}],"item_tax":null,"x":1,"x":[2]}]}"#,
        r#"{"id":"1","surprise":1,"surprise":{},"payment":{"new":1,"new":2},"line_items":[{"id":"3"}]}"#,
    ];
    for payload in payloads {
        assert!(agree(payload), "not read fast: {payload}");
    }
    let plan = &*PLAN;
    let mut order = Order::default();
    order.clear(plan);
    scan::read_bytes(&mut order, plan, payloads[0]).expect("read fast");
    let Some(Entry::Slot(id)) = plan.order.entry("id") else {
        panic!("id is read into a slot")
    };
    assert_eq!(
        order.slots[*id].as_ref().and_then(|v| v.as_str()),
        Some("2")
    );
    order.clear(plan);
    scan::read_bytes(&mut order, plan, payloads[9]).expect("read fast");
    assert_eq!(order.items.count, 1, "the first line_items counts");
}

/// Keys in any order, missing, repeated, or close to planned ones (prefixes,
/// case, spaces, empty): the finder's expected-next-key path and the table
/// give the same entries in both readers.
#[test]
fn keys_in_any_order_are_found_alike() {
    let members = [
        r#""id":"1""#,
        r#""status":"A""#,
        r#""update_time":1"#,
        r#""payment":{"tax":"1","currency":"X","total_amount":"2","tax":"3"}"#,
        r#""payment":{"total_amount":"4","ta":1,"taxx":2,"":3}"#,
        r#""recipient_address":{"delivery_preferences":{"drop_off_location":"d"},"name":"n"}"#,
        r#""line_items":[{"id":"3","sku_id":"4","sale_price":"5","odd":1},{"sale_price":"6","id":"7","id":"8"}]"#,
        r#""i":1"#,
        r#""idd":2"#,
        r#""id ":3"#,
        r#""ID":4"#,
        r#""":5"#,
        r#""payment.tax":6"#,
        r#""line_itemss":[1]"#,
    ];
    let mut rng = XorShift(0x5ca1_ab1e);
    for _ in 0..500 {
        let count = rng.below(10);
        let chosen: Vec<&str> = (0..count)
            .map(|_| members[rng.below(members.len())])
            .collect();
        let payload = format!("{{{}}}", chosen.join(","));
        assert!(agree(&payload), "not read fast: {payload}");
    }
}

/// Only space, tab, CR and LF are whitespace; a BOM, form feed, vertical
/// tab or NBSP, or anything after the object, is never read fast.
#[test]
fn only_json_whitespace_is_skipped() {
    assert!(agree(
        " \t\r\n{ \t\r\n\"id\" \t\r\n: \t\r\n\"1\" \t\r\n,\"line_items\"\n:\n[\n{\n}\n,{ }]\r\n}\n\t\r "
    ));
    for payload in [
        "",
        " ",
        "\u{feff}{}",
        "{}\u{feff}",
        "\u{c}{}",
        "{\u{b}}",
        "{\"id\":\u{c}\"1\"}",
        "{\"id\"\u{a0}:\"1\"}",
        "{\"x\":[1,\u{c}2]}",
        "{}x",
        "{} {}",
        "{},",
        "{}\u{0}",
    ] {
        assert!(!agree(payload), "read: {payload:?}");
    }
}

/// Raw control characters (below 0x20) in any string or key are never
/// read fast, at any offset of the 8-byte scan; DEL and non-ASCII are.
#[test]
fn raw_control_characters_are_never_read_but_del_and_non_ascii_are() {
    for c in (0u8..0x20).map(char::from) {
        for payload in [
            format!("{{\"id\":\"a{c}\"}}"),
            format!("{{\"a{c}\":1}}"),
            format!("{{\"packages\":[\"{c}\"]}}"),
            format!("{{\"x\":{{\"{c}\":1}}}}"),
            format!("{{\"id\":\"a\\n{c}\"}}"),
            format!("{{\"id\":\"ééééé{c}\"}}"),
            format!("{{\"line_items\":[{{\"id\":\"0123456789{c}\"}}]}}"),
        ] {
            assert!(!agree(&payload), "read: {payload:?}");
        }
    }
    for pad in 0..20 {
        let text = format!("{}\u{7f}é😀€", "x".repeat(pad));
        let payload = format!(
            r#"{{"id":"{text}","{text}":"{text}","packages":["{text}"],"line_items":[{{"id":"{text}\n"}}]}}"#
        );
        assert!(agree(&payload), "not read fast: {payload}");
    }
}

/// Escapes: decoded as serde_json decodes them where a column reads
/// (surrogates left to it), any four hex digits where skipped or kept,
/// never in a key.
#[test]
fn escapes_are_read_fast_only_where_both_readers_agree() {
    for value in [
        r#""\u0000""#,
        r#""\/""#,
        r#""a\u00e9\u20AC\uFFFFb""#,
        r#""\u001f\"\\\b\f\n\r\t""#,
        r#""é\u0041😀""#,
    ] {
        for payload in placed(value) {
            assert!(agree(&payload), "not read fast: {payload}");
        }
    }
    for value in [
        r#""\ud83d\ude00""#,
        r#""\uD83D\uDE00""#,
        r#""\ud800""#,
        r#""\udc00""#,
        r#""\ud800\u0041""#,
    ] {
        let [read, kept, unmapped] = placed(value);
        assert!(!agree(&read), "surrogates go to serde_json: {read}");
        assert!(
            agree(&kept) && agree(&unmapped),
            "skipped as serde_json skips: {value}"
        );
    }
    for value in [
        r#""\u12g4""#,
        r#""\U0041""#,
        r#""\a""#,
        r#""\u00""#,
        "\"\\u00é9\"",
        "\"\\é\"",
    ] {
        for payload in placed(value) {
            assert!(!agree(&payload), "read: {payload}");
        }
    }
    for payload in [
        r#"{"i\u0064":"1"}"#,
        r#"{"payment":{"t\u0061x":"1"}}"#,
        r#"{"line_items":[{"\u0069d":"1"}]}"#,
        r#"{"line\u005fitems":[{"id":"1"}]}"#,
        r#"{"x\/":1}"#,
    ] {
        assert!(
            !agree(payload),
            "an escaped key goes to serde_json: {payload}"
        );
    }
    assert!(
        agree(r#"{"x":{"k\u00e9\"\ud800":1}}"#),
        "skipped keys may have escapes"
    );
}

/// Numbers where a column reads are serde_json's numbers (u64, i64, f64,
/// -0 as -0.0); kept or skipped only their syntax counts.
#[test]
fn numbers_read_fast_are_serde_jsons_numbers() {
    for value in [
        "0",
        "-0",
        "0.0",
        "-0.0",
        "0e0",
        "1e5",
        "1E+5",
        "1e-5",
        "-1.5e-3",
        "1234567890123456789",
        "9999999999999999999",
        "10000000000000000000",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "-1e-400",
    ] {
        for payload in placed(value) {
            assert!(agree(&payload), "not read fast: {payload}");
        }
    }
    for value in [
        "01",
        "-01",
        "00",
        "+1",
        ".5",
        "5.",
        "-",
        "1e",
        "1e+",
        "1.e5",
        "0x1",
        "1_0",
        "1 2",
        "- 1",
        "Infinity",
        "-Infinity",
        "NaN",
    ] {
        for payload in placed(value) {
            assert!(!agree(&payload), "read: {payload}");
        }
    }
    let [read, kept, unmapped] = placed("1e400");
    assert!(!agree(&read), "no f64 holds it: serde_json decides");
    assert!(
        agree(&kept) && agree(&unmapped),
        "only the syntax of a skipped number counts"
    );
    assert!(!agree(r#"{1:"a"}"#), "a number is not a key");
    assert!(agree(
        r#"{"id":1,"update_time":"1","line_items":[{"id":2,"sale_price":1.50,"sku_id":-0}]}"#
    ));
}

/// Null or empty where an object or array is read; anything else there
/// goes to serde_json.
#[test]
fn nulls_and_empties_where_objects_or_arrays_are_read() {
    for payload in [
        "{}",
        "{ }",
        r#"{"line_items":null}"#,
        r#"{"line_items":[]}"#,
        r#"{"line_items":[ ]}"#,
        r#"{"line_items":[{}]}"#,
        r#"{"line_items":[{ },{"id":"1"}]}"#,
        r#"{"payment":null,"recipient_address":{},"handling_duration":null,"line_items":[{}]}"#,
        r#"{"recipient_address":{"delivery_preferences":null,"district_info":[]}}"#,
        r#"{"recipient_address":{"delivery_preferences":{},"district_info":{}}}"#,
        r#"{"packages":{},"order_rights":[],"x":[[],{},[{}],{"a":[]}]}"#,
    ] {
        assert!(agree(payload), "not read fast: {payload}");
    }
    for payload in [
        r#"{"line_items":7}"#,
        r#"{"line_items":"a"}"#,
        r#"{"line_items":{}}"#,
        r#"{"line_items":true}"#,
        r#"{"line_items":[1]}"#,
        r#"{"line_items":[null]}"#,
        r#"{"line_items":[[]]}"#,
        r#"{"line_items":[{},1]}"#,
        r#"{"line_items":[{},]}"#,
        r#"{"line_items":[,{}]}"#,
        r#"{"payment":7}"#,
        r#"{"payment":[]}"#,
        r#"{"payment":"x"}"#,
        r#"{"payment":false}"#,
        r#"{"id":{}}"#,
        r#"{"id":[]}"#,
        r#"{"line_items":[{"id":{}}]}"#,
    ] {
        assert!(!agree(payload), "read: {payload}");
    }
}

/// Skipped or kept values nest to 64 levels wherever they are (the order,
/// `payment`, a line item, a second `line_items`); deeper go to serde_json.
#[test]
fn skipped_values_nest_to_64_levels_wherever_they_are() {
    let shapes: [fn(usize) -> String; 3] = [
        |n| format!("{}{}", "[".repeat(n), "]".repeat(n)),
        |n| format!("{}null{}", r#"{"a":"#.repeat(n), "}".repeat(n)),
        |n| {
            let open: String = (0..n)
                .map(|i| if i % 2 == 0 { "[" } else { r#"{"a":"# })
                .collect();
            let close: String = (0..n)
                .rev()
                .map(|i| if i % 2 == 0 { "]" } else { "}" })
                .collect();
            format!("{open}0{close}")
        },
    ];
    let places = |v: &str| {
        [
            format!(r#"{{"x":{v},"line_items":[{{"id":"1"}}]}}"#),
            format!(r#"{{"packages":{v},"line_items":[{{"id":"1"}}]}}"#),
            format!(r#"{{"payment":{{"x":{v}}},"line_items":[{{"id":"1"}}]}}"#),
            format!(r#"{{"recipient_address":{{"district_info":{v}}}}}"#),
            format!(r#"{{"line_items":[{{"id":"1","item_tax":{v},"x":{v}}}]}}"#),
            format!(r#"{{"line_items":[{{"id":"1"}}],"line_items":{v}}}"#),
        ]
    };
    for shape in shapes {
        for payload in places(&shape(64)) {
            assert!(agree(&payload), "not read fast: {payload}");
        }
        for n in [65, 129, 300] {
            for payload in places(&shape(n)) {
                assert!(!agree(&payload), "read {n} levels: {payload}");
            }
        }
    }
}
