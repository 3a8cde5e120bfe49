//! The guard's configuration from the environment (contract section 7). Every setting is checked
//! at start-up and an invalid one is refused with its name, so a typo can never leave a path
//! unguarded or a requirement weaker than written.
//!
//! Beyond the contract's list: `STEPUP_API_AUDIENCE`, the audience of access tokens sent to the
//! guarded API (RFC 9068 §4 requires checking it; without it the guard accepts no bearer tokens),
//! and `STEPUP_SESSION_MAX_AGE`, the session cookie's lifetime in seconds (default 8 hours;
//! freshness is judged by `auth_time`, not by the cookie's age); `STEPUP_KEYS_MAX_AGE` and
//! `STEPUP_KEYS_COOLDOWN`, jose's `cacheMaxAge` and `cooldownDuration` for the provider's
//! metadata and key set (defaults 600 s and 30 s, see [`crate::refresh`]); and
//! `STEPUP_PUBLIC_ORIGIN`, the origin browsers reach the guard at: then `redirect_uri` and every
//! absolute URL come from it, and a request for another host is refused (SECURITY F18), instead
//! of trusting the request's `Host`; `STEPUP_UPSTREAM_TIMEOUT`, how many seconds the guard waits
//! for the upstream to begin answering (default 30); `STEPUP_ACCESS_TOKEN_PROFILE`, how those
//! access tokens are verified ([`crate::access_token::Verification`]: `rfc9068`, the default,
//! `jwt`, `introspection` (RFC 7662, which needs `STEPUP_CLIENT_SECRET`: the provider answers
//! only clients it can authenticate), or the name of a provider preset, which stands for what
//! that provider issues, see [`crate::access_token::issued_by`]);
//! `STEPUP_INTROSPECTION_CACHE_SECONDS`, how long an introspection answer is reused (default 60,
//! 0 for never; see [`crate::introspection::Cache`]); `STEPUP_DISCOVERY_URL`, where the provider publishes its
//! metadata when that is not `{issuer}/.well-known/openid-configuration` (Janssen serves it under
//! `/jans-auth/`); the document's `issuer` must still be `STEPUP_ISSUER`; `STEPUP_LOGOUT_PATH`,
//! where a page of the guarded site POSTs to sign out (README, "Signing out").

use std::collections::BTreeMap;

use super::cookie::{CookieKey, Opened};
use super::rules::Rules;
use crate::access_token::{self, Verification};
use crate::acr::{preset, AcrPolicy};
use crate::discovery::Metadata;
use crate::refresh;
use crate::url::Endpoint;
use crate::{Error, Result};

/// The session cookie's lifetime when `STEPUP_SESSION_MAX_AGE` is not set.
pub const DEFAULT_SESSION_MAX_AGE: u64 = 8 * 3600;

/// How long the guard waits for the upstream's answer to begin when `STEPUP_UPSTREAM_TIMEOUT` is
/// not set: a hung upstream is a `504`, not a request that never ends.
pub const DEFAULT_UPSTREAM_TIMEOUT: u64 = 30;

/// The guard's configuration. Its `Debug` leaves out the client secret.
pub struct Config {
    /// `STEPUP_ISSUER`, exactly as the provider's `iss`.
    pub issuer: String,
    /// Where the provider's metadata is: `STEPUP_DISCOVERY_URL`, else
    /// `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).
    pub discovery_url: String,
    /// `STEPUP_CLIENT_ID`.
    pub client_id: String,
    /// `STEPUP_CLIENT_SECRET`: then the guard is a confidential client (`client_secret_basic`).
    pub client_secret: Option<String>,
    /// `STEPUP_REDIRECT_PATH` (default `/callback`).
    pub redirect_path: String,
    /// The rule-matching key of the redirect path ([`crate::guard::path::Target::key`]), read
    /// once: every request is compared with it.
    pub redirect_key: String,
    /// `STEPUP_LOGOUT_PATH`: no sign-out path when unset.
    pub logout: Option<GuardPath>,
    /// Keys derived from `STEPUP_SESSION_SECRET`, one per cookie purpose.
    pub session_key: CookieKey,
    /// The transaction cookie's key.
    pub transaction_key: CookieKey,
    /// The session cookies opened so far under `session_key` (G03 still holds: see [`Opened`]).
    pub sessions: Opened,
    /// `STEPUP_UPSTREAM`: the origin requests are forwarded to.
    pub upstream: Option<String>,
    /// `STEPUP_ACR_POLICY`.
    pub policy: AcrPolicy,
    /// `STEPUP_RULES`.
    pub rules: Rules,
    /// `STEPUP_API_AUDIENCE`.
    pub api_audience: Option<String>,
    /// `STEPUP_ACCESS_TOKEN_PROFILE`.
    pub access_token_profile: Verification,
    /// `STEPUP_INTROSPECTION_CACHE_SECONDS`.
    pub introspection_cache: u64,
    /// `STEPUP_SESSION_MAX_AGE`.
    pub session_max_age: u64,
    /// `STEPUP_KEYS_MAX_AGE` and `STEPUP_KEYS_COOLDOWN`.
    pub refresh: refresh::Policy,
    /// `STEPUP_PUBLIC_ORIGIN`.
    pub public_origin: Option<String>,
    /// `STEPUP_UPSTREAM_TIMEOUT`: seconds to wait for the upstream's answer to begin.
    pub upstream_timeout: u64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("discovery_url", &self.discovery_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("redirect_path", &self.redirect_path)
            .field("upstream", &self.upstream)
            .field("rules", &self.rules)
            .field("api_audience", &self.api_audience)
            .field("access_token_profile", &self.access_token_profile)
            .field("public_origin", &self.public_origin)
            .finish_non_exhaustive()
    }
}

