//! What the summariser reads from the transcript: its sentences with who said them and what
//! kind of thing they say (a reason for calling, a problem, an offer, a decision, a commitment),
//! the amounts of money and the names in them, and the participants' names. One pass over the
//! transcript, phrase matching with one automaton per cue family.

// foldhash: these maps hash many short words per call; SipHash's DoS resistance buys little
// here (per-process random seeds remain) and costs about a tenth of the summary.
use foldhash::{HashMap, HashMapExt, HashSet};
use std::sync::LazyLock;

use super::super::categories::NEXT_STEP_PHRASES;
use super::super::text::{normalise, sentences, PhraseMatcher};
use crate::store::ConversationRecord;

/// Which side of the call a transcript entry is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Customer,
    Agent,
}

impl Side {
    /// `END_USER` and `EXTERNAL_USER` speak for the customer; agents, virtual agents and
    /// supervisors for the business.
    pub fn of(sender_type: &str) -> Self {
        match sender_type {
            "END_USER" | "EXTERNAL_USER" => Self::Customer,
            _ => Self::Agent,
        }
    }
}

/// Cue families: a sentence's score for a section is a weighted count of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Cue {
    /// Why someone called or what they want ("I'm calling about", "I'd like to", "cancel").
    Intent,
    /// Something wrong ("keeps dropping", "not working", "too expensive").
    Problem,
    /// A worry or a feeling ("worried", "frustrated", "budget").
    Worry,
    /// What the business offers ("we can offer", "upgrade", "discount", "plan").
    Offer,
    /// A choice made ("let's do it", "go ahead", "I'll take", "please cancel").
    Decision,
    /// Something someone will do after the call ("I'll send", "schedule", "follow up").
    Commitment,
    /// A time ahead ("tomorrow", "on Thursday", "next week").
    When,
    /// A competitor or a comparison ("cheaper", "switch to", "competitor", "quote from").
    Comparison,
    /// Politeness with no content ("thank you", "have a good day").
    Pleasantry,
}

const CUES: usize = 9;

const INTENT: &[&str] = &[
    "calling about",
    "calling because",
    "calling to",
    "i m calling",
    "i am calling",
    "called about",
    "reason i",
    "i need",
    "i want",
    "i d like",
    "i would like",
    "i m looking",
    "looking for",
    "looking to",
    "looking at",
    "interested in",
    "thinking about",
    "thinking of",
    "help me",
    "i wanted to",
    "wondering",
    "question about",
    "cancel",
    "cancelling",
    "canceling",
    "upgrade",
    "switch",
    "sign up",
    "set up",
    "i have to",
    "i plan",
    "plans to",
    "trying to",
    "i m trying",
];
const PROBLEM: &[&str] = &[
    "problem",
    "problems",
    "issue",
    "issues",
    "trouble",
    "keeps",
    "keep dropping",
    "dropping",
    "drops",
    "dropped",
    "broken",
    "not working",
    "doesn t work",
    "don t work",
    "isn t working",
    "stopped working",
    "won t",
    "can t",
    "cannot",
    "error",
    "slow",
    "outage",
    "down",
    "fault",
    "disconnects",
    "disconnecting",
    "failing",
    "failed",
    "lost",
    "missing",
    "lacks",
    "wrong",
    "charged",
    "overcharged",
    "too expensive",
    "too much",
    "late",
    "delayed",
    "sick",
    "hurt",
    "pain",
];
const WORRY: &[&str] = &[
    "worried",
    "worry",
    "concerned",
    "concern",
    "afraid",
    "budget",
    "afford",
    "expensive",
    "frustrated",
    "frustrating",
    "annoyed",
    "annoying",
    "angry",
    "upset",
    "disappointed",
    "unhappy",
    "not happy",
    "tired of",
    "fed up",
    "unacceptable",
    "ridiculous",
    "stressed",
    "nervous",
    "unfortunately",
];
const OFFER: &[&str] = &[
    "we can",
    "i can",
    "we could",
    "i could",
    "we ll",
    "offer",
    "offering",
    "upgrade",
    "discount",
    "credit",
    "waive",
    "free",
    "plan",
    "package",
    "deal",
    "bundle",
    "promotion",
    "include",
    "includes",
    "recommend",
    "suggest",
    "option",
    "options",
    "subscription",
    "trial",
    "refund",
    "how about",
    "why don t",
    "what about",
    "let s",
    "should",
];
const DECISION: &[&str] = &[
    "i ll take",
    "let s do",
    "let s go",
    "go ahead",
    "sounds good",
    "that works",
    "deal",
    "agreed",
    "i agree",
    "decided",
    "i ll go with",
    "sign me up",
    "i accept",
    "please cancel",
    "cancel it",
    "i ll stay",
    "okay let s",
    "i ll do",
    "book it",
    "i ll keep",
    "we ll go",
    "i ll try",
    "all right",
    "that s fine",
    "perfect",
    "yes please",
];
const COMMITMENT: &[&str] = &[
    "i ll",
    "i will",
    "we ll",
    "we will",
    "let me",
    "i m going to",
    "we re going to",
    "i am going to",
    "you ll",
    "you will",
    "will be",
    "will send",
    "will call",
    "next step",
    "next steps",
    "follow up",
    "get back to you",
    "send you",
    "email you",
    "schedule",
    "scheduled",
    "book",
    "booked",
    "put together",
    "confirm",
    "call you back",
    "reach out",
    "make sure",
    "i have to",
    "you need to",
    "you have to",
    "remember to",
    "don t forget",
];
const WHEN: &[&str] = &[
    "next week",
    "next month",
    "tomorrow",
    "today",
    "tonight",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "by the end",
    "within",
    "in the morning",
    "this afternoon",
    "this evening",
    "this weekend",
    "appointment",
    "technician",
    "after the call",
    "first thing",
    "later",
    "soon",
    "o clock",
    "am",
    "pm",
    "between",
];
const COMPARISON: &[&str] = &[
    "cheaper",
    "competitor",
    "competitors",
    "switch to",
    "switching to",
    "quote from",
    "offered me",
    "better deal",
    "better price",
    "other provider",
    "another provider",
    "other company",
    "elsewhere",
    "instead of",
    "compared to",
    "than",
    "currently with",
    "been with",
    "using",
];
const PLEASANTRY: &[&str] = &[
    "thank you",
    "thanks",
    "have a good",
    "have a great",
    "have a nice",
    "you re welcome",
    "bye",
    "goodbye",
    "hello",
    "hi",
    "hey",
    "good morning",
    "good afternoon",
    "nice to meet",
    "take care",
    "no problem",
    "my pleasure",
    "glad to help",
    "talk soon",
];

