//! Cuts a text into words: maximal runs of letters and digits, each with its byte span.
//! Everything between two words is their gap (spaces, punctuation), read from the text itself.

use super::digits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Digits only (of any script).
    Digits,
    /// A digit said as a word: "four", "oh".
    Spoken(u8),
    /// "double" or "triple" (said before a digit: "double four" is 44).
    Repeat(u8),
    /// Any other word; `has_digit`: letters and digits mixed ("8a3c5f1e", "a1").
    Word { has_digit: bool },
}

#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

impl Token {
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }

    pub fn is(&self, text: &str, word: &str) -> bool {
        self.text(text).eq_ignore_ascii_case(word)
    }
}

const SPOKEN: [(&str, u8); 11] = [
    ("zero", 0),
    ("oh", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
];

fn kind(word: &str, all_digits: bool, has_digit: bool) -> Kind {
    if all_digits {
        return Kind::Digits;
    }
    // The first letters of the words below: most words are rejected by one look.
    let may_be_spoken = matches!(
        word.as_bytes().first().map(u8::to_ascii_lowercase),
        Some(b'z' | b'o' | b't' | b'f' | b's' | b'e' | b'n' | b'd')
    );
    if !has_digit && may_be_spoken && (2..=6).contains(&word.len()) {
        if let Some(&(_, d)) = SPOKEN.iter().find(|(w, _)| word.eq_ignore_ascii_case(w)) {
            return Kind::Spoken(d);
        }
        if word.eq_ignore_ascii_case("double") {
            return Kind::Repeat(2);
        }
        if word.eq_ignore_ascii_case("triple") {
            return Kind::Repeat(3);
        }
    }
    Kind::Word { has_digit }
}

/// Whether `text` is too plain to hold any entity: ASCII without a digit or an `@`, and fewer
/// than five words (a spoken address takes five, "x at y dot com"; a spoken number at least
/// five, "triple five triple five five"). Most short strings of event details end here.
pub fn too_plain(text: &str) -> bool {
    let mut words = 0;
    let mut in_word = false;
    for &b in text.as_bytes() {
        if b.is_ascii_digit() || b == b'@' || !b.is_ascii() {
            return false;
        }
        let alphanumeric = b.is_ascii_alphanumeric();
        if alphanumeric && !in_word {
            words += 1;
            if words == 5 {
                return false;
            }
        }
        in_word = alphanumeric;
    }
    true
}

/// The words of `text`, in order, into `tokens` (cleared first). ASCII is read byte by byte;
/// only other characters are decoded.
pub fn tokens_into(text: &str, tokens: &mut Vec<Token>) {
    tokens.clear();
    let bytes = text.as_bytes();
    // The word being read: its start, whether all its characters are digits, whether any is.
    let mut current: Option<(usize, bool, bool)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (alphanumeric, digit, width) = if b.is_ascii() {
            (b.is_ascii_alphanumeric(), b.is_ascii_digit(), 1)
        } else {
            let c = text[i..].chars().next().expect("i is a character boundary");
            (
                c.is_alphanumeric(),
                digits::value(c).is_some(),
                c.len_utf8(),
            )
        };
        if alphanumeric {
            current = Some(match current {
                None => (i, digit, digit),
                Some((start, all, any)) => (start, all && digit, any || digit),
            });
        } else if let Some((start, all, any)) = current.take() {
            tokens.push(Token {
                start,
                end: i,
                kind: kind(&text[start..i], all, any),
            });
        }
        i += width;
    }
    if let Some((start, all, any)) = current {
        tokens.push(Token {
            start,
            end: text.len(),
            kind: kind(&text[start..], all, any),
        });
    }
}

/// The digits of a `Digits` word, appended to `out`.
pub fn push_digits(word: &str, out: &mut Vec<u8>) {
    out.extend(word.chars().filter_map(digits::value));
}
