//! The native verifiers: [`crate::jws::prepare`], the pure-Rust signature check
//! ([`crate::jws::verify_signature`]), the verified token's claims ([`crate::jws::Verified::claims`]),
//! then the claims checks. The wasm layer runs the same steps with WebCrypto in the middle.

use crate::access_token::{self, AccessTokenOptions};
use crate::id_token::{self, IdTokenOptions};
use crate::json::Object;
use crate::jwks::KeySet;
use crate::{jws, Result};

/// Verifies an ID token against a key set at time `now` (seconds since the epoch) and returns
/// its claims (OIDC Core 3.1.3.7).
pub fn verify_id_token(token: &str, keys: &KeySet, opts: &IdTokenOptions, now: f64) -> Result<Object> {
    let verified = jws::verify_signature(jws::prepare(token, keys, &opts.algorithms()?)?)?;
    let claims = verified.claims()?;
    id_token::check(&claims, verified.header(), opts, now)?;
    Ok(claims)
}

/// Verifies a JWT access token (RFC 9068) against a key set at time `now` and returns its
/// claims.
pub fn verify_access_token(token: &str, keys: &KeySet, opts: &AccessTokenOptions, now: f64) -> Result<Object> {
    let verified = jws::verify_signature(jws::prepare(token, keys, &opts.algorithms()?)?)?;
    let claims = verified.claims()?;
    access_token::check(&claims, verified.header(), opts, now)?;
    Ok(claims)
}
