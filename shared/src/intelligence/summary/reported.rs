//! Turning what a participant said into a sentence about them: "I need a faster plan", said by
//! the customer Sam, becomes "Sam needs a faster plan"; "My internet keeps dropping" becomes
//! "Sam said their internet keeps dropping". First and second person become third person (the
//! speaker's name or role, the other party's, `they`), and the verb after a named subject
//! agrees with it. Plain text in, plain text out: escaping is the renderer's job.

/// Adverbs that may stand between a subject and its verb ("I really need").
const ADVERBS: &[&str] = &[
    "just",
    "really",
    "also",
    "already",
    "still",
    "never",
    "always",
    "only",
    "actually",
    "usually",
    "currently",
    "recently",
    "even",
    "often",
    "sometimes",
    "definitely",
    "probably",
    "totally",
    "certainly",
    "honestly",
    "basically",
    "generally",
    "normally",
    "mostly",
    "kind",
    "sort",
];

/// Words after a singular subject that stay as they are (modals, past forms, adverbs handled
/// apart).
const INVARIANT: &[&str] = &[
    "can",
    "could",
    "will",
    "would",
    "should",
    "shall",
    "may",
    "might",
    "must",
    "can't",
    "couldn't",
    "won't",
    "wouldn't",
    "shouldn't",
    "did",
    "didn't",
    "was",
    "wasn't",
    "had",
    "hadn't",
    "is",
    "has",
    "does",
    "doesn't",
    "isn't",
    "hasn't",
    "and",
    "or",
    "but",
    "too",
    "as",
    "not",
    // irregular past forms
    "said",
    "told",
    "got",
    "went",
    "made",
    "took",
    "came",
    "saw",
    "thought",
    "knew",
    "paid",
    "bought",
    "felt",
    "left",
    "kept",
    "spent",
    "heard",
    "found",
    "gave",
    "lost",
    "sent",
    "meant",
    "met",
    "ran",
    "began",
    "brought",
    "sold",
    "sat",
    "stood",
    "understood",
    "wrote",
    "spoke",
    "forgot",
    "chose",
    "ate",
    "drove",
    "fell",
    "grew",
    "held",
    "put",
    "quit",
    "read",
    "set",
    "taught",
    "threw",
    "won",
    "wore",
    "built",
    "caught",
    "fought",
    "hit",
    "hurt",
    "let",
    "cut",
    "broke",
    "became",
    "slept",
    "woke",
    "ever",
    "once",
];

/// Words opening a sentence that are not names, so lowercase after "said".
const COMMON_OPENERS: &[&str] = &[
    "the",
    "a",
    "an",
    "it",
    "it's",
    "its",
    "that",
    "that's",
    "this",
    "these",
    "those",
    "there",
    "there's",
    "they",
    "they're",
    "he",
    "she",
    "his",
    "her",
    "their",
    "we",
    "if",
    "when",
    "then",
    "now",
    "today",
    "tomorrow",
    "tonight",
    "yesterday",
    "maybe",
    "perhaps",
    "please",
    "let's",
    "let",
    "all",
    "some",
    "most",
    "every",
    "everything",
    "nothing",
    "something",
    "one",
    "two",
    "both",
    "no",
    "not",
    "only",
    "just",
    "also",
    "but",
    "and",
    "or",
    "because",
    "since",
    "after",
    "before",
    "in",
    "on",
    "at",
    "for",
    "with",
    "without",
    "from",
    "to",
    "by",
    "about",
    "as",
    "what",
    "how",
    "why",
    "where",
    "who",
    "which",
    "here",
    "here's",
    "look",
    "see",
    "do",
    "don't",
    "is",
    "are",
    "was",
    "can",
    "could",
    "would",
    "should",
    "will",
    "sounds",
    "thanks",
    "sorry",
    "each",
    "any",
    "another",
    "other",
    "many",
    "much",
    "more",
    "less",
    "even",
];

