//! Proof Key for Code Exchange (RFC 7636), S256 only, and the random values of a sign-in
//! (`state`, `nonce`, `code_verifier`).
//!
//! The core has no random source of its own: callers hand it 32 bytes from the platform CSPRNG
//! (the wasm layer uses `crypto.getRandomValues`) and get the 43-character base64url value back.
//! There is deliberately no way to produce a `plain` challenge (RFC 9700 §2.1.1).

use sha2::{Digest, Sha256};

use crate::{base64url, Error, Result};

/// How many random bytes make a `state`, `nonce` or `code_verifier`: 256 bits.
pub const RANDOM_BYTES: usize = 32;

/// Encodes 32 CSPRNG bytes as a 43-character base64url value (RFC 7636 §4.1 recommends exactly
/// this for the verifier; stepup uses the same for `state` and `nonce`).
pub fn random_value(bytes: &[u8; RANDOM_BYTES]) -> String {
    base64url::encode(bytes)
}

/// Checks a `code_verifier` against RFC 7636 §4.1: 43 to 128 characters of
/// `[A-Za-z0-9-._~]`.
pub fn check_code_verifier(verifier: &str) -> Result<()> {
    if !(43..=128).contains(&verifier.len()) {
        return Err(Error::arg_value(
            "codeVerifier",
            format!("must be 43 to 128 characters long, got {}", verifier.chars().count()),
        ));
    }
    if let Some(c) = verifier.chars().find(|c| !is_unreserved(*c)) {
        return Err(Error::arg_value("codeVerifier", format!("may only contain A-Z a-z 0-9 - . _ ~, found {c:?}")));
    }
    Ok(())
}

/// The S256 `code_challenge` for a verifier (RFC 7636 §4.2):
/// `BASE64URL(SHA256(ASCII(code_verifier)))`.
pub fn code_challenge_s256(verifier: &str) -> Result<String> {
    check_code_verifier(verifier)?;
    Ok(base64url::encode(&Sha256::digest(verifier.as_bytes())))
}

/// Whether a `code_challenge` has the shape an S256 challenge always has: 43 base64url
/// characters (a SHA-256 digest).
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && base64url::decode(challenge).is_some_and(|d| d.len() == 32)
}

/// RFC 3986 unreserved characters, the alphabet of `code_verifier`.
pub(crate) fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(
            code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_s256_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }

    #[test]
    fn random_values_are_43_characters() {
        let v = random_value(&[0xA5; 32]);
        assert_eq!(v.len(), 43);
        check_code_verifier(&v).unwrap();
    }

    #[test]
    fn verifier_rules() {
        let ok43 = "a".repeat(43);
        let ok128 = "~".repeat(128);
        assert!(check_code_verifier(&ok43).is_ok());
        assert!(check_code_verifier(&ok128).is_ok());
        for bad in [
            "a".repeat(42),
            "a".repeat(129),
            format!("{}+", "a".repeat(42)),
            format!("{} ", "a".repeat(43)),
            format!("{}é", "a".repeat(42)),
            String::new(),
        ] {
            let err = code_challenge_s256(&bad).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{bad:?}");
        }
    }
}
