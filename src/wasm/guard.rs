//! The edge guard's wasm face (contract section 6), `GuardCore`, driven by the package's `Guard`
//! (`js/guard.js`): `decide` hands over the core's answer to a request when it needs no I/O
//! (forward as planned, or reply), and `resolve` does the I/O the core cannot — discovery, key
//! sets, the token endpoint, WebCrypto, random values — for the answers that need the provider.
//! Forwarding itself, and the upstream's answer, are the JavaScript shell's, as the core says.
//!
//! Provider metadata and the key set are held as [`Document`]s: refreshed after ten minutes,
//! refetched when a token names an unknown `kid` (at most once per cooldown), fetched once for a
//! burst of requests, shared between isolates through the Cache API, and kept through an outage,
//! so signed-in users keep working while the provider is down. Without them the guard answers
//! `503`, never a crash. With the `introspection` profile, bearer tokens are POSTed to the
//! provider's introspection endpoint instead, and the answers the core believed are reused as
//! its [`Cache`] says.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use js_sys::{Promise, Reflect};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::errors::throw;
use super::flight::Flight;
use super::provider::Document;
use super::{http, now, verify};
use crate::access_token::{AccessTokenOptions, Profile, Verification};
use crate::discovery::{parse_discovery_document, Metadata};
use crate::guard::config::Config;
use crate::guard::flow::{self, Incoming, Randoms, Reply, GUARDED_ANSWER};
use crate::guard::judge::{self, Action};
use crate::id_token::IdTokenOptions;
use crate::introspection::{self, Cache};
use crate::jwks::KeySet;
use crate::verifier::{Kind, PerCall, Verifier};
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
    /// The introspection answers believed lately (`STEPUP_INTROSPECTION_CACHE_SECONDS`).
    introspected: RefCell<Cache>,
    /// The introspections under way, by [`introspection::digest`] of their token.
    introspecting: RefCell<HashMap<introspection::TokenDigest, Flight<Introspected>>>,
    /// The verifier of bearer tokens, with the key set it was made over (made again when the
    /// provider's set changes).
    bearer: RefCell<Option<(Rc<KeySet>, Rc<Verifier>)>>,
}

/// What an introspection brought: the claims the core believed, or why not.
type Introspected = Result<Map<String, Value>>;

/// The edge guard's core for the package's `Guard` (`js/guard.js`), which does the forwarding.
#[wasm_bindgen(js_name = GuardCore)]
pub struct Guard {
    inner: Rc<Inner>,
}

