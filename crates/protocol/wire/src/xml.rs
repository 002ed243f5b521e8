//! XML writing shared by the query and rest-xml codecs.
//!
//! Two layers:
//!
//! * [`XmlWriter`] — a tiny string builder: elements, attributes, escaped text.
//! * [`write_member`] / [`write_members`] — the model-driven writer: a canonical value plus
//!   its shape become XML the way botocore's XML parsers read it:
//!   - a member's element name is the member ref's `locationName`, else the member name;
//!   - lists are `<Name><member>..</member></Name>` (the item name is the list member's
//!     `locationName`, default `member`); a flattened list repeats its items directly, named
//!     by the list member's `locationName` if it has one, else by the member's name;
//!   - maps are `<Name><entry><key>..</key><value>..</value></entry></Name>` (key/value names
//!     from their refs' `locationName`); a flattened map repeats `<Name><key/><value/></Name>`;
//!   - `xmlAttribute` members become attributes of their structure's element, and
//!     `xmlNamespace` (on the ref or the shape) becomes an `xmlns` / `xmlns:prefix` attribute;
//!   - timestamps use [`TimestampFormat::Iso8601`] unless the model says otherwise, blobs
//!     are the canonical base64 text, booleans `true`/`false`.
//!
//! Text escaping covers `& < > " '` and carriage return (`&#xD;`), so a `\r` survives the
//! reader's newline normalization as AWS's own responses do.
//!
//! Members whose value is `null` or absent are skipped. Members bound to HTTP locations
//! (header, uri, ...) are skipped when [`XmlOptions::skip_located`] is set (rest-xml bodies).

use crate::timestamp::{self, TimestampFormat};
use lamina_model::{Model, Shape, ShapeRef, ShapeType};
use serde_json::Value;
use std::borrow::Cow;

/// Escapes text for element content and attribute values.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\r' | b'\n' | b'\t'))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// Escapes an attribute value: like [`escape`], and also newlines and tabs, which attribute
/// normalization would otherwise turn into spaces.
pub fn escape_attr(text: &str) -> Cow<'_, str> {
    match escape(text) {
        Cow::Borrowed(s) if !s.contains(['\n', '\t']) => Cow::Borrowed(s),
        other => Cow::Owned(other.replace('\n', "&#xA;").replace('\t', "&#x9;")),
    }
}

/// A minimal XML string builder. Names are written as given (they come from the model).
#[derive(Debug, Default, Clone)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// `<?xml version="1.0" encoding="UTF-8"?>`
    pub fn declaration(&mut self) {
        self.buf
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    }

    /// `<name a="v" ...>`
    pub fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.buf.push('<');
        self.buf.push_str(name);
        for (k, v) in attrs {
            self.buf.push(' ');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            self.buf.push_str(&escape_attr(v));
            self.buf.push('"');
        }
        self.buf.push('>');
    }

    /// `</name>`
    pub fn end(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// Escaped character data.
    pub fn text(&mut self, text: &str) {
        self.buf.push_str(&escape(text));
    }

    /// `<name>text</name>`
    pub fn element(&mut self, name: &str, text: &str) {
        self.start(name, &[]);
        self.text(text);
        self.end(name);
    }

    /// `<name a="v"/>`
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start(name, attrs);
        // Replace the `>` just written by `/>`.
        self.buf.pop();
        self.buf.push_str("/>");
    }

    /// Appends already-serialized XML.
    pub fn raw(&mut self, xml: &str) {
        self.buf.push_str(xml);
    }

    pub fn as_str(&self) -> &str {
        &self.buf
    }

    pub fn finish(self) -> String {
        self.buf
    }
}

/// Choices that differ between the protocols using the writer.
#[derive(Debug, Clone, Copy)]
pub struct XmlOptions {
    /// Timestamp format when the model does not name one.
    pub timestamp_format: TimestampFormat,
    /// Skip members bound to HTTP locations (`header`, `headers`, `uri`, `querystring`,
    /// `statusCode`): true for rest-xml bodies, false for query responses.
    pub skip_located: bool,
}

impl Default for XmlOptions {
    fn default() -> Self {
        Self {
            timestamp_format: TimestampFormat::Iso8601,
            skip_located: false,
        }
    }
}

/// The element name of a structure member: its `locationName`, else its member name; for a
/// flattened list, the list member's `locationName` when it has one (as botocore reads it).
pub fn member_element_name<'a>(model: &'a Model, name: &'a str, r: &'a ShapeRef) -> &'a str {
    if let Some(shape) = model.shape(&r.shape) {
        let flattened = r.flattened.unwrap_or(shape.flattened);
        if shape.kind == ShapeType::List
            && flattened
            && let Some(n) = shape
                .member
                .as_ref()
                .and_then(|m| m.location_name.as_deref())
        {
            return n;
        }
    }
    r.location_name.as_deref().unwrap_or(name)
}

