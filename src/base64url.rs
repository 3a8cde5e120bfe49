//! Base64url without padding (RFC 7515 §2), strictly: no padding, no characters outside the
//! URL-safe alphabet, and no non-canonical final character (unused bits must be zero), so that a
//! value has exactly one encoding.

use base64ct::{Base64UrlUnpadded, Encoding};

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes unpadded, canonical base64url; `None` for anything else.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    // base64ct rejects padding, foreign characters and non-zero trailing bits.
    Base64UrlUnpadded::decode_vec(text).ok()
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
}
