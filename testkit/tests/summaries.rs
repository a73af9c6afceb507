//! The built-in summary of realistic calls (the seed's own, a support call, a sales call, a
//! cancellation): each says why the customer called, what was offered or decided, the amounts
//! and competitors said, and the next steps, with all transcript text escaped.

use shared::intelligence::summary::summarise;
use shared::store::ConversationRecord;
use testkit::calls::{plain_text, CallFixture, Entry};
use testkit::intelligence::{next_step_items, seed_call_lines, sender_type};

fn seed_record() -> ConversationRecord {
    CallFixture {
        description: "the seed's call".into(),
        entries: seed_call_lines()
            .into_iter()
            .map(|l| Entry {
                participant_id: l.speaker.clone(),
                sender_type: sender_type(&l.speaker).into(),
                start: l.start,
                end: l.end,
                content: l.content,
            })
            .collect(),
        signals: Vec::new(),
    }
    .record()
}

/// The summary's HTML, with the three sections in order, and its plain text by section.
fn sections(record: &ConversationRecord) -> (String, [String; 3]) {
    let html = summarise(record).expect("a summary");
    let i = html
        .find("<p><strong> Customer Impression</strong></p>")
        .expect("impression");
    let c = html
        .find("<p><strong> Call Summary</strong></p>")
        .expect("call summary");
    let n = html
        .find("<p><strong> Next Steps</strong></p>")
        .expect("next steps");
    assert!(i < c && c < n, "{html}");
    let parts = [&html[i..c], &html[c..n], &html[n..]].map(plain_text);
    println!("{}\n", parts.join("\n"));
    (html, parts)
}

fn assert_says(text: &str, phrases: &[&str]) {
    for p in phrases {
        assert!(
            text.to_lowercase().contains(&p.to_lowercase()),
            "missing {p:?} in: {text}"
        );
    }
}

#[test]
fn support_call() {
    let (html, [impression, call, _]) = sections(&CallFixture::load("support").record());
    assert_says(
        &impression,
        &[
            "Dana, the customer",
            "internet keeps dropping every evening",
        ],
    );
    assert_says(&impression, &["started out upset and ended satisfied"]);
    assert_says(
        &call,
        &[
            "FiberNow",
            "$39 a month",
            "Fibre 500",
            "$45 a month",
            "upgrade",
        ],
    );
    let steps = next_step_items(&html);
    let steps = steps.join(" | ");
    assert_says(
        &steps,
        &["Priya will book a technician for Thursday between 8 and 12"],
    );
    assert_says(&steps, &["confirmation email"]);
}

#[test]
fn sales_call() {
    let (html, [impression, call, _]) = sections(&CallFixture::load("sales").record());
    assert_says(
        &impression,
        &["Elena", "contact centre console", "25 agents"],
    );
    assert_says(&impression, &["budget is a concern"]);
    assert_says(
        &call,
        &[
            "Acme",
            "$65 per user",
            "$55 per user",
            "15%",
            "Professional",
        ],
    );
    let steps = next_step_items(&html).join(" | ");
    assert_says(
        &steps,
        &["Marco will send Elena the quote by Friday", "demo"],
    );
    assert_says(&steps, &["director"]);
}

#[test]
fn cancellation_call() {
    let (html, [impression, call, _]) = sections(&CallFixture::load("cancellation").record());
    assert_says(&impression, &["cancel", "mobile contract"]);
    assert_says(&call, &["waive", "$120", "Vodafone Portugal", "$35"]);
    assert_says(&call, &["cancel it on the 30th"]);
    let steps = next_step_items(&html).join(" | ");
    assert_says(&steps, &["prepaid envelope", "rental agreement tonight"]);
}

#[test]
fn the_seed_call() {
    let (html, [impression, call, _]) = sections(&seed_record());
    assert_says(&impression, &["Sam, the customer", "phone system"]);
    assert_says(&call, &["$1,200 a month", "$55 per"]);
    assert_says(&call, &["intermediate"]);
    let steps = next_step_items(&html).join(" | ");
    assert_says(&steps, &["work on that"]);
}

#[test]
fn transcript_markup_stays_escaped() {
    let mut fixture = CallFixture::load("support");
    fixture.entries[2].content =
        "I'm calling because my <script>alert('x')</script> internet keeps dropping & I'm <b>angry</b>.".into();
    fixture.entries[11].content =
        "I'll book a technician <img src=x onerror=alert(1)> for Thursday.".into();
    let html = summarise(&fixture.record()).expect("a summary");
    for raw in ["<script>", "<b>", "<img", "& I"] {
        assert!(!html.contains(raw), "{raw:?} unescaped: {html}");
    }
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
}
