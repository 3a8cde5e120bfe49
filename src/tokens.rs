//! The browser client's tokens, kept per satisfied requirement (RFC 9470 §2: "the client can
//! keep the tokens obtained at different authentication levels and use the one appropriate for
//! each call"): a step-up adds a stronger set beside the weaker one instead of replacing it, and
//! each call uses the weakest set that meets it, so a strong, short-lived authentication is not
//! spent where a basic one does.
//!
//! A refresh (OIDC Core 12.2) renews a set's access token. Its ID token may say the
//! authentication is now weaker (Fief reports `acr` "0" for "authenticated through a refresh
//! token"): the set then counts at that level, and the caller is told ([`refreshed`]).

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Value};

use crate::acr::AcrPolicy;
use crate::claims::{same_user, DEFAULT_CLOCK_TOLERANCE};
use crate::options::{Fields, FromJson, Out};
use crate::secret::redact;
use crate::step_up::{evaluate_step_up, Requirement};
use crate::{Error, Result};

/// Sets kept at once: one per level a user typically climbs (basic, multi-factor, fresh).
pub const MAX_TOKEN_SETS: usize = 4;

/// The API a set's access token is for: the `resource` (RFC 8707 §2) and Auth0's `audience` its
/// sign-in asked for. An access token is the key to that API alone (RFC 8707 §1: a token scoped
/// to one resource cannot be replayed at another), so a set is used only for calls to the API it
/// was issued for, never for another client's that shares the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Api {
    /// `resource`, RFC 8707.
    pub resource: Option<String>,
    /// Auth0's `audience`.
    pub audience: Option<String>,
}

/// What one sign-in produced. `Debug` leaves out the tokens.
#[derive(Clone, PartialEq)]
pub struct TokenSet {
    /// The verified ID token's claims (`acr`, `amr`, `auth_time`, `sub`, …).
    pub claims: Map<String, Value>,
    /// The access token, if the provider issued one.
    pub access_token: Option<String>,
    /// When the access token expires (seconds since the epoch), from `expires_in`.
    pub expires_at: Option<u64>,
    /// The refresh token, if the provider issued one.
    pub refresh_token: Option<String>,
    /// The ID token itself, the `id_token_hint` of a sign-out (RP-Initiated Logout 1.0 §2).
    pub id_token: Option<String>,
    /// The API its access token is for.
    pub api: Api,
}

impl FromJson for TokenSet {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &["claims", "accessToken?", "expiresAt?", "refreshToken?", "idToken?", "resource?", "audience?"],
        )?;
        let claims = match o.required("claims")? {
            Value::Object(claims) => claims.clone(),
            _ => return Err(Error::arg_type(o.at("claims"), "an object")),
        };
        Ok(TokenSet {
            claims,
            access_token: o.str("accessToken")?,
            expires_at: o.whole("expiresAt")?,
            refresh_token: o.str("refreshToken")?,
            id_token: o.str("idToken")?,
            api: Api { resource: o.str("resource")?, audience: o.str("audience")? },
        })
    }
}

impl TokenSet {
    /// The set as stored: `{ claims, accessToken?, expiresAt?, refreshToken?, idToken?,
    /// resource?, audience? }`.
    pub fn to_json(&self) -> Value {
        Out::new()
            .set("claims", self.claims.clone())
            .maybe("accessToken", self.access_token.as_deref())
            .maybe("expiresAt", self.expires_at)
            .maybe("refreshToken", self.refresh_token.as_deref())
            .maybe("idToken", self.id_token.as_deref())
            .maybe("resource", self.api.resource.as_deref())
            .maybe("audience", self.api.audience.as_deref())
            .build()
    }
}

/// Access and refresh tokens are bearer credentials (RFC 6749 §10.3, §10.4; RFC 6750 §5.3).
impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let TokenSet { claims, access_token, expires_at, refresh_token, id_token, api } = self;
        f.debug_struct("TokenSet")
            .field("claims", claims)
            .field("access_token", &redact(access_token))
            .field("expires_at", expires_at)
            .field("refresh_token", &redact(refresh_token))
            .field("id_token", &redact(id_token))
            .field("api", api)
            .finish()
    }
}

impl TokenSet {
    fn acr(&self) -> Option<&str> {
        self.claims.get("acr").and_then(Value::as_str)
    }

