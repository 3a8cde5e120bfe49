//! Step-up decisions and the OAuth 2.0 Step Up Authentication Challenge (RFC 9470).
//!
//! - [`evaluate_step_up`] tells whether a token's claims meet a [`Requirement`] (`acr`, `amr`,
//!   `maxAge`) and, when they fall short, what to ask the identity provider for. A shortfall is a
//!   value, not an error: the caller decides whether to redirect, answer 401 or refuse.
//! - [`build_step_up_challenge`] writes the RFC 9470 §3 `WWW-Authenticate` value a resource server
//!   answers with; [`parse_step_up_challenge`] reads one (and the proprietary variants Okta,
//!   Microsoft Entra and Auth0 users meet) on the client side.
//!
//! Freshness is judged on `auth_time` only (OIDC Core §2; RFC 9470 §6 carries it in access
//! tokens): `iat` says when a token was minted, which a refresh does without the user doing
//! anything.

use base64ct::{Base64, Encoding};
use serde_json::{Map, Value};

use crate::acr::{check_acr_value, AcrList, AcrPolicy, PAPE_MULTI_FACTOR};
use crate::amr::{amr_satisfies, AmrRequirement};
use crate::options::{path, Fields, FromJson, Out};
use crate::{Error, Result, Shortfall};

/// The RFC 9470 §3 error code.
pub const INSUFFICIENT_USER_AUTHENTICATION: &str = "insufficient_user_authentication";
/// RFC 9470 §3's `error_description` when a different ACR is needed.
pub const ACR_DESCRIPTION: &str = "A different authentication level is required";
/// RFC 9470 §3's `error_description` when only a more recent authentication is needed.
pub const MAX_AGE_DESCRIPTION: &str = "More recent authentication is required";
/// The `error_description` when other authentication methods are needed and no ACR names them:
/// RFC 9470 has no parameter for methods, so the challenge asks for a new authentication
/// (`max_age` 0) and says why.
pub const AMR_DESCRIPTION: &str = "Authentication with other methods is required";

/// What a protected action needs: JavaScript's `{ acr?: string | string[], amr?: { all?, any? },
/// maxAge?: number }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirement {
    /// Acceptable ACR values, most preferred first; the token must satisfy one of them under the
    /// policy.
    pub acr: Option<AcrList>,
    /// Methods the token's `amr` must show.
    pub amr: Option<AmrRequirement>,
    /// Seconds since the user last actively authenticated (`auth_time`).
    pub max_age: Option<u64>,
}

impl Requirement {
    /// Refuses requirements that cannot be asked for or that say nothing where they seem to say
    /// something: ACR values that are empty, hold spaces or non-ASCII, or repeat; an empty `acr`
    /// list; an `amr` object naming no method.
    /// Parameters are named as JavaScript callers spell the requirement's members (`acr[1]`,
    /// `amr.all[0]`).
    pub fn check(&self) -> Result<()> {
        self.check_at("")
    }

    /// [`Requirement::check`], naming parameters under `prefix` (e.g. `STEPUP_RULES[2]`).
    pub fn check_at(&self, prefix: &str) -> Result<()> {
        if let Some(acr) = &self.acr {
            if acr.0.is_empty() {
                return Err(Error::arg_value(
                    path(prefix, "acr"),
                    "must list at least one value (leave acr out for no requirement)",
                ));
            }
            check_acr_list(&path(prefix, "acr"), &acr.0)?;
        }
        if let Some(amr) = &self.amr {
            if amr.is_empty() {
                return Err(Error::arg_value(
                    path(prefix, "amr"),
                    "must name methods in all or any (leave amr out for no requirement)",
                ));
            }
            amr.check_at(&path(prefix, "amr"))?;
        }
        Ok(())
    }
}

impl FromJson for Requirement {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["acr?", "amr?", "maxAge?"])?.refuse_null(&["acr", "amr", "maxAge"])?;
        Ok(Requirement { acr: o.object("acr")?, amr: o.object("amr")?, max_age: o.whole("maxAge")? })
    }
}

