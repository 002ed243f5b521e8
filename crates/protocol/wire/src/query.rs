//! The query protocol (STS, SNS, CloudFormation, IAM; SQS for old SDKs): form-encoded
//! parameters in, XML out.
//!
//! * Operation: the `Action` parameter of the form body (POST,
//!   `application/x-www-form-urlencoded`) or of the query string (GET). Missing →
//!   `MissingAction`; unknown → `InvalidAction` ("Could not find operation X for version Y").
//! * Input: the flat `Key.Sub.N` parameters are folded back into the canonical value by
//!   walking the input shape, mirroring botocore's `QuerySerializer`: a member's key is its
//!   `locationName` or member name; lists are `Name.member.N` (the item name is the list
//!   member's `locationName`, default `member`) or, flattened, `Name.N`; an empty list is
//!   sent as `Name=`; maps are `Name.entry.N.key` / `.value` (key/value `locationName`s;
//!   flattened maps drop `.entry`); nested structures are `A.B`; booleans `true`/`false`;
//!   timestamps ISO 8601 (any of the three forms is accepted); blobs base64. A value of the
//!   wrong type is the query protocol's `ValidationError`. Parameters the model does not
//!   know are ignored.
//! * Output: `<OpResponse xmlns=".."><OpResult>..</OpResult><ResponseMetadata>
//!   <RequestId>..</RequestId></ResponseMetadata></OpResponse>`, the result element named
//!   by the output's `resultWrapper` (for a JSON model answering in query mode, SQS,
//!   `<Op>Result`), written by [`crate::xml`]; `Content-Type: text/xml`.
//! * Errors: `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>..</Code>
//!   <Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>` with the
//!   model's query error code (`ErrorCode::code`).
//!
//! Known differences from AWS: SQS's pre-JSON query names (`Attribute.N.Name`,
//! `MessageAttribute.N.Value.StringValue`) are not in the JSON model and are not mapped.

// `AwsError` is the workspace's one wire-error type and `lib.rs` fixes these signatures;
// boxing it is the lead's call, not this module's.
#![allow(clippy::result_large_err)]

use crate::timestamp::{self, TimestampFormat};
use crate::xml::{self, XmlOptions, XmlWriter};
use crate::{HttpRequest, HttpResponse, MAX_DEPTH, ResponseMeta};
use base64::Engine;
use lamina_core::{AwsError, Input, Output, common};
use lamina_model::{Model, Operation, Shape, ShapeRef, ShapeType};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The request's parameters: the query string's, then the form body's (the body wins).
pub fn params(req: &HttpRequest) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = form_urlencoded::parse(req.query.as_bytes())
        .into_owned()
        .collect();
    let is_form = req.header("content-type").is_none_or(|c| {
        c.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if is_form && !req.body.is_empty() {
        out.extend(form_urlencoded::parse(&req.body).into_owned());
    }
    out
}

/// The operation named by `Action`.
pub fn operation<'m>(model: &'m Model, req: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let p = params(req);
    let action = p
        .get("Action")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| AwsError::new(common::MISSING_ACTION, "Missing Action"))?;
    model.operation(action).ok_or_else(|| {
        let version = p
            .get("Version")
            .map(String::as_str)
            .unwrap_or(&model.metadata.api_version);
        AwsError::new(
            common::INVALID_ACTION,
            format!("Could not find operation {action} for version {version}"),
        )
    })
}

/// The parameters as the operation's canonical input.
pub fn parse(model: &Model, op: &Operation, req: &HttpRequest) -> Result<Input, AwsError> {
    let p = params(req);
    let value = match op.input.as_ref().and_then(|r| model.shape(&r.shape)) {
        Some(shape) => {
            let mut walker = Walker { model, params: &p };
            walker
                .structure(shape, "", 0)?
                .unwrap_or_else(|| Value::Object(Map::new()))
        }
        None => Value::Object(Map::new()),
    };
    Ok(Input {
        value,
        payload: None,
    })
}

struct Walker<'a> {
    model: &'a Model,
    params: &'a BTreeMap<String, String>,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The serialized name of a member (botocore's `serialization['name']`): the ref's
/// `locationName`, else the target shape's, else `default`.
fn serialized_name<'a>(r: &'a ShapeRef, shape: &'a Shape, default: &'a str) -> &'a str {
    r.location_name
        .as_deref()
        .or(shape.location_name.as_deref())
        .unwrap_or(default)
}

