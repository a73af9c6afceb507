//! The generative summariser through the real Bedrock SDK against the Converse stand-in: a good
//! answer is used (sanitised) and says who wrote it; throttling, a timeout, a body that is not
//! JSON and an answer that is no summary all give the built-in summary; hostile HTML is cleaned.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use shared::analysis::bedrock::BedrockSummariser;
use shared::analysis::{summarise, Summariser, SummaryConfig, SummaryPrompts, WrittenSummary};
use shared::intelligence::summary;
use testkit::bedrock::BedrockStandIn;
use testkit::calls::CallFixture;

async fn summariser(
    model_id: &str,
    time_limit: Duration,
    prompts: SummaryPrompts,
) -> BedrockSummariser {
    BedrockStandIn::shared();
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDSTANDIN",
            "standin-secret",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    let config = SummaryConfig {
        model_id: Some(model_id.to_owned()),
        prompts,
        time_limit,
    };
    BedrockSummariser::new(&sdk, &config).expect("a model is configured")
}

async fn written_by(model_id: &str, time_limit: Duration) -> (WrittenSummary, String) {
    let record = CallFixture::load("support").record();
    let model = summariser(model_id, time_limit, SummaryPrompts::default()).await;
    let written = summarise(Some(&model), "00DTEST", None, &record).await;
    (
        written,
        summary::summarise(&record).expect("a built-in summary"),
    )
}

#[tokio::test]
async fn a_good_answer_is_used_and_names_its_model() {
    let (written, built_in) = written_by("summary-model", Duration::from_secs(10)).await;
    assert_eq!(
        written.by,
        Summariser::Generative {
            model_id: "summary-model".into()
        }
    );
    let html = written.call_summary.expect("a summary");
    println!("{html}");
    assert_ne!(html, built_in);
    // The stand-in counts the transcript lines of the prompt: all 16 entries were sent.
    assert!(html.contains("(16 transcript lines read.)"), "{html}");
    let sent = BedrockStandIn::shared().requests_for("summary-model");
    let prompt = sent[0]["messages"][0]["content"][0]["text"]
        .as_str()
        .unwrap();
    assert!(
        prompt.contains("CUSTOMER: I'm calling because my internet keeps dropping"),
        "{prompt}"
    );
    assert!(prompt.contains("Customer Impression") && prompt.contains("Next Steps"));
    assert_eq!(sent[0]["inferenceConfig"]["maxTokens"], 1200);
}

#[tokio::test]
async fn a_tenant_prompt_replaces_the_default() {
    let prompts = SummaryPrompts::from_json(
        r#"{"orgs":{"00DTEST":"Write the three sections for our telco team.\n{transcript}"}}"#,
    )
    .unwrap();
    let model = summariser("summary-tenant", Duration::from_secs(10), prompts).await;
    let record = CallFixture::load("sales").record();
    let written = summarise(Some(&model), "00DTEST", None, &record).await;
    assert!(matches!(written.by, Summariser::Generative { .. }));
    let sent = BedrockStandIn::shared().requests_for("summary-tenant");
    let prompt = sent[0]["messages"][0]["content"][0]["text"]
        .as_str()
        .unwrap();
    assert!(
        prompt.starts_with("Write the three sections for our telco team.\nAGENT: Good morning"),
        "{prompt}"
    );
}

#[tokio::test]
async fn hostile_html_is_sanitised() {
    let (written, _) = written_by("hostile", Duration::from_secs(10)).await;
    assert_eq!(
        written.by,
        Summariser::Generative {
            model_id: "hostile".into()
        }
    );
    let html = written.call_summary.expect("a summary");
    println!("{html}");
    for bad in [
        "<script",
        "onmouseover",
        "onerror",
        "javascript:",
        "<a ",
        "<img",
        "<iframe",
        "style=",
        "class=",
        "fetch(",
    ] {
        assert!(!html.contains(bad), "{bad:?} survived: {html}");
    }
    assert!(
        html.contains("<li>Technician on Thursday</li><li>Confirm by email</li></ol>"),
        "{html}"
    );
    assert!(html.contains("Fibre 500 plan at $45 a month"), "{html}");
    // Every tag that is left is an allowed one, without attributes.
    for tag in html
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap())
    {
        let name = tag.trim_start_matches('/');
        assert!(
            ["p", "strong", "ol", "ul", "li", "br"].contains(&name),
            "tag {tag:?} in {html}"
        );
    }
}

#[tokio::test]
async fn throttling_timeouts_garbage_and_refusals_give_the_built_in_summary() {
    for (model, limit) in [
        ("throttle", Duration::from_secs(10)),
        ("slow", Duration::from_millis(800)),
        ("garbage", Duration::from_secs(10)),
        ("refusal", Duration::from_secs(10)),
        ("no-such-model", Duration::from_secs(10)),
    ] {
        let started = std::time::Instant::now();
        let (written, built_in) = written_by(model, limit).await;
        assert_eq!(written.by, Summariser::BuiltIn, "{model}");
        assert_eq!(
            written.call_summary.as_deref(),
            Some(built_in.as_str()),
            "{model}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{model} took {:?}",
            started.elapsed()
        );
        assert!(
            !BedrockStandIn::shared().requests_for(model).is_empty(),
            "{model} was asked"
        );
    }
}

#[tokio::test]
async fn no_model_means_the_built_in_summary() {
    let record = CallFixture::load("cancellation").record();
    let written = summarise::<BedrockSummariser>(None, "00DTEST", None, &record).await;
    assert_eq!(written.by, Summariser::BuiltIn);
    assert_eq!(written.call_summary, summary::summarise(&record));
    let json = serde_json::to_value(&written).unwrap();
    assert_eq!(json["summariser"], "builtIn");
}