impl Requirement {
    /// The requirement as JavaScript's `{ acr?, amr?, maxAge? }`.
    pub fn to_json(&self) -> Value {
        Out::new()
            .maybe("acr", self.acr.as_ref().map(|l| l.0.clone()))
            .maybe("amr", self.amr.as_ref().map(AmrRequirement::to_json))
            .maybe("maxAge", self.max_age)
            .build()
    }
}

fn check_acr_list(param: &str, values: &[String]) -> Result<()> {
    for (i, value) in values.iter().enumerate() {
        let param = || format!("{param}[{i}]");
        check_acr_value(value).map_err(|why| Error::arg_value(param(), why))?;
        if values.iter().take(i).any(|v| v == value) {
            return Err(Error::arg_value(param(), format!("{value:?} is listed twice")));
        }
    }
    Ok(())
}

/// Which part of a requirement a token falls short of. JSON: `"acr"`, `"amr"`, `"max_age"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The `acr` claim is missing, not a string, or not good enough.
    Acr,
    /// The `amr` claim is missing, not an array, or lacks a required method.
    Amr,
    /// `auth_time` is missing, not a number, too old, or in the future.
    MaxAge,
}

/// What to ask the identity provider for when a requirement falls short: the one decision the
/// guard's browser redirect, its RFC 9470 challenge and the browser client all use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ask {
    /// `acr_values`, most preferred first (empty: none).
    pub acr_values: Vec<String>,
    /// `max_age` (RFC 9470 §3 carries it in the challenge too).
    pub max_age: Option<u64>,
    /// Whether to send `prompt=login` in an authorization request (a challenge cannot carry it;
    /// its `max_age` says the same).
    pub prompt_login: bool,
    /// The RFC 9470 §3 `error_description` of a challenge that asks for this: ACR values
    /// ([`ACR_DESCRIPTION`]), methods no ACR names ([`AMR_DESCRIPTION`]), or freshness
    /// ([`MAX_AGE_DESCRIPTION`]); empty when nothing is asked.
    pub description: &'static str,
}

impl Decision {
    /// What to ask for ([`Ask`]), from what fell short:
    ///
    /// - the ACR values and `max_age` the decision names (see [`evaluate_step_up`]);
    /// - when freshness fell short, `prompt=login` besides `max_age`: a provider that keeps a
    ///   session but ignores `max_age` must still authenticate again (OIDC Core 3.1.2.1);
    /// - when `amr` fell short and the policy names no ACR for the methods, there is nothing
    ///   standard to ask for but a new authentication: `max_age=0` and `prompt=login` (OIDC Core
    ///   3.1.2.1: `max_age=0` is `prompt=login`), so the user can choose the methods at the
    ///   provider; a challenge then says so in its `error_description`.
    ///
    /// A satisfied decision asks for nothing.
    pub fn ask(&self) -> Ask {
        if self.satisfied {
            return Ask::default();
        }
        let acr_values = self.acr_values.clone().unwrap_or_default();
        let amr_unnamed = self.reasons.contains(&Reason::Amr) && acr_values.is_empty();
        let max_age = match self.max_age {
            Some(max_age) => Some(if amr_unnamed { 0 } else { max_age }),
            None => amr_unnamed.then_some(0),
        };
        let prompt_login = self.reasons.contains(&Reason::MaxAge) || amr_unnamed;
        let description = if !acr_values.is_empty() {
            ACR_DESCRIPTION
        } else if amr_unnamed {
            AMR_DESCRIPTION
        } else {
            MAX_AGE_DESCRIPTION
        };
        Ask { acr_values, max_age, prompt_login, description }
    }
}

