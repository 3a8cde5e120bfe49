//! The wasm face of [`crate::client`]: `ClientCore`, driven by the package's `Client`
//! (`js/client.js`), which fetches, keeps `sessionStorage`, navigates and verifies signatures
//! with WebCrypto. Every method is synchronous: it converts its arguments, calls the core and
//! hands back plain values or JSON text; stored values cross as the text storage holds.

use js_sys::{Array, JsString};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::convert::{read, read_optional, string, to_js};
use super::errors::js_error;
use super::now;
use super::request::random_value;
use super::verifier::VerifierCore;
use crate::client::{
    self, stored, Change, Client, Document, FetchOptions, Heard, Need, Pending, Plan, Popup, PopupFailure, Renewal,
    SavedCall, SignInOptions, SignOut, SignOutOptions, StepUp, StepUpOptions, Store, TokenFor, Transaction,
};
use crate::options::FromJson;
use crate::refresh;
use crate::step_up::Requirement;
use crate::token_endpoint::GrantRequest;
use crate::verifier::{PerCall, Verifier};
use crate::{Error, Result};

type Thrown<T> = std::result::Result<T, JsValue>;

fn thrown<T>(result: Result<T>) -> Thrown<T> {
    result.map_err(|e| js_error(&e))
}

/// Another tab's change as the shell carries it out: `[the event for the listeners (JSON text),
/// the keys to remove first, whether it signs out ([`client::signs_out`])]`.
fn heard(event: &Value, remove: Vec<String>) -> JsValue {
    let remove: Array = remove.into_iter().map(JsValue::from).collect();
    Array::of3(&text(event), &remove, &client::signs_out(event).into()).into()
}

fn unix_now() -> u64 {
    now(None) as u64
}

fn document(which: u8) -> Document {
    if which == 0 {
        Document::Metadata
    } else {
        Document::Keys
    }
}

/// A requirement argument (default: any sign-in), checked.
fn requirement(value: Option<JsValue>) -> Result<Requirement> {
    let requirement: Requirement = read_optional(value, "requirement")?;
    requirement.check_at("requirement")?;
    Ok(requirement)
}

/// The stored token sets as the shell read them: the text (`null`: none), or `false` where
/// the page has no `sessionStorage` (the error comes after the arguments were read, so a
/// caller's mistake is named first).
fn sets(client: &Client, tokens: &JsValue) -> Result<Vec<crate::tokens::TokenSet>> {
    match tokens.as_string() {
        Some(text) => Ok(client.stored_sets(Some(&text))),
        None if tokens.is_null() => Ok(Vec::new()),
        None => Err(Error::FetchFailed("no sessionStorage: the client runs in a browser page".into())),
    }
}

/// A requirement argument and the stored sets it is judged against, in that order.
fn judged(
    client: &Client,
    required: Option<JsValue>,
    tokens: &JsValue,
) -> Result<(Requirement, Vec<crate::tokens::TokenSet>)> {
    let required = requirement(required)?;
    Ok((required, sets(client, tokens)?))
}

/// A value the core wrote before (a plan, a set, a transaction) coming back from the shell.
fn ours<T: FromJson>(text: &str) -> Result<T> {
    stored(Some(text)).ok_or_else(|| Error::arg_value("state", "not a value this client wrote"))
}

/// A peer's answer as the shell got it: `status` and the body, or why none came (`status`
/// absent, the reason in `body`).
fn answer(status: Option<u16>, body: &str) -> client::Answer<'_> {
    status.map(|s| (s, body.as_bytes())).ok_or_else(|| body.to_string())
}

/// `[endpoint, body]`: the browser client is a public client, which authenticates with its
/// `client_id` in the body (RFC 6749 §2.3), never with a header.
fn post(endpoint: String, request: GrantRequest) -> JsValue {
    Array::of2(&endpoint.into(), &request.body.into()).into()
}

/// `verifyIdToken`'s per-call options.
fn call_js(call: &PerCall) -> JsValue {
    let mut out = serde_json::Map::new();
    if let Some(nonce) = &call.expected_nonce {
        out.insert("expectedNonce".into(), nonce.as_str().into());
    }
    if let Some(max_age) = call.max_age {
        out.insert("maxAge".into(), max_age.into());
    }
    if let Some(requirement) = &call.requirement {
        out.insert("requirement".into(), requirement.to_json());
    }
    to_js(&Value::Object(out))
}

fn text(value: &Value) -> JsValue {
    JsString::from(value.to_string()).into()
}

/// A [`Popup`] as `ClientCore.popupKind` gives it to the shell: 0 a redirect, 1 a popup the
/// client opens, 2 the caller's window.
fn popup_kind(kind: u8) -> Popup {
    match kind {
        1 => Popup::Open,
        2 => Popup::Given,
        _ => Popup::Redirect,
    }
}

