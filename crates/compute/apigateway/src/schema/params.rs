//! Required request parameters.

use crate::vtl::RequestParams;

/// The names of required parameters the request lacks, in the order of `required`.
///
/// `required` is a method's `requestParameters`: `method.request.querystring.<name>`,
/// `method.request.header.<name>` (matched case-insensitively) and
/// `method.request.path.<name>` → `true` when required. Other keys are ignored.
pub fn missing_parameters<'a>(
    required: impl IntoIterator<Item = (&'a str, bool)>,
    request: &RequestParams,
) -> Vec<String> {
    let mut missing = Vec::new();
    for (key, is_required) in required {
        if !is_required {
            continue;
        }
        let Some(rest) = key.strip_prefix("method.request.") else {
            continue;
        };
        let Some((location, name)) = rest.split_once('.') else {
            continue;
        };
        let present = match location {
            "querystring" => request.querystring.contains_key(name),
            "header" => request.header.keys().any(|h| h.eq_ignore_ascii_case(name)),
            "path" => request.path.get(name).is_some_and(|v| !v.is_empty()),
            _ => continue,
        };
        if !present {
            missing.push(name.to_string());
        }
    }
    missing
}

/// `Missing required request parameters: [a, b]`.
pub fn missing_parameters_message(missing: &[String]) -> String {
    format!(
        "Missing required request parameters: [{}]",
        missing.join(", ")
    )
}

/// The 400 body for missing parameters: `{"message": "Missing required request parameters: [a, b]"}`.
pub fn missing_parameters_body(missing: &[String]) -> String {
    serde_json::json!({ "message": missing_parameters_message(missing) }).to_string()
}
