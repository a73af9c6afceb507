//! Reading loosely typed request trees (JSON, or XML mapped to JSON where every leaf is a string)
//! into domain values, collecting every offending field with its path instead of stopping at the
//! first.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use crate::error::{ApiError, FieldError};
use crate::format::Format;

/// Accumulates field errors while a request is read.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn missing(&mut self, path: impl Into<String>) {
        self.0.push(FieldError::missing(path));
    }

    pub fn invalid(&mut self, path: impl Into<String>, why: impl std::fmt::Display) {
        self.0.push(FieldError::invalid(path, why));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was wrong, else every problem as one `400`.
    pub fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// Why one field is refused. Paths are only built once a field is refused, so a valid request
/// allocates nothing for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Invalid(Cow<'static, str>),
}

pub type Check<T> = Result<T, Refusal>;

fn invalid<T>(why: impl Into<Cow<'static, str>>) -> Check<T> {
    Err(Refusal::Invalid(why.into()))
}

impl Problems {
    /// The value of a passed check; a refusal is recorded under `path()`.
    pub fn take<T>(&mut self, check: Check<T>, path: impl FnOnce() -> String) -> Option<T> {
        match check {
            Ok(value) => Some(value),
            Err(Refusal::Missing) => {
                self.missing(path());
                None
            }
            Err(Refusal::Invalid(why)) => {
                self.invalid(path(), why);
                None
            }
        }
    }
}

/// The top of a request body must be an object.
pub fn object(body: Value, problems: &mut Problems) -> Option<Map<String, Value>> {
    match body {
        Value::Object(map) => Some(map),
        _ => {
            problems.invalid("body", "must be an object");
            None
        }
    }
}

/// A field that is absent or null counts as not given.
pub fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).filter(|v| !v.is_null())
}

/// A required field: absent or null is [`Refusal::Missing`].
pub fn required<'a>(obj: &'a Map<String, Value>, name: &str) -> Check<&'a Value> {
    field(obj, name).ok_or(Refusal::Missing)
}

/// A string of 1..=`max` characters; blank counts as missing.
pub fn text(value: &Value, max: usize) -> Check<&str> {
    match value {
        Value::String(s) => text_str(s, max),
        _ => invalid("must be a string"),
    }
}

/// [`text`] for a string already known to be one.
pub fn text_str(s: &str, max: usize) -> Check<&str> {
    if s.trim().is_empty() {
        Err(Refusal::Missing)
    } else if s.len() > max && s.chars().count() > max {
        invalid(format!("must be at most {max} characters"))
    } else {
        Ok(s)
    }
}

/// A boolean; XML (and lenient JSON clients) send `"true"`/`"false"`.
pub fn boolean(value: &Value) -> Check<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(false),
        _ => invalid("must be a boolean"),
    }
}

/// An array of `min..=max` items. XML has no arrays, so there a single element stands for a
/// one-item array; JSON must send an array.
pub fn list(value: Value, min: usize, max: usize, format: Format) -> Check<Vec<Value>> {
    let items = match value {
        Value::Array(items) => items,
        single @ Value::Object(_) if format == Format::Xml => vec![single],
        _ => return invalid("must be an array"),
    };
    if items.len() < min {
        invalid(format!("must contain at least {min} item(s)"))
    } else if items.len() > max {
        invalid(format!("must contain at most {max} items"))
    } else {
        Ok(items)
    }
}

/// The path of `name` inside the element at `prefix` (`""` at the top of the body).
pub fn path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// An optional string of 1..=`max` characters; absent, null or blank is `None`.
pub fn optional_text(obj: &Map<String, Value>, name: &str, max: usize) -> Check<Option<String>> {
    match field(obj, name) {
        None => Ok(None),
        Some(v) => match text(v, max) {
            Ok(s) => Ok(Some(s.to_owned())),
            Err(Refusal::Missing) => Ok(None),
            Err(e) => Err(e),
        },
    }
}

/// A required string of 1..=`max` characters.
pub fn required_text(obj: &Map<String, Value>, name: &str, max: usize) -> Check<String> {
    required(obj, name)
        .and_then(|v| text(v, max))
        .map(str::to_owned)
}

