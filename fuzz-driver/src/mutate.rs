//! Structure-aware mutation: JSON trees are changed node by node (values swapped for edge cases
//! of every type, fields dropped, duplicated, nested, renamed), then, sometimes, the text is
//! changed byte by byte.

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Map, Value};

/// Values at the edges of what the contract and DynamoDB take.
fn interesting(rng: &mut StdRng) -> Value {
    const STRINGS: &[&str] = &[
        "",
        " ",
        "0",
        "-1",
        "1e-131",
        "5e-324",
        "1e300",
        "NaN",
        "inf",
        "-0",
        "9.99e125",
        "1e126",
        "true",
        "null",
        "AGENT",
        "CUSTOMER",
        "END_USER",
        "Inbound",
        "Transfer",
        "IntelligenceSignal__Category",
        "IntelligenceSignal__Sentiment",
        "IntelligenceSignal__OverallSentimentScore",
        "0LQ000000000001GAA",
        "2026-11-23T16:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "0000-01-01T00:00:00Z",
        "<x>&amp;</x>",
        "\u{0}",
        "\u{202e}",
        "😀",
        "a\nb",
        "%00",
        "../..",
        "1000.005",
        "-1000",
        "400.125",
        "0.000000001",
        "123456789012345678901234567890123456789012",
    ];
    match rng.random_range(0..14) {
        0 => json!(STRINGS[rng.random_range(0..STRINGS.len())]),
        1 => json!(u64::MAX),
        2 => json!(i64::MIN),
        3 => {
            let ints = [
                0u64,
                1,
                1000,
                1001,
                253_402_300_799_999,
                253_402_300_800_000,
                1 << 53,
            ];
            json!(ints[rng.random_range(0..ints.len())])
        }
        4 => {
            let floats = [
                5e-324, 1e-130, 1e-131, 9.99e125, 1e126, 1e300, -1e300, 0.1, -0.0, 1000.0,
            ];
            json!(floats[rng.random_range(0..floats.len())])
        }
        5 => json!(rng.random::<f64>() * 10f64.powi(rng.random_range(-200..200))),
        6 => json!(rng.random::<i64>()),
        7 => Value::Null,
        8 => json!(rng.random::<bool>()),
        9 => json!({}),
        10 => json!([]),
        11 => {
            let mut v = json!(1);
            for _ in 0..rng.random_range(1..45) {
                v = if rng.random() {
                    json!({"n": v})
                } else {
                    json!([v])
                };
            }
            v
        }
        12 => json!("x".repeat(rng.random_range(0..3000))),
        _ => json!("é".repeat(rng.random_range(250..260))),
    }
}

/// Applies one to a few structural mutations to `value`.
pub fn tree(value: &mut Value, rng: &mut StdRng) {
    for _ in 0..rng.random_range(1..4) {
        let count = count_nodes(value);
        let target = rng.random_range(0..count);
        let mut index = 0;
        mutate_at(value, target, &mut index, rng);
    }
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn mutate_at(value: &mut Value, target: usize, index: &mut usize, rng: &mut StdRng) -> bool {
    if *index == target {
        mutate_node(value, rng);
        return true;
    }
    *index += 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|v| mutate_at(v, target, index, rng)),
        Value::Object(map) => map.values_mut().any(|v| mutate_at(v, target, index, rng)),
        _ => false,
    }
}

fn mutate_node(value: &mut Value, rng: &mut StdRng) {
    match value {
        Value::Object(map) if !map.is_empty() && rng.random_bool(0.5) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[rng.random_range(0..keys.len())];
            match rng.random_range(0..5) {
                0 => {
                    map.remove(key);
                }
                1 => {
                    let v = map[key].clone();
                    map.insert(format!("{key}{}", rng.random_range(0..3)), v);
                }
                2 => {
                    let v = map.remove(key).expect("present");
                    map.insert(key.to_uppercase(), v);
                }
                3 => {
                    map.insert("unknownField".into(), interesting(rng));
                }
                _ => {
                    let v = interesting(rng);
                    map.insert(key.clone(), v);
                }
            }
        }
        Value::Array(items) if !items.is_empty() && rng.random_bool(0.5) => {
            let i = rng.random_range(0..items.len());
            match rng.random_range(0..4) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copies = rng.random_range(1..120);
                    let v = items[i].clone();
                    items.extend(std::iter::repeat_n(v, copies));
                }
                2 => {
                    let j = rng.random_range(0..items.len());
                    items.swap(i, j);
                }
                _ => items[i] = interesting(rng),
            }
        }
        Value::String(s) if rng.random_bool(0.3) => {
            // Numbers sent as text, and text around numbers.
            *s = match rng.random_range(0..3) {
                0 => format!("{s}{s}"),
                1 => s.chars().rev().collect(),
                _ => format!(" {s} "),
            };
        }
        Value::Number(_) if rng.random_bool(0.3) => *value = json!(value.to_string()),
        _ => *value = interesting(rng),
    }
}

/// Byte-level changes to serialised text: flips, insertions, deletions, truncation, splices of
/// syntax that parsers must refuse cleanly.
pub fn bytes(data: &mut Vec<u8>, rng: &mut StdRng) {
    const SPLICES: &[&[u8]] = &[
        b"<!DOCTYPE x [<!ENTITY a \"b\">]>",
        b"&a;",
        b"&#0;",
        b"&#x110000;",
        b"<![CDATA[",
        b"]]>",
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"\\",
        b"\\u0000",
        b"\\ud800",
        b"\xff",
        b"\xc3",
        b"\x00",
        b"<a>",
        b"</a>",
        b"<a xsi:nil=\"true\"/>",
        b"1e999",
        b"-",
        b",",
        b":",
        b"\r\n",
    ];
    for _ in 0..rng.random_range(1..4) {
        let len = data.len();
        let at = if len == 0 {
            0
        } else {
            rng.random_range(0..len)
        };
        match rng.random_range(0..5) {
            0 if len > 0 => data[at] ^= 1 << rng.random_range(0..8),
            1 if len > 0 => {
                let end = (at + rng.random_range(1..16)).min(len);
                data.drain(at..end);
            }
            2 => data.truncate(at),
            3 => {
                let splice = SPLICES[rng.random_range(0..SPLICES.len())];
                data.splice(at..at, splice.iter().copied());
            }
            _ if len > 0 => {
                let from = rng.random_range(0..len);
                let end = (from + rng.random_range(1..64)).min(len);
                let chunk = data[from..end].to_vec();
                data.splice(at..at, chunk);
            }
            _ => data.push(rng.random()),
        }
    }
}

/// A fresh object with `n` string fields, for shapes the fixtures do not have.
pub fn object_of(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .cloned()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map<_, _>>(),
    )
}
