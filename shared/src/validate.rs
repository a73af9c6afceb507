//! Reading loosely typed request trees (JSON, or XML mapped to JSON where every leaf is a string)
//! into domain values, collecting every offending field with its path instead of stopping at the
//! first.

use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};

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

/// The path of a child field: `prefix.name`, or `name` at the top.
pub fn child(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The top of a request body must be an object.
pub fn object<'a>(body: &'a Value, problems: &mut Problems) -> Option<&'a Map<String, Value>> {
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

/// A required string of 1..=`max` characters.
pub fn required_text(
    obj: &Map<String, Value>,
    name: &str,
    prefix: &str,
    max: usize,
    problems: &mut Problems,
) -> Option<String> {
    match field(obj, name) {
        None => {
            problems.missing(child(prefix, name));
            None
        }
        Some(v) => text(v, &child(prefix, name), max, problems),
    }
}

/// A string of 1..=`max` characters.
pub fn text(value: &Value, path: &str, max: usize, problems: &mut Problems) -> Option<String> {
    match value {
        Value::String(s) if s.trim().is_empty() => problems.missing(path),
        Value::String(s) if s.chars().count() > max => {
            problems.invalid(path, format_args!("must be at most {max} characters"))
        }
        Value::String(s) => return Some(s.clone()),
        _ => problems.invalid(path, "must be a string"),
    }
    None
}

/// A boolean; XML (and lenient JSON clients) send `"true"`/`"false"`.
pub fn boolean(value: &Value, path: &str, problems: &mut Problems) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => {
            problems.invalid(path, "must be a boolean");
            None
        }
    }
}

/// A non-negative integer, as a JSON number or a string of digits (XML has only strings).
pub fn unsigned(value: &Value, path: &str, problems: &mut Problems) -> Option<u64> {
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    if parsed.is_none() {
        problems.invalid(path, "must be an integer greater than or equal to 0");
    }
    parsed
}

/// A finite decimal given as a JSON number or a string, as exact decimal text.
pub fn decimal_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::Number(n) if n.is_f64() => {
            // Shortest round-trip form: 400.125 stays "400.125", so rounding is decimal.
            let f = n.as_f64()?;
            f.is_finite().then(|| f.to_string())?
        }
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let s = s.trim();
            if is_plain_decimal(s) {
                s.to_owned()
            } else {
                // Exponent forms ("4.0013e2"): normalise through f64's shortest form.
                let f: f64 = s.parse().ok()?;
                f.is_finite().then(|| f.to_string())?
            }
        }
        _ => return None,
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
        for v in [json!("abc"), json!(""), json!("."), json!("NaN"), json!("inf"), json!(true), json!({})] {
            assert_eq!(hundredths(v.clone()), None, "{v}");
        }
    }

    #[test]
    fn unsigned_accepts_digit_strings_only() {
        let mut p = Problems::default();
        assert_eq!(unsigned(&json!(1573503300u64), "t", &mut p), Some(1573503300));
        assert_eq!(unsigned(&json!("16898867880000"), "t", &mut p), Some(16898867880000));
        assert!(p.is_empty());
        assert_eq!(unsigned(&json!(-1), "a", &mut p), None);
        assert_eq!(unsigned(&json!(1.5), "b", &mut p), None);
        assert_eq!(unsigned(&json!("12x"), "c", &mut p), None);
        let err = p.finish(()).unwrap_err();
        let ApiError::Validation(fields) = err else { panic!() };
        let paths: Vec<_> = fields.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a", "b", "c"]);
    }
}
