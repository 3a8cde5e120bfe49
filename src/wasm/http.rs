//! `fetch` for the few requests stepup makes itself (discovery, key sets, the token endpoint),
//! with a timeout, and every failure as `ERR_FETCH_FAILED` naming the request.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use base64ct::{Base64, Encoding};
use serde_json::Value;

use crate::url::percent_encode;
use crate::{Error, Result};

/// How long stepup waits for an identity provider (jose's default for key sets).
pub const TIMEOUT_MS: f64 = 5000.0;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str, init: &JsValue) -> std::result::Result<Promise, JsValue>;

    #[wasm_bindgen(catch, js_namespace = AbortSignal, js_name = timeout)]
    fn abort_after(ms: f64) -> std::result::Result<JsValue, JsValue>;
}

/// A response's status and body text.
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body, read as text.
    pub body: String,
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// Sends a request: GET without `body`, else POST `application/x-www-form-urlencoded` with
/// the given extra headers (e.g. `authorization` for client authentication).
pub async fn send(url: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Result<Reply> {
    let what =
        |why: String| Error::FetchFailed(format!("{} {url}: {why}", if body.is_some() { "POST" } else { "GET" }));
    let init = Object::new();
    let head = Object::new();
    set(&head, "accept", &"application/json".into());
    for (name, value) in headers {
        set(&head, name, &(*value).into());
    }
    if let Some(body) = body {
        set(&init, "method", &"POST".into());
        set(&head, "content-type", &"application/x-www-form-urlencoded".into());
        set(&init, "body", &body.into());
    }
    set(&init, "headers", &head);
    // Never follow a redirect: a provider's endpoints answer directly. "manual" (a 3xx then fails
    // the status check) because edge runtimes do not implement "error".
    set(&init, "redirect", &"manual".into());
    if let Ok(signal) = abort_after(TIMEOUT_MS) {
        set(&init, "signal", &signal);
    }
    let describe = |e: JsValue| {
        Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| "network error".into())
    };
    let promise = global_fetch(url, &init).map_err(|e| what(describe(e)))?;
    let response = JsFuture::from(promise).await.map_err(|e| what(describe(e)))?;
    let status = Reflect::get(&response, &"status".into())
        .ok()
        .and_then(|s| s.as_f64())
        .map(|s| s as u16)
        .ok_or_else(|| what("not a Response".into()))?;
    let text = Reflect::get(&response, &"text".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| what("not a Response".into()))?;
    let body_promise: Promise =
        text.call0(&response).and_then(|p| p.dyn_into::<Promise>()).map_err(|e| what(describe(e)))?;
    let body = JsFuture::from(body_promise).await.map_err(|e| what(describe(e)))?;
    Ok(Reply { status, body: body.as_string().unwrap_or_default() })
}

/// Who is exchanging a code: a public client (the SPA) sends its id in the body; a confidential
/// one (the guard) authenticates with `client_secret_basic` (RFC 6749 §2.3.1: form-encoded, then
/// base64).
pub struct ClientAuth<'a> {
    pub client_id: &'a str,
    pub secret: Option<&'a str>,
}

/// What a grant gave besides the ID token.
pub struct Grant {
    pub access_token: String,
    /// `expires_in`, seconds.
    pub expires_in: Option<u64>,
    pub refresh_token: Option<String>,
}

/// What a code exchange returned: always an ID token (OIDC Core 3.1.3.3).
pub struct Tokens {
    pub id_token: String,
    pub grant: Grant,
}

/// The code exchange (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.5).
pub async fn exchange_code(
    endpoint: &str,
    client: &ClientAuth<'_>,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Tokens> {
    let body = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
        percent_encode(code),
        percent_encode(redirect_uri),
        percent_encode(verifier)
    );
    let (id_token, grant) = granted(endpoint, post_grant(endpoint, client, body).await?)?;
    let id_token = id_token.ok_or_else(|| Error::FetchFailed(format!("POST {endpoint}: no id_token")))?;
    Ok(Tokens { id_token, grant })
}

/// A refresh (RFC 6749 §6; the ID token is optional, OIDC Core 12.2). `resource` (RFC 8707)
/// asks for an access token for the same API as the sign-in did. `None`: the provider refused
/// the refresh token as invalid, expired or revoked (`invalid_grant`, §5.2) — it will never
/// work again.
pub async fn refresh(
    endpoint: &str,
    client: &ClientAuth<'_>,
    refresh_token: &str,
    resource: Option<&str>,
) -> Result<Option<(Option<String>, Grant)>> {
    let mut body = format!("grant_type=refresh_token&refresh_token={}", percent_encode(refresh_token));
    if let Some(resource) = resource {
        body.push_str(&format!("&resource={}", percent_encode(resource)));
    }
    let answer = post_grant(endpoint, client, body).await?;
    if answer.status == 400 && answer.text("error").as_deref() == Some("invalid_grant") {
        return Ok(None);
    }
    granted(endpoint, answer).map(Some)
}

/// The token endpoint's status and JSON object (if its body is one).
struct Answer {
    status: u16,
    body: Option<crate::json::Object>,
}

impl Answer {
    fn text(&self, name: &str) -> Option<String> {
        self.body.as_ref()?.get(name).and_then(Value::as_str).map(str::to_string)
    }
}

/// POSTs a grant to the token endpoint with the client's authentication.
async fn post_grant(endpoint: &str, client: &ClientAuth<'_>, mut body: String) -> Result<Answer> {
    let basic;
    let mut headers: Vec<(&str, &str)> = Vec::new();
    match client.secret {
        Some(secret) => {
            let pair = format!("{}:{}", percent_encode(client.client_id), percent_encode(secret));
            basic = format!("Basic {}", Base64::encode_string(pair.as_bytes()));
            headers.push(("authorization", &basic));
        }
        None => body.push_str(&format!("&client_id={}", percent_encode(client.client_id))),
    }
    let reply = send(endpoint, Some(&body), &headers).await?;
    Ok(Answer { status: reply.status, body: crate::json::parse_object(reply.body.as_bytes()).ok() })
}

/// A successful answer's tokens; a refusal names the OAuth `error` (RFC 6749 §5.2) given.
fn granted(endpoint: &str, answer: Answer) -> Result<(Option<String>, Grant)> {
    // RFC 6749 §5.2: a 400 (401 for client authentication) with an `error` is the provider's
    // refusal of this grant (a replayed or expired code, say), not an outage.
    if let (400 | 401, Some(error)) = (answer.status, answer.text("error")) {
        return Err(Error::AuthResponseError { error, description: answer.text("error_description") });
    }
    if answer.status != 200 {
        let error = answer.text("error").map(|e| format!(" ({e})")).unwrap_or_default();
        return Err(Error::FetchFailed(format!("POST {endpoint}: status {}{error}", answer.status)));
    }
    if answer.body.is_none() {
        return Err(Error::FetchFailed(format!("POST {endpoint}: not a JSON object")));
    }
    // RFC 6749 §5.1: access_token is REQUIRED; a set without one would never expire or refresh.
    let grant = Grant {
        access_token: answer
            .text("access_token")
            .ok_or_else(|| Error::FetchFailed(format!("POST {endpoint}: no access_token")))?,
        expires_in: answer.body.as_ref().and_then(|r| r.get("expires_in")).and_then(Value::as_u64),
        refresh_token: answer.text("refresh_token"),
    };
    Ok((answer.text("id_token"), grant))
}