/// The outcome of [`evaluate_step_up`]: JavaScript's `{ satisfied, reasons, acrValues?, maxAge? }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// True when nothing fell short.
    pub satisfied: bool,
    /// What fell short, in the order acr, amr, max_age.
    pub reasons: Vec<Reason>,
    /// What to send as `acr_values` to step up, most preferred first.
    pub acr_values: Option<Vec<String>>,
    /// What to send as `max_age` to step up.
    pub max_age: Option<u64>,
}

impl Reason {
    /// The JSON name (`"max_age"`).
    pub fn name(self) -> &'static str {
        match self {
            Reason::Acr => "acr",
            Reason::Amr => "amr",
            Reason::MaxAge => "max_age",
        }
    }
}

impl Decision {
    /// The decision as JavaScript's `{ satisfied, reasons, acrValues?, maxAge? }`.
    pub fn to_json(&self) -> Value {
        Out::new()
            .set("satisfied", self.satisfied)
            .set("reasons", self.reasons.iter().map(|r| r.name()).collect::<Vec<_>>())
            .maybe("acrValues", self.acr_values.clone())
            .maybe("maxAge", self.max_age)
            .build()
    }

    /// The step-up error for the first reason (`ERR_ACR_NOT_SATISFIED`, `ERR_AMR_NOT_SATISFIED`,
    /// `ERR_AUTH_TIME_TOO_OLD`), carrying what to ask for; `None` when satisfied.
    pub fn error(&self) -> Option<Error> {
        let shortfall = Shortfall { acr_values: self.acr_values.clone().unwrap_or_default(), max_age: self.max_age };
        Some(match self.reasons.first()? {
            Reason::Acr => Error::AcrNotSatisfied(shortfall),
            Reason::Amr => Error::AmrNotSatisfied(shortfall),
            Reason::MaxAge => Error::AuthTimeTooOld(shortfall),
        })
    }
}

/// Judges a token's claims against a requirement at time `now` (seconds since the epoch).
///
/// - `acr`: the claim must be a non-empty string (an array, number, object or `""` is a shortfall,
///   never a match: catalog E07) satisfying one required value under `policy`, counting values
///   the policy derives from `amr` (`amrLevels`).
/// - `amr`: [`amr_satisfies`].
/// - `maxAge`: `auth_time` must be a JSON number (integer or fractional NumericDate); it is stale
///   when `now - auth_time > maxAge + clock_tolerance` and refused when it lies in the future
///   beyond the tolerance (`auth_time > now + clock_tolerance`). A missing `auth_time` is a
///   shortfall. `iat` is never used.
///
/// What to ask for: when `acr` or `amr` falls short and the requirement lists ACR values, those
/// values in the requirement's order. When only `amr` is required and falls short, the `acr` of
/// an `amrLevels` entry naming exactly the same methods (ignoring order), if the policy has one:
/// the policy's author declared that class and those methods to go together, and `acr_values`
/// is the only standard way to ask a provider for methods (Auth0: `multi-factor` for `mfa`).
/// Otherwise nothing, and the caller can only ask for a fresh sign-in. When `maxAge` falls
/// short, the requirement's `maxAge`.
///
/// Call [`Requirement::check`] and [`AcrPolicy::check`] first; an unchecked requirement is still
/// judged strictly (an empty `acr` list is never satisfied).
pub fn evaluate_step_up(
    claims: &Map<String, Value>,
    requirement: &Requirement,
    policy: &AcrPolicy,
    now: i64,
    clock_tolerance: u64,
) -> Decision {
    // Read (and mapped) only when something judges it: the guard's common rule is an `acr` alone.
    let amr = (requirement.amr.is_some() || !policy.amr_levels.is_empty())
        .then(|| policy.token_amr(claims.get("amr")))
        .flatten();
    let amr = amr.as_deref();
    let mut reasons = Vec::new();
    if let Some(required) = &requirement.acr {
        let acr = claims.get("acr").and_then(Value::as_str);
        if !policy.token_satisfies(acr, amr, &required.0) {
            reasons.push(Reason::Acr);
        }
    }
    if let Some(required) = &requirement.amr {
        if !amr_satisfies(amr, required) {
            reasons.push(Reason::Amr);
        }
    }
    if let Some(max_age) = requirement.max_age {
        if !is_fresh(claims.get("auth_time"), max_age, now, clock_tolerance) {
            reasons.push(Reason::MaxAge);
        }
    }

    let short_of_class = reasons.iter().any(|r| matches!(r, Reason::Acr | Reason::Amr));
    let acr_values = match (&requirement.acr, &requirement.amr) {
        _ if !short_of_class => None,
        (Some(required), _) => Some(required.0.clone()),
        (None, Some(required)) => acr_for_methods(policy, required).map(|acr| vec![acr]),
        (None, None) => None,
    };
    Decision {
        satisfied: reasons.is_empty(),
        max_age: requirement.max_age.filter(|_| reasons.contains(&Reason::MaxAge)),
        reasons,
        acr_values,
    }
}

