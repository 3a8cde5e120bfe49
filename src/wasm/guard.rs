//! The edge guard's glue (contract section 6): `new Guard(env)` reads the configuration (a bad
//! setting throws, naming it), and `guard.fetch(request)` answers one request with the core's
//! decision, doing the I/O the core cannot: discovery, key sets, the token endpoint, WebCrypto,
//! random values, the clock and forwarding to the upstream.
//!
//! Provider metadata and the key set are held as [`Document`]s: refreshed after ten minutes,
//! refetched when a token names an unknown `kid` (at most once per cooldown), fetched once for a
//! burst of requests, shared between isolates through the Cache API, and kept through an outage,
//! so signed-in users keep working while the provider is down. Without them the guard answers
//! `503`, never a crash.

use std::collections::BTreeMap;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{AbortController, Headers, Request, Response, ResponseInit};

use super::errors::throw;
use super::provider::Document;
use super::{http, now, verify};
use crate::access_token::AccessTokenOptions;
use crate::callback::{validate_authorization_response, ResponseExpectations};
use crate::discovery::{parse_discovery_document, Metadata};
use crate::guard::config::Config;
use crate::guard::flow::{self, Forward, Incoming, Randoms, Reply, GUARDED_ANSWER};
use crate::guard::judge::{self, Action};
use crate::id_token::IdTokenOptions;
use crate::jwks::KeySet;
use crate::{Error, Result};

#[wasm_bindgen(typescript_custom_section)]
const GUARD_TYPES: &str = r#"
/** The guard's settings (contract section 7), e.g. a worker's `env`. */
export type GuardEnv = { [setting: string]: string | undefined };
"#;

struct Inner {
    config: Config,
    metadata: Document<Metadata>,
    keys: Document<KeySet>,
}

/// The edge guard.
#[wasm_bindgen]
pub struct Guard {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl Guard {
    /// Reads the settings; throws a `TypeError` naming the first missing or invalid one.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "GuardEnv")] env: JsValue) -> std::result::Result<Guard, JsValue> {
        let config = throw(read_env(&env).and_then(|env| Config::from_env(&env)))?;
        let issuer = config.issuer.clone();
        let metadata = Document::new(config.refresh, move |body| parse_discovery_document(body, &issuer));
        let keys = Document::new(config.refresh, KeySet::parse);
        Ok(Guard { inner: Rc::new(Inner { config, metadata, keys }) })
    }

    /// Fetches discovery and checks the rules against it (`acr_values_supported`), so a rule the
    /// provider cannot satisfy stops start-up instead of failing every sign-in.
    #[wasm_bindgen(js_name = checkProvider, unchecked_return_type = "Promise<void>")]
    pub fn check_provider(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let metadata = throw(inner.metadata().await)?;
            throw(inner.config.check_against(&metadata))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Answers one request.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(&self, request: Request) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let response = match inner.handle(&request).await {
                Ok(response) => response,
                Err(e) => respond(&failure(&e))?,
            };
            Ok(response.into())
        })
    }
}

/// The environment as settings: string values only (bindings of other kinds are not settings).
fn read_env(env: &JsValue) -> Result<BTreeMap<String, String>> {
    if !env.is_object() {
        return Err(Error::arg_type("env", "an object of settings"));
    }
    let mut out = BTreeMap::new();
    let keys = Reflect::own_keys(env).map_err(|_| Error::arg_value("env", "could not be read"))?;
    for key in keys.iter() {
        let (Some(name), Ok(value)) = (key.as_string(), Reflect::get(env, &key)) else { continue };
        if let Some(value) = value.as_string() {
            out.insert(name, value);
        }
    }
    Ok(out)
}

