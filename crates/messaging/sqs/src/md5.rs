//! MD5 (RFC 1321) and the digests SQS returns: `MD5OfMessageBody` (hex MD5 of the UTF-8
//! body) and `MD5OfMessageAttributes` / `MD5OfMessageSystemAttributes`, computed over the
//! attributes sorted by name, each encoded as
//! `len(name) name len(type) type kind len(value) value` (lengths 4-byte big-endian; kind 1
//! for a string value, 2 for binary, 3 and 4 for string and binary lists, whose items are each
//! length-prefixed). SDKs (the Java and .NET SDKs, the SQS extended client) verify them.
//!
//! MD5 is written here (80 lines) rather than pulled in as a dependency: it is only used for
//! these checksums, never for security.

use crate::types::AttributeValue;
use base64::Engine;
use std::collections::BTreeMap;

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

fn k(i: usize) -> u32 {
    // K[i] = floor(abs(sin(i + 1)) * 2^32), exactly representable for every i in 0..64.
    ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32
}

/// The MD5 digest of `data`.
pub fn md5(data: &[u8]) -> [u8; 16] {
    let mut a0: u32 = 0x6745_2301;
    let mut b0: u32 = 0xefcd_ab89;
    let mut c0: u32 = 0x98ba_dcfe;
    let mut d0: u32 = 0x1032_5476;
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    for chunk in msg.chunks_exact(64) {
        let mut m = [0u32; 16];
        for (i, w) in chunk.chunks_exact(4).enumerate() {
            m[i] = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        }
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for (i, shift) in S.iter().enumerate() {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k(i)).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(*shift));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&a0.to_le_bytes());
    out[4..8].copy_from_slice(&b0.to_le_bytes());
    out[8..12].copy_from_slice(&c0.to_le_bytes());
    out[12..].copy_from_slice(&d0.to_le_bytes());
    out
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5(data))
}

fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    buf.extend_from_slice(bytes);
}

fn b64(s: &str) -> Vec<u8> {
    // Values were checked as base64 on send; an undecodable one digests as empty.
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}

/// The digest of a message (or system) attribute map, as SQS computes it; `None` when empty.
pub fn attributes_md5(attrs: &BTreeMap<String, AttributeValue>) -> Option<String> {
    if attrs.is_empty() {
        return None;
    }
    let mut buf = Vec::new();
    for (name, v) in attrs {
        put(&mut buf, name.as_bytes());
        put(&mut buf, v.data_type.as_bytes());
        if let Some(s) = &v.string_value {
            buf.push(1);
            put(&mut buf, s.as_bytes());
        } else if let Some(b) = &v.binary_value {
            buf.push(2);
            put(&mut buf, &b64(b));
        } else if let Some(list) = v.string_list_values.as_ref().filter(|l| !l.is_empty()) {
            buf.push(3);
            for s in list {
                put(&mut buf, s.as_bytes());
            }
        } else if let Some(list) = &v.binary_list_values {
            buf.push(4);
            for b in list {
                put(&mut buf, &b64(b));
            }
        }
    }
    Some(md5_hex(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1321_vectors() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            md5_hex(
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
            ),
            "57edf4a22be3c955ac49da2e2107b67a"
        );
        assert_eq!(
            md5_hex(b"The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
    }

    #[test]
    fn attribute_digest_matches_aws_example() {
        // The digest the Java SDK's MessageMD5ChecksumHandler computes for this input.
        let mut attrs = BTreeMap::new();
        attrs.insert(
            "a".to_string(),
            AttributeValue {
                data_type: "String".into(),
                string_value: Some("b".into()),
                ..Default::default()
            },
        );
        let mut expected = Vec::new();
        expected.extend_from_slice(&[0, 0, 0, 1, b'a', 0, 0, 0, 6]);
        expected.extend_from_slice(b"String");
        expected.extend_from_slice(&[1, 0, 0, 0, 1, b'b']);
        assert_eq!(attributes_md5(&attrs), Some(md5_hex(&expected)));
        assert_eq!(attributes_md5(&BTreeMap::new()), None);
    }
}
