//! Numbers: digits joined across words into runs ("4111 1111-1111 1111", "four one one one …",
//! "double four"), then told apart: a card number (13–19 digits, Luhn-valid), an SSN (nine
//! digits grouped 3-2-4 or said one by one, in the valid ranges), a phone number (`+` and 8–15
//! digits, or the national shapes below). A number glued to an identifier ("8a3c5f1e-0000-…",
//! a UUID) is left alone, and so is an order number that fails the Luhn check.

use super::scan::{push_digits, Kind, Token};
use super::{Entity, Redactor, Span};

/// The longest gap that still joins two parts of a number (", " or " - ").
const MAX_GAP_CHARS: usize = 4;
const CARD_DIGITS: std::ops::RangeInclusive<usize> = 13..=19;

/// Whether the gap between two parts of a number joins them: short, and only spaces, dashes,
/// dots, commas and brackets.
fn joins(gap: &str) -> bool {
    let mut count = 0;
    for c in gap.chars() {
        count += 1;
        let ok = c.is_whitespace()
            || matches!(
                c,
                '-' | '.' | ',' | '(' | ')' | '\u{2010}'..='\u{2015}' | '\u{2212}'
            );
        if !ok || count > MAX_GAP_CHARS {
            return false;
        }
    }
    true
}

/// Whether the gap between a number and a mixed word makes one identifier of them.
fn glues(gap: &str) -> bool {
    matches!(gap, "-" | "_" | "." | "/")
}

/// One part of a run: its digits (an offset into the run's digits) and its bytes.
#[derive(Debug, Clone, Copy)]
struct Group {
    first_digit: usize,
    start: usize,
    end: usize,
    /// Said as words ("four", "double four").
    spoken: bool,
}

#[derive(Default)]
struct Run {
    digits: Vec<u8>,
    groups: Vec<Group>,
    /// Glued to an identifier before or after.
    glued: bool,
}

impl Run {
    fn push(&mut self, start: usize, end: usize, spoken: bool, digits: impl FnOnce(&mut Vec<u8>)) {
        let first_digit = self.digits.len();
        digits(&mut self.digits);
        self.groups.push(Group {
            first_digit,
            start,
            end,
            spoken,
        });
    }

    fn group_len(&self, i: usize) -> usize {
        let next = self
            .groups
            .get(i + 1)
            .map_or(self.digits.len(), |g| g.first_digit);
        next - self.groups[i].first_digit
    }

    fn clear(&mut self) {
        self.digits.clear();
        self.groups.clear();
        self.glued = false;
    }
}

/// Adds the spans of every number `redactor` masks.
pub(super) fn find(text: &str, tokens: &[Token], redactor: &Redactor, out: &mut Vec<Span>) {
    let wanted = [Entity::CreditDebitNumber, Entity::Ssn, Entity::Phone];
    if !wanted.iter().any(|&e| redactor.masks(e)) {
        return;
    }
    let mut run = Run::default();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        // A number part: its end, and how many tokens it takes.
        let part = match token.kind {
            Kind::Digits | Kind::Spoken(_) => Some((token.end, 1)),
            Kind::Repeat(_) => match tokens.get(i + 1) {
                Some(next)
                    if single_digit(text, next)
                        && text[token.end..next.start].chars().all(char::is_whitespace) =>
                {
                    Some((next.end, 2))
                }
                _ => None,
            },
            Kind::Word { .. } => None,
        };
        let Some((end, taken)) = part else {
            if let Some(last) = run.groups.last() {
                let mixed = matches!(token.kind, Kind::Word { has_digit: true });
                run.glued |= mixed && glues(&text[last.end..token.start]);
                classify(text, &run, redactor, out);
                run.clear();
            }
            i += 1;
            continue;
        };
        match run.groups.last() {
            Some(last) if joins(&text[last.end..token.start]) => {}
            Some(_) => {
                classify(text, &run, redactor, out);
                run.clear();
            }
            None => {}
        }
        if run.groups.is_empty() && i > 0 {
            let before = tokens[i - 1];
            run.glued = matches!(before.kind, Kind::Word { has_digit: true })
                && glues(&text[before.end..token.start]);
        }
        let spoken = !matches!(token.kind, Kind::Digits);
        run.push(token.start, end, spoken, |digits| match token.kind {
            Kind::Digits => push_digits(token.text(text), digits),
            Kind::Spoken(d) => digits.push(d),
            Kind::Repeat(n) => {
                let d = digit_of(text, &tokens[i + 1]);
                digits.extend(std::iter::repeat_n(d, usize::from(n)));
            }
            Kind::Word { .. } => unreachable!("not a number part"),
        });
        i += taken;
    }
    if !run.groups.is_empty() {
        classify(text, &run, redactor, out);
    }
}