    fn auth_time(&self) -> Option<f64> {
        self.claims.get("auth_time").and_then(Value::as_f64)
    }

    /// Whether its access token (if it has one) has not expired.
    pub fn usable(&self, now: u64) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }

    /// Worth keeping: its access token still works, or a refresh can renew it.
    fn alive(&self, now: u64) -> bool {
        self.usable(now) || self.refresh_token.is_some()
    }

    /// Whether the authentication behind the set meets `requirement` now, whatever the state
    /// of its access token.
    fn authentication_meets(&self, requirement: &Requirement, policy: &AcrPolicy, now: u64) -> bool {
        evaluate_step_up(&self.claims, requirement, policy, now as i64, DEFAULT_CLOCK_TOLERANCE).satisfied
    }

    /// Whether the set meets `requirement` now.
    pub fn meets(&self, requirement: &Requirement, policy: &AcrPolicy, now: u64) -> bool {
        self.usable(now) && self.authentication_meets(requirement, policy, now)
    }

    /// Seconds until the set stops meeting `requirement`: its access token expires or its
    /// authentication grows older than `maxAge`. `None` when neither limits it.
    pub fn remaining(&self, requirement: &Requirement, now: u64) -> Option<u64> {
        let token = self.expires_at.map(|at| at.saturating_sub(now));
        let fresh = requirement.max_age.zip(self.auth_time()).map(|(max_age, auth_time)| {
            (auth_time + (max_age + DEFAULT_CLOCK_TOLERANCE) as f64 - now as f64).max(0.0) as u64
        });
        match (token, fresh) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Orders sets weakest first: by the policy's ladder, then older authentication first. Values
/// the ladder cannot compare count as equal, so the authentication time decides.
fn weaker(policy: &AcrPolicy, a: &TokenSet, b: &TokenSet) -> Ordering {
    let level = match (a.acr(), b.acr()) {
        (Some(x), Some(y)) => policy.compare(x, y).unwrap_or(Ordering::Equal),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    level.then_with(|| a.auth_time().partial_cmp(&b.auth_time()).unwrap_or(Ordering::Equal))
}

/// Adds a new set. For each API, one set per `acr` value is kept (the newest), and beyond
/// [`MAX_TOKEN_SETS`] the weakest go first; the sets of other APIs stay. Expired sets that
/// cannot be refreshed are dropped.
pub fn keep(sets: &mut Vec<TokenSet>, new: TokenSet, policy: &AcrPolicy, now: u64) {
    sets.retain(|s| s.alive(now) && !(s.api == new.api && s.acr() == new.acr()));
    let api = new.api.clone();
    sets.push(new);
    sets.sort_by(|a, b| weaker(policy, a, b));
    // Weakest first: the first of this API's sets past the bound go.
    let mut excess = sets.iter().filter(|s| s.api == api).count().saturating_sub(MAX_TOKEN_SETS);
    sets.retain(|s| {
        let drop = excess > 0 && s.api == api;
        excess -= usize::from(drop);
        !drop
    });
}

/// The weakest set for `api` that meets `requirement` now.
pub fn weakest<'a>(
    sets: &'a [TokenSet],
    api: &Api,
    requirement: &Requirement,
    policy: &AcrPolicy,
    now: u64,
) -> Option<&'a TokenSet> {
    sets.iter().filter(|s| s.api == *api && s.meets(requirement, policy, now)).min_by(|a, b| weaker(policy, a, b))
}

/// The weakest set for `api` holding a refresh token whose authentication meets `requirement`:
/// what to refresh (when no set meets it as held, its access token has expired).
pub fn refreshable<'a>(
    sets: &'a [TokenSet],
    api: &Api,
    requirement: &Requirement,
    policy: &AcrPolicy,
    now: u64,
) -> Option<&'a TokenSet> {
    sets.iter()
        .filter(|s| s.api == *api && s.refresh_token.is_some() && s.authentication_meets(requirement, policy, now))
        .min_by(|a, b| weaker(policy, a, b))
}

/// What a refresh made of a set.
#[derive(Debug, Clone, PartialEq)]
pub struct Refreshed {
    /// The set as it now stands: new tokens, and the claims of the refresh's ID token if it
    /// brought one (without one the provider said nothing new, and the claims stay).
    pub set: TokenSet,
    /// The provider reported a weaker authentication than the set had: a lower `acr` on the
    /// policy's ladder (or one it cannot rank against the old), no `acr` at all, or fewer `amr`
    /// methods.
    pub downgraded: bool,
}

