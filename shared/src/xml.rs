//! XML wire format: documents that mirror the JSON ones.
//!
//! A document's root element holds an object's fields as child elements. A
//! field that is an array is written as the same element repeated once per
//! item, and `null` is an empty element carrying `xsi:nil="true"`.
//!
//! Parsing is deliberately small and strict: no DTDs (so no entity expansion
//! of any kind), only the five predefined entities and numeric character
//! references, UTF-8 only, and a bounded nesting depth.

use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;
use serde_json::map::Entry;
use serde_json::{Map, Value};

/// Deepest element nesting accepted by [`parse`]; the root is level 1.
pub const MAX_DEPTH: usize = 32;

/// Longest piece of input (a name, a parser message) echoed in an error.
const MAX_ECHO: usize = 100;

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const XSI_DECLARATION: &str = r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;

/// Why a request document was rejected. Messages never echo more than about
/// 100 characters of the input.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("DOCTYPE declarations are not allowed")]
    Doctype,
    #[error("the XML document is not valid UTF-8")]
    NotUtf8,
    #[error("malformed XML: {0}")]
    Syntax(String),
    #[error("unknown entity reference &{0};")]
    UnknownEntity(String),
    #[error("XML elements are nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the XML document has no root element")]
    NoRoot,
    #[error("the XML document has more than one root element")]
    MultipleRoots,
    #[error("the XML document has content outside its root element")]
    ContentOutsideRoot,
    #[error("the XML document ends before all of its elements are closed")]
    Unclosed,
    #[error("an element with xsi:nil=\"true\" must be empty")]
    NilWithContent,
}