static CUE_MATCHER: LazyLock<PhraseMatcher> = LazyLock::new(|| {
    let families: [(Cue, &[&str]); CUES + 1] = [
        (Cue::Intent, INTENT),
        (Cue::Problem, PROBLEM),
        (Cue::Worry, WORRY),
        (Cue::Offer, OFFER),
        (Cue::Decision, DECISION),
        (Cue::Commitment, COMMITMENT),
        (Cue::Commitment, NEXT_STEP_PHRASES),
        (Cue::When, WHEN),
        (Cue::Comparison, COMPARISON),
        (Cue::Pleasantry, PLEASANTRY),
    ];
    PhraseMatcher::new(
        families
            .into_iter()
            .flat_map(|(cue, phrases)| phrases.iter().map(move |p| (cue as usize, *p))),
    )
});

/// Words that carry no content: a sentence of only these (and pleasantries) says nothing.
const FILLER: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "so", "to", "of", "in", "on", "at", "for", "with", "is",
    "are", "was", "be", "it", "it's", "that", "this", "i", "you", "we", "me", "my", "your", "oh",
    "ok", "okay", "yes", "yeah", "no", "sure", "right", "well", "um", "uh", "hmm", "great", "good",
    "fine", "alright", "just", "very", "much", "too", "all", "s", "m", "ll", "re", "t", "do",
    "have", "not", "can", "will", "would", "there", "here", "what", "how", "thank", "thanks",
    "please", "really", "then", "now", "let", "as", "if", "about", "like", "get", "got", "know",
    "think", "mean", "see", "go",
];

static FILLER_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| FILLER.iter().copied().collect());

