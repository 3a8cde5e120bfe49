//! Base64url without padding (RFC 7515 §2), strictly: no padding, no characters outside the
//! URL-safe alphabet, and no non-canonical final character (unused bits must be zero), so that a
//! value has exactly one encoding.

use base64ct::{Base64UrlUnpadded, Encoding};

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes unpadded, canonical base64url; `None` for anything else: padding, characters outside
/// the alphabet, a length that leaves a lone character, and non-zero unused bits in the last
/// character (RFC 4648 §3.5, §5). Not constant-time, unlike base64ct's decoder: what is decoded
/// here — tokens, public keys, a cookie's MAC before its constant-time comparison — is no
/// secret, and a token's segments are decoded on every verification.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    let mut quads = bytes.chunks_exact(4);
    for quad in &mut quads {
        let &[a, b, c, d] = quad else { return None };
        let [_, x, y, z] = (sextet(a)? << 18 | sextet(b)? << 12 | sextet(c)? << 6 | sextet(d)?).to_be_bytes();
        out.extend_from_slice(&[x, y, z]);
    }
    match *quads.remainder() {
        [] => {}
        [a, b] => {
            let [_, x, y, _] = (sextet(a)? << 18 | sextet(b)? << 12).to_be_bytes();
            if y != 0 {
                return None;
            }
            out.push(x);
        }
        [a, b, c] => {
            let [_, x, y, z] = (sextet(a)? << 18 | sextet(b)? << 12 | sextet(c)? << 6).to_be_bytes();
            if z != 0 {
                return None;
            }
            out.extend_from_slice(&[x, y]);
        }
        _ => return None,
    }
    Some(out)
}

/// The value of one base64url character (RFC 4648 §5, table 2).
fn sextet(c: u8) -> Option<u32> {
    let value = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }
    }

    #[test]
    fn refuses_padding_foreign_characters_and_non_canonical_tails() {
        for bad in ["YQ==", "YQ=", "Y+8", "Y/8", "YW J", "YW\tJ", "YW?J", "YW#J", "AB", "YR", "A"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
        assert_eq!(decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(decode("AA"), Some(vec![0]));
    }

    /// The same answers as base64ct's strict decoder, over every string of up to three characters
    /// from an alphabet with each edge of each range, and longer ones.
    #[test]
    fn agrees_with_base64ct() {
        let chars = b"AZaz09-_+/=. \x00\xff@[`{/:";
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> =
                texts.iter().flat_map(|t| chars.iter().map(move |&c| format!("{t}{}", c as char))).collect();
            texts.extend(longer);
        }
        for i in 0..300u32 {
            let bytes: Vec<u8> = (0..i % 40).map(|j| (i * 31 + j * 7) as u8).collect();
            let text = encode(&bytes);
            texts.push(format!("{text}A"));
            texts.push(format!("{text}="));
            texts.push(text);
        }
        for text in &texts {
            assert_eq!(decode(text), Base64UrlUnpadded::decode_vec(text).ok(), "{text:?}");
        }
    }
}
