//! ID token validation (OpenID Connect Core 1.0 §3.1.3.7) of claims whose signature has been
//! verified ([`crate::jws`]). [`check`] follows the section's numbered steps; steps 1 (decrypt),
//! 6–8 (TLS, `alg`, MAC) belong to [`crate::jws`] and the caller's allow-list.
//!
//! Beyond the numbered steps, and why:
//! - `typ` must be absent, `JWT` or `application/jwt` (RFC 8725 §3.11): an access token
//!   (`at+jwt`) or a logout token (`logout+jwt`, or any token with an `events` claim,
//!   OIDC Back-Channel Logout §2.4) is never an ID token (catalog D25, D29).
//! - `sub` is a string of 1 to 255 ASCII characters (OIDC Core §2, D10, D11).
//! - `iat` older than `maxTokenAge` (default 24 hours) is refused (D13): ID tokens are checked
//!   right after the code exchange, so a day-old one is a replay, not a slow network.
//! - `nbf` is honoured when present (RFC 7519 §4.1.5).
//! - `acr` must be a non-empty string and `amr` an array of strings when present (E07, E09).

use std::fmt;

use serde_json::Value;

use crate::acr::AcrPolicy;
use crate::claims::{self, DEFAULT_CLOCK_TOLERANCE};
use crate::json::Object;
use crate::jws::Alg;
use crate::options::{strings, Fields, FromJson};
use crate::secret::{redact, same};
use crate::step_up::Requirement;
use crate::{Error, Result, Shortfall};

/// The default `maxTokenAge`: how old an ID token's `iat` may be, in seconds.
pub const DEFAULT_MAX_TOKEN_AGE: u64 = 24 * 60 * 60;

/// The longest `sub` (OIDC Core §2).
pub const MAX_SUB_LENGTH: usize = 255;

/// The options of `verifyIdToken`; JavaScript passes them in camelCase and unknown names are
/// refused so that a typo never drops a check. `Debug` leaves out the nonce.
#[derive(Clone, Default, PartialEq)]
pub struct IdTokenOptions {
    /// The expected `iss`, compared exactly.
    pub issuer: String,
    /// The client id: `aud` must contain it, `azp` must equal it.
    pub audience: String,
    /// The `nonce` sent with the authentication request; absent, a token carrying a nonce is
    /// refused.
    pub expected_nonce: Option<String>,
    /// The token answers a refresh (OIDC Core 12.2): it need not repeat the nonce, but one it
    /// carries must be `expected_nonce`. Internal to the browser client.
    pub refreshed: bool,
    /// The `max_age` sent with the request, in seconds; then `auth_time` is required.
    pub max_age: Option<u64>,
    /// A step-up requirement the claims must meet ([`crate::step_up::evaluate_step_up`]).
    pub requirement: Option<Requirement>,
    /// The ACR policy for `requirement` (default: numeric-or-exact).
    pub policy: Option<AcrPolicy>,
    /// Allowed `alg` values (default `["RS256","PS256","ES256","EdDSA"]`).
    pub algorithms: Option<Vec<String>>,
    /// Seconds of clock skew tolerated (default 30).
    pub clock_tolerance: Option<u64>,
    /// Seconds since the epoch; the wasm layer reads the platform clock when absent.
    pub current_time: Option<f64>,
    /// How old `iat` may be, in seconds (default 86400).
    pub max_token_age: Option<u64>,
}

impl FromJson for IdTokenOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "issuer",
                "audience",
                "expectedNonce?",
                "maxAge?",
                "requirement?",
                "policy?",
                "algorithms?",
                "clockTolerance?",
                "currentTime?",
                "maxTokenAge?",
            ],
        )?;
        Ok(IdTokenOptions {
            issuer: o.string("issuer")?,
            audience: o.string("audience")?,
            expected_nonce: o.str("expectedNonce")?,
            refreshed: false,
            max_age: o.whole("maxAge")?,
            requirement: o.object("requirement")?,
            policy: o.object("policy")?,
            algorithms: o.with("algorithms", strings)?,
            clock_tolerance: o.whole("clockTolerance")?,
            current_time: o.number("currentTime")?,
            max_token_age: o.whole("maxTokenAge")?,
        })
    }
}

/// The nonce binds the ID token to this browser's request (OIDC Core 15.5.2); whoever learns it
/// before the token arrives can replay a token in its place.
impl fmt::Debug for IdTokenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let IdTokenOptions {
            issuer,
            audience,
            expected_nonce,
            refreshed,
            max_age,
            requirement,
            policy,
            algorithms,
            clock_tolerance,
            current_time,
            max_token_age,
        } = self;
        f.debug_struct("IdTokenOptions")
            .field("issuer", issuer)
            .field("audience", audience)
            .field("expected_nonce", &redact(expected_nonce))
            .field("refreshed", refreshed)
            .field("max_age", max_age)
            .field("requirement", requirement)
            .field("policy", policy)
            .field("algorithms", algorithms)
            .field("clock_tolerance", clock_tolerance)
            .field("current_time", current_time)
            .field("max_token_age", max_token_age)
            .finish()
    }
}