/// One sentence of the transcript.
#[derive(Debug, Clone)]
pub struct Sentence<'a> {
    pub side: Side,
    pub text: &'a str,
    /// Words that are not filler.
    pub content_words: usize,
    /// Counts of each cue family.
    cues: [u8; CUES],
    /// Amounts of money, as said ("$1,200 a month", "55 dollars", "20%").
    pub amounts: Vec<String>,
    /// Capitalised names inside the sentence (not its first word): products, plans,
    /// companies, people.
    pub names: Vec<&'a str>,
    pub question: bool,
    /// How much the sentence is about what the whole call is about: the mean number of other
    /// sentences sharing each of its content words (0 when it has none).
    pub topic: f64,
    /// The sentence lower-cased, its words separated by single spaces.
    normalised: String,
    /// Its distinct content words longer than two letters (spans of `normalised`), sorted.
    words: Vec<(u32, u32)>,
}

impl Sentence<'_> {
    /// Its distinct content words longer than two letters.
    fn words(&self) -> impl Iterator<Item = &str> {
        self.words
            .iter()
            .map(|&(a, b)| &self.normalised[a as usize..b as usize])
    }

    pub fn cue(&self, cue: Cue) -> f64 {
        f64::from(self.cues[cue as usize])
    }

    pub fn has(&self, cue: Cue) -> bool {
        self.cues[cue as usize] > 0
    }

    /// Nothing but politeness and filler.
    pub fn is_small_talk(&self) -> bool {
        self.content_words < 2 || (self.has(Cue::Pleasantry) && self.content_words < 4)
    }
}

/// Every sentence of the transcript, in order.
pub fn read(record: &ConversationRecord) -> Vec<Sentence<'_>> {
    let mut out = Vec::with_capacity(record.messages.len() * 2);
    for message in &record.messages {
        let side = Side::of(&message.sender_type);
        for text in sentences(&message.content) {
            out.push(sentence(side, text));
        }
    }
    // Each distinct word numbered once, and every sentence's words as numbers in one list: the
    // second pass counts without hashing again.
    let mut numbers: HashMap<&str, u32> = HashMap::with_capacity(out.len());
    let mut frequency: Vec<u32> = Vec::new();
    let mut numbered: Vec<u32> = Vec::with_capacity(out.iter().map(|s| s.words.len()).sum());
    for s in &out {
        for w in s.words() {
            let next = numbers.len() as u32;
            let number = *numbers.entry(w).or_insert(next);
            if number == next {
                frequency.push(0);
            }
            frequency[number as usize] += 1;
            numbered.push(number);
        }
    }
    drop(numbers);
    let mut rest = numbered.as_slice();
    for s in &mut out {
        let (own, after) = rest.split_at(s.words.len());
        rest = after;
        let shared: u32 = own.iter().map(|&n| frequency[n as usize] - 1).sum();
        s.topic = f64::from(shared) / s.words.len().max(1) as f64;
    }
    out
}

fn sentence(side: Side, text: &str) -> Sentence<'_> {
    // A redaction mask ("[CREDIT_DEBIT_NUMBER]") is no word of the call's.
    let normalised = normalise(&crate::redaction::without_masks(text));
    let mut cues = [0u8; CUES];
    CUE_MATCHER.each_match(&normalised, |c| cues[c] = cues[c].saturating_add(1));
    // Content words as spans of the normalised text: one allocation for the sentence, not one
    // a word.
    let mut content_words = 0;
    // Room for the words of a typical sentence, so the list is allocated once.
    let mut words: Vec<(u32, u32)> = Vec::with_capacity(normalised.len() / 5);
    for word in normalised.split_whitespace() {
        if FILLER_SET.contains(word) {
            continue;
        }
        content_words += 1;
        if word.len() > 2 {
            // A subslice of `normalised`: its offset there.
            let start = word.as_ptr() as usize - normalised.as_ptr() as usize;
            words.push((start as u32, (start + word.len()) as u32));
        }
    }
    let span = |&(a, b): &(u32, u32)| &normalised[a as usize..b as usize];
    words.sort_unstable_by(|x, y| span(x).cmp(span(y)));
    words.dedup_by(|x, y| span(x) == span(y));
    Sentence {
        side,
        text,
        content_words,
        cues,
        amounts: amounts(text),
        names: names(text),
        question: text.ends_with('?'),
        topic: 0.0,
        normalised,
        words,
    }
}

