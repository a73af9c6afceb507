//! What an erasure (CONTRACT §8, `crate::erasure`) leaves on a conversation partition's head,
//! and the conditions every telephony write and read of the store checks against it: a write is
//! refused while an erasure is under way or when it began before one finished, and a read of an
//! erasing partition answers nothing. They live with the items they guard, so the store never
//! calls into the erasure that uses it.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};

use super::items::HEAD_SK;

/// On a head: an erasure is under way (the unix seconds it began).
pub const ERASING: &str = "erasing";
/// On a head: the unix seconds an erasure of the partition finished.
pub const ERASED_AT: &str = "erasedAt";

/// The condition a telephony write's head update carries: no erasure under way, and none
/// finished since the request began (`now`, unix seconds).
pub fn unless_erased(request: UpdateItemFluentBuilder, now: u64) -> UpdateItemFluentBuilder {
    request
        .condition_expression(ERASE_CONDITION)
        .expression_attribute_values(":startedAt", AttributeValue::N(now.to_string()))
}

const ERASE_CONDITION: &str =
    "attribute_not_exists(erasing) AND (attribute_not_exists(erasedAt) OR erasedAt < :startedAt)";

/// The same condition as a check in a transaction (the creation of a voice call record).
pub fn head_not_erased(table: &str, pk: String, now: u64) -> TransactWriteItem {
    let check = ConditionCheck::builder()
        .table_name(table)
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(HEAD_SK.into()))
        .condition_expression(ERASE_CONDITION)
        .expression_attribute_values(":startedAt", AttributeValue::N(now.to_string()))
        .build()
        .expect("table, key and condition are set");
    TransactWriteItem::builder().condition_check(check).build()
}

/// Whether `item` is a head whose partition is being erased.
pub fn is_erasing(item: &HashMap<String, AttributeValue>) -> bool {
    matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == HEAD_SK)
        && item.contains_key(ERASING)
}

/// When the erasure of a head's partition finished, if it was erased.
pub fn erased_at(head: &HashMap<String, AttributeValue>) -> Option<u64> {
    match (head.get("sk"), head.get(ERASED_AT)) {
        (Some(AttributeValue::S(sk)), Some(AttributeValue::N(at))) if sk == HEAD_SK => {
            at.parse().ok()
        }
        _ => None,
    }
}

/// Whether a data item was received by `erased_at` (unix seconds): written by a request the
/// erasure refused. Items without `receivedAt` (legs, written in a transaction that checks the
/// head) are never such leftovers.
pub fn received_by(item: &HashMap<String, AttributeValue>, erased_at: u64) -> bool {
    match item.get("receivedAt") {
        Some(AttributeValue::N(at)) => at.parse::<u64>().is_ok_and(|at| at <= erased_at),
        _ => false,
    }
}