/// Parse a request document into a JSON tree. The root element's name is
/// ignored; the result is what the root holds.
///
/// - An element with child elements becomes an object keyed by the children's
///   local names (namespace prefixes stripped). A name that occurs more than
///   once becomes an array of its values in document order; a name that occurs
///   once stays a single value, so callers decide between one and many.
/// - Text mixed with child elements is ignored, whitespace or not: such an
///   element is an object and only its children count.
/// - An element with only text and/or CDATA becomes a string, exactly as
///   written (whitespace kept, entities resolved, line ends normalised).
/// - An empty element becomes `""`, or `null` if it carries a `nil` attribute
///   with any prefix (meant to be `xsi:nil`) set to `true` or `1`. Such an
///   element must really be empty. Every other attribute is ignored.
/// - The root becomes `{}` when it holds nothing but whitespace, and a string
///   when it holds only other text; `xsi:nil` on the root is ignored.
///
/// # Errors
///
/// Any [`XmlError`]: the document is not well-formed UTF-8 XML, has a DOCTYPE
/// or an unknown entity, or is nested deeper than [`MAX_DEPTH`].
pub fn parse(xml: &[u8]) -> Result<Value, XmlError> {
    // Validating up front gives one clear error instead of a parser error
    // wherever the first bad byte happens to be.
    let xml = std::str::from_utf8(xml).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = Reader::from_str(xml);
    // The default, but our nesting logic relies on it: every end tag must
    // close the element opened last.
    reader.config_mut().check_end_names = true;

    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    loop {
        let event = reader.read_event().map_err(|err| {
            let at = reader.error_position();
            XmlError::Syntax(format!("{} at byte {at}", truncate(&err.to_string())))
        })?;
        match event {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(start) => open(&mut stack, root.is_some(), &start)?,
            Event::Empty(start) => {
                open(&mut stack, root.is_some(), &start)?;
                close(&mut stack, &mut root)?;
            }
            Event::End(_) => close(&mut stack, &mut root)?,
            Event::Text(text) => push_text(&mut stack, &text.xml10_content())?,
            Event::CData(cdata) => push_text(&mut stack, &cdata.xml10_content())?,
            Event::GeneralRef(reference) => {
                if stack.is_empty() {
                    return Err(XmlError::ContentOutsideRoot);
                }
                let ch = resolve_reference(&reference)?;
                push_text(&mut stack, ch.encode_utf8(&mut [0; 4]))?;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Unclosed);
    }
    root.ok_or(XmlError::NoRoot)
}

/// An element being parsed.
struct Frame {
    /// Local name, used as the key in the parent object.
    name: String,
    nil: bool,
    /// Character data seen so far; dropped if the element has children.
    text: String,
    /// Child values; `Some` as soon as the first child element is closed.
    children: Option<Map<String, Value>>,
}

impl Frame {
    fn into_value(self) -> Result<Value, XmlError> {
        match (self.children, self.nil) {
            (Some(children), false) => Ok(Value::Object(children)),
            (None, false) => Ok(Value::String(self.text)),
            (None, true) if self.text.is_empty() => Ok(Value::Null),
            // As in XML Schema, a nil element has no content at all.
            (_, true) => Err(XmlError::NilWithContent),
        }
    }

    fn into_root_value(self) -> Value {
        match self.children {
            Some(children) => Value::Object(children),
            None if is_xml_whitespace(&self.text) => Value::Object(Map::new()),
            None => Value::String(self.text),
        }
    }
}

fn open(stack: &mut Vec<Frame>, root_closed: bool, start: &BytesStart) -> Result<(), XmlError> {
    if root_closed {
        return Err(XmlError::MultipleRoots);
    }
    if stack.len() >= MAX_DEPTH {
        return Err(XmlError::TooDeep);
    }
    let name = start.local_name().as_ref().to_owned();
    stack.push(Frame {
        name,
        nil: is_nil(start)?,
        text: String::new(),
        children: None,
    });
    Ok(())
}

fn close(stack: &mut Vec<Frame>, root: &mut Option<Value>) -> Result<(), XmlError> {
    // The reader rejects unmatched end tags; this is only a guard.
    let frame = stack.pop().ok_or_else(|| syntax("unexpected end tag"))?;
    let Some(parent) = stack.last_mut() else {
        *root = Some(frame.into_root_value());
        return Ok(());
    };
    let name = frame.name.clone();
    let value = frame.into_value()?;
    let children = parent.children.get_or_insert_with(Map::new);
    match children.entry(name) {
        Entry::Vacant(slot) => {
            slot.insert(value);
        }
        // An element's own value is never an array, so an array here can only
        // be the one collecting earlier repetitions of this name.
        Entry::Occupied(mut slot) => match slot.get_mut() {
            Value::Array(items) => items.push(value),
            single => {
                let first = single.take();
                *single = Value::Array(vec![first, value]);
            }
        },
    }
    Ok(())
}

fn push_text(stack: &mut [Frame], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(frame) => frame.text.push_str(text),
        None if is_xml_whitespace(text) => {}
        None => return Err(XmlError::ContentOutsideRoot),
    }
    Ok(())
}

/// Whether the element carries `<prefix>:nil="true"` (or `"1"`). The prefix is
/// not resolved: any prefix but `xmlns` is taken to mean the XMLSchema-instance
/// namespace.
fn is_nil(start: &BytesStart) -> Result<bool, XmlError> {
    let mut nil = false;
    for attribute in start.attributes() {
        let attribute = attribute.map_err(syntax)?;
        let key = attribute.key;
        let prefixed = key.prefix().is_some_and(|p| p.as_ref() != "xmlns");
        if prefixed && key.local_name().as_ref() == "nil" {
            nil = matches!(attribute.value.trim(), "true" | "1");
        }
    }
    Ok(nil)
}

/// Resolve `&name;`: the five predefined entities and character references.
fn resolve_reference(reference: &BytesRef) -> Result<char, XmlError> {
    match &**reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        name => match reference.resolve_char_ref() {
            Ok(Some(ch)) => Ok(ch),
            Ok(None) => Err(XmlError::UnknownEntity(truncate(name))),
            Err(err) => Err(syntax(err)),
        },
    }
}

