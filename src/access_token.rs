//! JWT access token validation for resource servers of claims whose signature has been verified
//! ([`crate::jws`]), in one of two profiles ([`Profile`]): RFC 9068 (steps numbered as in its §4),
//! or the plain signed JWTs most providers issue by default.
//!
//! ## Design choices
//! - **RFC 9068** ([`Profile::Rfc9068`], the default): `typ` must be `at+jwt` or
//!   `application/at+jwt` (§4 step 2, RFC 8725 §3.11): an ID token for the same user is never an
//!   access token (catalog E12). `exp`, `iat`, `sub`, `client_id` and `jti` are required (§2.2,
//!   E14); `iat` may not lie in the future, but there is no maximum age: an access token lives
//!   until `exp`.
//! - **Plain JWT** ([`Profile::Jwt`]): what Fief and Auth0 issue (README, "Access-token
//!   profiles"): `typ` absent, `JWT` or `at+jwt`; `iss`, `aud`, `exp` and `sub` as above, `iat`
//!   and `nbf` checked when present. Without explicit typing, what keeps an ID token out (E12) is
//!   RFC 8725 §3.12's mutually exclusive rules: a token carrying a claim only ID tokens carry
//!   (`nonce`, OIDC Core 3.1.2.1, which every sign-in stepup makes sends; `at_hash` and `c_hash`,
//!   OIDC Core 3.3.2.11) or a logout token's `events` is refused, and `aud` must be the API.
//!   An ID token without any of them, for a client whose id is also the API's audience (Fief's
//!   access tokens are for the client id) would pass: the README says so.
//! - Both: `aud` must contain this API's resource identifier, not a client id (E13); `acr`,
//!   `amr` and `auth_time` are used when present (RFC 9068 §2.2.1), and a requirement that needs
//!   one that is absent is not met (RFC 9470 §3).
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

/// Which shape of access token an API accepts (`accessTokenProfile`,
/// `STEPUP_ACCESS_TOKEN_PROFILE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// RFC 9068: `typ` `at+jwt` and its required claims.
    #[default]
    Rfc9068,
    /// A signed JWT without RFC 9068's typing and claims (Fief, Auth0, Okta, Entra).
    Jwt,
}

/// The profiles by their option names, for reading.
pub const PROFILES: [(&str, Profile); 2] = [("rfc9068", Profile::Rfc9068), ("jwt", Profile::Jwt)];

/// How the guard verifies the access tokens it is sent (`STEPUP_ACCESS_TOKEN_PROFILE`): as signed
/// JWTs of a [`Profile`], or by asking the provider about each one (RFC 7662,
/// [`crate::introspection`]), which only the guard can do: `verifyAccessToken` has no network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// A signed JWT, checked locally against the key set.
    Signed(Profile),
    /// An opaque token (or any token), judged by the provider's introspection endpoint.
    Introspection,
}

impl Default for Verification {
    fn default() -> Self {
        Verification::Signed(Profile::default())
    }
}

/// The guard's profiles by their setting names.
pub const VERIFICATIONS: [(&str, Verification); 3] = [
    ("rfc9068", Verification::Signed(Profile::Rfc9068)),
    ("jwt", Verification::Signed(Profile::Jwt)),
    ("introspection", Verification::Introspection),
];

/// What a provider preset's provider issues by default, by the preset's name (`acrPolicy`,
/// `STEPUP_ACR_POLICY`); `None` for presets that name no provider. The README's "Access-token
/// profiles" table gives each provider's documentation:
/// - `fief`: JWTs carrying `acr` (Fief's "ACR" page), only `alg` and `kid` in the header, the
///   client id as `aud`: [`Profile::Jwt`].
/// - `auth0`: JWTs typed `JWT` with an `aud` array (the API and `/userinfo`): [`Profile::Jwt`].
/// - `wso2`: opaque by default (WSO2's "ACR and AMR" page answers with a UUID access token), and
///   `janssen`: opaque unless a client sets `access_token_as_jwt` (Janssen's client
///   registration), both with an RFC 7662 `introspection_endpoint`:
///   [`Verification::Introspection`].
pub fn issued_by(preset: &str) -> Option<Verification> {
    match preset {
        "fief" | "auth0" => Some(Verification::Signed(Profile::Jwt)),
        "wso2" | "janssen" => Some(Verification::Introspection),
        _ => None,
    }
}

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
    /// The shape of token accepted (default RFC 9068).
    pub profile: Profile,
}