/// Common words that are not what a conversation is about, whatever their frequency.
const NOT_TOPICS: &[&str] = &[
    "help",
    "call",
    "calling",
    "called",
    "thank",
    "thanks",
    "hear",
    "glad",
    "happy",
    "don",
    "didn",
    "doesn",
    "isn",
    "aren",
    "wasn",
    "won",
    "can",
    "couldn",
    "shouldn",
    "wouldn",
    "haven",
    "want",
    "wants",
    "need",
    "needs",
    "going",
    "gonna",
    "one",
    "two",
    "some",
    "any",
    "more",
    "most",
    "lot",
    "lots",
    "thing",
    "things",
    "something",
    "anything",
    "nothing",
    "everything",
    "way",
    "time",
    "day",
    "today",
    "yes",
    "yeah",
    "okay",
    "sure",
    "why",
    "when",
    "where",
    "who",
    "which",
    "they",
    "them",
    "their",
    "she",
    "her",
    "his",
    "him",
    "our",
    "out",
    "up",
    "down",
    "off",
    "over",
    "from",
    "into",
    "did",
    "does",
    "had",
    "has",
    "been",
    "were",
    "could",
    "should",
    "may",
    "might",
    "must",
    "shall",
    "say",
    "said",
    "tell",
    "told",
    "ask",
    "come",
    "came",
    "make",
    "made",
    "take",
    "took",
    "give",
    "look",
    "looks",
    "looking",
    "sounds",
    "sound",
    "also",
    "still",
    "even",
    "maybe",
    "any",
    "other",
    "another",
    "than",
    "more",
    "same",
    "kind",
    "sort",
    "quite",
    "pretty",
    "nice",
    "sorry",
    "hello",
    "excuse",
    "mr",
    "mrs",
    "miss",
    "because",
    "these",
    "those",
    "such",
    "only",
    "again",
    "back",
    "let",
    "right",
    "yours",
    "mine",
    "course",
    "well",
    "really",
    "actually",
    "lot",
    "new",
    "old",
    "first",
    "last",
    "next",
    "tell",
    "try",
    "put",
    "use",
    "used",
    "way",
    "ever",
    "never",
    "always",
    "often",
    "every",
    "each",
    "where",
    "while",
    "after",
    "before",
    "then",
    "there",
    "their",
    "what",
    "with",
    "without",
    "would",
    "will",
    "shall",
    "about",
    "your",
    "you",
    "are",
    "was",
    "the",
    "and",
    "but",
    "for",
];

/// The words the conversation keeps coming back to: content words in at least two sentences,
/// most sentences first (ties to the earlier), at most `k`.
pub fn topics(sentences: &[Sentence<'_>], k: usize) -> Vec<String> {
    let mut seen: HashMap<&str, (u32, usize)> = HashMap::with_capacity(sentences.len());
    for (i, s) in sentences.iter().enumerate() {
        for w in s.words() {
            let entry = seen.entry(w).or_insert((0, i));
            entry.0 += 1;
        }
    }
    let mut ranked: Vec<(&str, u32, usize)> = seen
        .into_iter()
        .filter(|(w, (n, _))| {
            *n >= 2 && !NOT_TOPICS.contains(w) && !w.chars().all(|c| c.is_ascii_digit())
        })
        .map(|(w, (n, first))| (w, n, first))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)).then(a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(k)
        .map(|(w, ..)| w.to_owned())
        .collect()
}

const CURRENCY_SYMBOLS: &[char] = &['$', '€', '£', '¥'];
const CURRENCY_WORDS: &[&str] = &[
    "dollar", "dollars", "usd", "euro", "euros", "eur", "pound", "pounds", "gbp", "bucks", "cents",
    "percent",
];
const RATE_UNITS: &[&str] = &[
    "month", "year", "week", "day", "hour", "seat", "user", "license", "licence", "head", "line",
    "minute",
];

/// Amounts of money in `text`: a currency sign and its number, with a rate after it ("a month",
/// "per user"); a number before a currency word; a percentage.
pub fn amounts(text: &str) -> Vec<String> {
    // Every amount has a digit: most sentences have none.
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i].trim_end_matches([',', '.', '!', '?', ';', ':', ')']);
        let bare = word.trim_start_matches(['(', '~']);
        let has_digit = bare.chars().any(|c| c.is_ascii_digit());
        let symbol = bare.starts_with(CURRENCY_SYMBOLS) && has_digit;
        let percent = has_digit && bare.ends_with('%');
        let next = |k: usize| {
            words.get(i + k).map(|w| {
                w.trim_end_matches([',', '.', '!', '?', ';', ':'])
                    .to_lowercase()
            })
        };
        let numeric = has_digit
            && bare
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.');
        let word_after = numeric && next(1).is_some_and(|w| CURRENCY_WORDS.contains(&w.as_str()));
        if symbol || percent || (numeric && word_after) {
            let mut amount = bare.to_owned();
            let mut used = 1;
            if numeric && word_after {
                amount = format!("{bare} {}", next(1).unwrap_or_default());
                used = 2;
            }
            // A rate after it: "a month", "per user".
            if let (Some(a), Some(unit)) = (next(used), next(used + 1)) {
                let unit_word = unit.trim_end_matches('s');
                if matches!(a.as_str(), "a" | "an" | "per" | "each")
                    && RATE_UNITS.contains(&unit_word)
                {
                    amount = format!("{amount} {a} {unit}");
                    used += 2;
                }
            }
            if !out.contains(&amount) {
                out.push(amount);
            }
            i += used;
        } else {
            i += 1;
        }
    }
    out
}

