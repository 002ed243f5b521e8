//! The codec test oracle's Rust side: `lamina codec` reads JSON lines on stdin, each asking to
//! parse an HTTP request or serialize an output/error, and writes one JSON line per request.
//! `tests/compat/test_codec_oracle.py` drives it with botocore's own serializers and parsers.
//! (under construction)

use std::io::{BufRead, Write};

pub fn run(_input: impl BufRead, _output: impl Write) -> std::io::Result<()> {
    Ok(())
}
