//! Reading `Authorization: Bearer` (RFC 6750 §2.1; SECURITY E16). The scheme is
//! case-insensitive; anything else that is not exactly one scheme, one space and one `b64token`
//! is a malformed request (RFC 6750 §3.1 `invalid_request`), never a token to try. Two
//! `Authorization` headers arrive joined by `, ` (Fetch `Headers`), which is malformed too.

/// What the `Authorization` header holds. Its `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// No `Authorization` header, or another scheme: no credentials for this guard.
    None,
    /// A bearer token, syntactically valid (not yet verified).
    Bearer(&'a str),
    /// A `Bearer` header that is not well-formed.
    Malformed,
}

impl std::fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Bearer(_) => f.debug_tuple("Bearer").field(&crate::secret::Redacted).finish(),
            Credentials::Malformed => f.write_str("Malformed"),
        }
    }
}

/// Parses the `Authorization` header value, if any.
pub fn credentials(header: Option<&str>) -> Credentials<'_> {
    let Some(header) = header else { return Credentials::None };
    // The scheme ends at any whitespace, so `Bearer<TAB>token` is a malformed bearer header
    // rather than another scheme that a lenient upstream might still read as a token.
    let end = header.find(|c: char| c.is_whitespace()).unwrap_or(header.len());
    let (scheme, rest) = header.split_at_checked(end).unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Credentials::None;
    }
    match rest.strip_prefix(' ') {
        Some(token) if is_b64token(token) => Credentials::Bearer(token),
        _ => Credentials::Malformed,
    }
}

/// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e16_authorization_header_forms() {
        assert_eq!(credentials(Some("Bearer abc.def-_~+/==")), Credentials::Bearer("abc.def-_~+/=="));
        assert_eq!(credentials(Some("bearer x")), Credentials::Bearer("x"));
        assert_eq!(credentials(Some("BEARER x")), Credentials::Bearer("x"));
        for bad in
            ["Bearer", "Bearer ", "Bearer  x", "Bearer x y", "Bearer x, Bearer y", "Bearer =", "Bearer x\n", "Bearer é"]
        {
            assert_eq!(credentials(Some(bad)), Credentials::Malformed, "{bad:?}");
        }
        assert_eq!(credentials(None), Credentials::None);
        assert_eq!(credentials(Some("Basic dXNlcjpwYXNz")), Credentials::None);
        assert_eq!(credentials(Some("DPoP x")), Credentials::None);
    }

    #[test]
    fn debug_hides_the_token() {
        assert_eq!(format!("{:?}", credentials(Some("Bearer s3cret.tok"))), "Bearer(<redacted>)");
    }
}
