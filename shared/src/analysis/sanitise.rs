//! A generative model's HTML is not trusted: only the summary's own markup survives (`p`,
//! `strong`, `ol`, `ul`, `li`, `br`, no attributes), everything else is dropped — scripts and
//! styles with their content, other tags keeping their text — and tags are balanced.

use std::collections::HashSet;
use std::sync::LazyLock;

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from(["p", "strong", "ol", "ul", "li", "br"]))
        .clean_content_tags(HashSet::from([
            "script", "style", "iframe", "object", "template",
        ]))
        .strip_comments(true)
        .link_rel(None);
    builder
});

/// `html` reduced to the allowed tags, with no attributes, balanced.
pub fn sanitise(html: &str) -> String {
    CLEANER.clean(html).to_string()
}

/// The text of sanitised HTML, for judging whether it says anything.
pub fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_summary_markup_and_drops_the_rest() {
        let dirty = r#"<p onclick="x()"><strong style="color:red">Call Summary</strong></p><script>alert(1)</script><ol><li><a href="javascript:evil()">Send</a> the quote<li>Book</ol><img src=x onerror=alert(2)><p>Unclosed <b>bold"#;
        let clean = sanitise(dirty);
        assert_eq!(
            clean,
            "<p><strong>Call Summary</strong></p><ol><li>Send the quote</li><li>Book</li></ol><p>Unclosed bold</p>"
        );
        assert!(!clean.contains("alert"));
    }

    #[test]
    fn text_is_escaped_not_interpreted() {
        assert_eq!(sanitise("5 < 6 & <br/>done"), "5 &lt; 6 &amp; <br>done");
        assert_eq!(visible_text("<p>a</p><p>b <br>c</p>"), "a b c");
    }
}