#[wasm_bindgen(js_class = GuardCore)]
impl Guard {
    /// Reads the settings; throws a `TypeError` naming the first missing or invalid one.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "GuardEnv")] env: JsValue) -> std::result::Result<Guard, JsValue> {
        let config = throw(read_env(&env).and_then(|env| Config::from_env(&env)))?;
        let issuer = config.issuer.clone();
        let metadata = Document::new(config.refresh, move |body| parse_discovery_document(body, &issuer));
        let keys = Document::new(config.refresh, KeySet::parse);
        let introspected = RefCell::new(Cache::new(config.introspection_cache));
        let introspecting = RefCell::new(HashMap::new());
        let bearer = RefCell::default();
        Ok(Guard { inner: Rc::new(Inner { config, metadata, keys, introspected, introspecting, bearer }) })
    }

    /// Fetches discovery and checks the rules against it (`acr_values_supported`), so a rule the
    /// provider cannot satisfy stops start-up instead of failing every sign-in.
    #[wasm_bindgen(js_name = checkProvider, unchecked_return_type = "Promise<void>")]
    pub fn check_provider(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            throw(inner.metadata().await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The core's answer to a request when it needs no I/O, as the JSON text of a `GuardAction`
    /// — `["forward", url, remove, set, guarded, timeout ms]` or `["reply", status, headers,
    /// body]` — else `["io"]`: then [`Self::resolve`] does it. `headers` are the request's as
    /// Fetch lists them, names and values alternating, each on a line of its own, and `lines`
    /// says how many there are ([`judge::header_lines`]): one string crosses into wasm, not one per
    /// name and value.
    pub fn decide(&self, method: &str, url: &str, headers: &str, lines: f64) -> std::result::Result<String, JsValue> {
        let inner = &self.inner;
        let action = count(lines).and_then(|lines| judge::header_lines(headers, lines)).and_then(|headers| {
            let request = judge::Request { method, url, headers: &headers };
            match judge::judge(&inner.config, &request, inner.now())? {
                // A bearer token the guard's verifier answered before needs no I/O either.
                Action::VerifyBearer(pending) => {
                    Ok(inner.bearer_answered(&pending, &request).unwrap_or(Action::VerifyBearer(pending)))
                }
                action => Ok(action),
            }
        });
        match action {
            Ok(action @ (Action::Forward(_) | Action::Reply(_))) => action_json(&inner.config, &action),
            Ok(_) => Ok(r#"["io"]"#.into()),
            Err(e) => action_json(&inner.config, &Action::Reply(failure(&e))),
        }
    }

    /// The answer that needs the provider (a bearer token to verify, a sign-in to start, a
    /// callback to finish), as the JSON text of a `GuardAction` once the I/O is done; the
    /// request as for [`Self::decide`].
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn resolve(&self, method: String, url: String, headers: String, lines: f64) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let action = match count(lines).and_then(|lines| judge::header_lines(&headers, lines)) {
                Ok(headers) => inner.handle(&method, &url, &headers).await,
                Err(e) => Err(e),
            };
            let action = action.unwrap_or_else(|e| Action::Reply(failure(&e)));
            action_json(&inner.config, &action).map(JsValue::from)
        })
    }

    /// Whether the upstream's answer can be passed on ([`flow::upstream_status_usable`]): a
    /// number in and a boolean out, so the answer of every guarded request costs no more.
    #[wasm_bindgen(js_name = upstreamStatusUsable)]
    pub fn upstream_status_usable(&self, status: u16) -> bool {
        flow::upstream_status_usable(status)
    }

    /// What becomes of the upstream's `Set-Cookie` lines and `Clear-Site-Data`, when it sent
    /// either: `[kept cookies or null when all stay, Clear-Site-Data to set or null to delete]`
    /// ([`flow::upstream_may_set`], [`flow::upstream_clear_site_data`]).
    #[wasm_bindgen(js_name = upstreamAnswer, unchecked_return_type = "[string[] | null, string | null]")]
    pub fn upstream_answer(&self, set_cookies: Vec<String>, clear_site_data: Option<String>) -> JsValue {
        let out = js_sys::Array::new();
        let kept: Vec<&String> = set_cookies.iter().filter(|c| flow::upstream_may_set(c)).collect();
        out.push(&if kept.len() == set_cookies.len() {
            JsValue::NULL
        } else {
            kept.iter().map(|c| JsValue::from_str(c)).collect::<js_sys::Array>().into()
        });
        out.push(&clear_site_data.and_then(|v| flow::upstream_clear_site_data(&v)).map_or(JsValue::NULL, |v| v.into()));
        out.into()
    }

    /// What every guarded answer loses and gains ([`GUARDED_ANSWER`]):
    /// `[remove, [name, value, …] to set, [name, value, …] to append, the ending of names removed,
    /// the forwarding fetch()'s cache mode]`.
    #[wasm_bindgen(js_name = guardedAnswer, unchecked_return_type = "[string[], string[], string[], string, string]")]
    pub fn guarded_answer(&self) -> JsValue {
        let list = |items: &mut dyn Iterator<Item = &str>| items.map(JsValue::from_str).collect::<js_sys::Array>();
        let out = js_sys::Array::new();
        out.push(&list(&mut GUARDED_ANSWER.remove.iter().copied()));
        out.push(&list(&mut GUARDED_ANSWER.set.iter().flat_map(|(n, v)| [*n, *v])));
        out.push(&list(&mut GUARDED_ANSWER.append.iter().flat_map(|(n, v)| [*n, *v])));
        out.push(&JsValue::from_str(GUARDED_ANSWER.remove_ending));
        out.push(&JsValue::from_str(GUARDED_ANSWER.fetch_cache));
        out.into()
    }

    /// The page for an upstream that did not answer in time (`timed_out`), could not be
    /// reached, or answered what cannot be passed on, as the JSON text of a `GuardAction`; `why`
    /// goes to the log.
    #[wasm_bindgen(js_name = upstreamFailed)]
    pub fn upstream_failed(&self, timed_out: bool, why: &str) -> std::result::Result<String, JsValue> {
        web_sys_log(&format!("stepup guard: the upstream failed: {why}"));
        action_json(&self.inner.config, &Action::Reply(flow::upstream_failed(timed_out)))
    }
}

