//! Matching words and phrases in transcript text: case-insensitive, on word boundaries, blind to
//! punctuation. Text and phrases are both reduced to their lowercase word tokens joined by single
//! spaces, with a space at each end, so a phrase matches only whole words (" genius solutions "
//! is found in " we use genius solutions now ", not in " geniuses ").

use aho_corasick::{AhoCorasick, MatchKind};

/// The normalised form: lowercase alphanumeric runs, each surrounded by spaces. An apostrophe
/// inside a word splits it ("I'll" → "i ll"), in the text and in phrases alike.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    normalise_into(text, &mut out, usize::MAX);
    out
}

/// Writes [`normalise`]`(text)` into `out` (cleared first), or, once `out` holds at least `limit`
/// bytes, as much of it as that: a prefix of the whole, for a check of how a text starts.
pub fn normalise_into(text: &str, out: &mut String, limit: usize) {
    // Built as bytes: ASCII, nearly all of a transcript, a byte at a time; other characters
    // decoded one by one.
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    bytes.reserve(text.len() + 2);
    bytes.push(b' ');
    let mut in_word = false;
    let mut at = 0;
    while at < text.len() && bytes.len() < limit {
        let byte = text.as_bytes()[at];
        let (word_char, width) = if byte.is_ascii() {
            if byte.is_ascii_alphanumeric() {
                bytes.push(byte.to_ascii_lowercase());
            }
            (byte.is_ascii_alphanumeric(), 1)
        } else {
            let c = text[at..].chars().next().expect("a character starts here");
            if c.is_alphanumeric() {
                let mut buffer = [0; 4];
                for lower in c.to_lowercase() {
                    bytes.extend_from_slice(lower.encode_utf8(&mut buffer).as_bytes());
                }
            }
            (c.is_alphanumeric(), c.len_utf8())
        };
        if !word_char && in_word {
            bytes.push(b' ');
        }
        in_word = word_char;
        at += width;
    }
    if in_word && at == text.len() {
        bytes.push(b' ');
    }
    *out = String::from_utf8(bytes).expect("built from whole characters");
}

/// A set of phrases, each tagged with the index of the category it belongs to.
pub struct PhraseMatcher {
    automaton: Option<AhoCorasick>,
    owners: Vec<usize>,
}

impl PhraseMatcher {
    /// `phrases` yields (category index, phrase). Phrases without any word are dropped.
    pub fn new<'a>(phrases: impl IntoIterator<Item = (usize, &'a str)>) -> Self {
        let (owners, patterns): (Vec<usize>, Vec<String>) = phrases
            .into_iter()
            .map(|(owner, phrase)| (owner, normalise(phrase)))
            .filter(|(_, p)| !p.trim().is_empty())
            .unzip();
        let automaton = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .expect("phrase patterns build")
        });
        Self { automaton, owners }
    }

    /// Calls `found(category)` for every phrase occurring in `normalised` text (overlaps
    /// included; a category may be reported more than once).
    pub fn each_match(&self, normalised: &str, mut found: impl FnMut(usize)) {
        if let Some(automaton) = &self.automaton {
            for m in automaton.find_overlapping_iter(normalised) {
                found(self.owners[m.pattern().as_usize()]);
            }
        }
    }
}

/// Sentences of an entry: split after `.`, `!` and `?`, trimmed, empty ones dropped.
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_spaced_lowercase_words() {
        assert_eq!(
            normalise("Genius Solutions, right?"),
            " genius solutions right "
        );
        assert_eq!(normalise("I'll send it."), " i ll send it ");
        assert_eq!(normalise("$1,200 a month"), " 1 200 a month ");
        assert_eq!(normalise(""), " ");
        let mut prefix = String::new();
        for (text, limit) in [("What's ÉTÉ up, doc?", 4), ("What's ÉTÉ up", 9), ("Hi", 40)] {
            normalise_into(text, &mut prefix, limit);
            assert!(normalise(text).starts_with(&prefix), "{text} {limit}");
            assert!(
                prefix.len() >= limit.min(normalise(text).len()),
                "{text} {limit}"
            );
        }
    }

    /// Character by character, as `normalise` was first written.
    fn reference(text: &str) -> String {
        let mut out = String::from(" ");
        let mut in_word = false;
        for c in text.chars() {
            if c.is_alphanumeric() {
                out.extend(c.to_lowercase());
                in_word = true;
            } else if in_word {
                out.push(' ');
                in_word = false;
            }
        }
        if in_word {
            out.push(' ');
        }
        out
    }

    #[test]
    fn byte_at_a_time_is_character_at_a_time() {
        for text in [
            "İstanbul ẞtraße: ÆON, naïve café… 😀 x²³ Ⅻ",
            "  leading and trailing  ",
            "e\u{301}t\u{e9}",
            "日本語のテキスト、です。",
            "ab",
            "a",
            "!",
        ] {
            assert_eq!(normalise(text), reference(text), "{text}");
        }
    }

    #[test]
    fn matches_whole_words_only() {
        let m = PhraseMatcher::new([(0, "Genius Solutions"), (1, "demo"), (2, "follow-up")]);
        let mut seen = Vec::new();
        m.each_match(
            &normalise("We're on GENIUS solutions; demos soon. Follow up Friday."),
            |c| seen.push(c),
        );
        assert_eq!(seen, [0, 2]);
    }

    #[test]
    fn empty_phrases_never_match() {
        let m = PhraseMatcher::new([(0, "  ..  ")]);
        let mut seen = 0;
        m.each_match(&normalise("anything"), |_| seen += 1);
        assert_eq!(seen, 0);
    }
}
