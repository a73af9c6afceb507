//! `make bench`: post-call analysis of the 2-hour call (5,000 transcript entries, 2,000
//! real-time signals, 100 post-call turns, 2 legs; see `long_call.rs`).
//!
//! * Answered from its record: the invocation's work once the record Query's page is in
//!   (decode the record and head items, check freshness, decompress and parse the outputs,
//!   render the JSON answer) next to deserialising that record alone (decode the item,
//!   decompress, parse the outputs); and the DynamoDB requests of one invocation.
//! * The analysis of that call: its time (decode the data items, compute, serialise, compress,
//!   build the record item) and its DynamoDB requests.
//! * What the head protocol adds to each write.

#[path = "long_call.rs"]
mod long_call;

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_item};
use serde_json::{json, Value};
use shared::intelligence::{self, InsightCategories};
use shared::store::analysis::{
    compress, decompress, read_record_and_head, AnalysisItem, HeadItem, ANALYSIS_ITEM, ANALYSIS_SK,
    HEAD_ITEM, HEAD_SK,
};
use shared::store::dynamo::decode_conversation;

use long_call::{item_size, long_call, Item};

const PAGE: usize = 1024 * 1024;
const PK: &str = "00DHs00000Kmpyr#CONV#long-call";

/// Median time of `f` over fresh copies of `input` (copied outside the timer: the Query pages
/// deliver owned attribute maps, and every measured side consumes them).
fn measure<T: Clone>(input: &T, mut f: impl FnMut(T)) -> Duration {
    f(input.clone());
    let mut runs: Vec<Duration> = (0..31)
        .map(|_| {
            let copy = input.clone();
            let start = Instant::now();
            f(copy);
            start.elapsed()
        })
        .collect();
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let data = long_call();
    let categories = InsightCategories::from_json(
        r#"{"categories":[{"orgId":"00DHs00000Kmpyr","name":"Competitor","keywords":["Genius Solutions"],"alert":true}]}"#,
    )
    .expect("categories");
    let tenant = categories.for_org("00DHs00000Kmpyr");
    let head = HeadItem {
        pk: PK.into(),
        sk: HEAD_SK.into(),
        item_type: HEAD_ITEM.into(),
        version: 7_412,
        ended: true,
        part_of: None,
        expires_at: 1_803_225_600,
    };

    // The analysis: what the function computes once the data Query's pages are in.
    let mut record_item: Item = Item::new();
    let mut json_bytes = 0;
    let analysis = measure(&data, |items| {
        let record = decode_conversation(items).expect("decodes");
        let outputs = intelligence::compute(&record, tenant);
        let json = serde_json::to_vec(&outputs).expect("serialises");
        json_bytes = json.len();
        let item = AnalysisItem {
            pk: PK.into(),
            sk: ANALYSIS_SK.into(),
            item_type: ANALYSIS_ITEM.into(),
            conversation_key: "long-call".into(),
            head_version: head.version,
            analysed_at: 1_795_456_800,
            summariser: "built-in".into(),
            partitions: vec!["long-call".into()],
            outputs: compress(&json),
            parts: 0,
            published: false,
            expires_at: 1_803_225_600,
        };
        record_item = to_item(item).expect("record item");
    });
    let head_item: Item = to_item(head.clone()).expect("head item");
    let record_bytes = item_size(&record_item);

    // Deserialising the record alone: the item, its outputs decompressed and parsed.
    let floor = measure(&record_item, |item| {
        let record: AnalysisItem = from_item(item).expect("record");
        let json = decompress(&record.outputs).expect("decompresses");
        black_box(serde_json::from_slice::<Value>(&json).expect("outputs"));
    });
    // The invocation from the Query's items: record and head, freshness, outputs, the answer.
    let query_items = vec![record_item.clone(), head_item.clone()];
    let mut answer_bytes = 0;
    let answered = measure(&query_items, |items| {
        let found = read_record_and_head(items).expect("reads");
        let record = found.fresh().expect("fresh");
        let json = decompress(&record.outputs).expect("decompresses");
        let outputs: Value = serde_json::from_slice(&json).expect("outputs");
        let answer = json!([{"actionName": "getConversationIntelligence", "errors": null,
                             "isSuccess": true, "outputValues": outputs}]);
        let body = serde_json::to_vec(&answer).expect("renders");
        answer_bytes = body.len();
        black_box(body);
    });
    // Of which: rendering the answer from the parsed outputs (what any answer does).
    let parsed: Value = serde_json::from_slice(
        &decompress(
            &from_item::<AnalysisItem>(record_item.clone())
                .expect("record")
                .outputs,
        )
        .expect("decompresses"),
    )
    .expect("outputs");
    let render = measure(&parsed, |outputs| {
        let answer = json!([{"actionName": "getConversationIntelligence", "errors": null,
                             "isSuccess": true, "outputValues": outputs}]);
        black_box(serde_json::to_vec(&answer).expect("renders"));
    });
    // The same answer computed from the data, as a live conversation is answered.
    let live = measure(&data, |items| {
        let record = decode_conversation(items).expect("decodes");
        let outputs = serde_json::to_value(intelligence::compute(&record, tenant)).expect("json");
        let answer = json!([{"actionName": "getConversationIntelligence", "errors": null,
                             "isSuccess": true, "outputValues": outputs}]);
        black_box(serde_json::to_vec(&answer).expect("renders"));
    });

    let data_bytes: usize = data.iter().map(item_size).sum();
    let data_pages = data_bytes.div_ceil(PAGE);
    let record_pages = (record_bytes + item_size(&head_item)).div_ceil(PAGE);
    let record_parts = record_bytes.div_ceil(350 * 1024).max(1);

    println!("post-call analysis of a 2-hour call: 5,000 transcript entries, 2,000 signals, 100 post-call turns, 2 legs");
    println!(
        "  record: {json_bytes} bytes of outputs JSON, {record_bytes} bytes stored (LZ4, {:.1}×), {record_parts} item(s)",
        json_bytes as f64 / record_bytes as f64
    );
    println!("  answered from its record:");
    println!(
        "    deserialise the record alone (item, LZ4, JSON):   {:>8.2} ms",
        ms(floor)
    );
    println!(
        "    invocation (record + head, fresh, answer JSON):   {:>8.2} ms  ({:.2}× the record alone; answer {answer_bytes} bytes)",
        ms(answered),
        answered.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "      of which rendering the answer JSON:               {:>8.2} ms",
        ms(render)
    );
    println!(
        "    the same answer computed from the data (live):    {:>8.2} ms  ({:.1}× the answer from the record)",
        ms(live),
        live.as_secs_f64() / answered.as_secs_f64()
    );
    println!(
        "    DynamoDB requests per invocation: {} (1 Query for the recordId + {record_pages} page(s) of the Query `sk BETWEEN ANALYSIS AND HEAD`); computed live: {}",
        1 + record_pages,
        2 + data_pages
    );
    println!("  the analysis (once per end of the conversation, and again after a later write):");
    println!(
        "    decode {:.2} MB of items, compute, serialise, compress, build the record: {:>8.2} ms",
        data_bytes as f64 / PAGE as f64,
        ms(analysis)
    );
    println!(
        "    DynamoDB requests: {} (1 Query record + head, {data_pages} Query page(s) of data, 1 conditional PutItem, 1 UpdateItem `published`)",
        1 + data_pages + 2
    );
    println!("  each write: +1 UpdateItem (the conversation's HEAD) per conversation written; +1 per transfer-leg partition hop (`partOf`); a transfer leg's creation writes its partition's HEAD inside its transaction");
}