impl IdTokenOptions {
    /// The allow-list, validated.
    pub fn algorithms(&self) -> Result<Vec<Alg>> {
        Alg::parse_list(self.algorithms.as_deref())
    }

    /// The clock tolerance in seconds.
    pub fn clock_tolerance(&self) -> u64 {
        self.clock_tolerance.unwrap_or(DEFAULT_CLOCK_TOLERANCE)
    }
}

/// Checks verified ID token claims and their protected header at time `now` (seconds since the
/// epoch), following OIDC Core 3.1.3.7.
pub fn check(claims: &Object, header: &Object, opts: &IdTokenOptions, now: f64) -> Result<()> {
    claims::require_option("issuer", &opts.issuer)?;
    claims::require_option("audience", &opts.audience)?;
    claims::check_now(now)?;
    let tolerance = opts.clock_tolerance() as f64;

    // RFC 8725 §3.11: explicit typing keeps other JWTs of the same issuer out.
    check_typ(claims, header)?;
    // Step 2: the issuer must exactly match the one the client expects.
    claims::issuer(claims, &opts.issuer)?;
    // Step 3: `aud` must contain the client id; other audiences are only allowed with step 4.
    let audiences = claims::audience(claims, &opts.audience)?;
    // Steps 4 and 5: with several audiences `azp` is required; when present it must be us,
    // even with a single audience (catalog D09).
    check_azp(claims, &audiences, &opts.audience)?;
    // OIDC Core §2: `sub` identifies the user within the issuer.
    check_sub(claims)?;
    // Step 9: the current time must be before `exp`.
    claims::expiry(claims, now, tolerance)?;
    // RFC 7519 §4.1.5: not before `nbf`.
    claims::not_before(claims, now, tolerance)?;
    // Step 10: `iat` rejects tokens issued too far from now.
    let max_token_age = opts.max_token_age.unwrap_or(DEFAULT_MAX_TOKEN_AGE);
    claims::issued_at(claims, now, tolerance, Some(max_token_age))?;
    // Step 11: the nonce binds the token to this authentication request.
    check_nonce(claims, opts.expected_nonce.as_deref(), opts.refreshed)?;
    // Step 12: `acr` (and `amr`) must at least be well typed; whether they are appropriate is
    // the requirement's business below.
    claims::acr_amr_types(claims)?;
    // Step 13: with `max_age`, `auth_time` is required and must be recent enough.
    check_auth_time(claims, opts.max_age, now, opts.clock_tolerance())?;
    claims::requirement(claims, opts.requirement.as_ref(), opts.policy.as_ref(), now, opts.clock_tolerance())
}

fn check_typ(claims: &Object, header: &Object) -> Result<()> {
    match claims::typ(header)?.as_deref() {
        None | Some("jwt") => {}
        Some(other) => return Err(Error::claim_invalid("typ", format!("{other:?} is not an id token type"))),
    }
    if claims.contains_key("events") {
        return Err(Error::claim_invalid("typ", "a token with \"events\" is a logout token"));
    }
    Ok(())
}

fn check_azp(claims: &Object, audiences: &[&str], client_id: &str) -> Result<()> {
    match claims::string_claim(claims, "azp")? {
        Some(azp) if azp != client_id => Err(Error::claim_invalid("azp", "is not the client id")),
        None if audiences.len() > 1 => Err(Error::claim_invalid("azp", "is required when there are several audiences")),
        _ => Ok(()),
    }
}

fn check_sub(claims: &Object) -> Result<()> {
    let sub = claims::required_string(claims, "sub")?;
    if sub.len() > MAX_SUB_LENGTH || !sub.is_ascii() {
        return Err(Error::claim_invalid("sub", "must be at most 255 ASCII characters"));
    }
    Ok(())
}

fn check_nonce(claims: &Object, expected: Option<&str>, refreshed: bool) -> Result<()> {
    match (claims.get("nonce"), expected) {
        (None, None) => Ok(()),
        (None, Some(_)) if refreshed => Ok(()),
        (Some(_), None) => Err(Error::claim_invalid("nonce", "no nonce was expected")),
        (None, Some(_)) => Err(Error::claim_invalid("nonce", "is missing")),
        (Some(Value::String(nonce)), Some(expected)) if same(nonce, expected) => Ok(()),
        (Some(Value::String(_)), Some(_)) => Err(Error::claim_invalid("nonce", "is not the expected nonce")),
        (Some(_), Some(_)) => Err(Error::claim_invalid("nonce", "must be a string")),
    }
}

/// OIDC Core 3.1.2.1: with `max_age` the token must carry `auth_time`, and the authentication
/// must be no older than `max_age` (plus the tolerance). Too old is a step-up shortfall.
fn check_auth_time(claims: &Object, max_age: Option<u64>, now: f64, tolerance: u64) -> Result<()> {
    let auth_time = claims::auth_time(claims, now, tolerance as f64)?;
    let Some(max_age) = max_age else {
        return Ok(());
    };
    let Some(auth_time) = auth_time else {
        return Err(Error::claim_invalid("auth_time", "is required when maxAge is set"));
    };
    if now - auth_time > max_age as f64 + tolerance as f64 {
        return Err(Error::AuthTimeTooOld(Shortfall { acr_values: Vec::new(), max_age: Some(max_age) }));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