/// A non-negative integer, as a JSON number or a string of digits (XML has only strings).
pub fn unsigned(value: &Value) -> Check<u64> {
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    parsed.ok_or(Refusal::Invalid(
        "must be an integer greater than or equal to 0".into(),
    ))
}

/// The last millisecond of year 9999 (9999-12-31T23:59:59.999Z): epoch-millisecond times beyond
/// it are refused, so that every accepted time can be written as an ISO-8601 date.
pub const LAST_MILLI_OF_YEAR_9999: u64 = 253_402_300_799_999;

/// Deepest nesting of vendor `details` kept (objects and arrays count one level each). DynamoDB
/// allows 32 levels per item; `details` sits one level down, and this leaves a margin.
pub const MAX_DETAILS_DEPTH: usize = 30;

/// DynamoDB's number range (a 38-digit decimal with exponent −130..=125); both bounds are the
/// contract's, the upper one a little inside DynamoDB's 9.99…9E+125.
const MAX_STORABLE_MAGNITUDE: f64 = 9.99e125;
const MIN_STORABLE_MAGNITUDE: f64 = 1e-130;

/// A time in epoch milliseconds, as [`unsigned`], no later than year 9999.
pub fn epoch_millis(value: &Value) -> Check<u64> {
    let millis = unsigned(value)?;
    if millis > LAST_MILLI_OF_YEAR_9999 {
        return invalid("must be epoch milliseconds no later than the year 9999");
    }
    Ok(millis)
}

/// Whether DynamoDB can store `v` as a number: finite, zero or of a magnitude within
/// 1e-130..=9.99e125. An `f64` written in its shortest form has at most 17 significant digits,
/// well inside DynamoDB's 38, so range is all that can be wrong.
pub fn storable_f64(v: f64) -> bool {
    v.is_finite()
        && (v == 0.0 || (MIN_STORABLE_MAGNITUDE..=MAX_STORABLE_MAGNITUDE).contains(&v.abs()))
}

