/// Fills a buffer from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // getrandom fails only when the OS has no entropy source at all, which Lamina does not
    // support; a zeroed buffer would break uniqueness, so fail loudly.
    getrandom::fill(&mut b).expect("operating system random source unavailable");
    b
}

/// A request id in the form AWS uses (a random UUID v4, lowercase).
pub fn new_request_id() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "{}-{}-{}-{}-{}",
        h(0..4),
        h(4..6),
        h(6..8),
        h(8..10),
        h(10..16)
    )
}

/// A random string of `len` characters from `[A-Z0-9]` (access key ids, short ids).
pub fn random_alnum(len: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<32>() {
            // rejection sampling keeps the distribution uniform
            let limit = 256 - (256 % alphabet.len());
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_is_uuid_v4() {
        let id = new_request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn alnum_uses_alphabet() {
        let s = random_alnum(20, b"ABC");
        assert_eq!(s.len(), 20);
        assert!(s.chars().all(|c| "ABC".contains(c)));
    }
}