fn is_xml_whitespace(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

fn syntax(message: impl std::fmt::Display) -> XmlError {
    XmlError::Syntax(truncate(&message.to_string()))
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Render a value as `<?xml version="1.0" encoding="UTF-8"?><root
/// xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">…</root>`.
///
/// Fields become child elements in the map's order. An array field becomes the
/// element repeated once per item (none for an empty array); an item that is
/// itself an array is flattened into further repetitions of the same element.
/// `null` becomes `<k xsi:nil="true"/>`, numbers and booleans their JSON text,
/// and strings escaped text. An empty object is written as an empty element,
/// which [`parse`] reads back as `""`.
///
/// `value` should be an object. A scalar becomes the root's text (`null` a nil
/// root), and an array is written as [`write_list`]`(root, "Result", items)`.
pub fn write_object(root: &str, value: &Value) -> String {
    if let Value::Array(items) = value {
        return write_list(root, "Result", items);
    }
    let mut out = String::from(DECLARATION);
    write_element(&mut out, root, value, XSI_DECLARATION);
    out
}

/// Render a list: `<root …><item>…</item><item>…</item></root>`, each item
/// written like a field value of [`write_object`].
pub fn write_list(root: &str, item: &str, items: &[Value]) -> String {
    let mut out = String::from(DECLARATION);
    out.push('<');
    out.push_str(root);
    out.push_str(XSI_DECLARATION);
    out.push('>');
    for value in items {
        write_element(&mut out, item, value, "");
    }
    out.push_str("</");
    out.push_str(root);
    out.push('>');
    out
}

/// Write `value` as element(s) named `name`; `attributes` goes verbatim into
/// the start tag (the namespace declaration on the root).
fn write_element(out: &mut String, name: &str, value: &Value, attributes: &str) {
    let open = |out: &mut String| {
        out.push('<');
        out.push_str(name);
        out.push_str(attributes);
    };
    match value {
        Value::Array(items) => {
            for item in items {
                write_element(out, name, item, attributes);
            }
            return;
        }
        Value::Null => {
            open(out);
            out.push_str(r#" xsi:nil="true"/>"#);
            return;
        }
        Value::Bool(b) => {
            open(out);
            out.push('>');
            out.push_str(if *b { "true" } else { "false" });
        }
        Value::Number(n) => {
            open(out);
            out.push('>');
            out.push_str(&n.to_string());
        }
        Value::String(s) => {
            open(out);
            out.push('>');
            out.push_str(&partial_escape(s.as_str()));
        }
        Value::Object(fields) => {
            open(out);
            out.push('>');
            for (key, field) in fields {
                write_element(out, key, field, "");
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EVENTS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<request>
  <service>AmazonConnectContactLens</service>
  <events><type>IntelligenceSignal__Category</type><value>OrderStatusCheckingHelp</value><startTime>1573503300</startTime></events>
  <events><type>IntelligenceSignal__Category</type><value>CustomerAngry</value><startTime>1573503450</startTime></events>
</request>
"#;

    fn parse_str(xml: &str) -> Result<Value, XmlError> {
        parse(xml.as_bytes())
    }

    #[test]
    fn parses_repeated_elements_as_array() {
        let expected = json!({
            "service": "AmazonConnectContactLens",
            "events": [
                {"type": "IntelligenceSignal__Category", "value": "OrderStatusCheckingHelp", "startTime": "1573503300"},
                {"type": "IntelligenceSignal__Category", "value": "CustomerAngry", "startTime": "1573503450"},
            ],
        });
        assert_eq!(parse_str(EVENTS).unwrap(), expected);
    }

    #[test]
    fn single_element_stays_single_value() {
        let xml = "<anything><events><type>T</type><value>V</value></events></anything>";
        assert_eq!(
            parse_str(xml).unwrap(),
            json!({"events": {"type": "T", "value": "V"}})
        );
    }

    #[test]
    fn nil_empty_and_whitespace() {
        let xml = r#"<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:i="urn:x">
            <a xsi:nil="true"/><b i:nil="1"></b><c/><d></d><e xsi:nil="false"/>
            <f>  padded  </f><g attr="ignored">x</g></r>"#;
        assert_eq!(
            parse_str(xml).unwrap(),
            json!({"a": null, "b": null, "c": "", "d": "", "e": "", "f": "  padded  ", "g": "x"})
        );
        assert!(matches!(
            parse_str(r#"<r><a xsi:nil="true">x</a></r>"#),
            Err(XmlError::NilWithContent)
        ));
    }

    #[test]
    fn root_shapes_and_prefixes() {
        assert_eq!(parse_str("<r/>").unwrap(), json!({}));
        assert_eq!(parse_str("<r>\n  </r>").unwrap(), json!({}));
        assert_eq!(parse_str("<r> text </r>").unwrap(), json!(" text "));
        assert_eq!(
            parse_str(r#"<ns:r xmlns:ns="urn:x"><ns:a>1</ns:a><b>mixed<c>2</c>ignored</b></ns:r>"#)
                .unwrap(),
            json!({"a": "1", "b": {"c": "2"}})
        );
    }

    #[test]
    fn entities_and_cdata() {
        let xml = "<r><a>&lt;&gt;&amp;&apos;&quot;&#65;&#x263A;</a>\
                   <b><![CDATA[<not> &markup;]]></b><c>x<![CDATA[ & ]]>y<!-- c -->z</c></r>";
        assert_eq!(
            parse_str(xml).unwrap(),
            json!({"a": "<>&'\"A\u{263A}", "b": "<not> &markup;", "c": "x & yz"})
        );
    }

    #[test]
    fn rejects_doctype() {
        let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<lolz>&lol2;</lolz>"#;
        assert!(matches!(parse_str(laughs), Err(XmlError::Doctype)));
        assert!(matches!(
            parse_str("<!DOCTYPE r><r/>"),
            Err(XmlError::Doctype)
        ));
        assert_eq!(
            XmlError::Doctype.to_string(),
            "DOCTYPE declarations are not allowed"
        );
    }

    #[test]
    fn rejects_unknown_entity_and_bad_references() {
        assert!(matches!(
            parse_str("<r>&nbsp;</r>"),
            Err(XmlError::UnknownEntity(name)) if name == "nbsp"
        ));
        for xml in [
            "<r>&#0;</r>",
            "<r>&#xD800;</r>",
            "<r>&#xFFFFFFFFF;</r>",
            "<r>a & b</r>",
        ] {
            assert!(matches!(parse_str(xml), Err(XmlError::Syntax(_))), "{xml}");
        }
    }

    #[test]
    fn rejects_malformed_documents() {
        assert!(matches!(
            parse_str("<a><b></a></b>"),
            Err(XmlError::Syntax(_))
        ));
        assert!(matches!(parse_str("<a></b>"), Err(XmlError::Syntax(_))));
        assert!(matches!(parse_str("<a></a></a>"), Err(XmlError::Syntax(_))));
        assert!(matches!(parse_str("<a><b>"), Err(XmlError::Unclosed)));
        assert!(matches!(
            parse_str("<a/><b/>"),
            Err(XmlError::MultipleRoots)
        ));
        assert!(matches!(
            parse_str("<a/>x"),
            Err(XmlError::ContentOutsideRoot)
        ));
        assert!(matches!(
            parse_str("x<a/>"),
            Err(XmlError::ContentOutsideRoot)
        ));
        assert!(matches!(
            parse_str("<a/>&amp;"),
            Err(XmlError::ContentOutsideRoot)
        ));
        assert!(matches!(parse_str(" <!-- c --> "), Err(XmlError::NoRoot)));
        assert!(matches!(parse(b"<a>\xff</a>"), Err(XmlError::NotUtf8)));
        assert!(parse_str("\u{FEFF}<a/>\n").is_ok());
    }

    #[test]
    fn error_messages_are_bounded() {
        let long = "x".repeat(10_000);
        let errors = [
            parse_str(&format!("<{long}></y>")).unwrap_err(),
            parse_str(&format!("<r>&{long};</r>")).unwrap_err(),
        ];
        for err in errors {
            assert!(err.to_string().chars().count() < 200, "{err}");
        }
    }

    #[test]
    fn depth_limit() {
        let nested = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert!(parse_str(&nested(MAX_DEPTH)).is_ok());
        assert!(matches!(
            parse_str(&nested(MAX_DEPTH + 1)),
            Err(XmlError::TooDeep)
        ));
        let empty_too_deep = format!(
            "{}<a/>{}",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert!(matches!(parse_str(&empty_too_deep), Err(XmlError::TooDeep)));
        assert!(matches!(
            parse_str(&"<a>".repeat(100_000)),
            Err(XmlError::TooDeep)
        ));
    }

    #[test]
    fn never_panics() {
        // Multi-byte characters so that some prefixes end mid-character.
        let doc = EVENTS.replace("AmazonConnectContactLens", "é → ☺");
        let bytes = doc.as_bytes();
        let root_end = doc.find("</request>").unwrap() + "</request>".len();
        for len in 0..=bytes.len() {
            let result = parse(&bytes[..len]);
            assert_eq!(result.is_ok(), len >= root_end, "prefix of {len} bytes");
        }
        // Byte-level mutations of a valid document.
        let mut seed: u32 = 0x9E37_79B9;
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let mut mutated = bytes.to_vec();
            let at = seed as usize % mutated.len();
            mutated[at] = (seed >> 24) as u8;
            let _ = parse(&mutated);
            let _ = parse(&mutated[at..]);
        }
        let garbage: &[&[u8]] = &[
            b"",
            b"<",
            b">",
            b"</",
            b"<>",
            b"</>",
            b"<<>>",
            b"&",
            b"&;",
            b"<a>&",
            b"<a>&#;</a>",
            b"<a b=></a>",
            b"<a b='1' b='2'/>",
            b"<!--",
            b"<![CDATA[",
            b"<?xml",
            b"<!",
            b"<!DOCTYPE",
            b"<a:/>",
            b"<:a/>",
            b"\xef\xbb\xbf",
            b"\x00\x01\x02",
        ];
        for input in garbage {
            let _ = parse(input);
        }
    }

    #[test]
    fn writes_object_exactly() {
        // Keys already sorted so the expectation holds with or without
        // serde_json's `preserve_order`.
        let value = json!({
            "active": true,
            "address": {"city": "Paris", "zip": null},
            "count": 3,
            "empty": [],
            "name": "Acme & <Co> \"q\"",
            "parent": null,
            "ratio": 0.5,
            "tags": ["a", ["b", "c"]],
        });
        assert_eq!(
            write_object("Account", &value),
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<Account xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
                "<active>true</active>",
                r#"<address><city>Paris</city><zip xsi:nil="true"/></address>"#,
                "<count>3</count>",
                "<name>Acme &amp; &lt;Co&gt; \"q\"</name>",
                r#"<parent xsi:nil="true"/>"#,
                "<ratio>0.5</ratio>",
                "<tags>a</tags><tags>b</tags><tags>c</tags>",
                "</Account>",
            )
        );
    }

    #[test]
    fn writes_list_exactly() {
        let items = [
            json!({"errorCode": "INVALID_FIELD", "fields": ["A", "B"], "message": "a < b"}),
            json!({"errorCode": "NOT_FOUND", "fields": [], "message": "gone"}),
        ];
        assert_eq!(
            write_list("Errors", "Error", &items),
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<Errors xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
                "<Error><errorCode>INVALID_FIELD</errorCode><fields>A</fields><fields>B</fields>",
                "<message>a &lt; b</message></Error>",
                "<Error><errorCode>NOT_FOUND</errorCode><message>gone</message></Error>",
                "</Errors>",
            )
        );
        assert_eq!(
            write_list("Results", "Result", &[]),
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<Results xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></Results>"#,
            )
        );
        assert_eq!(
            write_object("Results", &json!([{"id": "1"}])),
            write_list("Results", "Result", &[json!({"id": "1"})])
        );
    }

    #[test]
    fn round_trips_string_leaves() {
        let value = json!({
            "service": "  spaced & <escaped> \"quoted\" 'apos' ☺ ",
            "empty": "",
            "missing": null,
            "events": [
                {"type": "A", "value": "x\ny"},
                {"type": "B", "nested": {"deep": "z"}},
            ],
        });
        assert_eq!(parse_str(&write_object("request", &value)).unwrap(), value);
    }
}