fn single_digit(text: &str, token: &Token) -> bool {
    match token.kind {
        Kind::Spoken(_) => true,
        Kind::Digits => token.text(text).chars().count() == 1,
        _ => false,
    }
}

fn digit_of(text: &str, token: &Token) -> u8 {
    match token.kind {
        Kind::Spoken(d) => d,
        _ => {
            let mut d = Vec::with_capacity(1);
            push_digits(token.text(text), &mut d);
            d[0]
        }
    }
}

fn classify(text: &str, run: &Run, redactor: &Redactor, out: &mut Vec<Span>) {
    if run.glued {
        return;
    }
    let len = run.groups.len();
    if matches(text, run, 0..len, redactor, out) {
        return;
    }
    // A digit word said next to a number ("the other one 4111 …", "… 6789 oh and"): the
    // number without it. A number said wholly in words is judged as a whole.
    let lead = run.groups.iter().take_while(|g| g.spoken).count();
    let trail = run.groups.iter().rev().take_while(|g| g.spoken).count();
    if lead == len {
        return;
    }
    for range in [lead..len, 0..len - trail, lead..len - trail] {
        if range != (0..len) && !range.is_empty() && matches(text, run, range, redactor, out) {
            return;
        }
    }
}

/// Whether the parts `range` of `run` are a number `redactor` masks; if so, its span is added.
fn matches(
    text: &str,
    run: &Run,
    range: std::ops::Range<usize>,
    redactor: &Redactor,
    out: &mut Vec<Span>,
) -> bool {
    let from = run.groups[range.start].first_digit;
    let to = run.groups[range.end - 1].first_digit + run.group_len(range.end - 1);
    let digits = &run.digits[from..to];
    let n = digits.len();
    let first = run.groups[range.start].start;
    let span = |entity, start| Span {
        start,
        end: run.groups[range.end - 1].end,
        entity,
    };
    if redactor.masks(Entity::CreditDebitNumber) {
        if CARD_DIGITS.contains(&n) && luhn(digits) {
            out.push(span(Entity::CreditDebitNumber, first));
            return true;
        }
        if n > *CARD_DIGITS.end() && range == (0..run.groups.len()) {
            return cards_within(run, out);
        }
    }
    let shape: Vec<usize> = range.clone().map(|i| run.group_len(i)).collect();
    // Said as words, a number has no grouping to judge ("triple five" is three fives).
    let said = range.clone().all(|i| run.groups[i].spoken);
    let one_by_one = said || shape.iter().all(|&len| len == 1);
    if redactor.masks(Entity::Ssn)
        && n == 9
        && (shape == [3, 2, 4] || one_by_one)
        && valid_ssn(digits)
    {
        out.push(span(Entity::Ssn, first));
        return true;
    }
    if redactor.masks(Entity::Phone) {
        let before = text[..first].chars().next_back();
        let plus = before == Some('+');
        if is_phone(digits, &shape, plus, one_by_one) {
            let start = match before {
                Some(c @ ('+' | '(')) => first - c.len_utf8(),
                _ => first,
            };
            out.push(span(Entity::Phone, start));
            return true;
        }
    }
    false
}

/// A run longer than any card: the Luhn-valid card-length stretches in it, on part boundaries
/// ("4111 1111 1111 1111 12 28": a card then an expiry date). Greedy from the left, the longest
/// first; each start tries at most 19 ends, each checked in constant time.
fn cards_within(run: &Run, out: &mut Vec<Span>) -> bool {
    let before = out.len();
    let sums = LuhnSums::new(&run.digits);
    let mut s = 0;
    while s < run.groups.len() {
        let from = run.groups[s].first_digit;
        let mut found = None;
        for e in s..run.groups.len() {
            let to = run.groups[e].first_digit + run.group_len(e);
            if to - from > *CARD_DIGITS.end() {
                break;
            }
            if to - from >= *CARD_DIGITS.start() && sums.valid(from, to) {
                found = Some(e);
            }
        }
        match found {
            Some(e) => {
                out.push(Span {
                    start: run.groups[s].start,
                    end: run.groups[e].end,
                    entity: Entity::CreditDebitNumber,
                });
                s = e + 1;
            }
            None => s += 1,
        }
    }
    out.len() > before
}