#[wasm_bindgen(typescript_custom_section)]
const ACTION_TYPES: &str = r#"
/** The core's answer to a request, for the package's `Guard`. */
export type GuardAction =
  | ["forward", string, string[], string[], boolean, number]
  | ["reply", number, string[], string];
"#;

/// An action the shell can carry out without the core, forward or reply, as a `GuardAction`'s
/// JSON text: one string for the shell to parse instead of one crossing per item.
fn action_json(config: &Config, action: &Action) -> std::result::Result<String, JsValue> {
    fn flat(pairs: &[(String, String)]) -> Vec<&str> {
        pairs.iter().flat_map(|(n, v)| [n.as_str(), v.as_str()]).collect()
    }
    let json = match action {
        Action::Forward(plan) => serde_json::to_string(&(
            "forward",
            &plan.url,
            &plan.remove,
            flat(&plan.set),
            plan.guarded,
            config.upstream_timeout * 1000,
        )),
        Action::Reply(reply) => serde_json::to_string(&("reply", reply.status, flat(&reply.headers), &reply.body)),
        // Never handed out: `decide` and `resolve` carry the others out first.
        _ => Ok(r#"["io"]"#.into()),
    };
    json.map_err(|e| JsValue::from(js_sys::Error::new(&format!("stepup guard: {e}"))))
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

/// The answer to a request the core could not decide ([`flow::failure`]), its log line logged.
fn failure(e: &Error) -> Reply {
    let (reply, log) = flow::failure(e);
    if let Some(log) = log {
        web_sys_log(&log);
    }
    reply
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn web_sys_log(message: &str);
}

/// Where discovery says the key set is.
fn jwks_uri(metadata: &Metadata) -> Result<&str> {
    metadata.str("jwks_uri").ok_or_else(|| Error::FetchFailed("discovery names no jwks_uri".into()))
}

fn random() -> Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|_| Error::CryptoUnavailable("crypto.getRandomValues".into()))?;
    Ok(bytes)
}

impl Inner {
    fn now(&self) -> u64 {
        now(None) as u64
    }

    /// The provider's metadata, with the rules checked against it each time it is used: a
    /// deployed worker (which has no start-up step) refuses a rule the provider cannot meet at
    /// its first sign-in or bearer token, as `make worker` does before it starts.
    async fn metadata(&self) -> Result<Rc<Metadata>> {
        let metadata = self.metadata.get(&self.config.discovery_url, false).await?;
        self.config.check_against(&metadata)?;
        Ok(metadata)
    }