/// An error the guard could not turn into a decision: the provider is unreachable (503) or
/// something is wrong with the guard itself (500). The page names the provider's failure but
/// never the guard's internals, which go to the log.
fn failure(e: &Error) -> Reply {
    match e {
        Error::FetchFailed(why) => {
            Reply::page(503, "Sign-in is unavailable", &format!("The identity provider cannot be reached: {why}"))
        }
        other => {
            web_sys_log(&format!("stepup guard: {other}"));
            Reply::page(500, "The guard failed", "The request could not be handled. Try again later.")
        }
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn web_sys_log(message: &str);

    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch(url: &str, init: &JsValue) -> std::result::Result<Promise, JsValue>;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

fn respond(reply: &Reply) -> std::result::Result<Response, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in &reply.headers {
        headers.append(name, value)?;
    }
    let init = ResponseInit::new();
    init.set_status(reply.status);
    init.set_headers(&headers);
    let body = (!reply.body.is_empty()).then_some(reply.body.as_str());
    Response::new_with_opt_str_and_init(body, &init)
}

fn reply_js(reply: &Reply) -> Result<Response> {
    respond(reply).map_err(|e| Error::FetchFailed(format!("building a response: {}", describe(&e))))
}

fn describe(e: &JsValue) -> String {
    Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| "failed".into())
}

fn random() -> Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|_| Error::CryptoUnavailable("crypto.getRandomValues".into()))?;
    Ok(bytes)
}