fn doubled(d: u8) -> u32 {
    let twice = u32::from(d) * 2;
    if twice > 9 {
        twice - 9
    } else {
        twice
    }
}

/// The Luhn check (ISO/IEC 7812): every second digit from the right doubled, the sum a
/// multiple of ten.
pub(super) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { doubled(d) } else { u32::from(d) })
        .sum();
    sum.is_multiple_of(10)
}

/// Prefix sums that give the Luhn sum of any stretch in constant time: digits at even and at
/// odd positions, as they are and doubled.
struct LuhnSums {
    plain: [Vec<u32>; 2],
    twice: [Vec<u32>; 2],
}

impl LuhnSums {
    fn new(digits: &[u8]) -> Self {
        let mut plain = [vec![0; digits.len() + 1], vec![0; digits.len() + 1]];
        let mut twice = [vec![0; digits.len() + 1], vec![0; digits.len() + 1]];
        for (k, &d) in digits.iter().enumerate() {
            for p in 0..2 {
                let own = k % 2 == p;
                plain[p][k + 1] = plain[p][k] + if own { u32::from(d) } else { 0 };
                twice[p][k + 1] = twice[p][k] + if own { doubled(d) } else { 0 };
            }
        }
        Self { plain, twice }
    }

    /// Whether `digits[from..to]` passes the Luhn check: the last digit's parity is kept,
    /// the other parity doubled.
    fn valid(&self, from: usize, to: usize) -> bool {
        let kept = (to - 1) % 2;
        let sum = self.plain[kept][to] - self.plain[kept][from] + self.twice[1 - kept][to]
            - self.twice[1 - kept][from];
        sum.is_multiple_of(10)
    }
}

/// An SSN in the ranges ever issued: area not 000, 666 or 9xx; group not 00; serial not 0000.
fn valid_ssn(d: &[u8]) -> bool {
    let area = u32::from(d[0]) * 100 + u32::from(d[1]) * 10 + u32::from(d[2]);
    area != 0 && area != 666 && area < 900 && d[3..5] != [0, 0] && d[5..9] != [0, 0, 0, 0]
}

/// A phone number: `+` and 8–15 digits (E.164) in any grouping; a North American number (ten
/// digits from area code 2–9, or eleven from a leading 1) written whole, grouped as it is said
/// (3-3-4, 1-3-3-4) or said digit by digit; a seven-digit local number (3-4); a national number
/// with a trunk 0 (10–11 digits).
fn is_phone(digits: &[u8], shape: &[usize], plus: bool, one_by_one: bool) -> bool {
    let n = digits.len();
    if plus {
        return (8..=15).contains(&n);
    }
    match n {
        7 => one_by_one || shape == [3, 4],
        10 if digits[0] == 0 => shape.len() > 1 || one_by_one,
        10 => digits[0] >= 2 && (one_by_one || matches!(shape, [10] | [3, 3, 4] | [3, 7] | [6, 4])),
        11 if digits[0] == 0 => shape.len() > 1,
        11 => {
            digits[0] == 1
                && digits[1] >= 2
                && (one_by_one || matches!(shape, [11] | [1, 3, 3, 4] | [1, 10] | [4, 3, 4]))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_its_prefix_sums_agree() {
        let digits: Vec<u8> = "4111111111111111378282246310005"
            .bytes()
            .map(|b| b - b'0')
            .collect();
        let sums = LuhnSums::new(&digits);
        for from in 0..digits.len() {
            for to in from + 1..=digits.len() {
                assert_eq!(
                    sums.valid(from, to),
                    luhn(&digits[from..to]),
                    "{from}..{to}"
                );
            }
        }
        assert!(luhn(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
        assert!(!luhn(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]));
    }

    #[test]
    fn gaps() {
        for gap in [" ", "-", " - ", ", ", ") ", "\u{2013}", "\u{00A0}", "."] {
            assert!(joins(gap), "{gap:?}");
        }
        for gap in ["/", ":", "     ", " and ", "#"] {
            assert!(!joins(gap), "{gap:?}");
        }
    }
}