/// Discourse markers dropped from the start of a sentence ("Well, ", "Oh, ", "Of course, ").
const MARKERS: &[&str] = &[
    "well",
    "oh",
    "yes",
    "yeah",
    "no",
    "okay",
    "ok",
    "so",
    "sure",
    "um",
    "uh",
    "hmm",
    "honey",
    "of course",
    "well anyway",
    "anyway",
    "alright",
    "all right",
    "right",
    "actually",
    "really",
    "wow",
    "great",
    "good",
    "fine",
    "look",
    "listen",
    "hey",
    "hi",
    "hello",
    "sorry",
    "and",
    "but",
    "oh well",
    "you know",
    "i see",
    "i know",
    "see",
    "then",
    "now",
    "ah",
    "dear",
    "darling",
];

/// `sentence` without a leading discourse marker and its comma.
fn without_marker(sentence: &str) -> &str {
    let mut rest = sentence;
    loop {
        let Some((head, tail)) = rest.split_once(',') else {
            return rest;
        };
        let head_lower = head.trim().to_lowercase().replace('’', "'");
        // A greeting with a name ("Hello Jonah, ...") goes too.
        let greeting = head_lower.split_whitespace().count() == 2
            && matches!(
                head_lower.split_whitespace().next(),
                Some("hello" | "hi" | "hey" | "thanks")
            );
        if tail.trim().is_empty() || !(greeting || MARKERS.contains(&head_lower.as_str())) {
            return rest;
        }
        rest = tail.trim_start();
    }
}

/// Words that add nothing to a retold sentence: hedges, intensifiers, forms of address.
const PADDING: &[&str] = &[
    "really",
    "very",
    "just",
    "actually",
    "quite",
    "basically",
    "totally",
    "definitely",
    "certainly",
    "honestly",
    "anyway",
    "sir",
    "madam",
    "ma'am",
    "honey",
    "darling",
    "um",
    "uh",
    "er",
];

/// Discourse words dropped where a comma sets them off ("yes, ", "well, ", "so, ").
const ASIDES: &[&str] = &[
    "well", "oh", "yes", "yeah", "no", "okay", "ok", "so", "now", "then", "please", "though",
];

/// `sentence` without its padding: hedges, intensifiers, forms of address, and discourse words
/// set off by a comma.
fn compressed(sentence: &str) -> String {
    let parts = tokens(sentence);
    let mut out = String::with_capacity(sentence.len());
    let mut skip_gap = false;
    for (i, token) in parts.iter().enumerate() {
        if !is_word(token) {
            let gap = token.chars().all(|c| c == ' ' || c == ',');
            if skip_gap && gap {
                skip_gap = false;
                continue;
            }
            skip_gap = false;
            if !gap && out.ends_with(' ') {
                out.pop();
            }
            out.push_str(token);
            continue;
        }
        let word = normal(token);
        let set_off = parts
            .get(i + 1)
            .is_some_and(|t| t.trim_start().starts_with(','));
        if PADDING.contains(&word.as_str()) || (ASIDES.contains(&word.as_str()) && set_off) {
            skip_gap = true;
            continue;
        }
        out.push_str(token);
    }
    let mut out = out.trim().trim_start_matches([',', ' ']).to_owned();
    // A conjunction left at the start ("But many employees…") joins nothing.
    if let Some((head, tail)) = out.split_once(' ') {
        if matches!(
            normal(head).as_str(),
            "but" | "and" | "so" | "then" | "now" | "because"
        ) {
            out = tail.to_owned();
        }
    }
    if out.chars().any(char::is_alphanumeric) {
        out
    } else {
        sentence.to_owned()
    }
}

/// The third person singular of a verb after a named subject.
fn agree(verb: &str) -> String {
    let lower = verb.to_ascii_lowercase();
    let irregular = match lower.as_str() {
        "am" | "are" | "'m" | "'re" => Some("is"),
        "have" | "'ve" => Some("has"),
        "do" => Some("does"),
        "don't" => Some("doesn't"),
        "haven't" => Some("hasn't"),
        "aren't" => Some("isn't"),
        "were" => Some("was"),
        "weren't" => Some("wasn't"),
        "go" => Some("goes"),
        "think" => Some("thinks"),
        _ => None,
    };
    if let Some(form) = irregular {
        return form.to_owned();
    }
    let plain = lower.bytes().all(|b| b.is_ascii_lowercase()) && lower.len() > 1;
    if !plain
        || verb != lower
        || INVARIANT.contains(&lower.as_str())
        || (lower.ends_with("ed") && !lower.ends_with("eed"))
        || lower.ends_with("ing")
    {
        return verb.to_owned();
    }
    let bytes = lower.as_bytes();
    let last = bytes[bytes.len() - 1];
    let before = bytes[bytes.len() - 2];
    if lower.ends_with("ss")
        || lower.ends_with("sh")
        || lower.ends_with("ch")
        || matches!(last, b'x' | b'z' | b'o')
    {
        format!("{verb}es")
    } else if last == b'y' && !b"aeiou".contains(&before) {
        format!("{}ies", &verb[..verb.len() - 1])
    } else if last == b's' {
        verb.to_owned()
    } else {
        format!("{verb}s")
    }
}