/// The `acr` of the first `amrLevels` entry that names exactly the required methods.
fn acr_for_methods(policy: &AcrPolicy, required: &AmrRequirement) -> Option<String> {
    fn sorted(v: &[String]) -> Vec<&String> {
        let mut v: Vec<&String> = v.iter().collect();
        v.sort();
        v.dedup();
        v
    }
    let (all, any) = (sorted(&required.all), sorted(&required.any));
    policy.amr_levels.iter().find(|l| sorted(&l.all) == all && sorted(&l.any) == any).map(|l| l.acr.clone())
}

/// OIDC Core §2 `auth_time` is a NumericDate: a JSON number, possibly fractional. Integers are
/// compared exactly in 128 bits (no overflow for any `u64`/`i64`); fractions in `f64`, which is
/// exact for any plausible time.
fn is_fresh(auth_time: Option<&Value>, max_age: u64, now: i64, tolerance: u64) -> bool {
    let Some(Value::Number(n)) = auth_time else {
        return false;
    };
    if let Some(t) = n.as_i64() {
        let (t, now, max_age, tolerance) = (t as i128, now as i128, max_age as i128, tolerance as i128);
        return t <= now + tolerance && now - t <= max_age + tolerance;
    }
    if n.as_u64().is_some() {
        return false; // beyond i64::MAX: far in the future
    }
    match n.as_f64() {
        Some(t) if t.is_finite() => {
            let (now, max_age, tolerance) = (now as f64, max_age as f64, tolerance as f64);
            t <= now + tolerance && now - t <= max_age + tolerance
        }
        _ => false,
    }
}

/// The inputs of [`build_step_up_challenge`]: JavaScript's `{ acrValues?, maxAge?,
/// errorDescription?, realm? }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChallengeParams {
    /// ACR values to ask for, most preferred first.
    pub acr_values: Vec<String>,
    /// Maximum authentication age to ask for, in seconds.
    pub max_age: Option<u64>,
    /// Human-readable text; defaults to RFC 9470 §3's wording.
    pub error_description: Option<String>,
    /// The protection space (RFC 6750 §3), written first as RFC 6750's examples do.
    pub realm: Option<String>,
}

impl FromJson for ChallengeParams {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["acrValues?", "maxAge?", "errorDescription?", "realm?"])?;
        Ok(ChallengeParams {
            acr_values: o.strings("acrValues")?.unwrap_or_default(),
            max_age: o.whole("maxAge")?,
            error_description: o.str("errorDescription")?,
            realm: o.str("realm")?,
        })
    }
}

/// RFC 6750 §3: `error_description` (and, by stepup's choice, `realm` and ACR values) may hold only
/// %x20-21 / %x23-5B / %x5D-7E. `"` and `\` are refused rather than escaped: a value that needs
/// escaping is a value some parser will get wrong, and CR/LF could split the header (catalog E19).
/// `,` and `=` are allowed: inside a quoted-string they cannot start a parameter, and login.gov's
/// ACR values (`…/aal/2?phishing_resistant=true`) contain `=`.
fn check_header_text(param: &str, value: &str) -> Result<()> {
    if let Some(c) = value.chars().find(|&c| !matches!(c, ' '..='~') || c == '"' || c == '\\') {
        return Err(Error::arg_value(
            param,
            format!("may not contain {c:?} (only printable ASCII without '\"' and '\\\\')"),
        ));
    }
    Ok(())
}

