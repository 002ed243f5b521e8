//! Route selection for HTTP APIs, as AWS documents it: the most specific match wins —
//! literal path segments over `{param}` over a greedy `{proxy+}`, a route's own method over
//! `ANY` — and `$default` catches what nothing else matches. Pure; path parameters come
//! back percent-decoded.

use std::collections::BTreeMap;

/// A matched route: its id and the path parameters it captured.
#[derive(Debug, Clone, PartialEq)]
pub struct Matched {
    pub route_id: String,
    pub route_key: String,
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    Greedy = 0,
    Param = 1,
    Literal = 2,
}

/// The specificity of a match: per-segment kinds (compared left to right), then method.
type Score = (Vec<Seg>, usize, bool);

/// Finds the route for `method` and `path` (the path after the stage, starting with `/`,
/// still percent-encoded) among `(route id, route key)` pairs.
pub fn select<'a>(
    routes: impl IntoIterator<Item = (&'a str, &'a str)>,
    method: &str,
    path: &str,
) -> Option<Matched> {
    let req: Vec<&str> = split(path);
    let mut best: Option<(Score, Matched)> = None;
    let mut default = None;
    for (id, key) in routes {
        if key == "$default" {
            default = Some(Matched {
                route_id: id.to_string(),
                route_key: key.to_string(),
                params: BTreeMap::new(),
            });
            continue;
        }
        let Some((m, p)) = key.split_once(' ') else {
            continue;
        };
        let exact_method = m == method;
        if !exact_method && m != "ANY" {
            continue;
        }
        let Some((segs, params)) = match_path(&split(p), &req) else {
            continue;
        };
        let score = (segs.clone(), segs.len(), exact_method);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                Matched {
                    route_id: id.to_string(),
                    route_key: key.to_string(),
                    params,
                },
            ));
        }
    }
    best.map(|(_, m)| m).or(default)
}

fn split(path: &str) -> Vec<&str> {
    path.trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

fn match_path(tpl: &[&str], req: &[&str]) -> Option<(Vec<Seg>, BTreeMap<String, String>)> {
    let mut segs = Vec::with_capacity(tpl.len());
    let mut params = BTreeMap::new();
    for (i, t) in tpl.iter().enumerate() {
        if let Some(name) = t.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if let Some(greedy) = name.strip_suffix('+') {
                if i >= req.len() {
                    return None;
                }
                params.insert(greedy.to_string(), decode(&req[i..].join("/")));
                segs.push(Seg::Greedy);
                return Some((segs, params));
            }
            let v = req.get(i)?;
            params.insert(name.to_string(), decode(v));
            segs.push(Seg::Param);
        } else {
            if req.get(i) != Some(t) {
                return None;
            }
            segs.push(Seg::Literal);
        }
    }
    (tpl.len() == req.len()).then_some((segs, params))
}

/// Percent-decoding (lossy on invalid UTF-8).
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &[(&str, &str)] = &[
        ("r1", "GET /pets"),
        ("r2", "GET /pets/{id}"),
        ("r3", "ANY /pets/{id}"),
        ("r4", "GET /pets/dog"),
        ("r5", "ANY /{proxy+}"),
        ("r6", "$default"),
        ("r7", "POST /pets/{id}/toys/{toy}"),
        ("r8", "GET /"),
    ];

    fn sel(method: &str, path: &str) -> (String, BTreeMap<String, String>) {
        let m = select(ROUTES.iter().copied(), method, path).expect("a route");
        (m.route_id, m.params)
    }

    #[test]
    fn v2_routing_most_specific_wins() {
        assert_eq!(sel("GET", "/pets").0, "r1");
        assert_eq!(sel("GET", "/pets/dog").0, "r4");
        let (id, p) = sel("GET", "/pets/cat");
        assert_eq!((id.as_str(), p["id"].as_str()), ("r2", "cat"));
        assert_eq!(sel("DELETE", "/pets/cat").0, "r3");
        let (id, p) = sel("POST", "/pets/1/toys/ball%20red");
        assert_eq!((id.as_str(), p["toy"].as_str()), ("r7", "ball red"));
        let (id, p) = sel("PUT", "/a/b/c");
        assert_eq!((id.as_str(), p["proxy"].as_str()), ("r5", "a/b/c"));
        assert_eq!(sel("GET", "/").0, "r8");
        assert_eq!(sel("POST", "/").0, "r6");
    }

    #[test]
    fn v2_routing_default_and_none() {
        let only = [("a", "GET /x")];
        assert!(select(only.iter().copied(), "GET", "/y").is_none());
        assert!(select(only.iter().copied(), "POST", "/x").is_none());
        assert_eq!(
            select(only.iter().copied(), "GET", "/x").unwrap().route_id,
            "a"
        );
        let with_default = [("a", "GET /x"), ("d", "$default")];
        assert_eq!(
            select(with_default.iter().copied(), "GET", "/y")
                .unwrap()
                .route_id,
            "d"
        );
    }

    #[test]
    fn v2_decode() {
        assert_eq!(decode("a%2Fb%zz%4"), "a/b%zz%4");
    }
}
