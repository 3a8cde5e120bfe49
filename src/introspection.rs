//! OAuth 2.0 Token Introspection (RFC 7662), sans I/O: the request a resource server sends about
//! a token (§2.1), what the provider's answer means (§2.2), and how long an answer may be reused
//! ([`Cache`]). The guard's shell only POSTs the form and hands back the status and the body
//! (README, "Access-token profiles": WSO2 Identity Server and Janssen issue opaque tokens).
//!
//! ## Design choices
//! - **Only `"active": true` is believed**: the JSON boolean, never `"true"` or `1`. `false` is the
//!   provider saying the token is no good (`401 invalid_token`); an answer that is not `200`, not
//!   a JSON object, or whose `active` is not a boolean is the provider failing (a `503` naming the
//!   endpoint), never an accepted or a refused token.
//! - **`iss` when present** must be the issuer. A missing one is accepted: RFC 7662 §2.2 makes it
//!   optional, and the answer comes from the endpoint the issuer's own discovery document names,
//!   asked with the guard's credentials, so it speaks for that issuer.
//! - **`aud` is required** and must contain the API's audience, as in every JWT profile (catalog
//!   E13). RFC 7662 makes it optional, but without it a token the provider issued for any other
//!   API, or any client, would pass here; a provider that leaves it out is refused.
//! - **`exp` when present** must lie in the future (with the clock tolerance). A missing one is
//!   accepted: `active: true` is the provider's word that the token is valid now; such an answer
//!   is reused for the cache's bound only.
//! - **`token_type` when present** must be an access token's: `Bearer` (RFC 6749 §5.1, compared
//!   case-insensitively) or `access_token` (as some providers write it). A refresh token, or a
//!   sender-constrained `DPoP` token (RFC 9449, which stepup cannot check), is refused.
//! - Then the claims are judged as the `jwt` profile judges a verified JWT's
//!   (`access_token::check_claims`): `nbf` and `iat` when present, `sub` required (it is the
//!   identity forwarded), no `cnf`, `acr`, `amr` and `auth_time` typed.

use std::collections::HashMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::access_token::{self, AccessTokenOptions, Profile};
use crate::claims;
use crate::json::Object;
use crate::token_endpoint::{authenticated, ClientAuth, GrantRequest};
use crate::url::percent_encode;
use crate::{Error, Result};

/// The introspection request (§2.1): the token, hinted as an access token, with the client's
/// authentication as at the token endpoint (`client_secret_basic` for the guard, RFC 6749
/// §2.3.1). RFC 7662 §2.1 requires the caller to be authorized, so only a confidential client
/// can introspect (`STEPUP_CLIENT_SECRET`, checked at start-up).
pub fn request(client: &ClientAuth<'_>, token: &str) -> GrantRequest {
    authenticated(client, format!("token={}&token_type_hint=access_token", percent_encode(token)))
}

/// Reads the introspection endpoint's answer (`endpoint` names it in errors) at `now`, against
/// `opts`' issuer, audience and clock tolerance (its `profile` is not read: the claims are
/// judged as [`Profile::Jwt`] judges them). `Ok` holds the claims to forward and judge; see the
/// module's design choices for every refusal.
pub fn read_answer(endpoint: &str, status: u16, body: &[u8], opts: &AccessTokenOptions, now: f64) -> Result<Object> {
    let failed = |why: &str| Error::FetchFailed(format!("POST {endpoint}: {why}"));
    if status != 200 {
        return Err(failed(&format!("status {status}")));
    }
    let answer = crate::json::parse_object(body).map_err(|_| failed("not a JSON object"))?;
    match answer.get("active") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => {
            return Err(Error::claim_invalid("active", "the provider says the token is not active"))
        }
        _ => return Err(failed("\"active\" is not a boolean")),
    }
    claims::require_option("issuer", &opts.issuer)?;
    claims::require_option("audience", &opts.audience)?;
    claims::check_now(now)?;
    match answer.get("token_type") {
        None => {}
        Some(Value::String(kind)) if kind.eq_ignore_ascii_case("bearer") || kind == "access_token" => {}
        Some(_) => return Err(Error::claim_invalid("token_type", "is not a bearer access token")),
    }
    if answer.contains_key("iss") {
        claims::issuer(&answer, &opts.issuer)?;
    }
    claims::audience(&answer, &opts.audience)?;
    if answer.contains_key("exp") {
        claims::expiry(&answer, now, opts.clock_tolerance() as f64)?;
    }
    let opts = AccessTokenOptions { profile: Profile::Jwt, ..opts.clone() };
    access_token::check_claims(&answer, &opts, now)?;
    Ok(answer)
}

/// `STEPUP_INTROSPECTION_CACHE_SECONDS` when unset.
pub const DEFAULT_CACHE_SECONDS: u64 = 60;

/// How many answers a [`Cache`] holds at most.
pub const CACHE_ENTRIES: usize = 1024;

/// The answers believed lately, so a client's burst of calls with one token costs the provider
/// one introspection. Keyed by the token's SHA-256, never the token itself (a memory dump holds
/// no usable credential). An answer is kept for at most `max_age` seconds and never past the
/// token's `exp`; `max_age` 0 keeps nothing.
///
/// The trade-off (README, "Access-token profiles"): a token revoked at the provider is still
/// accepted until its answer here expires, up to `max_age` seconds; refusals are not kept, so a
/// token the provider starts accepting is seen at once.
#[derive(Debug)]
pub struct Cache {
    entries: HashMap<TokenDigest, Entry>,
    max_age: f64,
}

#[derive(Debug)]
struct Entry {
    claims: Object,
    until: f64,
}

impl Cache {
    /// An empty cache that keeps answers for `max_age` seconds at most.
    pub fn new(max_age: u64) -> Cache {
        Cache { entries: HashMap::new(), max_age: max_age as f64 }
    }

    /// The claims believed for the token with this [`digest`], while its answer holds at `now`.
    pub fn get(&self, token: &TokenDigest, now: f64) -> Option<Object> {
        self.entries.get(token).filter(|entry| now < entry.until).map(|entry| entry.claims.clone())
    }

    /// Keeps the claims [`read_answer`] accepted for the token with this [`digest`] at `now`,
    /// until `now + max_age` or the token's `exp`, whichever comes first. When full, expired
    /// answers go first, then the one that would expire soonest.
    pub fn keep(&mut self, token: TokenDigest, claims: Object, now: f64) {
        let exp = claims.get("exp").and_then(Value::as_f64).unwrap_or(f64::INFINITY);
        let until = (now + self.max_age).min(exp);
        if until <= now {
            return;
        }
        if self.entries.len() >= CACHE_ENTRIES {
            self.entries.retain(|_, entry| now < entry.until);
        }
        if self.entries.len() >= CACHE_ENTRIES {
            let soonest = self.entries.iter().min_by(|a, b| a.1.until.total_cmp(&b.1.until)).map(|(k, _)| *k);
            if let Some(soonest) = soonest {
                self.entries.remove(&soonest);
            }
        }
        self.entries.insert(token, Entry { claims, until });
    }
}

/// What a token is known by while it is cached or asked about: its SHA-256, never the token.
/// Computed once per request ([`digest`]) and handed to each step that needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest([u8; 32]);

/// The token's [`TokenDigest`].
pub fn digest(token: &str) -> TokenDigest {
    TokenDigest(Sha256::digest(token.as_bytes()).into())
}

#[cfg(test)]
mod tests;
