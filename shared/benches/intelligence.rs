//! `make bench`: the intelligence computation for a long call (2 hours, 5,000 transcript entries,
//! 2,000 real-time signals, 100 post-call turns, 2 legs), next to the floor measured in the same
//! run: just deserialising those items from DynamoDB's attribute maps. The computation is what an
//! invocation does once the Query pages are in: decode and sort the items, find the moments,
//! compose the summary and insights, and render the JSON answer.
//!
//! Also prints how many DynamoDB requests one invocation makes for that call: one Query for the
//! recordId, and the 1 MB pages of one Query over the conversation partition.

#[path = "long_call.rs"]
mod long_call;

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_dynamo::aws_sdk_dynamodb_1::from_item;
use shared::intelligence::{self, InsightCategories};
use shared::store::dynamo::decode_conversation;

use long_call::{item_size, long_call, Item};
use shared::store::items::{LegItem, MessageItem, PostCallItem, SignalItem};

/// Median times of `floor` and `full` over fresh copies of the items (copied outside the timer:
/// the Query pages deliver owned attribute maps, and both sides consume them). The two run in
/// turns, so that a busy moment of the machine weighs on both alike.
fn measure_pair(
    items: &[Item],
    mut floor: impl FnMut(Vec<Item>),
    mut full: impl FnMut(Vec<Item>),
) -> (Duration, Duration) {
    floor(items.to_vec());
    full(items.to_vec());
    let timed = |f: &mut dyn FnMut(Vec<Item>)| {
        let copy = items.to_vec();
        let start = Instant::now();
        f(copy);
        start.elapsed()
    };
    let (mut floors, mut fulls): (Vec<Duration>, Vec<Duration>) = (0..31)
        .map(|_| (timed(&mut floor), timed(&mut full)))
        .unzip();
    floors.sort();
    fulls.sort();
    (floors[floors.len() / 2], fulls[fulls.len() / 2])
}

fn main() {
    let items = long_call();
    let categories = InsightCategories::from_json(
        r#"{"categories":[{"orgId":"00DHs00000Kmpyr","name":"Competitor","keywords":["Genius Solutions"],"alert":true}]}"#,
    )
    .expect("categories");
    let tenant = categories.for_org("00DHs00000Kmpyr");

    // Both sides start from the items as the Query pages deliver them (owned attribute maps).
    let floor = |items: Vec<Item>| {
        for item in items {
            match item.get("itemType") {
                Some(AttributeValue::S(k)) if k == "MESSAGE" => {
                    drop(black_box(from_item::<MessageItem>(item).expect("message")))
                }
                Some(AttributeValue::S(k)) if k == "SIGNAL" => {
                    drop(black_box(from_item::<SignalItem>(item).expect("signal")))
                }
                Some(AttributeValue::S(k)) if k == "LEG" => {
                    drop(black_box(from_item::<LegItem>(item).expect("leg")))
                }
                _ => drop(black_box(
                    from_item::<PostCallItem>(item).expect("post call"),
                )),
            }
        }
    };
    let mut answer_bytes = 0;
    let full = |items: Vec<Item>| {
        let record = decode_conversation(items).expect("decodes");
        let outputs = intelligence::compute(&record, tenant);
        let json = serde_json::to_vec(&outputs).expect("serialises");
        answer_bytes = json.len();
        black_box(json);
    };
    let (floor, full) = measure_pair(&items, floor, full);

    let bytes: usize = items.iter().map(item_size).sum();
    let pages = bytes.div_ceil(1024 * 1024);
    println!("intelligence for a 2-hour call: 5,000 transcript entries, 2,000 signals, 100 post-call turns, 2 legs");
    println!(
        "  floor (deserialise the items):               {:>9.2} ms",
        floor.as_secs_f64() * 1e3
    );
    println!(
        "  invocation (decode, compute, render JSON):   {:>9.2} ms",
        full.as_secs_f64() * 1e3
    );
    println!(
        "  ratio:                                       {:>9.2}×",
        full.as_secs_f64() / floor.as_secs_f64()
    );
    println!("  answer: {answer_bytes} bytes of JSON");
    println!(
        "  DynamoDB requests per invocation: {} (1 Query for the recordId + {pages} Query page(s) of ≤1 MB for {:.2} MB of items, the minimum)",
        1 + pages,
        bytes as f64 / (1024.0 * 1024.0)
    );
}
