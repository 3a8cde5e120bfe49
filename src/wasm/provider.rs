//! The provider's documents at the edge — discovery and the key set — held per isolate and
//! refreshed by the core's rules ([`crate::refresh`]):
//!
//! - **single flight** ([`super::flight`]): while one fetch is under way, every other request
//!   awaits it, so a burst on a cold isolate costs the provider one request and none of the
//!   burst is refused;
//! - **kept through outages**: a failed fetch keeps the held document (C05);
//! - **shared between isolates** through the Workers Cache API (`caches.default`) where the
//!   runtime has one: a new isolate starts from what another fetched (with its fetch time, so
//!   the refresh rules still apply), and an isolate born during an outage finds a copy.
//!
//! Any failure to get a usable document — network, status, or a body that does not parse — is
//! `ERR_FETCH_FAILED` naming the URL: the provider's fault, answered with a `503`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Response, ResponseInit};

use super::flight::Flight;
use super::{http, now};
use crate::refresh::{self, Action};
use crate::{Error, Result};

type Parse<T> = Rc<dyn Fn(&[u8]) -> Result<T>>;

/// What is held of one document.
struct Held<T> {
    value: Option<Rc<T>>,
    /// The text `value` was parsed from: a refetch that brings the same text keeps `value`
    /// itself, so what was made over it (the guard's verifier of bearer tokens, with the
    /// tokens it answered) outlives a refresh that changed nothing.
    body: Option<String>,
    /// The URL `value` came from: a document held from another URL (a provider whose discovery
    /// names a new `jwks_uri`) is not this URL's, and is fetched anew; until that succeeds it is
    /// only a fallback.
    url: Option<String>,
    state: refresh::State,
    /// The fetch under way, which every concurrent request awaits.
    inflight: Option<Flight<()>>,
    /// Why the last fetch failed, for requests that find nothing held.
    error: Option<Error>,
}

impl<T> Held<T> {
    /// What the refresh rules know of the document at `url`: nothing fetched when what is held
    /// came from another URL (the attempts still count for the cooldown).
    fn state_for(&self, url: &str) -> refresh::State {
        match &self.url {
            Some(from) if from != url => refresh::State { fetched_at: None, ..self.state },
            _ => self.state,
        }
    }
}

/// One provider document, fetched from a URL and parsed by `parse`.
pub struct Document<T> {
    held: Rc<RefCell<Held<T>>>,
    parse: Parse<T>,
    policy: refresh::Policy,
}

impl<T: 'static> Document<T> {
    pub fn new(policy: refresh::Policy, parse: impl Fn(&[u8]) -> Result<T> + 'static) -> Self {
        let held =
            Held { value: None, body: None, url: None, state: refresh::State::default(), inflight: None, error: None };
        Document { held: Rc::new(RefCell::new(held)), parse: Rc::new(parse), policy }
    }

    /// The document at `url`: the held one while fresh, else a fetched one. `refetch` asks for a
    /// fetch even within the max age (a token names a key the held set lacks), once per cooldown.
    pub async fn get(&self, url: &str, refetch: bool) -> Result<Rc<T>> {
        if !refetch {
            if let Some(value) = self.held_fresh(url) {
                return Ok(value);
            }
        }
        let (action, value, inflight) = {
            let held = self.held.borrow();
            (self.policy.decide(&held.state_for(url), now(None), refetch), held.value.clone(), held.inflight.clone())
        };
        if let Some(flight) = inflight {
            flight.landed().await;
            return self.current();
        }
        match (action, value) {
            (Action::UseHeld, Some(value)) => return Ok(value),
            (Action::Fetch, _) => {}
            _ => return self.current(),
        }
        let (held, parse, url, policy) = (self.held.clone(), self.parse.clone(), url.to_string(), self.policy);
        let landing = self.held.clone();
        let flight = Flight::start(async move { update(&held, &*parse, &url, policy, refetch).await }, move || {
            landing.borrow_mut().inflight = None;
        });
        self.held.borrow_mut().inflight = Some(flight.clone());
        flight.landed().await;
        self.current()
    }

    /// The held document when it is fresh and nothing asks for a fetch: what [`Self::get`]
    /// answers at once. A fresh document needs no network, so it never waits behind another
    /// request's fetch: a stalled key set must not hold up tokens whose keys are already here. A
    /// stale one (a shared copy from hours ago, say) waits for the fetch, and is used only if
    /// that fails.
    pub fn held_fresh(&self, url: &str) -> Option<Rc<T>> {
        let held = self.held.borrow();
        let (at, state) = (now(None), held.state_for(url));
        match (self.policy.decide(&state, at, false), &held.value) {
            (Action::UseHeld, Some(value)) if self.policy.fresh(&state, at) => Some(value.clone()),
            _ => None,
        }
    }

    /// Why the latest fetch failed, when it did (a held document may be older than it should).
    #[cfg(feature = "guard")]
    pub fn failure(&self) -> Option<Error> {
        self.held.borrow().error.clone()
    }

    fn current(&self) -> Result<Rc<T>> {
        let held = self.held.borrow();
        held.value.clone().ok_or_else(|| {
            held.error
                .clone()
                .unwrap_or_else(|| Error::FetchFailed("the provider failed recently; retrying shortly".into()))
        })
    }
}