/// A free-form JSON tree (vendor `details`) that DynamoDB can store as sent: nested at most
/// `max_depth` levels and holding only storable numbers (integers always are: at most 20
/// digits). Checked without recursion, so no input can exhaust the stack.
pub fn storable_tree(value: &Value, max_depth: usize) -> Check<()> {
    let mut pending = Vec::new();
    let mut next = Some((value, 1usize));
    while let Some((value, depth)) = next.take().or_else(|| pending.pop()) {
        match value {
            Value::Number(n) if !n.as_f64().is_some_and(|f| !n.is_f64() || storable_f64(f)) => {
                return invalid("numbers must be 0 or of a magnitude between 1e-130 and 9.99e125");
            }
            Value::Array(items) => {
                if depth > max_depth {
                    return invalid(format!("must be nested at most {max_depth} levels deep"));
                }
                pending.extend(items.iter().map(|child| (child, depth + 1)));
            }
            Value::Object(map) => {
                if depth > max_depth {
                    return invalid(format!("must be nested at most {max_depth} levels deep"));
                }
                pending.extend(map.values().map(|child| (child, depth + 1)));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A leaf that may hold a number: a JSON number, or a string (XML's only kind of leaf).
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    Number(&'a Number),
    Text(&'a str),
}

impl<'a> Scalar<'a> {
    pub fn of(value: &'a Value) -> Option<Self> {
        match value {
            Value::Number(n) => Some(Self::Number(n)),
            Value::String(s) => Some(Self::Text(s)),
            _ => None,
        }
    }
}

/// A finite decimal given as a JSON number or a string, as exact decimal text.
pub fn decimal_text(value: &Value) -> Option<Cow<'_, str>> {
    decimal_scalar(Scalar::of(value)?)
}

/// [`decimal_text`] of a leaf already known to be a number or a string.
pub fn decimal_scalar(value: Scalar<'_>) -> Option<Cow<'_, str>> {
    let text: Cow<'_, str> = match value {
        Scalar::Number(n) if n.is_f64() => {
            // Shortest round-trip form: 400.125 stays "400.125", so rounding is decimal.
            let f = n.as_f64()?;
            f.is_finite().then(|| f.to_string())?.into()
        }
        Scalar::Number(n) => n.to_string().into(),
        Scalar::Text(s) => {
            let s = s.trim();
            if is_plain_decimal(s) {
                s.into()
            } else {
                // Exponent forms ("4.0013e2"): normalise through f64's shortest form.
                let f: f64 = s.parse().ok()?;
                f.is_finite().then(|| f.to_string())?.into()
            }
        }
    };
    is_plain_decimal(&text).then_some(text)
}

fn is_plain_decimal(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Round plain decimal text to hundredths, half away from zero, if its exact value lies within
/// ±`limit` (whole units). `None` when out of range.
pub fn hundredths_within(text: &str, limit: u64) -> Option<i64> {
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches(['-', '+']);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    if int.len() > 19 {
        return None;
    }
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let has_fraction = frac.bytes().any(|b| b != b'0');
    if whole > limit || (whole == limit && has_fraction) {
        return None;
    }
    let digit = |i: usize| u64::from(frac.as_bytes().get(i).map_or(0, |b| b - b'0'));
    let mut magnitude = whole * 100 + digit(0) * 10 + digit(1);
    if digit(2) >= 5 {
        magnitude += 1;
    }
    let signed = magnitude as i64;
    Some(if negative { -signed } else { signed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hundredths(v: Value) -> Option<i64> {
        hundredths_within(&decimal_text(&v)?, 1000)
    }

    #[test]
    fn rounds_half_away_from_zero_on_decimal_digits() {
        assert_eq!(hundredths(json!("400.13")), Some(40013));
        assert_eq!(hundredths(json!("400.125")), Some(40013));
        assert_eq!(hundredths(json!(400.125)), Some(40013));
        assert_eq!(hundredths(json!(0.145)), Some(15));
        assert_eq!(hundredths(json!("-0.145")), Some(-15));
        assert_eq!(hundredths(json!("0.1249")), Some(12));
        assert_eq!(hundredths(json!(-500)), Some(-50000));
        assert_eq!(hundredths(json!("4.0013e2")), Some(40013));
        assert_eq!(hundredths(json!(" 12 ")), Some(1200));
        assert_eq!(hundredths(json!(".5")), Some(50));
    }

    #[test]
    fn range_is_checked_on_the_exact_value() {
        assert_eq!(hundredths(json!("1000")), Some(100_000));
        assert_eq!(hundredths(json!("-1000.00")), Some(-100_000));
        assert_eq!(hundredths(json!("1000.001")), None);
        assert_eq!(hundredths(json!(1000.5)), None);
        assert_eq!(hundredths(json!("99999999999999999999999")), None);
    }

    #[test]
    fn non_numbers_are_rejected() {
        for v in [
            json!("abc"),
            json!(""),
            json!("."),
            json!("NaN"),
            json!("inf"),
            json!(true),
            json!({}),
        ] {
            assert_eq!(hundredths(v.clone()), None, "{v}");
        }
    }

    #[test]
    fn unsigned_accepts_digit_strings_only() {
        assert_eq!(unsigned(&json!(1573503300u64)), Ok(1573503300));
        assert_eq!(unsigned(&json!("16898867880000")), Ok(16898867880000));
        for bad in [json!(-1), json!(1.5), json!("12x"), json!(true)] {
            assert!(matches!(unsigned(&bad), Err(Refusal::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn problems_name_each_refused_path() {
        let mut p = Problems::default();
        assert_eq!(p.take(text(&json!("ok"), 5), || unreachable!()), Some("ok"));
        assert_eq!(p.take(text(&json!(""), 5), || "a".into()), None);
        assert_eq!(p.take(text(&json!("toolong"), 5), || "b".into()), None);
        assert_eq!(p.take(boolean(&json!("maybe")), || "c".into()), None);
        let ApiError::Validation(fields) = p.finish(()).unwrap_err() else {
            panic!()
        };
        let got: Vec<_> = fields.iter().map(|f| (f.path.as_str(), f.code)).collect();
        use crate::error::FieldErrorCode::{Invalid, Missing};
        assert_eq!(got, [("a", Missing), ("b", Invalid), ("c", Invalid)]);
    }
}