/// Capitalised words that are not the sentence's first word, nor "I" and its contractions,
/// joined into runs ("Genius Solutions", "Fiber Max 500").
pub fn names(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    let mut first = true;
    let mut offset = 0;
    for piece in text.split_inclusive(|c: char| c.is_whitespace()) {
        let start = offset;
        offset += piece.len();
        let word = piece.trim_end();
        let core = word.trim_matches(|c: char| !c.is_alphanumeric());
        // `core` is a subslice of `word`: where it starts there, without searching for it.
        let core_start = start + (core.as_ptr() as usize - word.as_ptr() as usize);
        let capital = core.chars().next().is_some_and(char::is_uppercase)
            && !first
            && !matches!(core, "I" | "I'm" | "I've" | "I'll" | "I'd" | "OK" | "Okay")
            && !core.contains('’')
            && !NOT_NAMES.contains(&core)
            && !crate::redaction::is_mask(word);
        let joins = run.is_some() && core.chars().all(|c| c.is_ascii_digit()) && !core.is_empty();
        if capital || joins {
            let end = core_start + core.len();
            run = Some(run.map_or((core_start, end), |(s, _)| (s, end)));
        } else if let Some((s, e)) = run.take() {
            out.push(&text[s..e]);
        }
        // A run ends at punctuation after a word.
        if word.ends_with([',', '.', ';', ':', '!', '?']) {
            if let Some((s, e)) = run.take() {
                out.push(&text[s..e]);
            }
        }
        if !core.is_empty() {
            first = false;
        }
    }
    if let Some((s, e)) = run {
        out.push(&text[s..e]);
    }
    out
}

/// Capitalised words that are rarely names.
const NOT_NAMES: &[&str] = &[
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Sir",
    "Madam",
    "Ma'am",
    "Yes",
    "No",
    "Oh",
    "Well",
    "So",
    "And",
    "But",
    "The",
    "A",
    "An",
    "It",
    "It's",
    "That",
    "This",
    "We",
    "You",
    "They",
    "He",
    "She",
    "My",
    "Our",
    "Your",
    "Okay",
    "Sure",
    "Thanks",
    "Thank",
    "Hello",
    "Hi",
    "Hey",
    "Please",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Christmas",
    "English",
    "Honey",
    "God",
];

/// The names the participants give: "this is Alex", "my name is Sam", "I'm Sam" name the
/// speaker; "Hi Sam", "thanks, Sam" name the other side. The first found for each side wins.
pub fn participant_names(sentences: &[Sentence<'_>]) -> (Option<String>, Option<String>) {
    let mut customer = None;
    let mut agent = None;
    for s in sentences.iter().take(60) {
        let words: Vec<&str> = s.text.split_whitespace().collect();
        for (i, pair) in words.windows(2).enumerate() {
            let lead = pair[0].to_lowercase().replace('’', "'");
            let lead = lead.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
            let candidate = pair[1].trim_matches(|c: char| !c.is_alphanumeric());
            if !looks_like_name(candidate) {
                continue;
            }
            let earlier = if i > 0 {
                words[i - 1].to_lowercase()
            } else {
                String::new()
            };
            let before = earlier.trim_matches(|c: char| !c.is_alphanumeric());
            let own = (lead == "is" && matches!(before, "this" | "name"))
                || lead == "i'm"
                || (lead == "am" && earlier == "i");
            let other = matches!(lead, "hi" | "hello" | "hey" | "thanks" | "bye" | "dear")
                || (lead == "you"
                    && earlier.trim_matches(|c: char| !c.is_alphanumeric()) == "thank");
            let (own_slot, other_slot) = match s.side {
                Side::Customer => (&mut customer, &mut agent),
                Side::Agent => (&mut agent, &mut customer),
            };
            if own && own_slot.is_none() {
                *own_slot = Some(candidate.to_owned());
            } else if other && other_slot.is_none() {
                *other_slot = Some(candidate.to_owned());
            }
        }
    }
    (customer, agent)
}

fn looks_like_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase)
        && word.len() >= 2
        && chars.all(char::is_lowercase)
        && !NOT_NAMES.contains(&word)
        && !NOT_A_NAME_AFTER_IM.contains(&word)
}