/// Writes the RFC 9470 §3 `WWW-Authenticate` value:
/// `Bearer realm="…", error="insufficient_user_authentication", error_description="…",
/// acr_values="a b", max_age="300"` (realm only when given, `acr_values` and `max_age` only when
/// asked for; values quoted as in the RFC's examples). Needs `acrValues` or `maxAge`. The default
/// description is RFC 9470's "A different authentication level is required" when ACR values are
/// asked for, else "More recent authentication is required".
pub fn build_step_up_challenge(params: &ChallengeParams) -> Result<String> {
    if params.acr_values.is_empty() && params.max_age.is_none() {
        return Err(Error::arg_value("acrValues", "a challenge needs acrValues or maxAge"));
    }
    for (i, value) in params.acr_values.iter().enumerate() {
        let param = format!("acrValues[{i}]");
        if value.is_empty() || value.contains(' ') {
            return Err(Error::arg_value(param, "must be non-empty without spaces"));
        }
        check_header_text(&param, value)?;
        if params.acr_values.iter().take(i).any(|v| v == value) {
            return Err(Error::arg_value(param, format!("{value:?} is listed twice")));
        }
    }
    if let Some(description) = &params.error_description {
        if description.is_empty() {
            return Err(Error::arg_value("errorDescription", "must not be empty"));
        }
        check_header_text("errorDescription", description)?;
    }
    if let Some(realm) = &params.realm {
        check_header_text("realm", realm)?;
    }

    let default_description = if params.acr_values.is_empty() { MAX_AGE_DESCRIPTION } else { ACR_DESCRIPTION };
    let description = params.error_description.as_deref().unwrap_or(default_description);
    let mut header = String::from("Bearer ");
    if let Some(realm) = &params.realm {
        header.push_str(&format!("realm=\"{realm}\", "));
    }
    header.push_str(&format!("error=\"{INSUFFICIENT_USER_AUTHENTICATION}\", error_description=\"{description}\""));
    if !params.acr_values.is_empty() {
        header.push_str(&format!(", acr_values=\"{}\"", params.acr_values.join(" ")));
    }
    if let Some(max_age) = params.max_age {
        header.push_str(&format!(", max_age=\"{max_age}\""));
    }
    Ok(header)
}

/// Which signal a [`Challenge`] was read from. JSON: `"rfc9470"`, `"okta"`, `"entra"`, `"auth0"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// `error="insufficient_user_authentication"` (RFC 9470 §3).
    Rfc9470,
    /// `error="insufficient_authentication_context"`: Okta's MyAccount API answers 403 with it,
    /// `max_age` and sometimes `acr_values` (Okta's MyAccount API reference; okta-auth-js handles
    /// it as a re-authentication request).
    Okta,
    /// `error="insufficient_claims"` with `claims="<base64 JSON>"`: a Microsoft Entra claims
    /// challenge (Conditional Access authentication context, or continuous access evaluation).
    Entra,
    /// `error="mfa_required"`: Auth0's token endpoint error for "multi-factor authentication is
    /// needed", as an API built on Auth0 may forward it in a Bearer challenge.
    Auth0,
}

