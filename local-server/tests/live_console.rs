//! The console page in a real headless Chromium against the local server: it subscribes from
//! the URL fragment, shows a transcript line and an alert within 1 s of their write's 2xx, draws
//! a sentiment point per sentiment signal, and loads the analysis. Saves target/console.png.

use std::time::Duration;

use serde_json::json;
use testkit::browser::Browser;
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key, sentiment, JSON};
use testkit::telephony::{inbound_call, message, messages_path};
use testkit::Fixture;

/// The contract's "within milliseconds", with room for a loaded CI machine.
const WITHIN: Duration = Duration::from_secs(1);

#[tokio::test]
async fn the_console_shows_a_conversation_live() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    let browser = Browser::start().await;
    let token = fx.keys.token(Signer::Reader);
    browser
        .client
        .goto(&format!(
            "{}/console#token={token}&recordId={key}",
            fx.base_url
        ))
        .await
        .expect("the console loads");
    browser
        .wait_until(
            r#"document.getElementById('status').textContent.startsWith('live:')"#,
            Duration::from_secs(10),
        )
        .await;
    // The token left the address bar as soon as it was read.
    assert_eq!(browser.eval("location.hash").await, json!(""));

    // A transcript line, shown within a second of the write's 202.
    let lines = [
        (
            1_000,
            6_000,
            "Hi, I was billed twice for my order last month.",
            "END_USER",
        ),
        (
            6_500,
            11_000,
            "I am sorry about that. Let me look at the invoice.",
            "HUMAN_AGENT",
        ),
        (
            11_500,
            17_000,
            "Acme Telecom offered me a better price, can you match it?",
            "END_USER",
        ),
    ];
    let (start, end, text, sender) = lines[0];
    let answer = fx
        .post_json_as(
            Signer::Writer,
            &messages_path(&key),
            &message("m0", start, end, text, sender),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let shown = browser
        .wait_until(
            &format!(
                r#"[...document.querySelectorAll('#transcript li')].some(li => li.textContent.includes({}))"#,
                json!(text)
            ),
            WITHIN,
        )
        .await;
    println!("transcript line shown {shown:?} after the 202");

    // An alert (customer sentiment ≤ −500), shown within a second of the write's 202.
    let t = testkit::telephony::T0;
    let answer = fx
        .post(
            &events_path(&key),
            Some(JSON),
            body_of(vec![
                sentiment(json!(150), t + 2_000, "CUSTOMER"),
                sentiment(json!(300), t + 4_000, "AGENT"),
                sentiment(json!(-650), t + 7_000, "CUSTOMER"),
            ])
            .to_string(),
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let shown = browser
        .wait_until(
            r#"[...document.querySelectorAll('#signals li.alert')].some(li => li.textContent.includes('-650'))"#,
            WITHIN,
        )
        .await;
    println!("alert shown {shown:?} after the 202");

    for (i, (start, end, text, sender)) in lines.iter().enumerate().skip(1) {
        let answer = fx
            .post_json_as(
                Signer::Writer,
                &messages_path(&key),
                &message(&format!("m{i}"), *start, *end, text, sender),
            )
            .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
    }
    // The tenant's alert category (Competitor) is an alert too; a plain category is not.
    let answer = fx
        .post(
            &events_path(&key),
            Some(JSON),
            body_of(vec![
                category("BillingQuestion", t + 1_500),
                sentiment(json!(-200), t + 9_000, "CUSTOMER"),
                sentiment(json!(250), t + 11_000, "AGENT"),
                category("Competitor", t + 12_000),
                sentiment(json!(-420), t + 14_000, "CUSTOMER"),
            ])
            .to_string(),
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    browser
        .wait_until(
            r#"document.querySelectorAll('#transcript li').length === 3 && document.querySelectorAll('#signals li').length === 8"#,
            WITHIN,
        )
        .await;
    // One point per sentiment signal, one line per participant; two alerts.
    assert_eq!(
        browser
            .eval(r#"document.querySelectorAll('#sentiment circle.point').length"#)
            .await,
        json!(6)
    );
    assert_eq!(
        browser
            .eval(r#"document.querySelectorAll('#sentiment circle.point.CUSTOMER').length"#)
            .await,
        json!(4)
    );
    assert_eq!(
        browser
            .eval(r#"document.querySelectorAll('#sentiment polyline').length"#)
            .await,
        json!(2)
    );
    assert_eq!(
        browser
            .eval(r#"[...document.querySelectorAll('#signals li.alert')].map(li => li.textContent.includes('Competitor') || li.textContent.includes('-650'))"#)
            .await,
        json!([true, true]),
        "the −650 sentiment and the Competitor category, nothing else"
    );
    assert_eq!(
        browser
            .eval(r#"document.getElementById('alerts').textContent"#)
            .await,
        json!("2 alerts")
    );

    // The analysis, from the action with the same token.
    browser
        .client
        .execute(r#"document.getElementById('analyse').click();"#, vec![])
        .await
        .expect("click");
    browser
        .wait_until(
            r#"document.getElementById('moments').textContent.includes('Competitor') && document.getElementById('summary').textContent.length > 40"#,
            Duration::from_secs(5),
        )
        .await;

    let shot = testkit::workspace_root().join("target/console.png");
    browser.screenshot(&shot).await;
    assert!(std::fs::metadata(&shot).expect("screenshot").len() > 10_000);
    browser.close().await;
}
