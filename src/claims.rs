//! Checks of registered JWT claims (RFC 7519 §4.1) shared by ID tokens ([`crate::id_token`])
//! and access tokens ([`crate::access_token`]), and the seam to the step-up engine.
//!
//! ## Time
//! `now` and every NumericDate are seconds since the epoch as `f64`. A NumericDate must be a
//! JSON number (possibly fractional, RFC 7519 §2), non-negative and at most 2^53 − 1: beyond
//! that JavaScript cannot hold the value exactly and the wasm and native paths could disagree,
//! so `18446744073709551615` is refused like `"1700000000"` or `null` (catalog D19). The
//! tolerance widens every window by the same amount:
//! - expired when `exp <= now − tolerance` (RFC 7519 §4.1.4 "on or after"; jwt-compact 0.8
//!   would accept `exp == now − leeway`, catalog D17);
//! - not yet valid when `nbf > now + tolerance` (D18);
//! - issued in the future when `iat > now + tolerance` (D14).

use serde_json::Value;

use crate::acr::AcrPolicy;
use crate::json::Object;
use crate::step_up::{evaluate_step_up, Requirement};
use crate::{Error, Result};

/// The default clock tolerance in seconds (contract section 2).
pub const DEFAULT_CLOCK_TOLERANCE: u64 = 30;

/// The largest NumericDate accepted: JavaScript's `Number.MAX_SAFE_INTEGER`.
pub const MAX_NUMERIC_DATE: f64 = 9_007_199_254_740_991.0;

/// Whether a new sign-in's claims are the same user as `held` (claims already trusted), or
/// nothing is held. SECURITY D27 / OIDC Core 12.2: a step-up that comes back as someone else
/// must not swap who is signed in.
pub fn same_user(held: Option<&Object>, claims: &Object) -> bool {
    held.and_then(|h| h.get("sub")).is_none_or(|sub| claims.get("sub") == Some(sub))
}

/// `now` must be a usable time; anything else is a caller mistake.
pub(crate) fn check_now(now: f64) -> Result<()> {
    if now.is_finite() && (0.0..=MAX_NUMERIC_DATE).contains(&now) {
        Ok(())
    } else {
        Err(Error::arg_value("currentTime", "must be a finite number of seconds since the epoch"))
    }
}

/// A required, non-empty option string.
pub(crate) fn require_option(name: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::arg_value(name, "must not be empty"));
    }
    Ok(())
}

/// A NumericDate claim, when present.
pub(crate) fn numeric_date(claims: &Object, name: &'static str) -> Result<Option<f64>> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let Value::Number(number) = value else {
        return Err(Error::claim_invalid(name, "must be a number (NumericDate)"));
    };
    match number.as_f64() {
        Some(t) if t.is_finite() && (0.0..=MAX_NUMERIC_DATE).contains(&t) => Ok(Some(t)),
        _ => Err(Error::claim_invalid(name, "is not a NumericDate between 0 and 2^53 - 1")),
    }
}

/// A NumericDate claim that must be present.
pub(crate) fn required_date(claims: &Object, name: &'static str) -> Result<f64> {
    numeric_date(claims, name)?.ok_or_else(|| Error::claim_invalid(name, "is missing"))
}

/// A string claim, when present.
pub(crate) fn string_claim<'c>(claims: &'c Object, name: &'static str) -> Result<Option<&'c str>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::claim_invalid(name, "must be a string")),
    }
}

/// A non-empty string claim that must be present.
pub(crate) fn required_string<'c>(claims: &'c Object, name: &'static str) -> Result<&'c str> {
    match string_claim(claims, name)? {
        None => Err(Error::claim_invalid(name, "is missing")),
        Some("") => Err(Error::claim_invalid(name, "must not be empty")),
        Some(s) => Ok(s),
    }
}

/// `iss` equals the expected issuer exactly: no normalisation, no prefix or case folding
/// (catalog D01–D03; PyJWT CVE-2024-53861 matched substrings).
pub(crate) fn issuer(claims: &Object, expected: &str) -> Result<()> {
    match string_claim(claims, "iss")? {
        None => Err(Error::claim_invalid("iss", "is missing")),
        Some(iss) if iss == expected => Ok(()),
        Some(_) => Err(Error::claim_invalid("iss", "is not the expected issuer")),
    }
}