/// A step-up challenge read from a `WWW-Authenticate` value: JavaScript's `{ kind, scheme, error,
/// errorDescription?, acrValues, maxAge?, realm?, claims?, claimsRequest? }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    /// Which signal it was.
    pub kind: ChallengeKind,
    /// `"Bearer"` or `"DPoP"` (the token type to come back with).
    pub scheme: String,
    /// The `error` code as sent.
    pub error: String,
    /// `error_description` as sent (untrusted text: escape before display).
    pub error_description: Option<String>,
    /// ACR values to ask for, in the server's order of preference, without repeats. For Entra the
    /// `acrs` values of the claims request; for Auth0 without `acr_values`, PAPE multi-factor.
    pub acr_values: Vec<String>,
    /// `max_age` to ask for.
    pub max_age: Option<u64>,
    /// `realm` as sent.
    pub realm: Option<String>,
    /// Entra: the `claims` parameter exactly as sent (base64).
    pub claims: Option<String>,
    /// Entra: the decoded claims request, to send as the authorization request's `claims`.
    pub claims_request: Option<Map<String, Value>>,
}

impl ChallengeKind {
    /// The JSON name (`"rfc9470"`).
    pub fn name(self) -> &'static str {
        match self {
            ChallengeKind::Rfc9470 => "rfc9470",
            ChallengeKind::Okta => "okta",
            ChallengeKind::Entra => "entra",
            ChallengeKind::Auth0 => "auth0",
        }
    }
}

impl Challenge {
    /// The challenge as JavaScript's `{ kind, scheme, error, errorDescription?, acrValues, maxAge?,
    /// realm?, claims?, claimsRequest? }`.
    pub fn to_json(&self) -> Value {
        Out::new()
            .set("kind", self.kind.name())
            .set("scheme", self.scheme.as_str())
            .set("error", self.error.as_str())
            .maybe("errorDescription", self.error_description.as_deref())
            .set("acrValues", self.acr_values.clone())
            .maybe("maxAge", self.max_age)
            .maybe("realm", self.realm.as_deref())
            .maybe("claims", self.claims.as_deref())
            .maybe("claimsRequest", self.claims_request.clone())
            .build()
    }
}

/// One challenge of a `WWW-Authenticate` value (RFC 9110 §11.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthChallenge {
    /// The auth-scheme, lower-cased (schemes are case-insensitive).
    pub scheme: String,
    /// auth-params in order, names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
    /// The token68 form, when the challenge has one instead of parameters.
    pub token68: Option<String>,
}

