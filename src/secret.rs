//! Secret values (the client secret, `code_verifier`, `state`, `nonce`, the authorization code,
//! tokens): kept out of `Debug` output, so that a log line or a panic message never carries a
//! credential to an unintended reader (RFC 6749 §10.3–10.5, RFC 6750 §5.3), and compared in
//! constant time, so that how long a comparison takes says nothing about how much of a guess
//! was right.

use std::fmt;

use subtle::ConstantTimeEq;

/// Stands in for a secret in `Debug` output: prints `<redacted>`.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An optional secret in `Debug` output: whether it is there, never what it is.
pub(crate) fn redact<T>(secret: &Option<T>) -> Option<Redacted> {
    secret.as_ref().map(|_| Redacted)
}

/// Whether a received value equals the secret expected, in time that depends only on the
/// lengths (a length tells nothing of a random value's content).
pub(crate) fn same(received: &str, expected: &str) -> bool {
    received.as_bytes().ct_eq(expected.as_bytes()).into()
}