fn type_error(key: &str, value: &str, expected: &str) -> AwsError {
    AwsError::new(
        common::VALIDATION_ERROR,
        format!("Value '{value}' for parameter {key} is invalid. It must be {expected}."),
    )
}

impl Walker<'_> {
    /// Whether any parameter is `key` or lies under `key.`.
    fn present(&self, key: &str) -> bool {
        if self.params.contains_key(key) {
            return true;
        }
        let prefix = format!("{key}.");
        self.params
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    fn structure(
        &mut self,
        shape: &Shape,
        prefix: &str,
        depth: usize,
    ) -> Result<Option<Value>, AwsError> {
        if depth > MAX_DEPTH {
            return Err(AwsError::new(
                common::VALIDATION_ERROR,
                "Request nesting exceeds the maximum depth",
            ));
        }
        let mut out = Map::new();
        for (name, r) in shape.members() {
            let Some(ms) = self.model.shape(&r.shape) else {
                continue;
            };
            let key = join(prefix, serialized_name(r, ms, name));
            if let Some(v) = self.value(r, ms, &key, depth + 1)? {
                out.insert(name.clone(), v);
            }
        }
        Ok(if out.is_empty() && !prefix.is_empty() {
            None
        } else {
            Some(Value::Object(out))
        })
    }

    fn value(
        &mut self,
        r: &ShapeRef,
        shape: &Shape,
        key: &str,
        depth: usize,
    ) -> Result<Option<Value>, AwsError> {
        match shape.kind {
            ShapeType::Structure => {
                if !self.present(key) {
                    return Ok(None);
                }
                self.structure(shape, key, depth)
            }
            ShapeType::List => self.list(r, shape, key, depth),
            ShapeType::Map => self.map(r, shape, key, depth),
            _ => match self.params.get(key) {
                Some(text) => scalar(r, shape, key, text).map(Some),
                None => Ok(None),
            },
        }
    }

    fn list(
        &mut self,
        r: &ShapeRef,
        shape: &Shape,
        key: &str,
        depth: usize,
    ) -> Result<Option<Value>, AwsError> {
        let (Some(mref), Some(ms)) = (
            &shape.member,
            shape
                .member
                .as_ref()
                .and_then(|m| self.model.shape(&m.shape)),
        ) else {
            return Ok(None);
        };
        if self.params.get(key).is_some_and(String::is_empty) {
            return Ok(Some(Value::Array(Vec::new())));
        }
        let flattened = r.flattened.unwrap_or(shape.flattened);
        let list_prefix = if flattened {
            match serialized_name(mref, ms, "") {
                "" => key.to_string(),
                name => match key.rsplit_once('.') {
                    Some((parent, _)) => format!("{parent}.{name}"),
                    None => name.to_string(),
                },
            }
        } else {
            format!("{key}.{}", serialized_name(mref, ms, "member"))
        };
        let mut items = Vec::new();
        // Items are numbered from 1 without gaps; the parameter count bounds the loop.
        for i in 1..=self.params.len() {
            let item_key = format!("{list_prefix}.{i}");
            if !self.present(&item_key) {
                break;
            }
            match self.value(mref, ms, &item_key, depth + 1)? {
                Some(v) => items.push(v),
                None => items.push(Value::Object(Map::new())),
            }
        }
        Ok(if items.is_empty() {
            None
        } else {
            Some(Value::Array(items))
        })
    }

    fn map(
        &mut self,
        r: &ShapeRef,
        shape: &Shape,
        key: &str,
        depth: usize,
    ) -> Result<Option<Value>, AwsError> {
        let (Some(kref), Some(vref)) = (&shape.key, &shape.value) else {
            return Ok(None);
        };
        let (Some(ks), Some(vs)) = (self.model.shape(&kref.shape), self.model.shape(&vref.shape))
        else {
            return Ok(None);
        };
        let flattened = r.flattened.unwrap_or(shape.flattened);
        let full = if flattened {
            key.to_string()
        } else {
            format!("{key}.entry")
        };
        let key_name = serialized_name(kref, ks, "key");
        let value_name = serialized_name(vref, vs, "value");
        let mut out = Map::new();
        for i in 1..=self.params.len() {
            let entry = format!("{full}.{i}");
            if !self.present(&entry) {
                break;
            }
            let Some(k) = self.params.get(&format!("{entry}.{key_name}")) else {
                continue;
            };
            if let Some(v) = self.value(vref, vs, &format!("{entry}.{value_name}"), depth + 1)? {
                out.insert(k.clone(), v);
            }
        }
        Ok(if out.is_empty() {
            None
        } else {
            Some(Value::Object(out))
        })
    }
}

