//! Key building helpers. Keys are byte strings ordered lexicographically; components are
//! joined with a 0x00 separator, so a component must not contain 0x00 (names in AWS never
//! do; use [`escape`] for arbitrary bytes).

/// The smallest byte string greater than every string starting with `prefix`, or `None` if
/// there is none (all bytes 0xFF).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut s = prefix.to_vec();
    while let Some(last) = s.pop() {
        if last < 0xFF {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

/// Joins components with 0x00: `join(&["000000000000", "us-east-1", "/a/b"])`.
pub fn join<S: AsRef<[u8]>>(parts: &[S]) -> Vec<u8> {
    let mut k = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p.as_ref());
    }
    k
}

/// Like [`join`] with a trailing separator, for prefix scans of everything under the parts.
pub fn prefix<S: AsRef<[u8]>>(parts: &[S]) -> Vec<u8> {
    let mut k = join(parts);
    k.push(0);
    k
}

/// Escapes 0x00 and 0x01 so arbitrary bytes can be a key component without breaking order:
/// 0x00 → 0x01 0x01, 0x01 → 0x01 0x02.
pub fn escape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for &b in raw {
        match b {
            0 => out.extend_from_slice(&[1, 1]),
            1 => out.extend_from_slice(&[1, 2]),
            b => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor() {
        assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_successor(&[0x61, 0xFF]), Some(vec![0x62]));
        assert_eq!(prefix_successor(&[0xFF, 0xFF]), None);
    }

    #[test]
    fn join_and_prefix() {
        assert_eq!(join(&["a", "b"]), b"a\0b".to_vec());
        assert_eq!(prefix(&["a"]), b"a\0".to_vec());
    }

    #[test]
    fn escape_keeps_order() {
        let mut v = [vec![0u8, 5], vec![1, 0], vec![0, 0], vec![2]];
        let mut e: Vec<_> = v.iter().map(|x| escape(x)).collect();
        v.sort();
        e.sort();
        assert_eq!(e, v.iter().map(|x| escape(x)).collect::<Vec<_>>());
    }
}
