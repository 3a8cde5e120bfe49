//! The token endpoint, sans I/O: the request a grant sends (RFC 6749 §4.1.3 with PKCE, RFC 7636
//! §4.5; a refresh, §6) and what its answer means (§5.1, §5.2). The shell only POSTs the body
//! with the headers and hands back the status and the body.

use base64ct::{Base64, Encoding};
use serde_json::Value;

use crate::url::percent_encode;
use crate::{Error, Result};

/// Who is asking: a public client (the SPA) sends its id in the body; a confidential one (the
/// guard) authenticates with `client_secret_basic` (RFC 6749 §2.3.1: form-encoded, then base64).
pub struct ClientAuth<'a> {
    /// `client_id`.
    pub client_id: &'a str,
    /// The client secret of a confidential client.
    pub secret: Option<&'a str>,
}

/// A grant request (or an introspection request, [`crate::introspection::request`]) to POST as
/// `application/x-www-form-urlencoded`.
pub struct GrantRequest {
    /// The form body.
    pub body: String,
    /// `Authorization: Basic …` for a confidential client.
    pub authorization: Option<String>,
}

impl std::fmt::Debug for GrantRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body carries the code, the verifier or the refresh token; the header the secret.
        f.debug_struct("GrantRequest").finish_non_exhaustive()
    }
}

/// The code exchange (RFC 6749 §4.1.3, RFC 7636 §4.5).
pub fn code_request(client: &ClientAuth<'_>, code: &str, redirect_uri: &str, verifier: &str) -> GrantRequest {
    let body = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
        percent_encode(code),
        percent_encode(redirect_uri),
        percent_encode(verifier)
    );
    authenticated(client, body)
}

/// A refresh (RFC 6749 §6). `resource` (RFC 8707) asks for an access token for the same API as
/// the sign-in did.
pub fn refresh_request(client: &ClientAuth<'_>, refresh_token: &str, resource: Option<&str>) -> GrantRequest {
    let mut body = format!("grant_type=refresh_token&refresh_token={}", percent_encode(refresh_token));
    if let Some(resource) = resource {
        body.push_str(&format!("&resource={}", percent_encode(resource)));
    }
    authenticated(client, body)
}

/// `body` with the client's authentication (for a public client, its id in the body).
pub(crate) fn authenticated(client: &ClientAuth<'_>, mut body: String) -> GrantRequest {
    let authorization = match client.secret {
        Some(secret) => {
            let pair = format!("{}:{}", percent_encode(client.client_id), percent_encode(secret));
            Some(format!("Basic {}", Base64::encode_string(pair.as_bytes())))
        }
        None => {
            body.push_str(&format!("&client_id={}", percent_encode(client.client_id)));
            None
        }
    };
    GrantRequest { body, authorization }
}

/// What a successful grant gave.
pub struct Grant {
    /// `id_token` (required for a code exchange, OIDC Core 3.1.3.3; optional on a refresh,
    /// 12.2).
    pub id_token: Option<String>,
    /// `access_token`.
    pub access_token: String,
    /// `expires_in`, seconds.
    pub expires_in: Option<u64>,
    /// `refresh_token`.
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("id_token", &crate::secret::redact(&self.id_token))
            .field("access_token", &crate::secret::Redacted)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &crate::secret::redact(&self.refresh_token))
            .finish()
    }
}

/// Reads the token endpoint's answer (`endpoint` names it in errors):
///
/// - `400` or `401` with an `error` (RFC 6749 §5.2) is the provider refusing this grant — a
///   replayed or expired code, a revoked refresh token — [`Error::AuthResponseError`], never
///   an outage;
/// - any other status, or a body that is not a JSON object, is [`Error::FetchFailed`];
/// - a success (§5.1) needs `access_token` and `token_type`, compared case-insensitively
///   (§5.1, §7.1) and only `Bearer` is usable (RFC 6750), so the access token must be one that
///   `Authorization: Bearer` carries as it is (visible ASCII, no space), never a token every later call
///   would fail to send; `expires_in` is a number or, as some providers send it, a numeric
///   string — anything else is an error, never a token that does not expire.
pub fn read_answer(endpoint: &str, status: u16, body: &[u8]) -> Result<Grant> {
    let object = crate::json::parse_object(body).ok();
    let text = |name: &str| object.as_ref()?.get(name).and_then(Value::as_str).map(str::to_string);
    let failed = |why: String| Error::FetchFailed(format!("POST {endpoint}: {why}"));
    if let (400 | 401, Some(error)) = (status, text("error")) {
        return Err(Error::AuthResponseError { error, description: text("error_description") });
    }
    if status != 200 {
        let error = text("error").map(|e| format!(" ({e})")).unwrap_or_default();
        return Err(failed(format!("status {status}{error}")));
    }
    let Some(object) = &object else { return Err(failed("not a JSON object".into())) };
    let access_token = text("access_token").ok_or_else(|| failed("no access_token".into()))?;
    if !sendable(&access_token) {
        return Err(failed("access_token is not a token Authorization can carry".into()));
    }
    match text("token_type") {
        Some(kind) if kind.eq_ignore_ascii_case("bearer") => {}
        Some(kind) => return Err(failed(format!("token_type {kind:?} is not Bearer"))),
        None => return Err(failed("no token_type".into())),
    }
    let expires_in = match object.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(|| failed("expires_in is not a whole number".into()))?),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.parse().map_err(|_| failed("expires_in is out of range".into()))?)
        }
        Some(_) => return Err(failed("expires_in is not a number of seconds".into())),
    };
    Ok(Grant { id_token: text("id_token"), access_token, expires_in, refresh_token: text("refresh_token") })
}

