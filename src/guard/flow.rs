//! The guard's decision for one request (contract section 6), as plain data the wasm layer turns
//! into a `Response`: forward (with the identity headers), send a browser to the provider, answer
//! an API with an RFC 6750 / RFC 9470 challenge, or explain a refusal.
//!
//! Every answer the guard makes itself carries `Cache-Control: no-store` (G08): redirects,
//! challenges and pages are about one user at one moment.

use serde_json::{Map, Value};

use super::config::Config;
use super::path::normalize;
use super::redirect::return_location;
use super::rules::Rule;
use super::session::{session_cookie, Transaction};
use crate::authorize::{build_authorization_url, AuthorizationRequest};
use crate::step_up::{build_step_up_challenge, ChallengeParams, Decision, Reason};
use crate::{pkce, Result};

/// Headers the guard sets on forwarded requests; any incoming header with this prefix is
/// removed first, so the origin can trust them (G13).
pub const IDENTITY_PREFIX: &str = "x-stepup-";

/// An answer the guard makes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Header name and value pairs (`Set-Cookie` may repeat).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: String) -> Reply {
        Reply {
            status,
            headers: vec![("cache-control".into(), "no-store".into()), ("content-type".into(), content_type.into())],
            body,
        }
    }

    /// A short HTML page; `message` is escaped.
    pub fn page(status: u16, title: &str, message: &str) -> Reply {
        let body = format!(
            "<!doctype html><meta charset=\"utf-8\"><title>{t}</title>\
             <body style=\"font-family:system-ui;max-width:40em;margin:4em auto\"><h1>{t}</h1><p>{m}</p></body>",
            t = escape(title),
            m = escape(message)
        );
        Reply::new(status, "text/html; charset=utf-8", body)
    }

    fn with(mut self, name: &str, value: String) -> Reply {
        self.headers.push((name.to_string(), value));
        self
    }
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '&' => "&amp;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The redirect path: a sign-in coming back.
    Callback,
    /// No rule: forwarded as is (minus the guard's own cookies and identity headers).
    Open,
    /// A rule applies.
    Guarded(Rule),
}

/// The route for a request path (without query).
pub fn route(config: &Config, path: &str) -> Route {
    let normalized = normalize(path);
    if normalized == normalize(&config.redirect_path) {
        return Route::Callback;
    }
    config.rules.find(&normalized).map_or(Route::Open, Route::Guarded)
}

/// Whether to answer like an API (a challenge) rather than a browser (a redirect): the rule says
/// so, the request carries `Authorization`, or it does not accept HTML (G14).
pub fn is_api(rule: &Rule, authorization: Option<&str>, accept: Option<&str>) -> bool {
    rule.api || authorization.is_some() || !accept.is_some_and(|a| a.contains("text/html"))
}

/// RFC 6750 §3 when there are no credentials at all: `Bearer`, no error.
pub fn unauthorized() -> Reply {
    Reply::new(401, "text/plain; charset=utf-8", "authentication required\n".into())
        .with("www-authenticate", "Bearer".into())
}

/// RFC 6750 §3.1: a malformed `Authorization` header (400 `invalid_request`) or a token that
/// does not verify (401 `invalid_token`). The description is stepup's error code only: details
/// stay out of headers.
pub fn bad_credentials(malformed: bool, code: &str) -> Reply {
    let (status, error) = if malformed { (400, "invalid_request") } else { (401, "invalid_token") };
    Reply::new(status, "text/plain; charset=utf-8", format!("{error}\n"))
        .with("www-authenticate", format!("Bearer error=\"{error}\", error_description=\"{code}\""))
}

/// RFC 9470 §3: 401 with `insufficient_user_authentication` and what to come back with.
pub fn step_up_challenge(decision: &Decision) -> Result<Reply> {
    let params = ChallengeParams {
        acr_values: decision.acr_values.clone().unwrap_or_default(),
        max_age: decision.max_age,
        ..ChallengeParams::default()
    };
    let header = if params.acr_values.is_empty() && params.max_age.is_none() {
        // Only `amr` fell short and the policy names no ACR for it: nothing standard to ask for
        // but a fresh sign-in.
        build_step_up_challenge(&ChallengeParams { max_age: Some(0), ..params })?
    } else {
        build_step_up_challenge(&params)?
    };
    Ok(Reply::new(401, "text/plain; charset=utf-8", "insufficient_user_authentication\n".into())
        .with("www-authenticate", header))
}