/// A [`Store`] as `ClientCore.storeKind` gives it to the shell.
fn store_kind(kind: u8) -> Store {
    match kind {
        1 => Store::Local,
        2 => Store::Memory,
        3 => Store::Custom,
        _ => Store::Session,
    }
}

/// A JavaScript value described in JavaScript's words, for a type error.
fn what(value: &JsValue) -> &'static str {
    if value.is_null() {
        "null"
    } else if value.is_string() {
        "a string"
    } else if value.as_f64().is_some() {
        "a number"
    } else if value.is_function() {
        "a function"
    } else if value.is_object() {
        "an object that is not a window"
    } else {
        "another type"
    }
}

/// The browser client's core, for `Client` (`js/client.js`).
#[wasm_bindgen]
pub struct ClientCore {
    inner: Client,
}

#[wasm_bindgen]
impl ClientCore {
    /// Reads the options; a mistake throws naming the option.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "unknown")] options: JsValue) -> Thrown<ClientCore> {
        thrown(read(&options, "options").map(|inner| ClientCore { inner }))
    }

    /// `[prefix of every key, the token sets' key, the saved call's key, the timeout of a
    /// request to the provider in ms, the most bytes of its answer read, the key of the origin's
    /// sign-out mark (in `localStorage`), the key of the mark the tokens were kept at (in the
    /// store)]`.
    #[wasm_bindgen(unchecked_return_type = "[string, string, string, number, number, string, string]")]
    pub fn settings(&self) -> JsValue {
        let c = &self.inner;
        let out = Array::of3(&c.key("").into(), &c.key("tokens").into(), &c.key("pending").into());
        out.push(&refresh::TIMEOUT_MS.into());
        out.push(&refresh::MAX_ANSWER_BYTES.into());
        out.push(&c.key("signedout").into());
        out.push(&c.key("kept").into());
        out.into()
    }

    /// Document `which` (0: discovery, 1: key set): `undefined` when the held one is good, `""`
    /// to wait for the fetch in flight and then call `held`, else the URL to fetch and hand to
    /// `fetched`. Throws why nothing is held when no fetch may be tried yet.
    pub fn document(&mut self, which: u8, refetch: bool, in_flight: bool) -> Thrown<Option<String>> {
        thrown(self.inner.document(document(which), now(None), refetch, in_flight).map(|need| match need {
            Need::Held => None,
            Need::Wait => Some(String::new()),
            Need::Fetch(url) => Some(url),
        }))
    }

    /// Throws unless document `which` is held.
    pub fn held(&self, which: u8) -> Thrown<()> {
        thrown(self.inner.held(document(which)))
    }

    /// Keeps what the fetch of document `which` from `url` brought (`status` absent: none came,
    /// `body` says why): `true` when it is the document now held; otherwise the failure is kept
    /// for `held`, which answers with the document held before if there is one.
    pub fn fetched(&mut self, which: u8, url: &str, status: Option<u16>, body: &str) -> bool {
        self.inner.fetched(document(which), url, answer(status, body), now(None)).is_ok()
    }

    /// A verifier of this client's ID tokens with the key set held (`refreshed`: of a refresh,
    /// OIDC Core 12.2), for `js/verifier.js`.
    pub fn verifier(&self, refreshed: bool) -> Thrown<VerifierCore> {
        let keys = thrown(self.inner.keys())?.clone();
        thrown(Verifier::new(keys, self.inner.id_token_options(refreshed)).map(VerifierCore::from))
    }

    /// `signIn(options)` (without its `popup`, read by `popupKind`: `popup`) as a plan for
    /// `start`, or `startPopup` when shown in a popup (JSON text).
    #[wasm_bindgen(js_name = signIn)]
    pub fn sign_in(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: Option<JsValue>,
        popup: u8,
    ) -> Thrown<String> {
        let plan = || -> Result<Plan> {
            self.inner.sign_in(read_optional::<SignInOptions>(options, "options")?, popup_kind(popup))
        };
        thrown(plan()).map(|plan| plan.to_json().to_string())
    }

    /// `stepUp(requirement, options)` (without its `popup`, read by `popupKind`: `popup`) with
    /// the stored sets as a plan for `start` or `startPopup` (JSON text).
    #[wasm_bindgen(js_name = stepUp)]
    pub fn step_up(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] required: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
        popup: u8,
    ) -> Thrown<String> {
        let plan = || -> Result<Plan> {
            let required: Requirement = read(&required, "requirement")?;
            required.check_at("requirement")?;
            let options = read_optional::<StepUpOptions>(options, "options")?;
            self.inner.step_up(required, options, popup_kind(popup), None, &sets(&self.inner, &tokens)?, unix_now())
        };
        thrown(plan()).map(|plan| plan.to_json().to_string())
    }

    /// The step-up of `fetch(…, options)` for a challenge's `requirement` with the stored sets:
    /// a plan for `start`, or `startPopup` with `stepUp: "popup"` (JSON text). `claims`: the
    /// challenge's claims request (JSON text, from `challenge`).
    #[wasm_bindgen(js_name = fetchStepUp)]
    pub fn fetch_step_up(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] required: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
        claims: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] at_call: JsValue,
    ) -> Thrown<String> {
        let plan = || -> Result<Plan> {
            let required = requirement(Some(required))?;
            let (options, popup) = read_optional::<FetchOptions>(options, "options")?.step_up();
            let claims = match claims {
                Some(c) => Some(crate::json::parse_object(c.as_bytes()).map_err(|e| Error::arg_value("claims", e))?),
                None => None,
            };
            let at_call = sets(&self.inner, &at_call).unwrap_or_default();
            self.inner
                .step_up(required, options, popup, claims, &sets(&self.inner, &tokens)?, unix_now())
                .map(|plan| plan.for_call(&at_call))
        };
        thrown(plan()).map(|plan| plan.to_json().to_string())
    }

    /// The `popup` option: 0 none (absent or `false`), 1 `true` (the client opens one), 2 a
    /// window the caller opened (a `WindowProxy`: its `window` is itself); a mistake throws
    /// naming `popup`.
    #[wasm_bindgen(js_name = popupKind)]
    pub fn popup_kind(#[wasm_bindgen(unchecked_param_type = "unknown")] popup: JsValue) -> Thrown<u8> {
        let is_window =
            || popup.is_object() && js_sys::Reflect::get(&popup, &"window".into()).is_ok_and(|w| w == popup);
        let option = match popup.as_bool() {
            _ if popup.is_undefined() => client::PopupOption::Absent,
            Some(false) => client::PopupOption::Absent,
            Some(true) => client::PopupOption::Open,
            None if is_window() => client::PopupOption::Window,
            None => client::PopupOption::Other(what(&popup)),
        };
        thrown(client::popup(option).map(|kind| match kind {
            Popup::Redirect => 0,
            Popup::Open => 1,
            Popup::Given => 2,
        }))
    }

    /// Starts a popup plan with discovery held: `[authorization URL, the state bound to the
    /// popup, its transaction (JSON text), how long to wait (ms), how often to look whether the
    /// popup was closed (ms)]`.
    #[wasm_bindgen(js_name = startPopup, unchecked_return_type = "[string, string, string, number, number]")]
    pub fn start_popup(&self, plan: &str, here: Option<String>, sign_out_mark: Option<String>) -> Thrown<JsValue> {
        let start = || -> Result<JsValue> {
            let random = [random_value()?, random_value()?, random_value()?];
            let no_page = || Error::FetchFailed("no location: the client runs in a browser page".into());
            let (url, signing_in) =
                self.inner.start_popup(ours(plan)?, random, || here.ok_or_else(no_page), sign_out_mark)?;
            let out = Array::of3(&url.into(), &signing_in.state.into(), &text(&signing_in.tx.to_json()));
            out.push(&(signing_in.timeout_ms as f64).into());
            out.push(&client::POLL_MS.into());
            Ok(out.into())
        };
        thrown(start())
    }

    /// In the page that opened the popup whose sign-in sent `state`: a `message` event from `origin`
    /// (`from_popup`: its source is the popup) with `data`. `undefined` to wait on, else the
    /// authorization response's URL to complete the sign-in with; throws when the popup answered
    /// with a response that is not this sign-in's.
    #[wasm_bindgen(js_name = popupMessage)]
    pub fn popup_message(
        &self,
        state: &str,
        origin: &str,
        from_popup: bool,
        #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue,
    ) -> Thrown<Option<String>> {
        let heard = || -> Result<Option<String>> {
            Ok(match self.inner.popup_message(state, origin, from_popup, data.as_string().as_deref())? {
                Heard::Ignore => None,
                Heard::Response(url) => Some(url),
            })
        };
        thrown(heard())
    }

    /// On the redirect URI's page: the message to post to the page that opened this popup
    /// (JSON text), or `undefined` when the response at `url` is a redirect's. `opener`: a page
    /// of this origin opened this one and is open.
    #[wasm_bindgen(js_name = popupCallback)]
    pub fn popup_callback(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] url: JsValue,
        opener: bool,
    ) -> Thrown<Option<String>> {
        thrown(string(&url, "url").and_then(|url| self.inner.popup_callback(&url, opener)))
    }

    /// The error of a popup sign-in of `plan` that ended without an answer (`failure` 0 blocked,
    /// 1 closed, 2 timed out): `ERR_STEP_UP_REQUIRED` with what the plan asked for and `reason`.
    #[wasm_bindgen(js_name = popupFailed)]
    pub fn popup_failed(&self, plan: &str, failure: u8) -> JsValue {
        let failure = match failure {
            0 => PopupFailure::Blocked,
            1 => PopupFailure::Closed,
            _ => PopupFailure::TimedOut,
        };
        match ours::<Plan>(plan) {
            Ok(plan) => {
                let failed = client::popup_failed(&plan, failure);
                let error = js_error(&failed.error);
                // Data properties on a fresh Error object: setting them cannot fail.
                let _ = js_sys::Reflect::set(&error, &"reason".into(), &failed.reason.into());
                let _ = js_sys::Reflect::set(&error, &"message".into(), &failed.message.into());
                error
            }
            Err(e) => js_error(&e),
        }
    }

    /// The message that tells the other tabs of a sign-in with `claims` (JSON text of the
    /// verified ID token's claims) or, without them, a sign-out.
    #[wasm_bindgen(js_name = changeMessage)]
    pub fn change_message(&self, claims: Option<String>) -> String {
        let claims = claims.and_then(|c| crate::json::parse_object(c.as_bytes()).ok());
        self.inner.change_message(&claims.map_or(Change::SignedOut, Change::SignedIn))
    }

    /// A message another tab sent (`data`) with this client's store (`store`, as `storeKind`
    /// gave it): a `Heard` ([`heard`]), or `undefined` when it is no change.
    #[wasm_bindgen(unchecked_return_type = "[string, string[], boolean] | undefined")]
    pub fn changed(&self, #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue, store: u8) -> JsValue {
        let change = self.inner.changed(data.as_string().as_deref(), store_kind(store));
        change.map_or(JsValue::UNDEFINED, |(event, remove)| heard(&event, remove))
    }

    /// A `storage` event of the `"local"` store: a `Heard` ([`heard`]), or `undefined` when it
    /// is no change.
    #[wasm_bindgen(js_name = storageChanged, unchecked_return_type = "[string, string[], boolean] | undefined")]
    pub fn storage_changed(&self, key: Option<String>, old: Option<String>, new: Option<String>) -> JsValue {
        let change = self.inner.storage_changed(key.as_deref(), old.as_deref(), new.as_deref());
        change.map_or(JsValue::UNDEFINED, |(event, remove)| heard(&event, remove))
    }

    /// Starts a plan with discovery held: `[authorization URL, transaction key, transaction as
    /// stored]`. `here` is the current page (`undefined` outside one).
    #[wasm_bindgen(unchecked_return_type = "[string, string, string]")]
    pub fn start(&self, plan: &str, here: Option<String>, sign_out_mark: Option<String>) -> Thrown<JsValue> {
        let start = || -> Result<JsValue> {
            let random = [random_value()?, random_value()?, random_value()?];
            let no_page = || Error::FetchFailed("no location: the client runs in a browser page".into());
            let (url, key, tx) = self.inner.start(ours(plan)?, random, || here.ok_or_else(no_page), sign_out_mark)?;
            Ok(Array::of3(&url.into(), &key.into(), &text(&tx.to_json())).into())
        };
        thrown(start())
    }

    /// The storage key of the transaction the callback at `url` answers.
    #[wasm_bindgen(js_name = callbackKey)]
    pub fn callback_key(&self, #[wasm_bindgen(unchecked_param_type = "unknown")] url: JsValue) -> Thrown<String> {
        thrown(string(&url, "url").and_then(|url| self.inner.callback_key(&url)))
    }

    /// The code exchange for the callback at `url` with its stored transaction:
    /// `[endpoint, body]`.
    #[wasm_bindgen(js_name = codeRequest, unchecked_return_type = "[string, string]")]
    pub fn code_request(&self, url: &str, tx: Option<String>) -> Thrown<JsValue> {
        let tx = stored::<Transaction>(tx.as_deref());
        thrown(self.inner.code_request(url, tx.as_ref()).map(|(endpoint, request)| post(endpoint, request)))
    }

    /// Reads the code exchange's answer: `[ID token, verifyIdToken's options, the new set as
    /// JSON text]`.
    #[wasm_bindgen(unchecked_return_type = "[string, object, string]")]
    pub fn exchanged(&self, status: Option<u16>, body: &str, tx: &str) -> Thrown<JsValue> {
        let exchanged = || -> Result<JsValue> {
            let (id_token, call, set) = self.inner.exchanged(answer(status, body), &ours(tx)?, unix_now())?;
            Ok(Array::of3(&id_token.into(), &call_js(&call), &text(&set.to_json())).into())
        };
        thrown(exchanged())
    }

    /// The sign-in done, with the ID token's verified claims (JSON text): `[the token sets to
    /// store, where to return]`. `signed_out_since`: the page signed out (or heard another tab
    /// sign out) after this sign-in started; `sign_out_mark`: the origin's sign-out mark now,
    /// against the one the transaction kept ([`Transaction::cancelled_by`]). Either cancels it.
    #[wasm_bindgen(js_name = signedIn, unchecked_return_type = "[string, string]")]
    pub fn signed_in(
        &self,
        set: &str,
        claims: &str,
        tx: &str,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
        signed_out_since: bool,
        sign_out_mark: Option<String>,
    ) -> Thrown<JsValue> {
        let signed_in = || -> Result<JsValue> {
            let tx: Transaction = ours(tx)?;
            let claims = crate::json::parse_object(claims.as_bytes()).map_err(|e| Error::arg_value("claims", e))?;
            let sets = sets(&self.inner, &tokens)?;
            let cancelled = signed_out_since || tx.cancelled_by(sign_out_mark.as_deref());
            let held = self.inner.signed_in(ours(set)?, claims, sets, unix_now(), cancelled, tx.user.as_deref())?;
            let stored = self.inner.sets_to_store(&held, tokens.as_string().as_deref());
            Ok(Array::of2(&text(&stored), &tx.return_to.into()).into())
        };
        thrown(signed_in())
    }

    /// Whether the tokens a store holds, kept at the sign-out mark `kept_at`, were signed out
    /// since in a tab this one did not hear (`mark`: the origin's mark now;
    /// [`client::signed_out_elsewhere`]).
    #[wasm_bindgen(js_name = signedOutElsewhere)]
    pub fn signed_out_elsewhere(kept_at: Option<String>, mark: Option<String>) -> bool {
        client::signed_out_elsewhere(kept_at.as_deref(), mark.as_deref())
    }

    /// Throws when the transaction stored for a callback is another issuer's
    /// ([`Client::owns`]): asked before the shell takes it. None, or one that does not read, is
    /// for the callback itself to refuse.
    #[wasm_bindgen(js_name = ownsTransaction)]
    pub fn owns_transaction(&self, tx: Option<String>) -> Thrown<()> {
        let tx = tx.and_then(|text| ours::<Transaction>(&text).ok());
        thrown(self.inner.owns(tx.as_ref()))
    }

    /// Whether to remove the saved call (as stored) after a failed callback that `took` a
    /// transaction ([`Client::callback_failed`]).
    #[wasm_bindgen(js_name = callbackFailed)]
    pub fn callback_failed(&self, pending: Option<String>, took: bool) -> bool {
        self.inner.callback_failed(pending.as_deref(), took) == SavedCall::Remove
    }

    /// `session(requirement)` (JSON text).
    pub fn session(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] required: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
    ) -> Thrown<String> {
        thrown(
            judged(&self.inner, required, &tokens)
                .map(|(r, held)| self.inner.session(&r, &held, unix_now()).to_string()),
        )
    }

    /// `accessToken(requirement)`; with `at_call` (the sets held when a call was made), only a
    /// token of that call's user ([`client::callers_sets`]).
    #[wasm_bindgen(js_name = accessToken)]
    pub fn access_token(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] required: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null | false | undefined")] at_call: JsValue,
    ) -> Thrown<Option<String>> {
        let callers = |held: Vec<crate::tokens::TokenSet>| -> Vec<crate::tokens::TokenSet> {
            if at_call.is_undefined() {
                return held;
            }
            let at_call = sets(&self.inner, &at_call).unwrap_or_default();
            client::callers_sets(&held, &at_call).cloned().collect()
        };
        thrown(
            judged(&self.inner, required, &tokens)
                .map(|(r, held)| self.inner.access_token(&r, &callers(held), unix_now())),
        )
    }

    /// The token for a call needing `requirement`: a string, `[set]` (JSON text) to refresh
    /// first, or `undefined`.
    #[wasm_bindgen(js_name = tokenFor, unchecked_return_type = "string | [string] | undefined")]
    pub fn token_for(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] required: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
    ) -> Thrown<JsValue> {
        let pick = |(r, held): (Requirement, Vec<_>)| match self.inner.token_for(&r, &held, unix_now()) {
            TokenFor::Use(token) => token.into(),
            TokenFor::Refresh(set) => Array::of1(&text(&set.to_json())).into(),
            TokenFor::None => JsValue::UNDEFINED,
        };
        thrown(judged(&self.inner, required, &tokens).map(pick))
    }

    /// `refresh(requirement)`: the set to renew (JSON text), else throws `ERR_STEP_UP_REQUIRED`.
    pub fn refreshable(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] required: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
    ) -> Thrown<String> {
        let old =
            judged(&self.inner, required, &tokens).and_then(|(r, held)| self.inner.refreshable(&r, &held, unix_now()));
        thrown(old.map(|set| set.to_json().to_string()))
    }

    /// The refresh of `old`: `[endpoint, body]`.
    #[wasm_bindgen(js_name = refreshRequest, unchecked_return_type = "[string, string]")]
    pub fn refresh_request(&self, old: &str) -> Thrown<JsValue> {
        thrown(ours(old).and_then(|old| self.inner.refresh_request(&old)).map(|(e, r)| post(e, r)))
    }

    /// Reads a refresh's answer: `null` when the provider refused the refresh token, else
    /// `[ID token or null, verifyIdToken's options, the new set as JSON text]`.
    #[wasm_bindgen(js_name = refreshAnswer, unchecked_return_type = "[string | null, object, string] | null")]
    pub fn refresh_answer(&self, old: &str, status: Option<u16>, body: &str) -> Thrown<JsValue> {
        let read = || -> Result<JsValue> {
            Ok(match self.inner.refresh_answer(&ours(old)?, answer(status, body), unix_now())? {
                Renewal::Refused => JsValue::NULL,
                Renewal::Renewed(renewed) => {
                    let id_token = renewed.id_token.map_or(JsValue::NULL, JsValue::from);
                    Array::of3(&id_token, &call_js(&renewed.call), &text(&renewed.set.to_json())).into()
                }
            })
        };
        thrown(read())
    }

    /// The stored sets once `old`'s refresh token is spent with nothing in its place: the
    /// provider refused it, or its answer's ID token failed verification (JSON text); `null`
    /// when nothing is to be stored (`old` was signed out meanwhile).
    pub fn spent(
        &self,
        old: &str,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
    ) -> Thrown<Option<String>> {
        let spent = || -> Result<Option<String>> {
            let held = self.inner.replace(&ours(old)?, None, sets(&self.inner, &tokens)?, unix_now());
            Ok(held.map(|held| self.inner.sets_to_store(&held, tokens.as_string().as_deref()).to_string()))
        };
        thrown(spent())
    }

    /// What a refresh of `old` made, its ID token having verified with `claims` (JSON text;
    /// `undefined`: none came): `[the token sets to store (null: nothing, `old` was signed out
    /// meanwhile), RefreshResult as JSON text or the error to throw]`.
    #[wasm_bindgen(unchecked_return_type = "[string | null, string | Error]")]
    pub fn refreshed(
        &self,
        old: &str,
        claims: Option<String>,
        renewed: &str,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
    ) -> Thrown<JsValue> {
        let run = || -> Result<JsValue> {
            let claims = match claims {
                Some(c) => Some(crate::json::parse_object(c.as_bytes()).map_err(|e| Error::arg_value("claims", e))?),
                None => None,
            };
            let held = sets(&self.inner, &tokens)?;
            let (held, outcome) = self.inner.refreshed(&ours(old)?, claims, ours(renewed)?, held, unix_now());
            let outcome = match outcome {
                Ok(result) => JsString::from(result.to_string()).into(),
                Err(e) => js_error(&e),
            };
            let held = held
                .map_or(JsValue::NULL, |held| text(&self.inner.sets_to_store(&held, tokens.as_string().as_deref())));
            Ok(Array::of2(&held, &outcome).into())
        };
        thrown(run())
    }

    /// The step-up challenge of a `401` or `403` answer from `url` (the page at `here`; a
    /// sign-out since the call was sent, `signed_out`): `[requirement, claims request as JSON
    /// text or undefined]`, or `undefined` ([`Client::challenged`]).
    #[wasm_bindgen(unchecked_return_type = "[object, string | undefined] | undefined")]
    pub fn challenge(
        &self,
        status: u16,
        www_authenticate: Option<String>,
        url: &str,
        here: Option<String>,
        signed_out: bool,
        #[wasm_bindgen(unchecked_param_type = "string | null | false | undefined")] at_call: JsValue,
    ) -> JsValue {
        let at_call = (!at_call.is_undefined()).then(|| sets(&self.inner, &at_call).unwrap_or_default());
        let challenged = self.inner.challenged(
            status,
            www_authenticate.as_deref(),
            url,
            here.as_deref(),
            signed_out,
            at_call.as_deref(),
        );
        let Some(c) = challenged else { return JsValue::UNDEFINED };
        let claims = c.claims.map_or(JsValue::UNDEFINED, |m| text(&Value::Object(m)));
        Array::of2(&to_js(&c.requirement.to_json()), &claims).into()
    }

    /// `signOut(options)`'s `endSession`; a mistake throws naming the option.
    #[wasm_bindgen(js_name = signOutOptions)]
    pub fn sign_out_options(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: Option<JsValue>,
    ) -> Thrown<bool> {
        thrown(read_optional::<SignOutOptions>(options, "options").map(|o| o.end_session))
    }

    /// The provider's sign-out with discovery held and the sets held before they were cleared:
    /// `[end_session_endpoint URL, the sign-out's key, the sign-out as stored]`.
    #[wasm_bindgen(js_name = signOut, unchecked_return_type = "[string, string, string]")]
    pub fn sign_out(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
        here: Option<String>,
    ) -> Thrown<JsValue> {
        let run = || -> Result<JsValue> {
            let return_to = read_optional::<SignOutOptions>(options, "options")?.return_to;
            let no_page = || Error::FetchFailed("no location: the client runs in a browser page".into());
            let held = sets(&self.inner, &tokens).unwrap_or_default();
            let (url, out) =
                self.inner.sign_out(return_to, &held, random_value()?, || here.ok_or_else(no_page), unix_now())?;
            Ok(Array::of3(&url.into(), &self.inner.sign_out_key().into(), &text(&out.to_json())).into())
        };
        thrown(run())
    }

    /// The key of a sign-out under way.
    #[wasm_bindgen(js_name = signOutKey)]
    pub fn sign_out_key(&self) -> String {
        self.inner.sign_out_key()
    }

    /// The provider's return from a sign-out at `url` with the stored sign-out: where to go.
    #[wasm_bindgen(js_name = signedOut)]
    pub fn signed_out(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] url: JsValue,
        stored_text: Option<String>,
    ) -> Thrown<String> {
        let run = || -> Result<String> {
            let url = string(&url, "url")?;
            self.inner.signed_out(&url, stored::<SignOut>(stored_text.as_deref()).as_ref())
        };
        thrown(run())
    }

    /// After a challenge for `requirement`: `true` to retry with `better`, `false` to save the
    /// call and step up; throws `ERR_STEP_UP_REQUIRED` otherwise. `at_call` and `tokens`: the
    /// sets held when the call was made and now ([`client::retry`]).
    pub fn retry(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] required: JsValue,
        first: Option<String>,
        better: Option<String>,
        step_up: bool,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] at_call: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
    ) -> Thrown<bool> {
        let run = || -> Result<bool> {
            let required = requirement(Some(required))?;
            let at_call = sets(&self.inner, &at_call).unwrap_or_default();
            let held = sets(&self.inner, &tokens)?;
            client::retry(&required, first.as_deref(), better.as_deref(), step_up, &at_call, &held)
        };
        thrown(run())
    }

    /// `ERR_STEP_UP_REQUIRED` for `requirement`.
    #[wasm_bindgen(js_name = stepUpRequired)]
    pub fn step_up_required(&self, #[wasm_bindgen(unchecked_param_type = "unknown")] required: JsValue) -> JsValue {
        match requirement(Some(required)) {
            Ok(r) => js_error(&client::step_up_required(&r)),
            Err(e) => js_error(&e),
        }
    }

    /// The body of a call to save for `resume()`, from its bytes ([`Pending::body`]).
    #[wasm_bindgen(js_name = savedBody)]
    pub fn saved_body(bytes: Vec<u8>) -> Thrown<String> {
        thrown(Pending::body(bytes))
    }

    /// The call to save for `resume()` (JSON text), from its parts (`headers` and its
    /// `Request`'s `modes` as `[name, value, …]`) and the transaction of the sign-in started for
    /// it, as stored.
    #[allow(clippy::too_many_arguments)]
    pub fn pending(
        &self,
        url: String,
        method: String,
        headers: Vec<String>,
        modes: Vec<String>,
        body: String,
        #[wasm_bindgen(unchecked_param_type = "unknown")] required: JsValue,
        tx: &str,
    ) -> Thrown<String> {
        let pairs =
            |list: Vec<String>| list.chunks(2).filter_map(|p| Some((p.first()?.clone(), p.get(1)?.clone()))).collect();
        let pending = requirement(Some(required)).and_then(|r| {
            let sign_in = ours::<Transaction>(tx)?;
            Pending::new(url, method, pairs(headers), pairs(modes), body, r, &sign_in)
        });
        thrown(pending.map(|p| p.to_json().to_string()))
    }

    /// The saved call (as stored) once the sign-in of `tx` completed ([`Client::after_sign_in`]):
    /// its new text (ready to replay) when it was saved for that sign-in, `null` to remove it (it
    /// was saved for a step-up that was abandoned), `undefined` to leave it (none is saved, or
    /// another client's).
    #[wasm_bindgen(js_name = pendingAfterSignIn, unchecked_return_type = "string | null | undefined")]
    pub fn pending_after_sign_in(&self, pending: Option<String>, tx: &str) -> JsValue {
        let Ok(completed) = ours::<Transaction>(tx) else { return JsValue::UNDEFINED };
        match self.inner.after_sign_in(pending.as_deref(), &completed) {
            SavedCall::Leave => JsValue::UNDEFINED,
            SavedCall::Remove => JsValue::NULL,
            SavedCall::Use(ready) => ready.to_json().to_string().into(),
        }
    }

    /// The saved call to replay once ([`Client::to_replay`]): `[url, method, headers as [name,
    /// value, …], body or undefined, requirement, modes as [name, value, …]]` (the shell removes
    /// it, then replays it), `null` to remove
    /// it unreplayed (its sign-in has not completed, or its tokens are no longer held: `tokens`
    /// as stored), `undefined` to leave it (none is saved, or another client's).
    #[wasm_bindgen(
        unchecked_return_type = "[string, string, string[], string | undefined, object, string[]] | null | undefined"
    )]
    pub fn resume(
        &self,
        pending: Option<String>,
        here: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
    ) -> JsValue {
        let held = sets(&self.inner, &tokens).unwrap_or_default();
        let p = match self.inner.to_replay(pending.as_deref(), here.as_deref(), &held) {
            SavedCall::Leave => return JsValue::UNDEFINED,
            SavedCall::Remove => return JsValue::NULL,
            SavedCall::Use(p) => *p,
        };
        let headers: Array = p.headers.iter().flat_map(|(n, v)| [JsValue::from(n), JsValue::from(v)]).collect();
        let out = Array::of3(&p.url.into(), &p.method.into(), &headers);
        out.push(&p.body.map_or(JsValue::UNDEFINED, JsValue::from));
        out.push(&to_js(&p.requirement.to_json()));
        let modes: Array = p.modes.iter().flat_map(|(n, v)| [JsValue::from(n), JsValue::from(v)]).collect();
        out.push(&modes);
        out.into()
    }

    /// The `store` option: 0 `sessionStorage`, 1 `localStorage`, 2 memory, 3 the caller's
    /// object (`get`, `set`, `remove`); a mistake throws naming `store`.
    #[wasm_bindgen(js_name = storeKind)]
    pub fn store_kind(#[wasm_bindgen(unchecked_param_type = "unknown")] store: JsValue) -> Thrown<u8> {
        let method = |name: &str| js_sys::Reflect::get(&store, &name.into()).is_ok_and(|f| f.is_function());
        let name = store.as_string();
        let option = if store.is_undefined() {
            client::StoreOption::Absent
        } else if let Some(name) = &name {
            client::StoreOption::Name(name)
        } else if store.is_object() && !store.is_function() {
            if ["get", "set", "remove"].iter().all(|m| method(m)) {
                client::StoreOption::Methods
            } else {
                client::StoreOption::Other("an object without get, set and remove functions")
            }
        } else if store.is_null() {
            client::StoreOption::Other("null")
        } else {
            client::StoreOption::Other("another type")
        };
        thrown(client::store(option).map(|kind| match kind {
            client::Store::Session => 0,
            client::Store::Local => 1,
            client::Store::Memory => 2,
            client::Store::Custom => 3,
        }))
    }

    /// After the cross-tab lock: `undefined` when `old` must still be refreshed, else the
    /// `RefreshResult` (JSON text) of the refresh another tab made, or the error to throw when
    /// `old` was signed out meanwhile.
    #[wasm_bindgen(js_name = refreshedElsewhere, unchecked_return_type = "string | Error | undefined")]
    pub fn refreshed_elsewhere(
        &self,
        old: &str,
        #[wasm_bindgen(unchecked_param_type = "string | null | false")] tokens: JsValue,
    ) -> Thrown<JsValue> {
        let run = || -> Result<JsValue> {
            let held = sets(&self.inner, &tokens)?;
            Ok(match self.inner.refreshed_elsewhere(&ours(old)?, &held, unix_now()) {
                None => JsValue::UNDEFINED,
                Some(Ok(result)) => JsString::from(result.to_string()).into(),
                Some(Err(e)) => js_error(&e),
            })
        };
        thrown(run())
    }

    /// Throws unless `client.fetch` may send tokens with a call to `url` (the `Request`'s URL)
    /// from the page at `here` ([`Client::token_may_go`]).
    #[wasm_bindgen(js_name = tokenMayGo)]
    pub fn token_may_go(&self, url: &str, here: Option<String>) -> Thrown<()> {
        thrown(self.inner.token_may_go(url, here.as_deref()))
    }

    /// `fetch`'s `{ stepUp?, timeoutInSeconds? }`: 0 no step-up, 1 a redirect, 2 a popup.
    #[wasm_bindgen(js_name = fetchOptions)]
    pub fn fetch_options(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: Option<JsValue>,
    ) -> Thrown<u8> {
        thrown(read_optional::<FetchOptions>(options, "options").map(|o| match o.step_up {
            StepUp::No => 0,
            StepUp::Redirect => 1,
            StepUp::Popup => 2,
        }))
    }

    /// The error of a step the shell could not take: `kind` 0, `ERR_FETCH_FAILED` (no network,
    /// no storage, no page); 1, the `input` of `fetch` that `Request` refused
    /// (`ERR_INVALID_ARG_VALUE`); 2, `message` names an argument that is not a function
    /// (`ERR_INVALID_ARG_TYPE`); 3, `message` names an argument that could not be read (a
    /// revoked proxy, a member that throws: `ERR_INVALID_ARG_VALUE`); 4, a sign-in cancelled by a
    /// sign-out while it was starting ([`client::cancelled_by_sign_out`]).
    pub fn failure(kind: u8, message: String) -> JsValue {
        js_error(&match kind {
            0 => Error::FetchFailed(message),
            1 => Error::arg_value("input", message),
            2 => Error::arg_type(message, "a function"),
            4 => client::cancelled_by_sign_out(),
            _ => Error::arg_value(message, "could not be read"),
        })
    }
}
