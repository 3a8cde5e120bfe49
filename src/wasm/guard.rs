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

use js_sys::{Object, Promise, Reflect};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{Headers, Request, Response, ResponseInit};

use super::errors::throw;
use super::provider::Document;
use super::{http, now, verify};
use crate::access_token::AccessTokenOptions;
use crate::callback::{validate_authorization_response, ResponseExpectations};
use crate::discovery::{parse_discovery_document, Metadata};
use crate::guard::bearer::{credentials, Credentials};
use crate::guard::config::Config;
use crate::guard::flow::{self, Incoming, Randoms, Reply, Route, IDENTITY_PREFIX};
use crate::guard::session::{read_session, session_claims, Transaction};
use crate::id_token::IdTokenOptions;
use crate::jwks::KeySet;
use crate::url::parse_query;
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
/// something is wrong with the guard itself (500). Never a partial answer.
fn failure(e: &Error) -> Reply {
    match e {
        Error::FetchFailed(why) => {
            Reply::page(503, "Sign-in is unavailable", &format!("The identity provider cannot be reached: {why}"))
        }
        other => Reply::page(500, "The guard failed", &other.to_string()),
    }
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

fn random() -> Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|_| Error::CryptoUnavailable("crypto.getRandomValues".into()))?;
    Ok(bytes)
}

fn header(request: &Request, name: &str) -> Option<String> {
    request.headers().get(name).ok().flatten()
}