/// The request's headers as Fetch lists them (lower-case names, repeated ones joined).
fn header_list(request: &Request) -> Vec<(String, String)> {
    let entries = js_sys::try_iter(&request.headers()).ok().flatten();
    entries
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pair = js_sys::Array::from(&entry);
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

impl Inner {
    fn now(&self) -> u64 {
        now(None) as u64
    }

    async fn metadata(&self) -> Result<Rc<Metadata>> {
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer.trim_end_matches('/'));
        self.metadata.get(&url, false).await
    }

    async fn keys(&self, metadata: &Metadata, kid_missing: bool) -> Result<Rc<KeySet>> {
        let url = metadata.str("jwks_uri").ok_or_else(|| Error::FetchFailed("discovery names no jwks_uri".into()))?;
        self.keys.get(url, kid_missing).await
    }

    /// Runs a verification, and once more with a refreshed key set when the token names a key
    /// the held set lacks (rotation, C03).
    async fn with_keys<F, Fut>(&self, metadata: &Metadata, verify: F) -> Result<Map<String, Value>>
    where
        F: Fn(Rc<KeySet>) -> Fut,
        Fut: std::future::Future<Output = Result<Map<String, Value>>>,
    {
        match verify(self.keys(metadata, false).await?).await {
            // Still no key after a refetch that failed: the provider is at fault, not the token.
            Err(Error::JwksNoMatchingKey) => match verify(self.keys(metadata, true).await?).await {
                Err(Error::JwksNoMatchingKey) => Err(self.keys.failure().unwrap_or(Error::JwksNoMatchingKey)),
                other => other,
            },
            other => other,
        }
    }

    /// Carries out the core's answer ([`judge`]), doing the I/O it asks for.
    async fn handle(&self, request: &Request) -> Result<Response> {
        let url = request.url();
        let headers = header_list(request);
        let incoming = judge::Request { url: &url, headers: &headers };
        let mut action = judge::judge(&self.config, &incoming, self.now())?;
        loop {
            action = match action {
                Action::Reply(reply) => return reply_js(&reply),
                Action::Forward(plan) => return self.forward(request, &plan).await,
                Action::Callback { origin } => return reply_js(&self.callback(&incoming, &origin).await?),
                Action::VerifyBearer(pending) => {
                    let verified = match self.access_token(&pending.token).await {
                        Err(e @ Error::FetchFailed(_)) => return Err(e),
                        other => other,
                    };
                    let verified = verified.as_ref().map_err(Error::code);
                    judge::after_bearer(&self.config, &pending, verified, &incoming, self.now())?
                }
                Action::SignIn(sign_in) => {
                    let metadata = self.metadata().await?;
                    let endpoint = metadata.str("authorization_endpoint").unwrap_or_default().to_string();
                    let randoms = Randoms { state: random()?, nonce: random()?, verifier: random()? };
                    let incoming = Incoming {
                        origin: &sign_in.origin,
                        return_to: &sign_in.return_to,
                        cookie: incoming.header("cookie"),
                        now: self.now(),
                    };
                    Action::Reply(flow::sign_in(&self.config, &endpoint, &incoming, &sign_in.decision, &randoms)?)
                }
            }
        }
    }

    async fn access_token(&self, token: &str) -> Result<Map<String, Value>> {
        let Some(audience) = self.config.api_audience.clone() else {
            return Err(Error::claim_invalid(
                "aud",
                "this guard accepts no bearer tokens (STEPUP_API_AUDIENCE is not set)",
            ));
        };
        let metadata = self.metadata().await?;
        let options =
            AccessTokenOptions { issuer: self.config.issuer.clone(), audience, ..AccessTokenOptions::default() };
        self.with_keys(&metadata, |keys| {
            let options = options.clone();
            async move { verify::access_token(token, &keys, &options).await }
        })
        .await
    }

    /// The redirect path: the transaction, the response, the code exchange, the ID token and the
    /// rule the user was going to, in that order; any failure is a page, never another redirect.
    async fn callback(&self, request: &judge::Request<'_>, origin: &str) -> Result<Reply> {
        let now = self.now();
        let transaction = match judge::callback_state(&self.config, request, now) {
            Ok(transaction) => transaction,
            Err(page) => return Ok(page),
        };
        let metadata = self.metadata().await?;
        let expect = ResponseExpectations {
            expected_state: Some(transaction.state.clone()),
            expected_issuer: self.config.issuer.clone(),
            require_issuer: metadata.sends_response_iss(),
        };
        let code = match validate_authorization_response(request.url, &expect) {
            Ok(response) => response.code,
            Err(Error::AuthResponseError { error, description }) => {
                let message = if error == "unmet_authentication_requirements" {
                    "The identity provider could not authenticate you as strongly as this page requires.".to_string()
                } else {
                    format!("The identity provider refused the sign-in: {error} {}", description.unwrap_or_default())
                };
                return Ok(flow::refused(Some(&transaction), 403, "Sign-in refused", &message));
            }
            Err(e) => return Ok(flow::refused(Some(&transaction), 400, "Invalid sign-in response", &e.to_string())),
        };
        let endpoint = metadata.str("token_endpoint").unwrap_or_default();
        let client =
            http::ClientAuth { client_id: &self.config.client_id, secret: self.config.client_secret.as_deref() };
        let redirect_uri = format!("{origin}{}", self.config.redirect_path);
        let (id_token, _) = match http::exchange_code(endpoint, &client, &code, &redirect_uri, &transaction.verifier)
            .await
        {
            Ok(tokens) => tokens,
            // The provider refused the code (replayed, expired, not this client's): this sign-in
            // is over, whatever the network did (RFC 6749 §5.2).
            Err(Error::AuthResponseError { error, .. }) => {
                let message =
                    format!("The identity provider refused to complete the sign-in ({error}). Go back and try again.");
                return Ok(flow::refused(Some(&transaction), 400, "The sign-in could not be completed", &message));
            }
            Err(e) => return Err(e),
        };
        let options = IdTokenOptions {
            issuer: self.config.issuer.clone(),
            audience: self.config.client_id.clone(),
            expected_nonce: Some(transaction.nonce.clone()),
            max_age: transaction.max_age,
            ..IdTokenOptions::default()
        };
        let claims = self
            .with_keys(&metadata, |keys| {
                let options = options.clone();
                let id_token = id_token.clone();
                async move { verify::id_token(&id_token, &keys, &options).await }
            })
            .await;
        match claims {
            Ok(claims) => judge::signed_in(&self.config, &transaction, &claims, request, origin, now),
            Err(e @ Error::FetchFailed(_)) => Err(e),
            Err(e) => Ok(flow::refused(Some(&transaction), 403, "The sign-in could not be verified", &e.to_string())),
        }
    }

    /// Forwards to the upstream exactly as planned: the request's own headers (copied once),
    /// minus and plus what the plan says, to the judged target. A hung upstream is a `504` after
    /// `STEPUP_UPSTREAM_TIMEOUT`; the upstream cannot set the guard's cookies (G22), and a
    /// guarded answer is made private and uncacheable (G08).
    async fn forward(&self, request: &Request, plan: &Forward) -> Result<Response> {
        // A request the runtime will not build is the guard's own failure (a 500 that shows nothing),
        // never "the provider cannot be reached".
        let fail = |e: JsValue| Error::arg_value("the forwarded request", describe(&e));
        let headers = Headers::new_with_headers(&request.headers()).map_err(fail)?;
        for name in &plan.remove {
            headers.delete(name).map_err(fail)?;
        }
        for (name, value) in &plan.set {
            headers.set(name, value).map_err(fail)?;
        }
        let controller = AbortController::new().map_err(fail)?;
        let init = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&init, &k.into(), v).map(|_| ());
        set("method", &request.method().into()).map_err(fail)?;
        set("headers", &headers).map_err(fail)?;
        set("redirect", &"manual".into()).map_err(fail)?;
        set("signal", &controller.signal()).map_err(fail)?;
        if !matches!(request.method().as_str(), "GET" | "HEAD") {
            if let Some(body) = request.body() {
                set("body", &body).map_err(fail)?;
            }
        }
        // The timeout covers the wait for the answer's head only: a long download is not cut.
        let abort = Reflect::get(&controller, &"abort".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .map(|f| f.bind0(&controller));
        let timer = abort.map(|abort| set_timeout(&abort, self.config.upstream_timeout as f64 * 1000.0));
        let answer = match fetch(&plan.url, &init) {
            Ok(promise) => JsFuture::from(promise).await,
            Err(e) => Err(e),
        };
        if let Some(timer) = &timer {
            clear_timeout(timer);
        }
        let response: Response = match answer {
            Ok(response) => response.unchecked_into(),
            Err(e) if controller.signal().aborted() => {
                web_sys_log(&format!("stepup guard: the upstream did not answer in time: {}", describe(&e)));
                return reply_js(&Reply::page(504, "The application did not answer", "Try again later."));
            }
            Err(e) => {
                web_sys_log(&format!("stepup guard: the upstream cannot be reached: {}", describe(&e)));
                return reply_js(&Reply::page(502, "The application cannot be reached", "Try again later."));
            }
        };
        let cookies = set_cookies(&response.headers());
        let planted = cookies.iter().any(|c| !flow::upstream_may_set(c));
        let clear_site_data = response.headers().get("clear-site-data").ok().flatten();
        if !plan.guarded && !planted && clear_site_data.is_none() {
            return Ok(response);
        }
        // The answer rebuilt as the core says; what cannot be rebuilt (a status the runtime
        // refuses, say) is the application's failure, a 502, never the provider's.
        let rebuilt = (|| -> std::result::Result<Response, JsValue> {
            if !flow::upstream_status_usable(response.status()) {
                return Err(JsValue::from_str(&format!("status {}", response.status())));
            }
            let out = Headers::new_with_headers(&response.headers())?;
            if let Some(value) = &clear_site_data {
                match flow::upstream_clear_site_data(value) {
                    Some(kept) => out.set("clear-site-data", &kept)?,
                    None => out.delete("clear-site-data")?,
                }
            }
            if planted {
                out.delete("set-cookie")?;
                for cookie in cookies.iter().filter(|c| flow::upstream_may_set(c)) {
                    out.append("set-cookie", cookie)?;
                }
            }
            if plan.guarded {
                for name in GUARDED_ANSWER.remove {
                    out.delete(name)?;
                }
                for (name, value) in GUARDED_ANSWER.set {
                    out.set(name, value)?;
                }
                for (name, value) in GUARDED_ANSWER.append {
                    out.append(name, value)?;
                }
            }
            let init = ResponseInit::new();
            init.set_status(response.status());
            init.set_status_text(&response.status_text());
            init.set_headers(&out);
            Response::new_with_opt_readable_stream_and_init(response.body().as_ref(), &init)
        })();
        rebuilt.or_else(|e| {
            let why = e.as_string().unwrap_or_else(|| describe(&e));
            web_sys_log(&format!("stepup guard: the upstream's answer cannot be passed on: {why}"));
            reply_js(&Reply::page(502, "The application's answer cannot be passed on", "Try again later."))
        })
    }
}

/// The `Set-Cookie` lines of an answer, each on its own (`Headers.getSetCookie`).
fn set_cookies(headers: &Headers) -> Vec<String> {
    let Some(get) = Reflect::get(headers, &"getSetCookie".into()).ok().and_then(|f| f.dyn_into::<Function>().ok())
    else {
        return Vec::new();
    };
    let Ok(list) = get.call0(headers) else { return Vec::new() };
    js_sys::Array::from(&list).iter().filter_map(|v| v.as_string()).collect()
}