/// A scalar parameter in canonical form.
fn scalar(r: &ShapeRef, shape: &Shape, key: &str, text: &str) -> Result<Value, AwsError> {
    match shape.kind {
        ShapeType::Boolean => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(type_error(key, text, "a boolean")),
        },
        ShapeType::Integer | ShapeType::Long => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| type_error(key, text, "an integer")),
        ShapeType::Float | ShapeType::Double | ShapeType::Decimal => match text {
            "NaN" | "Infinity" | "-Infinity" => Ok(Value::String(text.to_string())),
            _ => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| type_error(key, text, "a number")),
        },
        ShapeType::Timestamp => {
            let fmt = TimestampFormat::resolve(Some(r), shape, TimestampFormat::Iso8601);
            timestamp::parse(text, fmt)
                .map(timestamp::epoch_value)
                .ok_or_else(|| type_error(key, text, "a timestamp"))
        }
        ShapeType::Blob => {
            if base64::engine::general_purpose::STANDARD
                .decode(text)
                .is_err()
            {
                return Err(type_error(key, text, "base64 encoded"));
            }
            Ok(Value::String(text.to_string()))
        }
        _ => Ok(Value::String(text.to_string())),
    }
}

/// The XML namespace of a model's responses.
pub fn namespace(model: &Model) -> String {
    model.metadata.xml_namespace.clone().unwrap_or_else(|| {
        format!(
            "https://{}.amazonaws.com/doc/{}/",
            model.metadata.endpoint_prefix, model.metadata.api_version
        )
    })
}

fn xml_response(status: u16, body: String, meta: &ResponseMeta<'_>) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("Content-Type".to_string(), "text/xml".to_string()),
            ("x-amzn-RequestId".to_string(), meta.request_id.to_string()),
        ],
        body: body.into_bytes().into(),
    }
}

/// The result element of an operation's response, if it has one.
fn result_wrapper(model: &Model, op: &Operation) -> Option<String> {
    let r = op.output.as_ref()?;
    r.result_wrapper.clone().or_else(|| {
        // A JSON model answering in query mode (SQS) has no wrappers; old SDKs expect
        // `<Op>Result`.
        (model.metadata.protocol != "query").then(|| format!("{}Result", op.name))
    })
}

/// Writes an operation's output.
pub fn serialize(
    model: &Model,
    op: &Operation,
    out: Output,
    meta: &ResponseMeta<'_>,
) -> HttpResponse {
    let mut w = XmlWriter::new();
    let root = format!("{}Response", op.name);
    let ns = namespace(model);
    w.start(&root, &[("xmlns", &ns)]);
    if let Some(shape) = op.output.as_ref().and_then(|r| model.shape(&r.shape)) {
        let opts = XmlOptions::default();
        match result_wrapper(model, op) {
            Some(wrapper) => {
                w.start(&wrapper, &[]);
                xml::write_members(&mut w, model, shape, &out.value, opts, 0);
                w.end(&wrapper);
            }
            None => xml::write_members(&mut w, model, shape, &out.value, opts, 0),
        }
    }
    w.start("ResponseMetadata", &[]);
    w.element("RequestId", meta.request_id);
    w.end("ResponseMetadata");
    w.end(&root);
    xml_response(200, w.finish(), meta)
}

/// Writes an error.
pub fn serialize_error(model: &Model, err: &AwsError, meta: &ResponseMeta<'_>) -> HttpResponse {
    let mut w = XmlWriter::new();
    let ns = namespace(model);
    w.start("ErrorResponse", &[("xmlns", &ns)]);
    w.start("Error", &[]);
    w.element(
        "Type",
        if err.code.sender_fault {
            "Sender"
        } else {
            "Receiver"
        },
    );
    w.element("Code", err.code.code);
    w.element("Message", &err.message);
    if let (Some(fields), Some(shape)) = (&err.fields, model.shape(err.code.shape)) {
        let extra: Map<String, Value> = fields
            .iter()
            .filter(|(k, _)| !k.starts_with("__") && !k.eq_ignore_ascii_case("message"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        xml::write_members(
            &mut w,
            model,
            shape,
            &Value::Object(extra),
            XmlOptions::default(),
            0,
        );
    }
    w.end("Error");
    w.element("RequestId", meta.request_id);
    w.end("ErrorResponse");
    xml_response(err.code.status, w.finish(), meta)
}

#[cfg(test)]
mod tests;