impl AuthChallenge {
    /// The value of the parameter `name` (lower case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Parses a `WWW-Authenticate` field value into its challenges (RFC 9110 §11.6.1 and §5.6):
/// `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, `auth-param = token BWS "=" BWS
/// ( token / quoted-string )`, empty list elements allowed. Several field lines must be joined with
/// `", "` first (RFC 9110 §5.3), as `fetch`'s `Headers.get` does.
///
/// Returns `None` for anything malformed (unterminated or badly escaped quoted-string, control
/// characters, junk after a value, token68 followed by parameters) and for a parameter named twice
/// in one challenge, which RFC 9110 §11.2 forbids; there is no "last one wins" to exploit. A
/// scheme alone (`Bearer`, RFC 6750 §3's answer to a request without a token) is a challenge.
/// One pass, no backtracking beyond one token: linear in the input.
pub fn parse_www_authenticate(header: &str) -> Option<Vec<AuthChallenge>> {
    let mut c = Cursor { s: header.as_bytes(), pos: 0 };
    let mut challenges = Vec::new();
    loop {
        c.skip_separators();
        if c.at_end() {
            return Some(challenges);
        }
        let scheme = c.token()?.to_ascii_lowercase();
        let mut challenge = AuthChallenge { scheme, params: Vec::new(), token68: None };
        let spaced = c.skip_ows();
        match c.peek() {
            None => {
                challenges.push(challenge);
                continue;
            }
            // `Scheme , a=b` opens its parameter list with an empty element; `Scheme, Other` and
            // `Scheme,a=b` end the challenge (a parameter needs the space after the scheme).
            Some(b',') => {
                if !(spaced && c.param_follows()) {
                    challenges.push(challenge);
                    continue;
                }
            }
            _ if !spaced => return None,
            _ => {
                if let Some(token68) = c.token68() {
                    challenge.token68 = Some(token68.to_string());
                    challenges.push(challenge);
                    continue;
                }
            }
        }
        loop {
            let name = c.token()?.to_ascii_lowercase();
            c.skip_ows();
            if c.peek() != Some(b'=') {
                return None;
            }
            c.pos += 1;
            c.skip_ows();
            let value = match c.peek() {
                Some(b'"') => c.quoted_string()?,
                _ => c.token()?.to_string(),
            };
            if challenge.param(&name).is_some() {
                return None;
            }
            challenge.params.push((name, value));
            c.skip_ows();
            match c.peek() {
                None => break,
                Some(b',') if c.param_follows() => {}
                Some(b',') => break,
                Some(_) => return None,
            }
        }
        challenges.push(challenge);
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

/// A `tchar` of RFC 9110 §5.6.2: what a token (a method, a header name) is made of.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// OWS; true if any whitespace was skipped.
    fn skip_ows(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Whitespace and the commas of empty list elements.
    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    fn slice(&self, start: usize) -> Option<&'a str> {
        std::str::from_utf8(self.s.get(start..self.pos)?).ok()
    }

    /// Skips separators and tells whether an auth-param (`token BWS "="`) follows, leaving the
    /// cursor at its name; anything else starts the next challenge.
    fn param_follows(&mut self) -> bool {
        self.skip_separators();
        let start = self.pos;
        let is_param = self.token().is_some() && {
            self.skip_ows();
            self.peek() == Some(b'=')
        };
        self.pos = start;
        is_param
    }

    /// `1*tchar`.
    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        self.slice(start)
    }

    /// `token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`, taken only when
    /// the challenge ends right after it; otherwise the cursor is left where it was.
    fn token68(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)) {
            self.pos += 1;
        }
        if self.pos > start {
            while self.peek() == Some(b'=') {
                self.pos += 1;
            }
            let end = self.pos;
            self.skip_ows();
            if matches!(self.peek(), None | Some(b',')) {
                return std::str::from_utf8(self.s.get(start..end)?).ok();
            }
        }
        self.pos = start;
        None
    }

    /// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`, unescaped. qdtext is HTAB, SP,
    /// visible ASCII but `"` and `\`, and obs-text (bytes 0x80-0xFF, i.e. UTF-8 here).
    fn quoted_string(&mut self) -> Option<String> {
        self.pos += 1; // the opening quote
        let mut value = Vec::new();
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'"' => return String::from_utf8(value).ok(),
                b'\\' => {
                    let escaped = self.peek()?;
                    if !matches!(escaped, b'\t' | 0x20..=0x7e | 0x80..=0xff) {
                        return None;
                    }
                    value.push(escaped);
                    self.pos += 1;
                }
                b'\t' | 0x20..=0x7e | 0x80..=0xff => value.push(b),
                _ => return None,
            }
        }
    }
}

/// Reads the first step-up challenge of a `WWW-Authenticate` value: the first `Bearer` or `DPoP`
/// challenge (schemes case-insensitive) whose `error` is one of the [`ChallengeKind`] codes.
/// `acr_values` is split on spaces; `max_age` may be a token or a quoted-string (`max_age=5` and
/// `max_age="5"`).
///
/// `None` when no such challenge is present (other errors such as `invalid_token` are not step-up
/// signals), when the header is malformed (see [`parse_www_authenticate`]), and when the
/// challenge found carries a value stepup cannot use as is: an ACR value with control or
/// non-ASCII characters, a `max_age` that is not a decimal number of seconds, or an Entra `claims`
/// that is not strict padded base64 of a JSON object with string `acrs` values. Never panics, for
/// any input.
pub fn parse_step_up_challenge(header: &str) -> Option<Challenge> {
    let challenges = parse_www_authenticate(header)?;
    for challenge in &challenges {
        let scheme = match challenge.scheme.as_str() {
            "bearer" => "Bearer",
            "dpop" => "DPoP",
            _ => continue,
        };
        let kind = match challenge.param("error") {
            Some(INSUFFICIENT_USER_AUTHENTICATION) => ChallengeKind::Rfc9470,
            Some("insufficient_authentication_context") => ChallengeKind::Okta,
            Some("insufficient_claims") => ChallengeKind::Entra,
            Some("mfa_required") => ChallengeKind::Auth0,
            _ => continue,
        };
        return step_up_challenge(kind, scheme, challenge);
    }
    None
}

