//! The browser client's tokens, kept per satisfied requirement (RFC 9470 §2: "the client can
//! keep the tokens obtained at different authentication levels and use the one appropriate for
//! each call"): a step-up adds a stronger set beside the weaker one instead of replacing it, and
//! each call uses the weakest set that meets it, so a strong, short-lived authentication is not
//! spent where a basic one does.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::acr::AcrPolicy;
use crate::claims::DEFAULT_CLOCK_TOLERANCE;
use crate::step_up::{evaluate_step_up, Requirement};

/// Sets kept at once: one per level a user typically climbs (basic, multi-factor, fresh).
pub const MAX_TOKEN_SETS: usize = 4;

/// What one sign-in produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenSet {
    /// The verified ID token's claims (`acr`, `amr`, `auth_time`, `sub`, …).
    pub claims: Map<String, Value>,
    /// The access token, if the provider issued one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// When the access token expires (seconds since the epoch), from `expires_in`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

impl TokenSet {
    fn acr(&self) -> Option<&str> {
        self.claims.get("acr").and_then(Value::as_str)
    }

    fn auth_time(&self) -> Option<f64> {
        self.claims.get("auth_time").and_then(Value::as_f64)
    }

    fn usable(&self, now: u64) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }

    /// Whether the set meets `requirement` now.
    pub fn meets(&self, requirement: &Requirement, policy: &AcrPolicy, now: u64) -> bool {
        self.usable(now) && evaluate_step_up(&self.claims, requirement, policy, now as i64, DEFAULT_CLOCK_TOLERANCE).satisfied
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

/// Adds a new set. One set per `acr` value is kept (the newest), expired ones are dropped, and
/// beyond [`MAX_TOKEN_SETS`] the weakest go first.
pub fn keep(sets: &mut Vec<TokenSet>, new: TokenSet, policy: &AcrPolicy, now: u64) {
    sets.retain(|s| s.usable(now) && s.acr() != new.acr());
    sets.push(new);
    sets.sort_by(|a, b| weaker(policy, a, b));
    let excess = sets.len().saturating_sub(MAX_TOKEN_SETS);
    sets.drain(..excess);
}

/// The weakest set that meets `requirement` now.
pub fn weakest<'a>(sets: &'a [TokenSet], requirement: &Requirement, policy: &AcrPolicy, now: u64) -> Option<&'a TokenSet> {
    sets.iter().filter(|s| s.meets(requirement, policy, now)).min_by(|a, b| weaker(policy, a, b))
}

/// The strongest set, by the same order: what "the session" shows.
pub fn strongest<'a>(sets: &'a [TokenSet], policy: &AcrPolicy, now: u64) -> Option<&'a TokenSet> {
    sets.iter().filter(|s| s.usable(now)).max_by(|a, b| weaker(policy, a, b))
}

#[cfg(test)]
mod tests;
