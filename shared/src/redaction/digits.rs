//! The value of a decimal digit in any script (Unicode `Nd`: ASCII, Arabic-Indic, Devanagari,
//! full-width, …), so that a card number typed in another script's digits is a number too.
//! Unicode encodes every `Nd` digit in runs of ten from zero upwards (a stability guarantee),
//! so a table of the runs gives every value.

/// The first code point and length (a multiple of ten) of every run of `Nd` digits, Unicode 16.
const RUNS: &[(u32, u32)] = &[
    (0x0030, 10),
    (0x0660, 10),
    (0x06F0, 10),
    (0x07C0, 10),
    (0x0966, 10),
    (0x09E6, 10),
    (0x0A66, 10),
    (0x0AE6, 10),
    (0x0B66, 10),
    (0x0BE6, 10),
    (0x0C66, 10),
    (0x0CE6, 10),
    (0x0D66, 10),
    (0x0DE6, 10),
    (0x0E50, 10),
    (0x0ED0, 10),
    (0x0F20, 10),
    (0x1040, 10),
    (0x1090, 10),
    (0x17E0, 10),
    (0x1810, 10),
    (0x1946, 10),
    (0x19D0, 10),
    (0x1A80, 10),
    (0x1A90, 10),
    (0x1B50, 10),
    (0x1BB0, 10),
    (0x1C40, 10),
    (0x1C50, 10),
    (0xA620, 10),
    (0xA8D0, 10),
    (0xA900, 10),
    (0xA9D0, 10),
    (0xA9F0, 10),
    (0xAA50, 10),
    (0xABF0, 10),
    (0xFF10, 10),
    (0x104A0, 10),
    (0x10D30, 10),
    (0x10D40, 10),
    (0x11066, 10),
    (0x110F0, 10),
    (0x11136, 10),
    (0x111D0, 10),
    (0x112F0, 10),
    (0x11450, 10),
    (0x114D0, 10),
    (0x11650, 10),
    (0x116C0, 10),
    (0x116D0, 20),
    (0x11730, 10),
    (0x118E0, 10),
    (0x11950, 10),
    (0x11BF0, 10),
    (0x11C50, 10),
    (0x11D50, 10),
    (0x11DA0, 10),
    (0x11F50, 10),
    (0x16130, 10),
    (0x16A60, 10),
    (0x16AC0, 10),
    (0x16B50, 10),
    (0x16D70, 10),
    (0x1CCF0, 10),
    (0x1D7CE, 50),
    (0x1E140, 10),
    (0x1E2F0, 10),
    (0x1E4F0, 10),
    (0x1E5F1, 10),
    (0x1E950, 10),
    (0x1FBF0, 10),
];

/// `Some(0..=9)` for a decimal digit of any script.
pub fn value(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    if c.is_ascii() {
        return None;
    }
    let code = c as u32;
    let i = RUNS
        .partition_point(|&(first, _)| first <= code)
        .checked_sub(1)?;
    let (first, len) = RUNS[i];
    (code < first + len).then(|| ((code - first) % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nd_digit_and_nothing_else() {
        let nd = regex::Regex::new(r"^\p{Nd}$").unwrap();
        let mut missing = Vec::new();
        let mut extra = Vec::new();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            match (nd.is_match(c.encode_utf8(&mut [0; 4])), value(c)) {
                (true, None) => missing.push(format!("{:X}", c as u32)),
                (false, Some(_)) => extra.push(format!("{:X}", c as u32)),
                _ => {}
            }
        }
        assert!(missing.is_empty(), "Nd digits without a value: {missing:?}");
        assert!(extra.is_empty(), "values for non-digits: {extra:?}");
        assert!(RUNS.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0));
        assert!(RUNS.iter().all(|&(_, len)| len % 10 == 0));
    }

    #[test]
    fn values() {
        assert_eq!(value('7'), Some(7));
        assert_eq!(value('\u{0664}'), Some(4), "Arabic-Indic four");
        assert_eq!(value('\u{06F9}'), Some(9), "Extended Arabic-Indic nine");
        assert_eq!(value('\u{FF11}'), Some(1), "full-width one");
        assert_eq!(value('\u{096A}'), Some(4), "Devanagari four");
        assert_eq!(
            value('\u{1D7D9}'),
            Some(1),
            "mathematical double-struck one"
        );
        assert_eq!(value('a'), None);
        assert_eq!(
            value('\u{00B2}'),
            None,
            "superscript two is not a decimal digit"
        );
        assert_eq!(
            value('\u{2163}'),
            None,
            "Roman numeral four is not a decimal digit"
        );
    }
}
