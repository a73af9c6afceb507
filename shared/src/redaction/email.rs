//! Email addresses, typed ("jane.doe+calls@example.co.uk") or as a transcriber writes them
//! when said ("jane dot doe at example dot com").

use super::scan::{Kind, Token};
use super::{Entity, Span};

/// The top-level domains a spoken address may end in: the common ones. Any other stays text
/// ("meet at the office dot …" is not an address).
const SPOKEN_TLDS: [&str; 24] = [
    "com", "net", "org", "edu", "gov", "mil", "io", "co", "us", "uk", "ca", "au", "de", "fr", "es",
    "it", "nl", "ie", "in", "info", "biz", "me", "mx", "br",
];

/// The words a spoken local part is joined with.
const JOINERS: [&str; 5] = ["dot", "underscore", "dash", "hyphen", "period"];

fn local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

fn domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// Typed addresses, found from each `@`. The local part is read back no further than the
/// previous `@` or address, the domain forward no further than the next `@`: every character
/// is looked at at most twice.
pub(super) fn typed(text: &str, out: &mut Vec<Span>) {
    let mut floor = 0;
    for (at, _) in text.match_indices('@') {
        let local_start = text[floor..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| local_char(c))
            .last()
            .map_or(at, |(i, _)| floor + i);
        let local = text[local_start..at].trim_start_matches('.');
        let local_start = at - local.len();
        let rest = &text[at + 1..];
        let domain_len = rest
            .char_indices()
            .find(|&(_, c)| !domain_char(c))
            .map_or(rest.len(), |(i, _)| i);
        let domain = rest[..domain_len].trim_end_matches(['.', '-']);
        floor = at + 1;
        if local.is_empty() || !valid_domain(domain) {
            continue;
        }
        let end = at + 1 + domain.len();
        out.push(Span {
            start: local_start,
            end,
            entity: Entity::Email,
        });
        floor = end;
    }
}

/// At least two labels, none empty, the last of two or more letters.
fn valid_domain(domain: &str) -> bool {
    let mut labels = domain.split('.');
    let tld = labels.next_back().unwrap_or_default();
    domain.contains('.')
        && domain.split('.').all(|l| !l.is_empty())
        && tld.chars().count() >= 2
        && tld.chars().all(char::is_alphabetic)
}

/// Spoken addresses: word ("dot"|"underscore"|… word)* "at" word ("dot" word)* "dot" tld, the
/// words apart by spaces only. Each word is read by at most one look forward (from the "at"
/// before it) and one look back (from the "at" after it).
pub(super) fn spoken(text: &str, tokens: &[Token], out: &mut Vec<Span>) {
    let spaced = |a: &Token, b: &Token| {
        let gap = &text[a.end..b.start];
        gap.len() <= 3 && gap.chars().all(char::is_whitespace)
    };
    let is_name =
        |t: &Token| !matches!(t.kind, Kind::Word { .. } if t.is(text, "at") || t.is(text, "dot"));
    // Tokens before `floor` belong to an address already found.
    let mut floor = 0;
    let mut k = 1;
    while k < tokens.len() {
        if !tokens[k].is(text, "at") {
            k += 1;
            continue;
        }
        // Forward: a name, then ("dot" name) pairs; the address ends at the last known TLD.
        let mut end = None;
        let mut j = k + 1;
        if j < tokens.len() && is_name(&tokens[j]) && spaced(&tokens[k], &tokens[j]) {
            while j + 2 < tokens.len()
                && tokens[j + 1].is(text, "dot")
                && is_name(&tokens[j + 2])
                && spaced(&tokens[j], &tokens[j + 1])
                && spaced(&tokens[j + 1], &tokens[j + 2])
            {
                j += 2;
                let tld = tokens[j].text(text);
                if SPOKEN_TLDS.iter().any(|t| tld.eq_ignore_ascii_case(t)) {
                    end = Some(j);
                }
            }
        }
        let Some(end) = end else {
            k += 1;
            continue;
        };
        // Back: a name, then (joiner name) pairs, never into an earlier address.
        let mut start = k - 1;
        if start < floor || !is_name(&tokens[start]) || !spaced(&tokens[start], &tokens[k]) {
            k += 1;
            continue;
        }
        while start >= floor + 2
            && JOINERS.iter().any(|w| tokens[start - 1].is(text, w))
            && is_name(&tokens[start - 2])
            && spaced(&tokens[start - 2], &tokens[start - 1])
            && spaced(&tokens[start - 1], &tokens[start])
        {
            start -= 2;
        }
        out.push(Span {
            start: tokens[start].start,
            end: tokens[end].end,
            entity: Entity::Email,
        });
        floor = end + 1;
        k = end + 1;
    }
}