/// Whether an access token can be sent as `Authorization: Bearer <token>` as it is: visible ASCII
/// (RFC 6749 §A.12 allows `VSCHAR`, 0x20 to 0x7E), without the space that would split the
/// credentials. Looser than RFC 6750's `b64token`, as providers are (Salesforce's tokens hold `!`).
fn sendable(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

/// Auth0's refusal of a grant until the user signs in with multi-factor authentication:
/// `error: "mfa_required"` (Auth0 answers it with HTTP 403, which RFC 6749 §5.2 does not name),
/// on any 4xx status. Not a failure of the provider: the caller must step up.
pub fn mfa_required(status: u16, body: &[u8]) -> bool {
    (400..500).contains(&status)
        && crate::json::parse_object(body)
            .ok()
            .is_some_and(|o| o.get("error").and_then(Value::as_str) == Some("mfa_required"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "https://idp.example/token";

    fn read(status: u16, body: &str) -> Result<Grant> {
        read_answer(ENDPOINT, status, body.as_bytes())
    }

    #[test]
    fn requests_authenticate_public_and_confidential_clients() {
        let public = ClientAuth { client_id: "spa", secret: None };
        let r = code_request(&public, "c&d", "https://app/cb", "v");
        assert_eq!(
            r.body,
            "grant_type=authorization_code&code=c%26d&redirect_uri=https%3A%2F%2Fapp%2Fcb&code_verifier=v&client_id=spa"
        );
        assert_eq!(r.authorization, None);
        let confidential = ClientAuth { client_id: "edge:1", secret: Some("s e") };
        let r = refresh_request(&confidential, "rt", Some("https://api"));
        assert_eq!(r.body, "grant_type=refresh_token&refresh_token=rt&resource=https%3A%2F%2Fapi");
        // RFC 6749 §2.3.1: each part form-encoded before base64.
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Basic {}", Base64::encode_string(b"edge%3A1:s%20e")).as_str())
        );
        assert!(!format!("{r:?}").contains("rt"));
    }

    #[test]
    fn x14_an_access_token_is_one_authorization_can_carry() {
        let with =
            |token: &str| read(200, &serde_json::json!({ "access_token": token, "token_type": "Bearer" }).to_string());
        // Salesforce's tokens hold `!`, which Authorization carries as it is.
        for good in
            ["a", "eyJ.eyJ.sig", "a-b_c~d+e/f==", "2YotnFZFEjr1zCsicMWpAA", "00D5e000000abcd!AQ0AQH1xYz.Abc_def"]
        {
            assert_eq!(with(good).unwrap().access_token, good);
        }
        for bad in ["", "AT\nline-break", "AT-\u{100}-wide", "a\0b", "a b", "a\tb", "é", "a\u{7f}"] {
            let e = with(bad).unwrap_err();
            assert_eq!(e.code(), "ERR_FETCH_FAILED", "{bad:?}");
            assert!(e.to_string().contains("not a token Authorization can carry"), "{e}");
        }
    }

    #[test]
    fn rfc6749_5_1_token_type_and_expires_in() {
        let ok = read(200, r#"{"access_token":"a","token_type":"bearer","expires_in":"3600","id_token":"i"}"#).unwrap();
        assert_eq!((ok.expires_in, ok.id_token.as_deref()), (Some(3600), Some("i")));
        assert_eq!(
            read(200, r#"{"access_token":"a","token_type":"Bearer","expires_in":60}"#).unwrap().expires_in,
            Some(60)
        );
        assert_eq!(read(200, r#"{"access_token":"a","token_type":"BEARER"}"#).unwrap().expires_in, None);
        for bad in [
            r#"{"access_token":"a"}"#,
            r#"{"access_token":"a","token_type":"DPoP"}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":"1h"}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":-5}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":1.5}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":""}"#,
            r#"{"token_type":"Bearer"}"#,
            "not json",
        ] {
            assert!(matches!(read(200, bad), Err(Error::FetchFailed(_))), "{bad}");
        }
    }

    #[test]
    fn rfc6749_5_2_refusals_are_typed() {
        let e = read(400, r#"{"error":"invalid_grant","error_description":"code already used"}"#).unwrap_err();
        assert_eq!(
            e,
            Error::AuthResponseError { error: "invalid_grant".into(), description: Some("code already used".into()) }
        );
        assert!(matches!(read(401, r#"{"error":"invalid_client"}"#), Err(Error::AuthResponseError { .. })));
        assert!(matches!(read(500, r#"{"error":"server_error"}"#), Err(Error::FetchFailed(_))));
        assert!(matches!(read(400, "<html>"), Err(Error::FetchFailed(_))));
    }

    #[test]
    fn debug_hides_the_tokens() {
        let grant = read(200, r#"{"access_token":"s3cret","token_type":"Bearer","refresh_token":"r3fresh"}"#).unwrap();
        let shown = format!("{grant:?}");
        assert!(!shown.contains("s3cret") && !shown.contains("r3fresh"), "{shown}");
    }

    #[test]
    fn auth0_mfa_required_is_read_on_any_client_error() {
        let body =
            br#"{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"m"}"#;
        assert!(mfa_required(403, body));
        assert!(mfa_required(400, body));
        assert!(!mfa_required(500, body), "a server error is the provider failing");
        assert!(!mfa_required(403, br#"{"error":"access_denied"}"#));
        assert!(!mfa_required(403, b"mfa_required"));
    }
}
