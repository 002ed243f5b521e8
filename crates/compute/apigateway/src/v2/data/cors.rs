//! CORS for HTTP APIs: API Gateway answers preflight requests itself from the API's
//! `CorsConfiguration` and adds the CORS headers to every other response (replacing any the
//! integration sent, as AWS does). Pure.

use crate::v2::types::Cors;

fn allowed_origin(cors: &Cors, origin: &str) -> Option<String> {
    let list = cors.allow_origins.as_deref().unwrap_or_default();
    if list.iter().any(|o| o == "*") {
        return Some("*".into());
    }
    list.iter()
        .find(|o| o.eq_ignore_ascii_case(origin))
        .map(|_| origin.to_string())
}

fn join(v: &Option<Vec<String>>) -> Option<String> {
    v.as_ref().filter(|l| !l.is_empty()).map(|l| l.join(","))
}

/// Is this a preflight request (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)?
pub fn is_preflight(method: &str, origin: Option<&str>, request_method: Option<&str>) -> bool {
    method == "OPTIONS" && origin.is_some() && request_method.is_some()
}

/// The headers of API Gateway's 204 answer to a preflight request (none when the origin is
/// not allowed).
pub fn preflight(cors: &Cors, origin: &str, request_method: &str) -> Vec<(String, String)> {
    let mut h = Vec::new();
    let Some(allow) = allowed_origin(cors, origin) else {
        return h;
    };
    let methods = cors.allow_methods.as_deref().unwrap_or_default();
    if !methods.is_empty()
        && !methods
            .iter()
            .any(|m| m == "*" || m.eq_ignore_ascii_case(request_method))
    {
        return h;
    }
    h.push(("access-control-allow-origin".into(), allow));
    if let Some(m) = join(&cors.allow_methods) {
        h.push(("access-control-allow-methods".into(), m));
    }
    if let Some(m) = join(&cors.allow_headers) {
        h.push(("access-control-allow-headers".into(), m));
    }
    if let Some(m) = join(&cors.expose_headers) {
        h.push(("access-control-expose-headers".into(), m));
    }
    if let Some(age) = cors.max_age {
        h.push(("access-control-max-age".into(), age.to_string()));
    }
    if cors.allow_credentials == Some(true) {
        h.push(("access-control-allow-credentials".into(), "true".into()));
    }
    h
}

/// Replaces the CORS headers of a response with the API's.
pub fn apply(cors: &Cors, origin: Option<&str>, headers: &mut Vec<(String, String)>) {
    headers.retain(|(k, _)| !k.to_ascii_lowercase().starts_with("access-control-"));
    let Some(allow) = origin.and_then(|o| allowed_origin(cors, o)) else {
        return;
    };
    headers.push(("access-control-allow-origin".into(), allow));
    if let Some(m) = join(&cors.expose_headers) {
        headers.push(("access-control-expose-headers".into(), m));
    }
    if cors.allow_credentials == Some(true) {
        headers.push(("access-control-allow-credentials".into(), "true".into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors() -> Cors {
        Cors {
            allow_origins: Some(vec!["https://a.example".into()]),
            allow_methods: Some(vec!["GET".into(), "POST".into()]),
            allow_headers: Some(vec!["authorization".into()]),
            expose_headers: Some(vec!["x-id".into()]),
            max_age: Some(300),
            allow_credentials: Some(true),
        }
    }

    #[test]
    fn v2_cors_preflight() {
        assert!(is_preflight("OPTIONS", Some("o"), Some("GET")));
        assert!(!is_preflight("OPTIONS", Some("o"), None));
        let h = preflight(&cors(), "https://a.example", "POST");
        assert!(h.contains(&(
            "access-control-allow-origin".into(),
            "https://a.example".into()
        )));
        assert!(h.contains(&("access-control-allow-methods".into(), "GET,POST".into())));
        assert!(h.contains(&("access-control-max-age".into(), "300".into())));
        assert!(preflight(&cors(), "https://b.example", "GET").is_empty());
        assert!(preflight(&cors(), "https://a.example", "DELETE").is_empty());
    }

    #[test]
    fn v2_cors_on_responses() {
        let mut h = vec![("Access-Control-Allow-Origin".to_string(), "x".to_string())];
        apply(&cors(), Some("https://a.example"), &mut h);
        assert_eq!(
            h[0],
            (
                "access-control-allow-origin".into(),
                "https://a.example".into()
            )
        );
        let wildcard = Cors {
            allow_origins: Some(vec!["*".into()]),
            ..Default::default()
        };
        let mut h = Vec::new();
        apply(&wildcard, Some("https://z"), &mut h);
        assert_eq!(h, vec![("access-control-allow-origin".into(), "*".into())]);
    }
}