/// A path the guard answers itself, with its rule-matching key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardPath {
    /// As set.
    pub path: String,
    /// [`crate::guard::path::Target::key`] of it: requests are compared with this.
    pub key: String,
}

impl GuardPath {
    /// A plain path such as `example`, which the guard would also accept as a request target
    /// (one it would refuse could never be reached).
    fn parse(name: &str, path: &str, example: &str) -> Result<GuardPath> {
        // `*` would read as a rule's wildcard, which a path the guard answers itself is not.
        if !path.starts_with('/') || path.starts_with("//") || path.contains(['?', '#', '\\', '*']) {
            return Err(setting_error(name, format!("must be a plain path such as {example}")));
        }
        let key = super::path::Target::parse(path).map_err(|refusal| setting_error(name, refusal.reason()))?.key;
        Ok(GuardPath { path: path.to_string(), key })
    }
}

fn setting_error(name: &str, why: impl Into<String>) -> Error {
    Error::arg_value(name, why)
}

impl Config {
    /// Reads the settings; the error's `param` names the first bad one.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Config> {
        let get = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let required = |name: &str| get(name).ok_or_else(|| Error::arg_type(name, "set"));

        let issuer = required("STEPUP_ISSUER")?.to_string();
        Endpoint::parse(&issuer, "STEPUP_ISSUER")?;
        if issuer.contains(['?', '#']) {
            return Err(setting_error("STEPUP_ISSUER", "may not have a query or fragment"));
        }
        let discovery_url = match get("STEPUP_DISCOVERY_URL") {
            Some(url) => Endpoint::parse(url, "STEPUP_DISCOVERY_URL").map(|_| url.to_string())?,
            None => format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')),
        };
        let client_id = required("STEPUP_CLIENT_ID")?.to_string();
        let client_secret = get("STEPUP_CLIENT_SECRET").map(str::to_string);
        let GuardPath { path: redirect_path, key: redirect_key } =
            GuardPath::parse("STEPUP_REDIRECT_PATH", get("STEPUP_REDIRECT_PATH").unwrap_or("/callback"), "/callback")?;
        let logout = get("STEPUP_LOGOUT_PATH")
            .map(|path| GuardPath::parse("STEPUP_LOGOUT_PATH", path, "/logout"))
            .transpose()?;
        if logout.as_ref().is_some_and(|logout| logout.key == redirect_key) {
            return Err(setting_error("STEPUP_LOGOUT_PATH", "must not be the redirect path"));
        }
        let secret = required("STEPUP_SESSION_SECRET")?;
        // Keys bound to the provider and the client (G21): two guards that share a secret but not
        // both of those cannot read each other's sessions or sign-ins.
        let key = |purpose: &str| {
            CookieKey::derive(secret.as_bytes(), &format!("{purpose}\0{issuer}\0{client_id}"))
                .map_err(|_| setting_error("STEPUP_SESSION_SECRET", "must be at least 32 bytes"))
        };
        let session_key = key("session")?;
        let transaction_key = key("transaction")?;
        let an_origin = |name: &str, example: &str| match get(name) {
            None => Ok(None),
            Some(value) => origin(value)
                .map(Some)
                .ok_or_else(|| setting_error(name, format!("must be an origin such as {example}"))),
        };
        let upstream = an_origin("STEPUP_UPSTREAM", "https://app.internal")?;
        let public_origin = an_origin("STEPUP_PUBLIC_ORIGIN", "https://app.example")?;
        let policy = match get("STEPUP_ACR_POLICY") {
            None => AcrPolicy::default(),
            Some(text) if text.starts_with('{') => {
                let value = crate::json::parse_value(text.as_bytes())
                    .map_err(|e| setting_error("STEPUP_ACR_POLICY", format!("is not JSON: {e}")))?;
                let policy = <AcrPolicy as crate::options::FromJson>::from_json(&value, "STEPUP_ACR_POLICY")?;
                policy.check_at("STEPUP_ACR_POLICY")?;
                policy
            }
            Some(name) => preset(name).map_err(|_| {
                setting_error("STEPUP_ACR_POLICY", format!("{name:?} is neither a preset name nor a JSON policy"))
            })?,
        };
        let rules = Rules::parse(required("STEPUP_RULES")?, "STEPUP_RULES")?;
        let api_audience = get("STEPUP_API_AUDIENCE").map(str::to_string);
        let access_token_profile = match get("STEPUP_ACCESS_TOKEN_PROFILE") {
            None => Verification::default(),
            Some(name) => match access_token::VERIFICATIONS.iter().find(|(known, _)| *known == name) {
                Some((_, profile)) => *profile,
                None => access_token::issued_by(name).ok_or_else(|| {
                    setting_error(
                        "STEPUP_ACCESS_TOKEN_PROFILE",
                        format!(
                            "{name:?} is neither \"rfc9068\", \"jwt\", \"introspection\" nor a provider preset (fief, \
                             auth0, wso2, janssen)"
                        ),
                    )
                })?,
            },
        };
        // RFC 7662 §2.1: the introspection endpoint answers only callers it can authorize.
        if access_token_profile == Verification::Introspection && client_secret.is_none() {
            return Err(setting_error(
                "STEPUP_ACCESS_TOKEN_PROFILE",
                "introspection needs STEPUP_CLIENT_SECRET: the provider answers only clients it can authenticate",
            ));
        }
        // Whole seconds within `range`, or `default` when unset.
        let seconds = |name: &str, range: std::ops::RangeInclusive<u64>, default: u64| match get(name) {
            None => Ok(default),
            Some(text) => text.parse::<u64>().ok().filter(|s| range.contains(s)).ok_or_else(|| {
                setting_error(name, format!("must be whole seconds between {} and {}", range.start(), range.end()))
            }),
        };
        let session_max_age = seconds("STEPUP_SESSION_MAX_AGE", 60..=30 * 86400, DEFAULT_SESSION_MAX_AGE)?;
        let defaults = refresh::Policy::default();
        // A cooldown of at least a second: it is what bounds a flood of unknown `kid`s (C04).
        let refresh = refresh::Policy {
            max_age: seconds("STEPUP_KEYS_MAX_AGE", 60..=86400, defaults.max_age as u64)? as f64,
            cooldown: seconds("STEPUP_KEYS_COOLDOWN", 1..=3600, defaults.cooldown as u64)? as f64,
        };
        let upstream_timeout = seconds("STEPUP_UPSTREAM_TIMEOUT", 1..=600, DEFAULT_UPSTREAM_TIMEOUT)?;
        let introspection_cache =
            seconds("STEPUP_INTROSPECTION_CACHE_SECONDS", 0..=3600, crate::introspection::DEFAULT_CACHE_SECONDS)?;
        Ok(Config {
            upstream_timeout,
            issuer,
            discovery_url,
            client_id,
            client_secret,
            redirect_path,
            redirect_key,
            logout,
            session_key,
            transaction_key,
            sessions: Opened::default(),
            upstream,
            policy,
            rules,
            api_audience,
            access_token_profile,
            introspection_cache,
            session_max_age,
            refresh,
            public_origin,
        })
    }

    /// The `redirect_uri` of a sign-in from `origin` (OIDC Core 3.1.2.1): the one the
    /// authorization request sends and the code exchange sends again (RFC 6749 §4.1.3).
    pub fn redirect_uri(&self, origin: &str) -> String {
        format!("{origin}{}", self.redirect_path)
    }

    /// Refuses rules the provider cannot satisfy: an ACR value it does not list in
    /// `acr_values_supported` (when it lists any) could only ever end in a refusal; and the
    /// `introspection` profile with a provider that names no `introspection_endpoint`.
    pub fn check_against(&self, metadata: &Metadata) -> Result<()> {
        for member in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
            if metadata.str(member).is_none() {
                return Err(Error::FetchFailed(format!("the provider's metadata has no {member}")));
            }
        }
        if self.access_token_profile == Verification::Introspection && metadata.str("introspection_endpoint").is_none()
        {
            return Err(setting_error(
                "STEPUP_ACCESS_TOKEN_PROFILE",
                "introspection needs the provider's introspection_endpoint, which its metadata does not name",
            ));
        }
        let Some(supported) = metadata.list("acr_values_supported") else { return Ok(()) };
        for (at, value) in self.rules.acr_values() {
            if !supported.contains(&value) {
                return Err(setting_error(
                    &format!("STEPUP_RULES{at}"),
                    format!("{value:?} is not in the provider's acr_values_supported {supported:?}"),
                ));
            }
        }
        Ok(())
    }
}

/// `scheme://host[:port]` of an absolute http(s) URL without path, query or fragment.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let host = rest.strip_suffix('/').unwrap_or(rest);
    let plain = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    plain.then(|| format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests;