/// The parts of the request a sign-in needs.
pub struct Incoming<'a> {
    /// The guarded origin (`https://app.example`), from the request URL.
    pub origin: &'a str,
    /// The path and query to return to after sign-in.
    pub return_to: &'a str,
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// Seconds since the epoch.
    pub now: u64,
}

/// Fresh random values for one sign-in (from the platform CSPRNG, in the wasm layer).
pub struct Randoms {
    /// `state`.
    pub state: [u8; pkce::RANDOM_BYTES],
    /// `nonce`.
    pub nonce: [u8; pkce::RANDOM_BYTES],
    /// The PKCE verifier.
    pub verifier: [u8; pkce::RANDOM_BYTES],
}

/// 302 to the provider asking for what `decision` says is missing, with the transaction cookie.
/// `prompt=login` when only freshness is missing, so a provider session cannot answer it.
pub fn sign_in(
    config: &Config,
    authorization_endpoint: &str,
    request: &Incoming<'_>,
    decision: &Decision,
    randoms: &Randoms,
) -> Result<Reply> {
    let transaction = Transaction {
        state: pkce::random_value(&randoms.state),
        nonce: pkce::random_value(&randoms.nonce),
        verifier: pkce::random_value(&randoms.verifier),
        return_to: request.return_to.to_string(),
        max_age: decision.max_age,
        created: request.now,
    };
    let only_freshness = decision.reasons == [Reason::MaxAge];
    let url = build_authorization_url(&AuthorizationRequest {
        authorization_endpoint: authorization_endpoint.to_string(),
        client_id: config.client_id.clone(),
        redirect_uri: format!("{}{}", request.origin, config.redirect_path),
        state: transaction.state.clone(),
        code_challenge: pkce::code_challenge_s256(&transaction.verifier)?,
        nonce: Some(transaction.nonce.clone()),
        acr_values: decision.acr_values.clone().unwrap_or_default(),
        max_age: decision.max_age,
        prompt: only_freshness.then(|| "login".to_string()),
        ..AuthorizationRequest::default()
    })?;
    let mut reply = Reply::new(302, "text/plain; charset=utf-8", String::new()).with("location", url);
    for cookie in transaction.start(config, request.cookie)? {
        reply = reply.with("set-cookie", cookie);
    }
    Ok(reply)
}

/// After a verified callback whose claims meet the rule: the session cookie, the transaction
/// deleted, 303 back to where the user was going (same origin only, G05-G07).
pub fn signed_in(
    config: &Config,
    transaction: &Transaction,
    session: &Map<String, Value>,
    origin: &str,
    now: u64,
) -> Result<Reply> {
    Ok(Reply::new(303, "text/plain; charset=utf-8", String::new())
        .with("location", return_location(origin, Some(&transaction.return_to)))
        .with("set-cookie", transaction.clear())
        .with("set-cookie", session_cookie(config, session, now)?))
}

/// The callback could not complete: a page saying why, the transaction deleted, never another
/// redirect (G15).
pub fn refused(transaction: Option<&Transaction>, status: u16, title: &str, message: &str) -> Reply {
    let reply = Reply::page(status, title, message);
    match transaction {
        Some(t) => reply.with("set-cookie", t.clear()),
        None => reply,
    }
}

/// The identity headers for a forwarded request.
pub fn identity_headers(claims: &Map<String, Value>) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    let mut add = |name: &str, value: Option<String>| {
        // Header values must be visible ASCII; anything else is left out rather than mangled.
        if let Some(value) = value.filter(|v| v.bytes().all(|b| (0x20..0x7f).contains(&b))) {
            headers.push((format!("{IDENTITY_PREFIX}{name}"), value));
        }
    };
    add("sub", claims.get("sub").and_then(Value::as_str).map(str::to_string));
    add("acr", claims.get("acr").and_then(Value::as_str).map(str::to_string));
    let amr = claims
        .get("amr")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "));
    add("amr", amr);
    add("auth-time", claims.get("auth_time").and_then(Value::as_u64).map(|t| t.to_string()));
    headers
}

#[cfg(test)]
mod tests;
