//! Interpreter (in progress).
use super::parse::Node;
use super::{Limits, Rendered, VtlContext, VtlError};

pub(crate) fn run(
    nodes: &[Node],
    _ctx: &VtlContext<'_>,
    _limits: &Limits,
) -> Result<Rendered, VtlError> {
    let mut out = Rendered::default();
    for n in nodes {
        match n {
            Node::Text(t) => out.body.push_str(t),
        }
    }
    Ok(out)
}
