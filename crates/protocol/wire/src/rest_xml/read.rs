//! Reading XML request bodies: a small element tree (depth-bounded), then a model-driven
//! walk into canonical form, mirroring how botocore's serializer writes each shape.

use crate::MAX_DEPTH;
use crate::rest::bindings;
use crate::timestamp;
use lamina_model::{Model, Shape, ShapeRef, ShapeType};
use quick_xml::events::Event;
use quick_xml::{Reader, escape};
use serde_json::{Map, Number, Value};

/// One element: local name (namespace prefix dropped), attributes, children, text.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn local(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.into_owned(),
    }
}

/// Parses a document into its root element. Errors are human-readable reasons.
pub fn parse_tree(xml: &[u8]) -> Result<Node, String> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err("content after the root element".into());
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err("document nested too deeply".into());
                }
                let mut node = Node {
                    name: local(e.name().as_ref()),
                    ..Node::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    let v = a.unescape_value().map_err(|e| e.to_string())?;
                    node.attrs.push((local(a.key.as_ref()), v.into_owned()));
                }
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, &mut root, node);
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("unbalanced end tag")?;
                close(&mut stack, &mut root, node);
            }
            Event::Text(t) => {
                let text = t.xml10_content().map_err(|e| e.to_string())?;
                match stack.last_mut() {
                    Some(n) => n.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::CData(t) => {
                let text = t.decode().map_err(|e| e.to_string())?;
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| e.to_string())?;
                        escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                            .to_string()
                    }
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err("unexpected end of document".into());
    }
    root.ok_or_else(|| "no root element".into())
}

fn close(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

/// The canonical value of an element of `shape` (`r` is the reference that led here).
pub fn to_canonical(
    model: &Model,
    r: Option<&ShapeRef>,
    shape: &Shape,
    node: &Node,
    depth: usize,
) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    match shape.kind {
        ShapeType::Structure => structure(model, shape, node, depth),
        ShapeType::List => {
            let Some(m) = shape.member.as_ref() else {
                return Value::Array(vec![]);
            };
            let Some(ms) = model.shape(&m.shape) else {
                return Value::Array(vec![]);
            };
            Value::Array(
                node.children
                    .iter()
                    .map(|c| to_canonical(model, Some(m), ms, c, depth + 1))
                    .collect(),
            )
        }
        ShapeType::Map => {
            let mut map = Map::new();
            for entry in node.children_named("entry") {
                map_entry(model, shape, entry, &mut map, depth);
            }
            Value::Object(map)
        }
        _ => scalar(r, shape, &node.text),
    }
}

fn map_entry(
    model: &Model,
    shape: &Shape,
    entry: &Node,
    map: &mut Map<String, Value>,
    depth: usize,
) {
    let (Some(kr), Some(vr)) = (&shape.key, &shape.value) else {
        return;
    };
    let kname = kr.location_name.as_deref().unwrap_or("key");
    let vname = vr.location_name.as_deref().unwrap_or("value");
    let Some(k) = entry.child(kname) else { return };
    let v = match (entry.child(vname), model.shape(&vr.shape)) {
        (Some(v), Some(vs)) => to_canonical(model, Some(vr), vs, v, depth + 1),
        _ => Value::Null,
    };
    map.insert(k.text.clone(), v);
}

fn structure(model: &Model, shape: &Shape, node: &Node, depth: usize) -> Value {
    let mut out = Map::new();
    for (name, m) in shape.members() {
        if bindings::is_bound(m) {
            continue;
        }
        let Some(ms) = model.shape(&m.shape) else {
            continue;
        };
        let el = m.location_name.as_deref().unwrap_or(name);
        if m.xml_attribute == Some(true) {
            // `xsi:type` is matched by its local name, as attribute names are stored.
            let attr = el.rsplit_once(':').map_or(el, |(_, l)| l);
            if let Some((_, v)) = node.attrs.iter().find(|(k, _)| k == attr) {
                out.insert(name.clone(), scalar(Some(m), ms, v));
            }
            continue;
        }
        let flattened = m.flattened.unwrap_or(ms.flattened);
        let value = match ms.kind {
            ShapeType::List if flattened => {
                let item_name = crate::xml::member_element_name(model, name, m);
                let Some(ir) = ms.member.as_ref() else {
                    continue;
                };
                let Some(is) = model.shape(&ir.shape) else {
                    continue;
                };
                let list: Vec<Value> = node
                    .children_named(item_name)
                    .map(|c| to_canonical(model, Some(ir), is, c, depth + 1))
                    .collect();
                if list.is_empty() {
                    continue;
                }
                Value::Array(list)
            }
            ShapeType::Map if flattened => {
                let mut map = Map::new();
                for entry in node.children_named(el) {
                    map_entry(model, ms, entry, &mut map, depth);
                }
                if map.is_empty() {
                    continue;
                }
                Value::Object(map)
            }
            _ => match node.child(el) {
                Some(c) => to_canonical(model, Some(m), ms, c, depth + 1),
                None => continue,
            },
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

/// Element or attribute text to canonical form; text that does not parse as the shape's
/// type stays a string for validation to report.
pub fn scalar(r: Option<&ShapeRef>, shape: &Shape, text: &str) -> Value {
    let t = text.trim();
    let parsed = match shape.kind {
        ShapeType::Integer | ShapeType::Long => {
            t.parse::<i64>().ok().map(|n| Value::Number(n.into()))
        }
        ShapeType::Float | ShapeType::Double | ShapeType::Decimal => t
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number),
        ShapeType::Boolean => match t {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        ShapeType::Timestamp => {
            let f =
                timestamp::TimestampFormat::resolve(r, shape, timestamp::TimestampFormat::Iso8601);
            timestamp::parse(t, f).map(timestamp::epoch_value)
        }
        ShapeType::Blob => Some(Value::String(t.to_string())),
        _ => Some(Value::String(text.to_string())),
    };
    parsed.unwrap_or_else(|| Value::String(text.to_string()))
}