/// `aud` (RFC 7519 §4.1.3): a non-empty string or a non-empty array of non-empty strings that
/// contains `expected`. Every element is type-checked (catalog D08: `[CLIENT, null]` is refused;
/// CVE-2020-26160 came from a lax element type). Returns the audiences.
pub(crate) fn audience<'c>(claims: &'c Object, expected: &str) -> Result<Vec<&'c str>> {
    let audiences: Vec<&str> = match claims.get("aud") {
        None => return Err(Error::claim_invalid("aud", "is missing")),
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str())
            .collect::<Option<Vec<&str>>>()
            .ok_or_else(|| Error::claim_invalid("aud", "must hold only strings"))?,
        Some(_) => return Err(Error::claim_invalid("aud", "must be a string or an array")),
    };
    if audiences.is_empty() || audiences.iter().any(|aud| aud.is_empty()) {
        return Err(Error::claim_invalid("aud", "must not be empty"));
    }
    if !audiences.contains(&expected) {
        return Err(Error::claim_invalid("aud", "does not include the expected audience"));
    }
    Ok(audiences)
}

/// `exp` is required and must lie after `now − tolerance`.
pub(crate) fn expiry(claims: &Object, now: f64, tolerance: f64) -> Result<()> {
    let exp = required_date(claims, "exp")?;
    if exp <= now - tolerance {
        return Err(Error::JwtExpired);
    }
    Ok(())
}

/// `nbf`, when present, must not lie after `now + tolerance`.
pub(crate) fn not_before(claims: &Object, now: f64, tolerance: f64) -> Result<()> {
    match numeric_date(claims, "nbf")? {
        Some(nbf) if nbf > now + tolerance => Err(Error::claim_invalid("nbf", "the token is not valid yet")),
        _ => Ok(()),
    }
}

/// `iat` is required, must not lie in the future beyond the tolerance and, with `max_age`, must
/// not be older than `max_age + tolerance`.
pub(crate) fn issued_at(claims: &Object, now: f64, tolerance: f64, max_age: Option<u64>) -> Result<()> {
    let iat = required_date(claims, "iat")?;
    if iat > now + tolerance {
        return Err(Error::claim_invalid("iat", "lies in the future"));
    }
    if let Some(max_age) = max_age {
        if now - iat > max_age as f64 + tolerance {
            return Err(Error::claim_invalid("iat", format!("is more than {max_age} seconds old")));
        }
    }
    Ok(())
}

/// The header's `typ` (RFC 7515 §4.1.9) as a media type to compare: lower case, with an
/// `application/` prefix removed when no other `/` follows. `None` when absent.
pub(crate) fn typ(header: &Object) -> Result<Option<String>> {
    match header.get("typ") {
        None => Ok(None),
        Some(Value::String(typ)) => {
            let lower = typ.to_ascii_lowercase();
            Ok(Some(match lower.strip_prefix("application/") {
                Some(rest) if !rest.contains('/') => rest.to_string(),
                _ => lower,
            }))
        }
        Some(_) => Err(Error::claim_invalid("typ", "must be a string")),
    }
}

/// `auth_time` when present: a NumericDate not in the future beyond the tolerance (E03, E04).
pub(crate) fn auth_time(claims: &Object, now: f64, tolerance: f64) -> Result<Option<f64>> {
    let auth_time = numeric_date(claims, "auth_time")?;
    if auth_time.is_some_and(|t| t > now + tolerance) {
        return Err(Error::claim_invalid("auth_time", "lies in the future"));
    }
    Ok(auth_time)
}

/// `acr` must be a non-empty string (OIDC Core §2, catalog E07) and `amr` an array of strings
/// (RFC 8176, E09) when present. An empty `amr` array is kept: it satisfies no requirement.
pub(crate) fn acr_amr_types(claims: &Object) -> Result<()> {
    if string_claim(claims, "acr")? == Some("") {
        return Err(Error::claim_invalid("acr", "must not be empty"));
    }
    match claims.get("amr") {
        None => Ok(()),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(()),
        Some(_) => Err(Error::claim_invalid("amr", "must be an array of strings")),
    }
}

/// The seam to the step-up engine ([`crate::step_up`]): a requirement that the verified
/// claims fall short of is `ERR_ACR_NOT_SATISFIED`, `ERR_AMR_NOT_SATISFIED` or
/// `ERR_AUTH_TIME_TOO_OLD`, carrying what to ask for.
pub(crate) fn requirement(
    claims: &Object,
    requirement: Option<&Requirement>,
    policy: Option<&AcrPolicy>,
    now: f64,
    tolerance: u64,
) -> Result<()> {
    let Some(requirement) = requirement else {
        return Ok(());
    };
    requirement.check_at("requirement")?;
    let default_policy = AcrPolicy::default();
    let policy = match policy {
        Some(policy) => {
            policy.check()?;
            policy
        }
        None => &default_policy,
    };
    // `now` was checked to be finite and in range, so the conversion is exact to the second.
    let decision = evaluate_step_up(claims, requirement, policy, now.floor() as i64, tolerance);
    match decision.error() {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
