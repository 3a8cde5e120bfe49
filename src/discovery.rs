//! Provider metadata (OpenID Connect Discovery 1.0 §3–§4, RFC 8414): the document at
//! `{issuer}/.well-known/openid-configuration`.
//!
//! The `issuer` must equal the configured issuer exactly (Discovery §4.3; SECURITY C12): no
//! trailing-slash or case leniency, since the issuer is what every ID token's `iss` is compared
//! with. The members stepup relies on are type-checked here once, so later steps can trust them;
//! every other member is kept as sent.

use serde_json::Value;

use crate::json::{self, Object};
use crate::url::Endpoint;
use crate::{Error, Result};

/// Whether a member holds an endpoint a user or a request may be sent to: every `*_endpoint`
/// (OpenID Connect Discovery 1.0 §3, RFC 8414 §2, RFC 7662, RFC 7009, RFC 8628, …), `jwks_uri`
/// and `check_session_iframe`. Each must be an https URL (loopback may be http), whoever reads it.
fn is_endpoint(member: &str) -> bool {
    member.ends_with("_endpoint") || matches!(member, "jwks_uri" | "check_session_iframe")
}

/// The request parameters of OpenID Connect RP-Initiated Logout 1.0 §2: a relying party sends
/// them to `end_session_endpoint`, whose own query may therefore set none of them.
pub const END_SESSION_PARAMS: [&str; 6] =
    ["id_token_hint", "logout_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales"];

/// RFC 8705 §5: endpoints again, for mutual-TLS clients.
const MTLS_ALIASES: &str = "mtls_endpoint_aliases";

/// Members that must be there (Discovery §3 lists more as REQUIRED; these are the ones a
/// step-up sign-in cannot work without).
const REQUIRED: [&str; 3] = ["issuer", "authorization_endpoint", "jwks_uri"];

/// Metadata members stepup reads, with their types.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// Every member as sent, for the caller.
    pub document: Object,
}

impl Metadata {
    /// The exact issuer.
    pub fn issuer(&self) -> &str {
        self.str("issuer").unwrap_or_default()
    }

    /// A string member (already type-checked when the document was parsed).
    pub fn str(&self, member: &str) -> Option<&str> {
        self.document.get(member).and_then(Value::as_str)
    }

    /// A string-array member such as `acr_values_supported` (already type-checked).
    pub fn list(&self, member: &str) -> Option<Vec<&str>> {
        let items = self.document.get(member)?.as_array()?;
        Some(items.iter().filter_map(Value::as_str).collect())
    }

    /// RFC 9207 §3: whether the provider always sends `iss` in authorization responses.
    pub fn sends_response_iss(&self) -> bool {
        self.document.get("authorization_response_iss_parameter_supported") == Some(&Value::Bool(true))
    }
}

/// Parses and checks a discovery document fetched from the provider against the expected
/// issuer: a document that is not acceptable is the provider answering badly (`ERR_FETCH_FAILED`).
pub fn parse_discovery_document(text: &[u8], expected_issuer: &str) -> Result<Metadata> {
    check(text, expected_issuer, |why| Error::FetchFailed(format!("discovery document: {why}")))
}

/// Parses and checks a discovery document the caller hands over (`parseDiscoveryDocument`, the
/// argument `param`): nothing was fetched, so a document that is not acceptable is an argument
/// that is not (`ERR_INVALID_ARG_VALUE`); the issuer check stays `ERR_ISSUER_MISMATCH`.
pub fn parse_given_discovery_document(text: &[u8], expected_issuer: &str, param: &str) -> Result<Metadata> {
    check(text, expected_issuer, |why| Error::arg_value(param, format!("not a usable discovery document: {why}")))
}

/// The checks of OpenID Connect Discovery 1.0 §3–§4, whoever supplied the document; `bad` says
/// whose fault a document that fails them is.
fn check(text: &[u8], expected_issuer: &str, bad: impl Fn(String) -> Error) -> Result<Metadata> {
    let document = json::parse_object(text).map_err(&bad)?;
    for member in REQUIRED {
        if !document.contains_key(member) {
            return Err(bad(format!("\"{member}\" is missing")));
        }
    }
    for (member, value) in &document {
        let kind = if is_endpoint(member) || member == "issuer" {
            Kind::Url
        } else if member == MTLS_ALIASES {
            Kind::Endpoints
        } else if ["parameter_supported", "logout_supported", "session_supported"]
            .iter()
            .any(|suffix| member.ends_with(suffix))
        {
            Kind::Bool
        } else if member.ends_with("_supported") {
            Kind::StringList
        } else {
            continue;
        };
        kind.check(value).map_err(|why| bad(format!("\"{member}\" {why}")))?;
    }
    let issuer = document.get("issuer").and_then(Value::as_str).unwrap_or_default();
    if issuer != expected_issuer {
        return Err(Error::IssuerMismatch { expected: expected_issuer.to_string(), actual: issuer.to_string() });
    }
    for (member, value) in &document {
        if is_endpoint(member) {
            if let Value::String(url) = value {
                Endpoint::parse(url, member).map_err(|e| bad(e.to_string()))?;
            }
        }
    }
    if let Some(Value::Object(aliases)) = document.get(MTLS_ALIASES) {
        for (member, url) in aliases {
            let url = url.as_str().unwrap_or_default();
            Endpoint::parse(url, &format!("{MTLS_ALIASES}.{member}")).map_err(|e| bad(e.to_string()))?;
        }
    }
    Ok(Metadata { document })
}

enum Kind {
    Url,
    /// An object of URLs.
    Endpoints,
    StringList,
    Bool,
}

impl Kind {
    fn check(&self, value: &Value) -> std::result::Result<(), &'static str> {
        match (self, value) {
            (Kind::Url, Value::String(s)) if !s.is_empty() => Ok(()),
            (Kind::Url, _) => Err("must be a non-empty string"),
            (Kind::Endpoints, Value::Object(urls))
                if urls.values().all(|u| u.as_str().is_some_and(|u| !u.is_empty())) =>
            {
                Ok(())
            }
            (Kind::Endpoints, _) => Err("must be an object of non-empty strings"),
            (Kind::StringList, Value::Array(items)) if items.iter().all(Value::is_string) => Ok(()),
            (Kind::StringList, _) => Err("must be an array of strings"),
            (Kind::Bool, Value::Bool(_)) => Ok(()),
            (Kind::Bool, _) => Err("must be a boolean"),
        }
    }
}

#[cfg(test)]
mod tests;