fn step_up_challenge(kind: ChallengeKind, scheme: &str, challenge: &AuthChallenge) -> Option<Challenge> {
    let mut acr_values = match challenge.param("acr_values") {
        Some(values) => split_acr_values(values)?,
        None => Vec::new(),
    };
    let max_age = match challenge.param("max_age") {
        // A number of seconds JavaScript holds exactly, or no usable challenge.
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Some(text.parse::<u64>().ok().filter(|&s| s as f64 <= crate::claims::MAX_NUMERIC_DATE)?)
        }
        Some(_) => return None,
        None => None,
    };
    let (mut claims, mut claims_request) = (None, None);
    match kind {
        ChallengeKind::Entra => {
            // Entra requires `claims` with this error; without it there is nothing to ask for.
            let raw = challenge.param("claims")?;
            let (request, acrs) = decode_claims_challenge(raw)?;
            for acr in acrs {
                if !acr_values.contains(&acr) {
                    acr_values.push(acr);
                }
            }
            claims = Some(raw.to_string());
            claims_request = Some(request);
        }
        ChallengeKind::Auth0 if acr_values.is_empty() => {
            acr_values.push(PAPE_MULTI_FACTOR.to_string());
        }
        _ => {}
    }
    Some(Challenge {
        kind,
        scheme: scheme.to_string(),
        error: challenge.param("error").unwrap_or_default().to_string(),
        error_description: challenge.param("error_description").map(str::to_string),
        acr_values,
        max_age,
        realm: challenge.param("realm").map(str::to_string),
        claims,
        claims_request,
    })
}

/// RFC 9470 §3 `acr_values`: space-separated, in order of preference. Runs of spaces are
/// tolerated; a value with other whitespace, control or non-ASCII characters is not.
fn split_acr_values(values: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for value in values.split(' ').filter(|v| !v.is_empty()) {
        check_acr_value(value).ok()?;
        if !out.iter().any(|v| v == value) {
            out.push(value.to_string());
        }
    }
    Some(out)
}

/// An Entra claims challenge: standard padded base64 of a claims request such as
/// `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`. Returns the request and the
/// `access_token.acrs` values (`value` and/or `values`); a request without `acrs` (continuous
/// access evaluation asks for a fresh `nbf`) has none.
fn decode_claims_challenge(raw: &str) -> Option<(Map<String, Value>, Vec<String>)> {
    let bytes = Base64::decode_vec(raw).ok()?;
    let request = crate::json::parse_object(&bytes).ok()?;
    let mut acrs = Vec::new();
    let acr_request = match request.get("access_token") {
        None => None,
        Some(Value::Object(access_token)) => access_token.get("acrs"),
        Some(_) => return None,
    };
    match acr_request {
        None => {}
        Some(Value::Object(acr_request)) => {
            if let Some(value) = acr_request.get("value") {
                acrs.push(value.as_str()?.to_string());
            }
            match acr_request.get("values") {
                None => {}
                Some(Value::Array(values)) => {
                    for value in values {
                        acrs.push(value.as_str()?.to_string());
                    }
                }
                Some(_) => return None,
            }
        }
        Some(_) => return None,
    }
    let mut unique: Vec<String> = Vec::new();
    for acr in acrs {
        check_acr_value(&acr).ok()?;
        if !unique.contains(&acr) {
            unique.push(acr);
        }
    }
    Some((request, unique))
}

#[cfg(test)]
mod tests;