/// The `xmlns` attribute a ref or shape asks for: (`xmlns` or `xmlns:prefix`, uri).
pub fn namespace_attr(ns: Option<&Value>) -> Option<(String, String)> {
    let ns = ns?;
    let uri = ns.get("uri").and_then(Value::as_str)?;
    let name = match ns.get("prefix").and_then(Value::as_str) {
        Some(p) if !p.is_empty() => format!("xmlns:{p}"),
        _ => "xmlns".to_string(),
    };
    Some((name, uri.to_string()))
}

/// Writes the members of a structure value (the content of its element, without the
/// element itself and without attribute members).
pub fn write_members(
    w: &mut XmlWriter,
    model: &Model,
    shape: &Shape,
    value: &Value,
    opts: XmlOptions,
    depth: usize,
) {
    let Some(obj) = value.as_object() else { return };
    if depth > crate::MAX_DEPTH {
        return;
    }
    for (name, r) in shape.members() {
        let Some(v) = obj.get(name) else { continue };
        if v.is_null() || r.xml_attribute == Some(true) {
            continue;
        }
        if opts.skip_located && r.location.is_some() {
            continue;
        }
        write_member(w, model, name, r, v, opts, depth + 1);
    }
}

/// The attributes of a structure's element: its `xmlAttribute` members.
fn structure_attrs(shape: &Shape, value: &Value, opts: XmlOptions) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let Some(obj) = value.as_object() else {
        return attrs;
    };
    for (name, r) in shape.members() {
        if r.xml_attribute != Some(true) {
            continue;
        }
        if let Some(v) = obj.get(name).filter(|v| !v.is_null()) {
            let key = r.location_name.clone().unwrap_or_else(|| name.clone());
            attrs.push((key, scalar_text(v, None, opts)));
        }
    }
    attrs
}

/// Writes one structure member (`name` is the model member name, `r` its ref).
pub fn write_member(
    w: &mut XmlWriter,
    model: &Model,
    name: &str,
    r: &ShapeRef,
    value: &Value,
    opts: XmlOptions,
    depth: usize,
) {
    let Some(shape) = model.shape(&r.shape) else {
        return;
    };
    let flattened = r.flattened.unwrap_or(shape.flattened);
    match shape.kind {
        ShapeType::List if flattened => {
            let item_name = member_element_name(model, name, r);
            let Some(items) = value.as_array() else {
                return;
            };
            if let Some(m) = &shape.member {
                for item in items {
                    write_value(w, model, item_name, Some(m), item, opts, depth + 1);
                }
            }
        }
        ShapeType::Map if flattened => {
            let el = r.location_name.as_deref().unwrap_or(name);
            let Some(entries) = value.as_object() else {
                return;
            };
            for (k, v) in entries {
                w.start(el, &[]);
                write_entry(w, model, shape, k, v, opts, depth + 1);
                w.end(el);
            }
        }
        _ => {
            let el = r.location_name.as_deref().unwrap_or(name);
            write_value(w, model, el, Some(r), value, opts, depth);
        }
    }
}

fn write_entry(
    w: &mut XmlWriter,
    model: &Model,
    map: &Shape,
    key: &str,
    value: &Value,
    opts: XmlOptions,
    depth: usize,
) {
    let (Some(kr), Some(vr)) = (&map.key, &map.value) else {
        return;
    };
    w.element(kr.location_name.as_deref().unwrap_or("key"), key);
    let vname = vr.location_name.as_deref().unwrap_or("value");
    write_value(w, model, vname, Some(vr), value, opts, depth + 1);
}