/// The deepest claims a kept set may hold, the claims object counted ([`crate::json::depth`]):
/// the stored list holds each set's claims two levels down (`[{"claims": {…}}]`) and is read
/// back as a token is read, at most 127 arrays and objects deep, so claims nested deeper could be
/// verified but never read back, and the whole list with them.
pub const MAX_CLAIMS_DEPTH: usize = 125;

/// Refuses claims that could not be read back once kept ([`MAX_CLAIMS_DEPTH`]), saying which
/// member nests too deeply; nothing is kept.
pub fn keepable(claims: &Map<String, Value>) -> Result<()> {
    match claims.iter().find(|(_, v)| 1 + crate::json::depth(v) > MAX_CLAIMS_DEPTH) {
        Some((name, _)) => Err(Error::claim_invalid(
            "claims",
            format!("{name:?} nests more than {MAX_CLAIMS_DEPTH} arrays and objects deep, too deep to be kept"),
        )),
        None => Ok(()),
    }
}

/// Checks a refresh's ID token claims against the set refreshed (OIDC Core 12.2: the same
/// `sub`, and `auth_time` still the original authentication, so a refresh never makes a
/// session look fresher than its sign-in) and tells whether it came back downgraded.
pub fn refreshed(
    old: &TokenSet,
    claims: Option<Map<String, Value>>,
    mut renewed: TokenSet,
    policy: &AcrPolicy,
) -> Result<Refreshed> {
    // RFC 6749 §6: without a new refresh token the old one stays valid.
    renewed.refresh_token = renewed.refresh_token.or_else(|| old.refresh_token.clone());
    // OIDC Core 12.2: a refresh may leave the ID token out; the sign-in's still names the session.
    renewed.id_token = renewed.id_token.or_else(|| old.id_token.clone());
    // A refresh renews the grant for the API it was made for (RFC 8707 §2.2).
    renewed.api = old.api.clone();
    let Some(claims) = claims else {
        renewed.claims = old.claims.clone();
        return Ok(Refreshed { set: renewed, downgraded: false });
    };
    keepable(&claims)?;
    if !same_user(Some(&old.claims), &claims) {
        return Err(Error::claim_invalid("sub", "a refresh must not change the signed-in user (OIDC Core 12.2)"));
    }
    renewed.claims = claims;
    // OIDC Core 12.2: a refresh's ID token carries the sign-in's nonce or none; without one, the
    // set still comes from that sign-in, and a call saved for it still belongs to it.
    if let (None, Some(nonce)) = (renewed.claims.get("nonce"), old.claims.get("nonce")) {
        renewed.claims.insert("nonce".into(), nonce.clone());
    }
    // Absent before and present now would be as much a gain in freshness as a later time; absent
    // now is no claim at all (the set then meets no maxAge), so it gains nothing.
    if renewed.auth_time().is_some_and(|now| old.auth_time() != Some(now)) {
        return Err(Error::claim_invalid(
            "auth_time",
            "a refresh must keep the time of the original authentication (OIDC Core 12.2)",
        ));
    }
    let weaker_acr = match (old.acr(), renewed.acr()) {
        (Some(then), Some(now)) => then != now && policy.compare(now, then).is_none_or(Ordering::is_lt),
        (Some(_), None) => true,
        (None, _) => false,
    };
    // Methods compare in the names requirements use (the policy's `amrMapping`).
    let methods = |set: &TokenSet| -> Vec<Value> {
        policy.token_amr(set.claims.get("amr")).as_deref().and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let (then, now) = (methods(old), methods(&renewed));
    let lost_amr = then.iter().any(|method| !now.contains(method));
    Ok(Refreshed { set: renewed, downgraded: weaker_acr || lost_amr })
}

/// The strongest set, by the same order: what "the session" shows.
pub fn strongest<'a>(sets: &'a [TokenSet], policy: &AcrPolicy, now: u64) -> Option<&'a TokenSet> {
    sets.iter().filter(|s| s.usable(now)).max_by(|a, b| weaker(policy, a, b))
}

#[cfg(test)]
mod tests;
