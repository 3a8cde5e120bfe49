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
    let tail = match bytes.len() % 4 {
        0 => 0,
        1 => return None,
        rest => rest - 1,
    };
    let mut out = vec![0; bytes.len() / 4 * 3 + tail];
    let mut rest = out.as_mut_slice();
    let mut quads = bytes.chunks_exact(4);
    for quad in &mut quads {
        let (&[a, b, c, d], [x, y, z, more @ ..]) = (quad, std::mem::take(&mut rest)) else { return None };
        [_, *x, *y, *z] = quad_value(a, b, c, d)?.to_be_bytes();
        rest = more;
    }
    let [_, p, q, r] = match *quads.remainder() {
        [] => return Some(out),
        [a, b] => quad_value(a, b, b'A', b'A')?,
        [a, b, c] => quad_value(a, b, c, b'A')?,
        _ => return None,
    }
    .to_be_bytes();
    // The unused bits of the last character must be zero: one encoding per value.
    match rest {
        [x] if q == 0 => *x = p,
        [x, y] if r == 0 => (*x, *y) = (p, q),
        _ => return None,
    }
    Some(out)
}

/// No base64url character has this value; its top bits tell it from every sextet.
const INVALID: u8 = 0xFF;

/// The value of each byte as a base64url character (RFC 4648 §5, table 2), else [`INVALID`].
// Indexed at compile time, over its own length: evaluation fails to build rather than panics.
#[allow(clippy::indexing_slicing)]
const SEXTETS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = match c as u8 {
            b @ b'A'..=b'Z' => b - b'A',
            b @ b'a'..=b'z' => b - b'a' + 26,
            b @ b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => INVALID,
        };
        c += 1;
    }
    table
};

/// Four characters' 24 bits, in the low three bytes.
#[inline(always)]
fn quad_value(a: u8, b: u8, c: u8, d: u8) -> Option<u32> {
    let (a, b, c, d) = (sextet(a), sextet(b), sextet(c), sextet(d));
    if (a | b | c | d) & 0xC0 != 0 {
        return None;
    }
    Some(u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d))
}

/// One character's value, or [`INVALID`].
#[inline(always)]
fn sextet(c: u8) -> u8 {
    SEXTETS.get(usize::from(c)).copied().unwrap_or(INVALID)
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
