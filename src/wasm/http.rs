//! `fetch` for the few requests stepup makes itself (discovery, key sets, the token endpoint),
//! with a timeout, and every failure as `ERR_FETCH_FAILED` naming the request.

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::token_endpoint::{self, GrantRequest};
pub use crate::token_endpoint::{ClientAuth, Grant};
use crate::{Error, Result};

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
    if let Ok(signal) = abort_after(crate::refresh::TIMEOUT_MS.into()) {
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
    // The status stays in the error: an oversized error page is still the provider's error.
    let body = bounded_text(&response)
        .await
        .map_err(|e| what(format!("status {status}, {}", e.as_string().unwrap_or_else(|| describe(e)))))?;
    Ok(Reply { status, body })
}

/// A method of `target`, called with no arguments.
fn call(target: &JsValue, name: &str) -> std::result::Result<JsValue, JsValue> {
    Reflect::get(target, &name.into())?.dyn_into::<Function>()?.call0(target)
}

/// The answer's body as text (UTF-8, as `Response.text()` decodes it), read chunk by chunk and
/// given up past [`crate::refresh::MAX_ANSWER_BYTES`]. A body not read to its end (too long, or
/// its reading failed) is cancelled, so no more of it arrives, and the error says why.
async fn bounded_text(response: &JsValue) -> std::result::Result<String, JsValue> {
    let body = Reflect::get(response, &"body".into())?;
    if body.is_null() || body.is_undefined() {
        return Ok(String::new());
    }
    let reader = call(&body, "getReader")?;
    let read = read_to_limit(&reader, crate::refresh::MAX_ANSWER_BYTES as usize).await;
    if read.is_err() {
        // Whatever cancelling answers (its rejection handled, so none goes unhandled), the
        // answer is refused.
        if let Ok(cancelled) = call(&reader, "cancel") {
            let ignore = Closure::once_into_js(|_: JsValue| {});
            let _ = Reflect::get(&cancelled, &"catch".into())
                .and_then(|f| f.dyn_into::<Function>())
                .and_then(|catch| catch.call1(&cancelled, &ignore));
        }
    }
    // As `Response.text()`: malformed bytes become U+FFFD and a leading byte order mark goes.
    let bytes = read?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
}

/// The chunks of `reader` up to their end, or an error once they pass `limit` bytes.
async fn read_to_limit(reader: &JsValue, limit: usize) -> std::result::Result<Vec<u8>, JsValue> {
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(call(reader, "read")?.dyn_into::<Promise>()?).await?;
        if Reflect::get(&chunk, &"done".into())?.is_truthy() {
            return Ok(bytes);
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())?.dyn_into()?;
        let start = bytes.len();
        if start + value.length() as usize > limit {
            return Err(format!("answer over {limit} bytes").into());
        }
        bytes.resize(start + value.length() as usize, 0);
        if let Some(room) = bytes.get_mut(start..) {
            value.copy_to(room);
        }
    }
}

/// The code exchange: the ID token and the grant (OIDC Core 3.1.3.3: an ID token is required).
pub async fn exchange_code(
    endpoint: &str,
    client: &ClientAuth<'_>,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<(String, Grant)> {
    let mut grant = post_grant(endpoint, token_endpoint::code_request(client, code, redirect_uri, verifier)).await?;
    let id_token = grant.id_token.take().ok_or_else(|| Error::FetchFailed(format!("POST {endpoint}: no id_token")))?;
    Ok((id_token, grant))
}

/// POSTs a grant and reads the answer ([`token_endpoint::read_answer`]).
async fn post_grant(endpoint: &str, request: GrantRequest) -> Result<Grant> {
    let headers: Vec<(&str, &str)> = request.authorization.iter().map(|a| ("authorization", a.as_str())).collect();
    let reply = send(endpoint, Some(&request.body), &headers).await?;
    token_endpoint::read_answer(endpoint, reply.status, reply.body.as_bytes())
}