/// One fetch: from the shared cache when nothing is held yet, then from the provider unless the
/// shared copy is fresh enough.
async fn update<T>(
    held: &RefCell<Held<T>>,
    parse: &dyn Fn(&[u8]) -> Result<T>,
    url: &str,
    policy: refresh::Policy,
    refetch: bool,
) {
    held.borrow_mut().state.attempted_at = Some(now(None));
    if held.borrow().value.is_none() {
        if let Some((body, fetched_at)) = shared::read(url).await {
            if let Ok(value) = parse(body.as_bytes()) {
                let mut held = held.borrow_mut();
                held.value = Some(Rc::new(value));
                held.body = Some(body);
                held.url = Some(url.to_string());
                held.state.fetched_at = Some(fetched_at);
                if !refetch && now(None) - fetched_at < policy.max_age {
                    return;
                }
            }
        }
    }
    let fetched = async {
        let reply = http::send(url, None, &[]).await?;
        if reply.status != 200 {
            return Err(Error::FetchFailed(format!("GET {url}: status {}", reply.status)));
        }
        if held.borrow().body.as_deref() == Some(reply.body.as_str()) {
            return Ok((None, reply.body));
        }
        let value = parse(reply.body.as_bytes()).map_err(|e| Error::FetchFailed(format!("GET {url}: {e}")))?;
        Ok((Some(value), reply.body))
    }
    .await;
    let fetched_at = now(None);
    match fetched {
        Ok((value, body)) => {
            {
                let mut held = held.borrow_mut();
                if let Some(value) = value {
                    held.value = Some(Rc::new(value));
                    held.body = Some(body.clone());
                }
                held.url = Some(url.to_string());
                held.state.fetched_at = Some(fetched_at);
                held.error = None;
            }
            shared::write(url, &body, fetched_at).await;
        }
        Err(e) => held.borrow_mut().error = Some(e),
    }
}

/// The Workers Cache API as a best-effort second level: where `caches.default` is missing or
/// refuses (workerd without a cache service says "No Cache was configured"), the isolate stops
/// asking and works from memory alone.
mod shared {
    use super::*;

    /// How long a shared copy is kept: long enough to outlive an outage; its age is judged by
    /// the refresh rules, not by the cache.
    const KEEP_SECONDS: u32 = 86_400;
    const FETCHED_AT: &str = "x-stepup-fetched-at";

    thread_local! {
        static UNAVAILABLE: Cell<bool> = const { Cell::new(false) };
    }

    /// Calls `caches.default[method](args…)` and awaits it; `None` (and no more tries in this
    /// isolate) when the runtime has no usable cache.
    async fn call(method: &str, args: &[&JsValue]) -> Option<JsValue> {
        if UNAVAILABLE.get() {
            return None;
        }
        let attempt = async {
            let caches = Reflect::get(&js_sys::global(), &"caches".into()).ok().filter(JsValue::is_object)?;
            let cache = Reflect::get(&caches, &"default".into()).ok().filter(JsValue::is_object)?;
            let function: Function = Reflect::get(&cache, &method.into()).ok()?.dyn_into().ok()?;
            let list: js_sys::Array = args.iter().copied().collect();
            let promise: Promise = function.apply(&cache, &list).ok()?.dyn_into().ok()?;
            JsFuture::from(promise).await.ok()
        };
        let result = attempt.await;
        if result.is_none() {
            UNAVAILABLE.set(true);
        }
        result
    }

    /// The shared copy of `url` and when it was fetched.
    pub async fn read(url: &str) -> Option<(String, f64)> {
        let response: Response = call("match", &[&url.into()]).await?.dyn_into().ok()?;
        let fetched_at = response.headers().get(FETCHED_AT).ok().flatten()?.parse::<f64>().ok()?;
        let body = JsFuture::from(response.text().ok()?).await.ok()?.as_string()?;
        Some((body, fetched_at))
    }

    pub async fn write(url: &str, body: &str, fetched_at: f64) {
        let response = (|| {
            let headers = Headers::new()?;
            headers.set("content-type", "application/json")?;
            headers.set("cache-control", &format!("max-age={KEEP_SECONDS}"))?;
            headers.set(FETCHED_AT, &fetched_at.to_string())?;
            let init = ResponseInit::new();
            init.set_headers(&headers);
            Response::new_with_opt_str_and_init(Some(body), &init)
        })();
        if let Ok(response) = response {
            call("put", &[&url.into(), &response]).await;
        }
    }
}
