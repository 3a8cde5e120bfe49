//! The authorization response (RFC 6749 §4.1.2, OIDC Core 3.1.2.5–3.1.2.6, RFC 9207): checks
//! the callback URL before a code is exchanged.
//!
//! The order of the checks matters: a parameter given twice is refused first (two parsers could
//! pick different copies), then the issuer (RFC 9207 mix-up defence, so an answer from another
//! provider is never even interpreted), then `state` (so an `error=` is only believed when it
//! belongs to this browser's request, SECURITY F13), then `error`, then anything from the implicit
//! or hybrid flows or JARM, which stepup never asked for.

use std::fmt;

use serde_json::Value;

use crate::options::{Fields, FromJson, Out};
use crate::secret::{redact, same, Redacted};
use crate::url::parse_query;
use crate::{Error, Result};

/// What the callback is checked against. `Debug` leaves out the state.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ResponseExpectations {
    /// The `state` sent with the request; absent means the request had none, and then a response
    /// carrying one is refused.
    pub expected_state: Option<String>,
    /// The issuer the request went to (from the transaction, never from the response).
    pub expected_issuer: String,
    /// Refuse a response without `iss` (set when discovery advertises
    /// `authorization_response_iss_parameter_supported`).
    pub require_issuer: bool,
}

impl FromJson for ResponseExpectations {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["expectedState?", "expectedIssuer", "requireIssuer?"])?;
        Ok(ResponseExpectations {
            expected_state: o.str("expectedState")?,
            expected_issuer: o.string("expectedIssuer")?,
            require_issuer: o.bool("requireIssuer")?.unwrap_or_default(),
        })
    }
}

/// The state is what binds the response to this browser (RFC 6749 §10.12).
impl fmt::Debug for ResponseExpectations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ResponseExpectations { expected_state, expected_issuer, require_issuer } = self;
        f.debug_struct("ResponseExpectations")
            .field("expected_state", &redact(expected_state))
            .field("expected_issuer", expected_issuer)
            .field("require_issuer", require_issuer)
            .finish()
    }
}

/// A successful authorization response. `Debug` leaves out the code.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    /// The authorization code to exchange.
    pub code: String,
    /// The RFC 9207 `iss` parameter, when the provider sent one (already checked).
    pub iss: Option<String>,
}

impl AuthorizationResponse {
    /// The response as JavaScript's `{ code, iss? }`.
    pub fn to_json(&self) -> Value {
        Out::new().set("code", self.code.as_str()).maybe("iss", self.iss.as_deref()).build()
    }
}

/// The code is a credential until it is redeemed (RFC 6749 §10.5).
impl fmt::Debug for AuthorizationResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let AuthorizationResponse { code: _, iss } = self;
        f.debug_struct("AuthorizationResponse").field("code", &Redacted).field("iss", iss).finish()
    }
}

/// Parameters that belong to flows stepup does not use (implicit, hybrid, JARM); their presence
/// means the response is not the one this request asked for.
const FOREIGN_PARAMS: [&str; 5] = ["id_token", "access_token", "token", "token_type", "response"];

/// Checks a callback URL (or a bare `?query`) and returns the code. Only the query is read: a
/// code-flow response never travels in the fragment.
pub fn validate_authorization_response(
    callback_url: &str,
    expect: &ResponseExpectations,
) -> Result<AuthorizationResponse> {
    let without_fragment = callback_url.split('#').next().unwrap_or_default();
    let query = without_fragment.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let pairs = parse_query(query).map_err(|why| Error::response("query", why))?;
    // RFC 6749 §3.1: parameters must not be repeated. Sorting keeps this linear-logarithmic
    // however many parameters a hostile URL carries.
    let mut names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(name) = names.windows(2).find_map(|w| match w {
        [a, b] if a == b => Some(*a),
        _ => None,
    }) {
        return Err(Error::response(name, "must be provided only once"));
    }
    let get = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());

    // RFC 9207 §2.4: compare `iss` with the issuer this request was sent to.
    let iss = get("iss");
    match iss {
        Some(iss) if iss != expect.expected_issuer => {
            return Err(Error::IssuerMismatch { expected: expect.expected_issuer.clone(), actual: iss.to_string() })
        }
        None if expect.require_issuer => return Err(Error::response("iss", "missing, and the issuer always sends it")),
        _ => {}
    }

    // RFC 6749 §10.12: `state` binds the response to the browser that made the request.
    match (get("state"), expect.expected_state.as_deref()) {
        (Some(got), Some(want)) if !same(got, want) => {
            return Err(Error::response("state", "does not match the request"))
        }
        (None, Some(_)) => return Err(Error::response("state", "missing")),
        (Some(_), None) => return Err(Error::response("state", "unexpected: no state was sent")),
        _ => {}
    }

    if let Some(error) = get("error") {
        return Err(Error::AuthResponseError {
            error: error.to_string(),
            description: get("error_description").map(str::to_string),
        });
    }
    if let Some(name) = FOREIGN_PARAMS.iter().find(|n| pairs.iter().any(|(p, _)| p == *n)) {
        return Err(Error::response(*name, "implicit, hybrid and JARM responses are not supported"));
    }
    match get("code") {
        Some(code) if !code.is_empty() => {
            Ok(AuthorizationResponse { code: code.to_string(), iss: iss.map(str::to_string) })
        }
        Some(_) => Err(Error::response("code", "empty")),
        None => Err(Error::response("code", "missing")),
    }
}

#[cfg(test)]
mod tests;