/// Writes `<el>value</el>` for a value of the shape `r` refers to (non-flattened lists and
/// maps, structures, scalars).
pub fn write_value(
    w: &mut XmlWriter,
    model: &Model,
    el: &str,
    r: Option<&ShapeRef>,
    value: &Value,
    opts: XmlOptions,
    depth: usize,
) {
    if depth > crate::MAX_DEPTH || value.is_null() {
        return;
    }
    let Some(shape) = r.and_then(|r| model.shape(&r.shape)) else {
        return;
    };
    let mut attrs: Vec<(String, String)> = Vec::new();
    if let Some(ns) = namespace_attr(
        r.and_then(|r| r.xml_namespace.as_ref())
            .or(shape.xml_namespace.as_ref()),
    ) {
        attrs.push(ns);
    }
    match shape.kind {
        ShapeType::Structure => {
            attrs.extend(structure_attrs(shape, value, opts));
            let refs: Vec<(&str, &str)> = attrs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            w.start(el, &refs);
            write_members(w, model, shape, value, opts, depth + 1);
            w.end(el);
        }
        ShapeType::List => {
            let refs: Vec<(&str, &str)> = attrs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
            w.start(el, &refs);
            if let Some(m) = &shape.member {
                let item_name = m.location_name.as_deref().unwrap_or("member");
                for item in items {
                    write_value(w, model, item_name, Some(m), item, opts, depth + 1);
                }
            }
            w.end(el);
        }
        ShapeType::Map => {
            let refs: Vec<(&str, &str)> = attrs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            w.start(el, &refs);
            if let Some(entries) = value.as_object() {
                for (k, v) in entries {
                    w.start("entry", &[]);
                    write_entry(w, model, shape, k, v, opts, depth + 1);
                    w.end("entry");
                }
            }
            w.end(el);
        }
        _ => {
            let refs: Vec<(&str, &str)> = attrs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            w.start(el, &refs);
            w.text(&scalar_text(value, Some((r, shape)), opts));
            w.end(el);
        }
    }
}

/// The text of a scalar value: strings as is, numbers and booleans as JSON writes them,
/// timestamps (canonical epoch seconds) in the member's format.
pub fn scalar_text(
    value: &Value,
    shape: Option<(Option<&ShapeRef>, &Shape)>,
    opts: XmlOptions,
) -> String {
    if let Some((r, s)) = shape
        && s.kind == ShapeType::Timestamp
        && let Some(secs) = value.as_f64()
    {
        return timestamp::format(secs, TimestampFormat::resolve(r, s, opts.timestamp_format));
    }
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            escape("a<b>&\"c'\r\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n"
        );
        assert_eq!(escape_attr("a\tb\nc"), "a&#x9;b&#xA;c");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn writer_builds_elements() {
        let mut w = XmlWriter::new();
        w.start("A", &[("xmlns", "urn:x")]);
        w.element("B", "1 < 2");
        w.empty("C", &[("k", "v")]);
        w.end("A");
        assert_eq!(
            w.finish(),
            "<A xmlns=\"urn:x\"><B>1 &lt; 2</B><C k=\"v\"/></A>"
        );
    }

    #[test]
    fn model_driven_lists_maps_and_timestamps() {
        let model = lamina_model::get("sqs").unwrap();
        // SQS's QueueAttributeMap is a flattened map: `<Attributes><key/><value/></Attributes>`
        // repeated per entry.
        let op = model.operation("GetQueueAttributes").unwrap();
        let out = model.shape(&op.output.as_ref().unwrap().shape).unwrap();
        let mut w = XmlWriter::new();
        write_members(
            &mut w,
            model,
            out,
            &json!({"Attributes": {"VisibilityTimeout": "30"}}),
            XmlOptions::default(),
            0,
        );
        assert_eq!(
            w.finish(),
            "<Attributes><key>VisibilityTimeout</key><value>30</value></Attributes>"
        );

        let sts = lamina_model::get("sts").unwrap();
        let op = sts.operation("AssumeRole").unwrap();
        let out = sts.shape(&op.output.as_ref().unwrap().shape).unwrap();
        let mut w = XmlWriter::new();
        let v = json!({"Credentials": {"AccessKeyId": "AKIA", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": 1704164645}});
        write_members(&mut w, sts, out, &v, XmlOptions::default(), 0);
        assert_eq!(
            w.finish(),
            "<Credentials><AccessKeyId>AKIA</AccessKeyId><SecretAccessKey>s</SecretAccessKey>\
             <SessionToken>t</SessionToken><Expiration>2024-01-02T03:04:05Z</Expiration></Credentials>"
        );
    }

    #[test]
    fn non_flattened_list_uses_member_items() {
        let sns = lamina_model::get("sns").unwrap();
        let op = sns.operation("ListTopics").unwrap();
        let out = sns.shape(&op.output.as_ref().unwrap().shape).unwrap();
        let mut w = XmlWriter::new();
        write_members(
            &mut w,
            sns,
            out,
            &json!({"Topics": [{"TopicArn": "arn:a"}], "NextToken": null}),
            XmlOptions::default(),
            0,
        );
        assert_eq!(
            w.finish(),
            "<Topics><member><TopicArn>arn:a</TopicArn></member></Topics>"
        );
    }
}