/// `(origin, path, path and query)` of a request URL.
fn split_url(url: &str) -> (String, String, String) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let (scheme, tail) = url.split_at_checked(after_scheme).unwrap_or(("", url));
    let (authority, rest) = tail.split_at_checked(tail.find('/').unwrap_or(tail.len())).unwrap_or((tail, ""));
    let path_and_query = rest.split('#').next().unwrap_or_default().to_string();
    let path = path_and_query.split('?').next().unwrap_or_default().to_string();
    (format!("{scheme}{authority}"), if path.is_empty() { "/".into() } else { path }, path_and_query)
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

    async fn handle(&self, request: &Request) -> Result<Response> {
        let url = request.url();
        let (origin, path, path_and_query) = split_url(&url);
        // F18: with a configured public origin, the request's Host decides nothing.
        let origin = match &self.config.public_origin {
            Some(public) if !public.eq_ignore_ascii_case(&origin) => {
                return reply_js(&Reply::page(421, "Wrong host", "This guard does not serve that host."));
            }
            Some(public) => public.clone(),
            None => origin,
        };
        let cookie = header(request, "cookie");
        let route = flow::route(&self.config, &path);
        let reply = match &route {
            Route::Callback => self.callback(&url, &origin, cookie.as_deref()).await?,
            Route::Open => return self.forward(request, &path_and_query, &[], false).await,
            Route::Guarded(rule) => {
                let authorization = header(request, "authorization");
                let api = flow::is_api(rule, authorization.as_deref(), header(request, "accept").as_deref());
                let now = self.now();
                let claims = match credentials(authorization.as_deref()) {
                    Credentials::Malformed => {
                        return reply_js(&flow::bad_credentials(true, "malformed Authorization header"))
                    }
                    Credentials::Bearer(token) => match self.access_token(token).await {
                        Ok(claims) => Some(claims),
                        Err(Error::FetchFailed(why)) => return Err(Error::FetchFailed(why)),
                        Err(e) => return reply_js(&flow::bad_credentials(false, e.code())),
                    },
                    Credentials::None => read_session(&self.config, cookie.as_deref(), now),
                };
                let decision = rule.need.evaluate(
                    claims.as_ref().unwrap_or(&Map::new()),
                    &self.config.policy,
                    now as i64,
                    crate::claims::DEFAULT_CLOCK_TOLERANCE,
                );
                match (claims, api) {
                    (Some(claims), _) if decision.satisfied => {
                        return self.forward(request, &path_and_query, &flow::identity_headers(&claims), true).await
                    }
                    (None, true) => flow::unauthorized(),
                    (Some(_), true) => flow::step_up_challenge(&decision)?,
                    (_, false) => {
                        let metadata = self.metadata().await?;
                        let endpoint = metadata.str("authorization_endpoint").unwrap_or_default().to_string();
                        let randoms = Randoms { state: random()?, nonce: random()?, verifier: random()? };
                        let incoming =
                            Incoming { origin: &origin, return_to: &path_and_query, cookie: cookie.as_deref(), now };
                        flow::sign_in(&self.config, &endpoint, &incoming, &decision, &randoms)?
                    }
                }
            }
        };
        reply_js(&reply)
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
    async fn callback(&self, url: &str, origin: &str, cookie: Option<&str>) -> Result<Reply> {
        let now = self.now();
        let query = url.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or_default()).unwrap_or_default();
        let state =
            parse_query(query).ok().and_then(|pairs| pairs.into_iter().find(|(n, _)| n == "state").map(|(_, v)| v));
        let Some(transaction) = state.and_then(|s| Transaction::find(&self.config, cookie, &s, now)) else {
            return Ok(flow::refused(None, 400, "This sign-in has expired", "The sign-in was already completed, took too long, or started in another browser. Go back and try again."));
        };
        let metadata = self.metadata().await?;
        let expect = ResponseExpectations {
            expected_state: Some(transaction.state.clone()),
            expected_issuer: self.config.issuer.clone(),
            require_issuer: metadata.sends_response_iss(),
        };
        let code = match validate_authorization_response(url, &expect) {
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
        let tokens = http::exchange_code(endpoint, &client, &code, &redirect_uri, &transaction.verifier).await?;
        let id_token = tokens.id_token;
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
        let claims = match claims {
            Ok(claims) => claims,
            Err(e @ Error::FetchFailed(_)) => return Err(e),
            Err(e) => {
                return Ok(flow::refused(Some(&transaction), 403, "The sign-in could not be verified", &e.to_string()))
            }
        };
        if !crate::claims::same_user(read_session(&self.config, cookie, now).as_ref(), &claims) {
            let message = "The identity provider signed in a different user than the one signed in here. Sign out first to switch users.";
            return Ok(flow::refused(Some(&transaction), 403, "Signed in as someone else", message));
        }
        // The rule the user was going to, judged on the new token (G15: short again is a page).
        let (_, return_path, _) = split_url(&format!("{origin}{}", transaction.return_to));
        if let Route::Guarded(rule) = flow::route(&self.config, &return_path) {
            let decision =
                rule.need.evaluate(&claims, &self.config.policy, now as i64, crate::claims::DEFAULT_CLOCK_TOLERANCE);
            if !decision.satisfied {
                let asked = decision.acr_values.unwrap_or_default().join(" ");
                let got = claims.get("acr").and_then(Value::as_str).unwrap_or("none");
                let message = format!("This page needs a stronger or more recent sign-in (asked for {asked:?}, signed in with {got:?}), and the identity provider did not provide it.");
                return Ok(flow::refused(Some(&transaction), 403, "Sign-in not strong enough", &message));
            }
        }
        flow::signed_in(&self.config, &transaction, &session_claims(&claims), origin, now)
    }

    /// Forwards to the upstream without the guard's cookies or any incoming identity header, with
    /// the verified identity added; guarded answers are made private and uncacheable (G08).
    async fn forward(
        &self,
        request: &Request,
        path_and_query: &str,
        identity: &[(String, String)],
        guarded: bool,
    ) -> Result<Response> {
        let fail = |e: JsValue| Error::FetchFailed(format!("upstream: {}", describe(&e)));
        let Some(upstream) = &self.config.upstream else {
            return reply_js(&session_page(identity, guarded)).map_err(|_| Error::FetchFailed("response".into()));
        };
        let headers = Headers::new().map_err(fail)?;
        let incoming = request.headers();
        let entries = js_sys::try_iter(&incoming).ok().flatten();
        for entry in entries.into_iter().flatten().flatten() {
            let pair = js_sys::Array::from(&entry);
            let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) else { continue };
            if name.starts_with(IDENTITY_PREFIX) {
                continue;
            }
            if name == "cookie" {
                let kept: Vec<&str> =
                    value.split(';').map(str::trim).filter(|c| !c.starts_with("__Host-stepup-")).collect();
                if !kept.is_empty() {
                    headers.append("cookie", &kept.join("; ")).map_err(fail)?;
                }
                continue;
            }
            headers.append(&name, &value).map_err(fail)?;
        }
        for (name, value) in identity {
            headers.set(name, value).map_err(fail)?;
        }
        let init = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&init, &k.into(), v).map(|_| ());
        set("method", &request.method().into()).map_err(fail)?;
        set("headers", &headers).map_err(fail)?;
        set("redirect", &"manual".into()).map_err(fail)?;
        if !matches!(request.method().as_str(), "GET" | "HEAD") {
            if let Some(body) = request.body() {
                set("body", &body).map_err(fail)?;
            }
        }
        let promise = fetch(&format!("{upstream}{path_and_query}"), &init).map_err(fail)?;
        let response: Response = JsFuture::from(promise).await.map_err(fail)?.unchecked_into();
        if !guarded {
            return Ok(response);
        }
        let copy = Response::new_with_opt_readable_stream_and_init(response.body().as_ref(), &{
            let init = ResponseInit::new();
            init.set_status(response.status());
            init.set_headers(&response.headers());
            init
        })
        .map_err(fail)?;
        copy.headers().set("cache-control", "private, no-store").map_err(fail)?;
        copy.headers().append("vary", "Cookie, Authorization").map_err(fail)?;
        Ok(copy)
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch(url: &str, init: &JsValue) -> std::result::Result<Promise, JsValue>;
}

fn describe(e: &JsValue) -> String {
    Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| "failed".into())
}

fn reply_js(reply: &Reply) -> Result<Response> {
    respond(reply).map_err(|e| Error::FetchFailed(format!("building a response: {}", describe(&e))))
}

/// Without an upstream: a page that shows who is signed in (the demo's and `make worker`'s
/// default), as JSON for tools.
fn session_page(identity: &[(String, String)], guarded: bool) -> Reply {
    let members: Map<String, Value> = identity
        .iter()
        .map(|(k, v)| (k.trim_start_matches(IDENTITY_PREFIX).to_string(), Value::String(v.clone())))
        .collect();
    let mut body = Map::new();
    body.insert("guarded".into(), guarded.into());
    body.insert("identity".into(), Value::Object(members));
    Reply {
        status: 200,
        headers: vec![
            ("cache-control".into(), "private, no-store".into()),
            ("content-type".into(), "application/json".into()),
        ],
        body: Value::Object(body).to_string(),
    }
}
