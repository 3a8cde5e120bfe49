//! JWT access token validation for resource servers (RFC 9068 §4) of claims whose signature has
//! been verified ([`crate::jws`]). Steps are numbered as in RFC 9068 §4.
//!
//! ## Design choices
//! - `typ` must be `at+jwt` or `application/at+jwt` (§4 step 2, RFC 8725 §3.11): an ID token
//!   for the same user is never an access token (catalog E12).
//! - `aud` must contain this API's resource identifier, not a client id (E13).
//! - `exp`, `iat`, `sub`, `client_id` and `jti` are required (§2.2, E14); `iat` may not lie in
//!   the future, but there is no maximum age: an access token lives until `exp`.
//! - **No sender-constrained tokens**: stepup does not verify DPoP proofs (RFC 9449) or mTLS
//!   bindings (RFC 8705), so a token with `cnf` is refused rather than accepted as a plain bearer
//!   token (E15).

use crate::acr::AcrPolicy;
use crate::claims::{self, DEFAULT_CLOCK_TOLERANCE};
use crate::json::Object;
use crate::jws::Alg;
use crate::options::{strings, Fields, FromJson};
use crate::step_up::Requirement;
use crate::{Error, Result};

/// The options of `verifyAccessToken`, in camelCase; unknown names are refused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessTokenOptions {
    /// The authorization server's issuer identifier, compared exactly.
    pub issuer: String,
    /// This API's resource identifier: `aud` must contain it.
    pub audience: String,
    /// A step-up requirement the claims must meet (RFC 9470).
    pub requirement: Option<Requirement>,
    /// The ACR policy for `requirement` (default: numeric-or-exact).
    pub policy: Option<AcrPolicy>,
    /// Allowed `alg` values (default `["RS256","PS256","ES256","EdDSA"]`).
    pub algorithms: Option<Vec<String>>,
    /// Seconds of clock skew tolerated (default 30).
    pub clock_tolerance: Option<u64>,
    /// Seconds since the epoch; the wasm layer reads the platform clock when absent.
    pub current_time: Option<f64>,
}

impl FromJson for AccessTokenOptions {
    fn from_json(value: &serde_json::Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &["issuer", "audience", "requirement?", "policy?", "algorithms?", "clockTolerance?", "currentTime?"],
        )?;
        Ok(AccessTokenOptions {
            issuer: o.string("issuer")?,
            audience: o.string("audience")?,
            requirement: o.object("requirement")?,
            policy: o.object("policy")?,
            algorithms: o.with("algorithms", strings)?,
            clock_tolerance: o.whole("clockTolerance")?,
            current_time: o.number("currentTime")?,
        })
    }
}

impl AccessTokenOptions {
    /// The allow-list, validated.
    pub fn algorithms(&self) -> Result<Vec<Alg>> {
        Alg::parse_list(self.algorithms.as_deref())
    }

    /// The clock tolerance in seconds.
    pub fn clock_tolerance(&self) -> u64 {
        self.clock_tolerance.unwrap_or(DEFAULT_CLOCK_TOLERANCE)
    }
}

/// Checks verified access token claims and their protected header at time `now` (seconds since
/// the epoch), following RFC 9068 §4.
pub fn check(claims: &Object, header: &Object, opts: &AccessTokenOptions, now: f64) -> Result<()> {
    claims::require_option("issuer", &opts.issuer)?;
    claims::require_option("audience", &opts.audience)?;
    claims::check_now(now)?;
    let tolerance = opts.clock_tolerance() as f64;

    // Step 2: `typ` must be `at+jwt` (the `application/` prefix is optional).
    match claims::typ(header)?.as_deref() {
        Some("at+jwt") => {}
        _ => return Err(Error::claim_invalid("typ", "must be \"at+jwt\" for an access token")),
    }
    // Step 4: the issuer exactly.
    claims::issuer(claims, &opts.issuer)?;
    // Step 5: the audience must include this resource server.
    claims::audience(claims, &opts.audience)?;
    // Step 7: `exp` (and, RFC 7519, `nbf`); §2.2 requires `iat`.
    claims::expiry(claims, now, tolerance)?;
    claims::not_before(claims, now, tolerance)?;
    claims::issued_at(claims, now, tolerance, None)?;
    // §2.2: the remaining required claims.
    claims::required_string(claims, "sub")?;
    claims::required_string(claims, "client_id")?;
    claims::required_string(claims, "jti")?;
    // Sender-constrained tokens need a proof stepup does not check.
    if claims.contains_key("cnf") {
        return Err(Error::claim_invalid("cnf", "sender-constrained tokens are not supported"));
    }
    // §2.2.1 and step 8: authentication information, then the step-up requirement.
    claims::acr_amr_types(claims)?;
    claims::auth_time(claims, now, tolerance)?;
    claims::requirement(claims, opts.requirement.as_ref(), opts.policy.as_ref(), now, opts.clock_tolerance())
}

#[cfg(test)]
mod tests;