impl FromJson for AccessTokenOptions {
    fn from_json(value: &serde_json::Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "issuer",
                "audience",
                "requirement?",
                "policy?",
                "algorithms?",
                "clockTolerance?",
                "currentTime?",
                "accessTokenProfile?",
            ],
        )?;
        Ok(AccessTokenOptions {
            issuer: o.string("issuer")?,
            audience: o.string("audience")?,
            requirement: o.object("requirement")?,
            policy: o.object("policy")?,
            algorithms: o.with("algorithms", strings)?,
            clock_tolerance: o.whole("clockTolerance")?,
            current_time: o.number("currentTime")?,
            profile: o.one_of("accessTokenProfile", &PROFILES)?.unwrap_or_default(),
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
/// the epoch), in the options' profile: RFC 9068 §4 (its steps numbered), or a plain JWT.
pub fn check(claims: &Object, header: &Object, opts: &AccessTokenOptions, now: f64) -> Result<()> {
    claims::require_option("issuer", &opts.issuer)?;
    claims::require_option("audience", &opts.audience)?;
    claims::check_now(now)?;
    let tolerance = opts.clock_tolerance() as f64;

    match opts.profile {
        Profile::Rfc9068 => rfc9068_typ(header)?,
        Profile::Jwt => jwt_typ(claims, header)?,
    }
    // Step 4: the issuer exactly.
    claims::issuer(claims, &opts.issuer)?;
    // Step 5: the audience must include this resource server.
    claims::audience(claims, &opts.audience)?;
    // Step 7: `exp`.
    claims::expiry(claims, now, tolerance)?;
    check_claims(claims, opts, now)
}

/// What every access token's claims are judged by once its issuer, audience and expiry are
/// known good, whether read from a verified JWT ([`check`]) or from the provider's
/// introspection answer ([`crate::introspection::read_answer`]): `nbf` and `iat` (RFC 7519),
/// the subject and RFC 9068's other required claims, no sender constraint, then the
/// authentication information and the step-up requirement.
pub(crate) fn check_claims(claims: &Object, opts: &AccessTokenOptions, now: f64) -> Result<()> {
    let tolerance = opts.clock_tolerance() as f64;
    // Step 7 (RFC 7519): `nbf`; §2.2 requires `iat`, which a plain JWT may leave out
    // (RFC 7519 §4.1.6) but may not date in the future.
    claims::not_before(claims, now, tolerance)?;
    if opts.profile == Profile::Rfc9068 || claims.contains_key("iat") {
        claims::issued_at(claims, now, tolerance, None)?;
    }
    // §2.2: the remaining required claims; `sub` in both profiles, it is who is forwarded.
    claims::required_string(claims, "sub")?;
    if opts.profile == Profile::Rfc9068 {
        claims::required_string(claims, "client_id")?;
        claims::required_string(claims, "jti")?;
    }
    // Sender-constrained tokens need a proof stepup does not check.
    if claims.contains_key("cnf") {
        return Err(Error::claim_invalid("cnf", "sender-constrained tokens are not supported"));
    }
    // §2.2.1 and step 8: authentication information, then the step-up requirement.
    claims::acr_amr_types(claims)?;
    claims::auth_time(claims, now, tolerance)?;
    claims::requirement(claims, opts.requirement.as_ref(), opts.policy.as_ref(), now, opts.clock_tolerance())
}

/// RFC 9068 step 2: `typ` must be `at+jwt` (the `application/` prefix is optional).
fn rfc9068_typ(header: &Object) -> Result<()> {
    match claims::typ(header)?.as_deref() {
        Some("at+jwt") => Ok(()),
        _ => Err(Error::claim_invalid("typ", "must be \"at+jwt\" for an access token")),
    }
}

/// Claims only an ID token or a logout token carries (module docs, E12, D29).
const NOT_ACCESS_TOKEN_CLAIMS: [(&str, &str); 4] = [
    ("nonce", "a token with \"nonce\" is an ID token"),
    ("at_hash", "a token with \"at_hash\" is an ID token"),
    ("c_hash", "a token with \"c_hash\" is an ID token"),
    ("events", "a token with \"events\" is a logout token"),
];

/// A plain JWT access token: typed `JWT` (or `application/jwt`), `at+jwt`, or not at all, and
/// without the claims that make it an ID token or a logout token (RFC 8725 §3.12).
fn jwt_typ(claims: &Object, header: &Object) -> Result<()> {
    match claims::typ(header)?.as_deref() {
        None | Some("jwt") | Some("at+jwt") => {}
        Some(other) => return Err(Error::claim_invalid("typ", format!("{other:?} is not an access token type"))),
    }
    match NOT_ACCESS_TOKEN_CLAIMS.iter().find(|(name, _)| claims.contains_key(*name)) {
        Some((_, why)) => Err(Error::claim_invalid("typ", *why)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