    async fn keys(&self, metadata: &Metadata, kid_missing: bool) -> Result<Rc<KeySet>> {
        self.keys.get(jwks_uri(metadata)?, kid_missing).await
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

    /// Carries out the core's answer ([`judge`]) up to forwarding or replying, doing the I/O it
    /// asks for.
    async fn handle(self: &Rc<Self>, method: &str, url: &str, headers: &[(String, String)]) -> Result<Action> {
        let incoming = judge::Request { method, url, headers };
        let mut action = judge::judge(&self.config, &incoming, self.now())?;
        loop {
            action = match action {
                done @ (Action::Reply(_) | Action::Forward(_)) => return Ok(done),
                Action::Callback { origin } => Action::Reply(self.callback(&incoming, &origin).await?),
                Action::SignOut { origin } => {
                    let metadata = self.metadata().await;
                    let end_session = metadata.as_ref().map(|m| m.str("end_session_endpoint"));
                    let (reply, log) = flow::signed_out(&self.config, &origin, end_session);
                    if let Some(log) = log {
                        web_sys_log(&log);
                    }
                    Action::Reply(reply)
                }
                Action::VerifyBearer(pending) => {
                    let verified = self.access_token(&pending.token).await;
                    judge::after_bearer(&self.config, &pending, verified.as_ref(), &incoming, self.now())?
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

    /// The answer to a bearer token the guard's verifier verified before, without I/O: what
    /// [`Self::handle`] would answer, when the provider's documents it would use are the held
    /// ones (fresh, nothing to fetch) and the verifier's cache holds the token with its claims
    /// valid now. `None` sends the request the way of the I/O ([`Self::resolve`]).
    fn bearer_answered(&self, pending: &judge::Pending, request: &judge::Request<'_>) -> Option<Action> {
        let (Verification::Signed(profile), Some(audience)) =
            (self.config.access_token_profile, self.config.api_audience.as_deref())
        else {
            return None;
        };
        let metadata = self.metadata.held_fresh(&self.config.discovery_url)?;
        self.config.check_against(&metadata).ok()?;
        let keys = self.keys.held_fresh(jwks_uri(&metadata).ok()?)?;
        let verifier = self.bearer_verifier(&keys, audience, profile).ok()?;
        let held = verifier.cached(&pending.token, Kind::AccessToken, &PerCall::default(), now(None)).ok()??;
        judge::after_bearer(&self.config, pending, Ok(&held.claims.claims), request, self.now()).ok()
    }

    async fn access_token(self: &Rc<Self>, token: &str) -> Result<Map<String, Value>> {
        let Some(audience) = self.config.api_audience.as_deref() else {
            return Err(Error::claim_invalid(
                "aud",
                "this guard accepts no bearer tokens (STEPUP_API_AUDIENCE is not set)",
            ));
        };
        let profile = match self.config.access_token_profile {
            Verification::Signed(profile) => profile,
            Verification::Introspection => {
                let options = AccessTokenOptions {
                    issuer: self.config.issuer.clone(),
                    audience: audience.to_string(),
                    ..AccessTokenOptions::default()
                };
                return self.introspect(token, &options).await;
            }
        };
        let metadata = self.metadata().await?;
        self.with_keys(&metadata, |keys| {
            let verifier = self.bearer_verifier(&keys, audience, profile);
            async move { verify::with_verifier(&*verifier?, token, Kind::AccessToken, now(None)).await }
        })
        .await
    }

    /// The verifier of bearer tokens for `audience` over `keys` in `profile` (README,
    /// "createVerifier"): the one held while the provider's key set is the same, so a token
    /// verified before is answered from its cache.
    fn bearer_verifier(&self, keys: &Rc<KeySet>, audience: &str, profile: Profile) -> Result<Rc<Verifier>> {
        let mut held = self.bearer.borrow_mut();
        if let Some((set, verifier)) = held.as_ref() {
            if Rc::ptr_eq(set, keys) {
                return Ok(verifier.clone());
            }
        }
        let id = IdTokenOptions {
            issuer: self.config.issuer.clone(),
            audience: audience.into(),
            ..IdTokenOptions::default()
        };
        let verifier = Rc::new(Verifier::new(KeySet::clone(keys), id)?.with_access_token_profile(profile));
        *held = Some((keys.clone(), verifier.clone()));
        Ok(verifier)
    }

    /// RFC 7662: an answer believed lately, else the provider's answer about `token`, as
    /// [`introspection::read_answer`] reads it. One question per token at a time: the requests
    /// of a burst with a token not seen yet await the first one's [`Flight`] (the answer is about
    /// the token, not the request), so the provider is asked once, not once per request.
    async fn introspect(self: &Rc<Self>, token: &str, options: &AccessTokenOptions) -> Result<Map<String, Value>> {
        // Hashed once: the cache, the flights under way and the answer kept all know it by this.
        let digest = introspection::digest(token);
        if let Some(claims) = self.introspected.borrow().get(&digest, now(None)) {
            return Ok(claims);
        }
        let under_way = self.introspecting.borrow().get(&digest).cloned();
        let flight = match under_way {
            Some(flight) => flight,
            None => {
                let (inner, landing) = (self.clone(), self.clone());
                let (token, options) = (token.to_string(), options.clone());
                let ask = async move { inner.ask_introspection(&token, digest, &options).await };
                let flight = Flight::start(ask, move || {
                    landing.introspecting.borrow_mut().remove(&digest);
                });
                self.introspecting.borrow_mut().insert(digest, flight.clone());
                flight
            }
        };
        flight.landed().await.unwrap_or_else(|| Err(Error::FetchFailed("the introspection did not finish".into())))
    }

    /// The provider's answer about `token` (RFC 7662 §2), kept when believed.
    async fn ask_introspection(
        &self,
        token: &str,
        digest: introspection::TokenDigest,
        options: &AccessTokenOptions,
    ) -> Result<Map<String, Value>> {
        let metadata = self.metadata().await?;
        // `metadata()` has checked it is there (`Config::check_against`).
        let endpoint = metadata.str("introspection_endpoint").unwrap_or_default();
        let client =
            http::ClientAuth { client_id: &self.config.client_id, secret: self.config.client_secret.as_deref() };
        let request = introspection::request(&client, token);
        let headers: Vec<(&str, &str)> = request.authorization.iter().map(|a| ("authorization", a.as_str())).collect();
        let reply = http::send(endpoint, Some(&request.body), &headers).await?;
        let at = now(None);
        let claims = introspection::read_answer(endpoint, reply.status, reply.body.as_bytes(), options, at)?;
        self.introspected.borrow_mut().keep(digest, claims.clone(), at);
        Ok(claims)
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
        let code = match judge::callback_code(&self.config, &transaction, request, metadata.sends_response_iss()) {
            Ok(code) => code,
            Err(page) => return Ok(page),
        };
        let endpoint = metadata.str("token_endpoint").unwrap_or_default();
        let client =
            http::ClientAuth { client_id: &self.config.client_id, secret: self.config.client_secret.as_deref() };
        let redirect_uri = self.config.redirect_uri(origin);
        let id_token = match http::exchange_code(endpoint, &client, &code, &redirect_uri, &transaction.verifier).await {
            Ok((id_token, _)) => id_token,
            Err(e) => return judge::exchange_refused(&transaction, &e).ok_or(e),
        };
        let options = judge::callback_id_token(&self.config, &transaction);
        let claims = self
            .with_keys(&metadata, |keys| {
                let options = options.clone();
                let id_token = id_token.clone();
                async move { verify::id_token(&id_token, &keys, &options).await }
            })
            .await;
        judge::after_callback(&self.config, &transaction, claims.as_ref(), request, origin, now)
    }
}

/// The shell's count of header lines as it says it: a JS number bound to an integer parameter
/// would wrap (2^32 + 2 reads as 2) instead of being refused.
fn count(lines: f64) -> Result<usize> {
    if lines >= 0.0 && lines.fract() == 0.0 && lines <= f64::from(u32::MAX) {
        Ok(lines as usize)
    } else {
        Err(Error::arg_value("headers", "are not as many lines as were counted"))
    }
}
