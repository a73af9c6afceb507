//! DynamoDB's limits on an item, checked on the attribute map `serde_dynamo` makes of it (as
//! `store/dynamo.rs` does): the oracle for "every accepted body is storable". Written from
//! DynamoDB's documentation, independently of the service's own validation.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// Nesting DynamoDB allows inside one item (maps and lists).
const MAX_DEPTH: usize = 32;
const MAX_ITEM_BYTES: usize = 400 * 1024;
const MAX_PARTITION_KEY_BYTES: usize = 2048;
const MAX_SORT_KEY_BYTES: usize = 1024;

pub type Item = HashMap<String, AttributeValue>;

/// The first limit `item` breaks, if any.
pub fn check(item: &Item) -> Result<(), String> {
    for (key, max) in [("pk", MAX_PARTITION_KEY_BYTES), ("sk", MAX_SORT_KEY_BYTES)] {
        match item.get(key) {
            Some(AttributeValue::S(s)) if !s.is_empty() && s.len() <= max => {}
            Some(AttributeValue::S(s)) => return Err(format!("{key} is {} bytes", s.len())),
            other => return Err(format!("{key} is {other:?}")),
        }
    }
    let mut size = 0;
    for (name, value) in item {
        if name.is_empty() {
            return Err("an empty attribute name".into());
        }
        size += name.len() + value_size(value, 1, name)?;
    }
    if size > MAX_ITEM_BYTES {
        return Err(format!("the item is {size} bytes"));
    }
    Ok(())
}

fn value_size(value: &AttributeValue, depth: usize, path: &str) -> Result<usize, String> {
    Ok(match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => {
            number(n).map_err(|why| format!("{path}: number {n:?}: {why}"))?;
            n.len().div_ceil(2) + 1
        }
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(map) => {
            if depth >= MAX_DEPTH {
                return Err(format!("{path}: nested deeper than {MAX_DEPTH}"));
            }
            let mut size = 3;
            for (name, v) in map {
                size += 1 + name.len() + value_size(v, depth + 1, &format!("{path}.{name}"))?;
            }
            size
        }
        AttributeValue::L(items) => {
            if depth >= MAX_DEPTH {
                return Err(format!("{path}: nested deeper than {MAX_DEPTH}"));
            }
            let mut size = 3;
            for (i, v) in items.iter().enumerate() {
                size += 1 + value_size(v, depth + 1, &format!("{path}[{i}]"))?;
            }
            size
        }
        other => return Err(format!("{path}: unexpected attribute type {other:?}")),
    })
}

/// DynamoDB's number type: up to 38 significant digits, zero or a magnitude from 1E-130 to
/// 9.9999999999999999999999999999999999999E+125.
pub fn number(text: &str) -> Result<(), &'static str> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (
            &unsigned[..i],
            unsigned[i + 1..]
                .parse::<i64>()
                .map_err(|_| "bad exponent")?,
        ),
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err("not a decimal");
    }
    let digits: String = format!("{int}{frac}");
    let Some(first) = digits.find(|c| c != '0') else {
        return Ok(()); // zero
    };
    let last = digits.rfind(|c| c != '0').expect("a non-zero digit");
    if last - first + 1 > 38 {
        return Err("more than 38 significant digits");
    }
    // The value is 0.d1d2… × 10^(magnitude): magnitude counts the digits before the point.
    let magnitude = int.len() as i64 - first as i64 + exponent;
    if magnitude > 126 {
        return Err("above 9.99…E+125");
    }
    if magnitude < -129 {
        return Err("below 1E-130");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers() {
        for ok in [
            "0",
            "-0.0",
            "1",
            "1e-130",
            "1E-130",
            "9.99e125",
            "123.456",
            "18446744073709551615",
            "0.000001",
            "12345678901234567890123456789012345678",
        ] {
            assert_eq!(number(ok), Ok(()), "{ok}");
        }
        for bad in [
            "5e-324",
            "1e300",
            "1e126",
            "9.9e-131",
            "123456789012345678901234567890123456789",
            "",
            "abc",
        ] {
            assert!(number(bad).is_err(), "{bad}");
        }
    }
}