/// A word or a run of other characters.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_word = None;
    for (i, c) in text.char_indices() {
        let wordy = c.is_alphanumeric() || c == '\'' || c == '’';
        if in_word != Some(wordy) {
            if i > start {
                out.push(&text[start..i]);
            }
            start = i;
            in_word = Some(wordy);
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn is_word(token: &str) -> bool {
    token.chars().next().is_some_and(char::is_alphanumeric)
}

/// Who is speaking and to whom, as they are named in the summary.
#[derive(Debug, Clone, Copy)]
pub struct Voices<'a> {
    /// The speaker: a name ("Sam") or a role ("the customer").
    pub speaker: &'a str,
    /// The one spoken to.
    pub listener: &'a str,
}

/// What a sentence becomes: its clause in the third person.
pub fn report(sentence: &str, voices: Voices<'_>) -> String {
    let compact = compressed(without_marker(sentence.trim()));
    let sentence = without_marker(&compact);
    let parts = tokens(sentence);
    let first_word = parts.iter().position(|t| is_word(t));
    let opens_with_self = first_word.is_some_and(|i| {
        matches!(
            normal(parts[i]).as_str(),
            "i" | "i'm" | "i've" | "i'll" | "i'd" | "my"
        )
    });
    let question = sentence.ends_with('?');
    let mut out = String::with_capacity(sentence.len() + 24);
    if question {
        out.push_str(voices.speaker);
        out.push_str(" asks: “");
        out.push_str(sentence);
        out.push('”');
        return capitalised(out);
    }
    if !opens_with_self {
        out.push_str(voices.speaker);
        out.push_str(" says ");
    }
    let mut agree_next = false;
    let mut clause_start = true;
    for (i, token) in parts.iter().enumerate() {
        if !is_word(token) {
            if token.contains([',', ';', ':', '—', '-']) {
                clause_start = true;
            }
            out.push_str(token);
            continue;
        }
        let word = normal(token);
        let at_start = i == first_word.unwrap_or(0);
        let named_subject = at_start && opens_with_self;
        let replaced: Option<String> = match word.as_str() {
            "i" if named_subject => {
                agree_next = true;
                Some(voices.speaker.to_owned())
            }
            "i'm" if named_subject => Some(format!("{} is", voices.speaker)),
            "i've" if named_subject => Some(format!("{} has", voices.speaker)),
            "i'll" if named_subject => Some(format!("{} will", voices.speaker)),
            "i'd" if named_subject => Some(format!("{} would", voices.speaker)),
            "my" if named_subject => Some(format!("{}'s", voices.speaker)),
            "i" => Some("they".into()),
            "i'm" => Some("they're".into()),
            "i've" => Some("they've".into()),
            "i'll" => Some("they'll".into()),
            "i'd" => Some("they'd".into()),
            "me" => Some("them".into()),
            "my" => Some("their".into()),
            "mine" => Some("theirs".into()),
            "myself" => Some("themselves".into()),
            "we" | "us" | "our" | "ours" | "we're" | "we've" | "we'll" | "we'd" => Some(
                match word.as_str() {
                    "we" => "they",
                    "us" => "them",
                    "our" => "their",
                    "ours" => "theirs",
                    "we're" => "they're",
                    "we've" => "they've",
                    "we'll" => "they'll",
                    _ => "they'd",
                }
                .into(),
            ),
            "you" => {
                agree_next = clause_start;
                Some(voices.listener.to_owned())
            }
            "you're" => Some(format!("{} is", voices.listener)),
            "you've" => Some(format!("{} has", voices.listener)),
            "you'll" => Some(format!("{} will", voices.listener)),
            "you'd" => Some(format!("{} would", voices.listener)),
            "your" | "yours" => Some(format!("{}'s", voices.listener)),
            "yourself" => Some("themselves".into()),
            _ => None,
        };
        match replaced {
            Some(r) => out.push_str(&r),
            None if agree_next => {
                if ADVERBS.contains(&word.as_str()) {
                    out.push_str(token);
                    clause_start = false;
                    continue;
                }
                out.push_str(&agree(token));
                agree_next = false;
            }
            None if at_start && !opens_with_self && COMMON_OPENERS.contains(&word.as_str()) => {
                out.push_str(&word)
            }
            None if word == "was" && out.ends_with("they ") => out.push_str("were"),
            None if word == "am" && out.ends_with("they ") => out.push_str("are"),
            None => out.push_str(token),
        }
        if !matches!(word.as_str(), "i" | "you") {
            agree_next = false;
        }
        clause_start = matches!(
            word.as_str(),
            "and" | "but" | "so" | "because" | "that" | "if" | "when" | "since" | "or"
        );
    }
    capitalised(out)
}

/// Lowercase, with typographic apostrophes made plain.
fn normal(token: &str) -> String {
    token.to_lowercase().replace('’', "'")
}

fn capitalised(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAM: Voices<'static> = Voices {
        speaker: "Sam",
        listener: "the agent",
    };
    const AGENT: Voices<'static> = Voices {
        speaker: "the agent",
        listener: "Sam",
    };

    #[test]
    fn first_person_becomes_the_speaker_and_the_verb_agrees() {
        assert_eq!(
            report("I need to stop eating such unhealthy foods.", SAM),
            "Sam needs to stop eating such unhealthy foods."
        );
        assert_eq!(
            report("I really need a cheaper plan.", SAM),
            "Sam needs a cheaper plan."
        );
        assert_eq!(report("I'm moving abroad.", SAM), "Sam is moving abroad.");
        assert_eq!(
            report("I’ll send you a quote by Friday.", AGENT),
            "The agent will send Sam a quote by Friday."
        );
        assert_eq!(
            report("I have trouble with my router.", SAM),
            "Sam has trouble with their router."
        );
        assert_eq!(report("I try it.", SAM), "Sam tries it.");
    }

    #[test]
    fn other_sentences_are_reported_speech() {
        assert_eq!(
            report("My internet keeps dropping every evening.", SAM),
            "Sam's internet keeps dropping every evening."
        );
        assert_eq!(
            report("We can offer you the 500 Mbps plan for $45 a month.", AGENT),
            "The agent says they can offer Sam the 500 Mbps plan for $45 a month."
        );
        assert_eq!(
            report("Fibrenet quoted me $40, and you are charging more.", SAM),
            "Sam says Fibrenet quoted them $40, and the agent is charging more."
        );
        assert_eq!(
            report("Well, of course, there is a fee.", AGENT),
            "The agent says there is a fee."
        );
        assert_eq!(report("I said I spent it.", SAM), "Sam said they spent it.");
    }

    #[test]
    fn padding_goes() {
        assert_eq!(
            report("But sir, many employees really use it.", AGENT),
            "The agent says many employees use it."
        );
        assert_eq!(
            report("Well, yes, I'm just honestly tired.", SAM),
            "Sam is tired."
        );
        assert_eq!(report("Um.", SAM), "Sam says Um.");
    }

    #[test]
    fn questions_are_quoted_as_said() {
        assert_eq!(
            report("Can you send me the <b>link</b>?", SAM),
            "Sam asks: “Can you send me the <b>link</b>?”"
        );
    }

    #[test]
    fn agreement_leaves_past_forms_and_modals() {
        for (verb, agreed) in [
            ("need", "needs"),
            ("fix", "fixes"),
            ("carry", "carries"),
            ("stay", "stays"),
            ("wanted", "wanted"),
            ("can", "can"),
            ("am", "is"),
            ("don't", "doesn't"),
            ("$40", "$40"),
        ] {
            assert_eq!(agree(verb), agreed, "{verb}");
        }
    }
}