/// Capitalised words that follow "I'm" or "this is" without being names.
const NOT_A_NAME_AFTER_IM: &[&str] = &[
    "Sorry",
    "Fine",
    "Good",
    "Calling",
    "Looking",
    "Not",
    "Just",
    "Here",
    "Great",
    "Afraid",
    "Glad",
    "Happy",
    "Interested",
    "Going",
    "Trying",
    "Really",
    "Still",
    "So",
    "Very",
    "Also",
    "Always",
    "Actually",
    "Sure",
    "Fairly",
    "Pretty",
    "Quite",
    "Thinking",
    "Wondering",
    "Worried",
    "Concerned",
    "Ready",
    "Busy",
    "Back",
    "Done",
    "Tired",
    "All",
    "Doing",
    "Sick",
    "Your",
    "Our",
    "Calling",
    "Customer",
    "Support",
    "Billing",
    "Sales",
    "Technical",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_with_their_rates() {
        assert_eq!(
            amounts("It's $1,200 a month, plus $55 per user."),
            ["$1,200 a month", "$55 per user"]
        );
        assert_eq!(
            amounts("They quoted 40 dollars a month and 20% off."),
            ["40 dollars a month", "20%"]
        );
        assert!(amounts("We have 16 licenses.").is_empty());
    }

    #[test]
    fn names_inside_sentences() {
        assert_eq!(
            names("We used Genius Solutions for years, then FiberMax 500."),
            ["Genius Solutions", "FiberMax 500"]
        );
        assert!(names("Okay. I think I'm fine.").is_empty());
        assert!(names("Then I gave [CREDIT_DEBIT_NUMBER] and [SSN], not [PII].").is_empty());
    }

    #[test]
    fn redaction_masks_are_no_topics() {
        let s = [
            sentence(
                Side::Customer,
                "My card is [CREDIT_DEBIT_NUMBER] and the router.",
            ),
            sentence(
                Side::Agent,
                "Thanks, [CREDIT_DEBIT_NUMBER] noted; the router is new.",
            ),
            sentence(
                Side::Customer,
                "Also [CREDIT_DEBIT_NUMBER], for the router.",
            ),
        ];
        assert_eq!(topics(&s, 3), ["router"]);
    }

    #[test]
    fn participants_name_themselves_and_each_other() {
        let s = [
            sentence(Side::Agent, "Thank you for calling, this is Alex."),
            sentence(Side::Customer, "Hi Alex, this is Sam."),
        ];
        assert_eq!(
            participant_names(&s),
            (Some("Sam".into()), Some("Alex".into()))
        );
        let s = [sentence(Side::Agent, "Hey Jimmy.")];
        assert_eq!(participant_names(&s), (Some("Jimmy".into()), None));
        let s = [sentence(Side::Customer, "I'm Sorry, I'm Calling late.")];
        assert_eq!(participant_names(&s), (None, None));
    }

    #[test]
    fn topics_are_the_words_the_call_comes_back_to() {
        let s = [
            sentence(Side::Customer, "My router keeps dropping the connection."),
            sentence(Side::Agent, "Is the router light green? I want to check."),
            sentence(
                Side::Customer,
                "The connection drops and the router blinks. I want help.",
            ),
            sentence(Side::Agent, "A new router is included."),
        ];
        assert_eq!(topics(&s, 3), ["router", "connection"]);
        assert!(topics(&s[..1], 3).is_empty());
    }

    #[test]
    fn cues_are_counted() {
        let s = sentence(
            Side::Customer,
            "My internet keeps dropping and I want to cancel.",
        );
        assert!(s.has(Cue::Problem) && s.has(Cue::Intent));
        assert!(!s.has(Cue::Offer));
        assert!(sentence(Side::Agent, "Thank you so much!").is_small_talk());
    }
}
