//! The browser client (contract section 5), sans I/O: every decision `Client` makes, as functions
//! of what the shell read (storage, the provider's answers, the page's URL) and the time and
//! random values it hands in. The shell (`js/client.js` and the wasm `ClientCore`) fetches,
//! stores, navigates and checks signatures with WebCrypto, and decides nothing itself.
//!
//! Everything is kept in the store (`sessionStorage` by default, [`store`]) under
//! `stepup:<clientId>:…` ([`Client::key`]): the sign-ins under way (`tx:<state>`, a
//! [`Transaction`]), the token sets (`tokens`, a list of [`TokenSet`]s), the one call waiting for
//! a step-up (`pending`, a [`Pending`]) and a sign-out under way (`signout`). A redirect loses no
//! state. A sign-in in a popup stores nothing of itself ([`Client::start_popup`]), and tabs tell
//! each other of sign-ins and sign-outs ([`Change`]). What storage holds is read as untrusted: a value that does
//! not read counts as absent.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::acr::{AcrList, AcrPolicy};
use crate::authorize::{build_authorization_url, AuthorizationRequest};
use crate::callback::{validate_authorization_response, ResponseExpectations};
use crate::claims::{same_user, DEFAULT_CLOCK_TOLERANCE};
use crate::discovery::{parse_discovery_document, Metadata};
use crate::error::Shortfall;
use crate::id_token::IdTokenOptions;
use crate::jwks::KeySet;
use crate::options::{list, string as json_string, Fields, FromJson, Out};
use crate::refresh::{self, Action};
use crate::step_up::{evaluate_step_up, parse_step_up_challenge, Ask, Requirement};
use crate::token_endpoint::{self, ClientAuth, Grant, GrantRequest};
use crate::tokens::{self, Api, TokenSet};
use crate::verifier::PerCall;
use crate::{pkce, Error, Result};

mod popup;
mod tabs;

pub use popup::{
    popup, popup_failed, Heard, Popup, PopupFailed, PopupFailure, PopupOption, PopupSignIn, DEFAULT_TIMEOUT_SECONDS,
    POLL_MS, POPUP_STATE,
};
pub use tabs::{signs_out, Change};

/// `new Client(options)`.
struct ClientOptions {
    issuer: String,
    client_id: String,
    redirect_uri: String,
    scope: Option<String>,
    resource: Option<String>,
    policy: Option<AcrPolicy>,
    params: Params,
    discovery_url: Option<String>,
    metadata: Option<Value>,
    post_logout_redirect_uri: Option<String>,
    api_origins: Option<Vec<String>>,
}

impl FromJson for ClientOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "issuer",
                "clientId",
                "redirectUri",
                "scope?",
                "resource?",
                "policy?",
                "audience?",
                "organization?",
                "connection?",
                "extraParams?",
                "discoveryUrl?",
                "metadata?",
                "postLogoutRedirectUri?",
                "apiOrigins?",
            ],
        )?;
        let metadata = o.with("metadata", |v, at| match v {
            Value::Object(_) => Ok(v.clone()),
            _ => Err(Error::arg_type(at, "an object (a discovery document)")),
        })?;
        Ok(ClientOptions {
            issuer: o.string("issuer")?,
            client_id: o.string("clientId")?,
            redirect_uri: o.string("redirectUri")?,
            scope: o.str("scope")?,
            resource: o.str("resource")?,
            policy: o.object("policy")?,
            params: Params::read(&o)?,
            discovery_url: o.str("discoveryUrl")?,
            metadata,
            post_logout_redirect_uri: o.str("postLogoutRedirectUri")?,
            api_origins: o.strings("apiOrigins")?,
        })
    }
}

/// The authorization request's parameters that users of other SDKs already pass: Auth0's
/// `audience`, `organization` and `connection`, and `extraParams` for anything else. A name
/// stepup sets itself (the [`crate::authorize::RESERVED_PARAMS`], `resource`) or one of the
/// named options is refused in `extraParams` (`ERR_INVALID_ARG_VALUE` naming
/// `extraParams.<name>`), never silently dropped or allowed to replace stepup's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(BTreeMap<String, String>);

/// Names `extraParams` may not carry: stepup's own, and those with an option of their own.
const NOT_EXTRA: [&str; 5] = ["resource", "audience", "organization", "connection", "id_token_hint"];

impl Params {
    fn read(o: &Fields<'_>) -> Result<Params> {
        let mut params = BTreeMap::new();
        let extra =
            o.with("extraParams", |v, at| crate::options::string_map(v, at, "an object whose members are strings"))?;
        for (name, value) in extra.unwrap_or_default() {
            if name.trim().is_empty()
                || crate::authorize::names_one_of(&name, &crate::authorize::RESERVED_PARAMS)
                || crate::authorize::names_one_of(&name, &NOT_EXTRA)
            {
                let why = match name.trim().to_ascii_lowercase().as_str() {
                    "audience" | "organization" | "connection" => format!("is an option of its own: pass {name}"),
                    _ => "may not replace a parameter stepup sets itself".to_string(),
                };
                return Err(Error::arg_value(o.at(&format!("extraParams.{name}")), why));
            }
            params.insert(name, value);
        }
        for name in ["audience", "organization", "connection"] {
            if let Some(value) = o.str(name)? {
                params.insert(name.to_string(), value);
            }
        }
        Ok(Params(params))
    }

    /// `self` with `over`'s values in place of its own.
    fn and(&self, over: &Params) -> Params {
        let mut params = self.0.clone();
        params.extend(over.0.iter().map(|(k, v)| (k.clone(), v.clone())));
        Params(params)
    }
}

/// `client.signIn(options)`, with the auth0.js and Lock spellings folded in.
#[derive(Default)]
pub struct SignInOptions {
    acr_values: Option<Vec<String>>,
    max_age: Option<u64>,
    prompt: Option<String>,
    login_hint: Option<String>,
    return_to: Option<String>,
    requirement: Option<Requirement>,
    auth0_acr_values: Option<String>,
    auth0_max_age: Option<u64>,
    lock: LockParams,
    params: Params,
    essential_acr: bool,
    claims: Option<Map<String, Value>>,
    timeout_in_seconds: Option<f64>,
}

/// Lock's `auth.params`.
#[derive(Default)]
struct LockParams {
    acr_values: Option<String>,
    max_age: Option<u64>,
    prompt: Option<String>,
}

impl FromJson for SignInOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "acrValues?",
                "maxAge?",
                "prompt?",
                "loginHint?",
                "returnTo?",
                "requirement?",
                "acr_values?",
                "max_age?",
                "auth?",
                "audience?",
                "organization?",
                "connection?",
                "extraParams?",
                "essentialAcr?",
                "claims?",
                "timeoutInSeconds?",
            ],
        )?;
        let lock = |v: &Value, at: &str| {
            let auth = Fields::new(v, at, &["params?"])?;
            auth.with("params", |v, at| {
                let p = Fields::new(v, at, &["acr_values?", "max_age?", "prompt?"])?;
                Ok(LockParams {
                    acr_values: p.str("acr_values")?,
                    max_age: p.whole("max_age")?,
                    prompt: p.str("prompt")?,
                })
            })
        };
        Ok(SignInOptions {
            acr_values: o.strings("acrValues")?,
            max_age: o.whole("maxAge")?,
            prompt: o.str("prompt")?,
            login_hint: o.str("loginHint")?,
            return_to: o.str("returnTo")?,
            requirement: o.object("requirement")?,
            auth0_acr_values: o.str("acr_values")?,
            auth0_max_age: o.whole("max_age")?,
            lock: o.with("auth", lock)?.flatten().unwrap_or_default(),
            params: Params::read(&o)?,
            essential_acr: o.bool("essentialAcr")?.unwrap_or_default(),
            claims: o.with("claims", claims_request)?,
            timeout_in_seconds: o.number("timeoutInSeconds")?,
        })
    }
}

/// An OIDC `claims` request (OIDC Core 5.5): an object.
fn claims_request(v: &Value, at: &str) -> Result<Map<String, Value>> {
    match v {
        Value::Object(map) => Ok(map.clone()),
        _ => Err(Error::arg_type(at, "an object (an OIDC claims request)")),
    }
}

/// `client.stepUp`'s `{ returnTo?, timeoutInSeconds? }` (its `popup`, which may be a window,
/// reaches the core as a [`Popup`]).
#[derive(Default)]
pub struct StepUpOptions {
    /// Where `handleCallback` says to go afterwards (a redirect's only).
    pub return_to: Option<String>,
    /// How long a popup sign-in may take.
    pub timeout_in_seconds: Option<f64>,
}

impl FromJson for StepUpOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["returnTo?", "timeoutInSeconds?"])?;
        Ok(StepUpOptions { return_to: o.str("returnTo")?, timeout_in_seconds: o.number("timeoutInSeconds")? })
    }
}

/// How `client.fetch` meets a step-up challenge no held token meets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StepUp {
    /// It does not: `ERR_STEP_UP_REQUIRED` (the default).
    #[default]
    No,
    /// `stepUp: true`: the page goes to the provider; `resume()` replays the call back there.
    Redirect,
    /// `stepUp: "popup"`: in a popup; the call is replayed at once, in the page.
    Popup,
}

/// `client.fetch`'s `{ stepUp?, timeoutInSeconds? }`.
#[derive(Default)]
pub struct FetchOptions {
    /// How to meet a step-up challenge.
    pub step_up: StepUp,
    /// How long a popup step-up may take.
    pub timeout_in_seconds: Option<f64>,
}

impl FromJson for FetchOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["stepUp?", "timeoutInSeconds?"])?;
        let step_up = o.with("stepUp", |v, at| match v {
            Value::Bool(true) => Ok(StepUp::Redirect),
            Value::Bool(false) => Ok(StepUp::No),
            Value::String(s) if s == "popup" => Ok(StepUp::Popup),
            Value::String(s) => Err(Error::arg_value(at, format!("{s:?} is not true, false or \"popup\""))),
            _ => Err(Error::arg_type(at, "true, false or \"popup\"")),
        })?;
        let options =
            FetchOptions { step_up: step_up.unwrap_or_default(), timeout_in_seconds: o.number("timeoutInSeconds")? };
        // A mistake in the popup's options is named now, not after the API answered.
        let (step_up, popup) = options.step_up();
        popup::timeout(step_up.timeout_in_seconds, popup)?;
        Ok(options)
    }
}

impl FetchOptions {
    /// The step-up a challenge leads to: its options and how it is shown. A timeout without
    /// `stepUp: "popup"` is refused, as in `signIn`.
    pub fn step_up(&self) -> (StepUpOptions, Popup) {
        let popup = if self.step_up == StepUp::Popup { Popup::Open } else { Popup::Redirect };
        (StepUpOptions { return_to: None, timeout_in_seconds: self.timeout_in_seconds }, popup)
    }
}

/// A sign-in to start: the requirement its tokens will be judged by, what to ask the provider
/// for, and where to go afterwards (`None`: the current page). Kept as JSON between the shell's
/// calls while it fetches discovery.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// What the new tokens must meet ([`crate::id_token::check`] with it on the callback).
    pub requirement: Requirement,
    /// `acr_values`, most preferred first.
    pub acr_values: Vec<String>,
    /// `max_age`.
    pub max_age: Option<u64>,
    /// `prompt`.
    pub prompt: Option<String>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// Where `handleCallback` says to go.
    pub return_to: Option<String>,
    /// The `claims` request (OIDC Core 5.5): the caller's, or an Entra claims challenge's.
    pub claims: Option<Map<String, Value>>,
    /// Also ask for `acr` as an essential claim (OIDC Core 5.5.1.1).
    pub essential_acr: bool,
    /// `audience`, `organization`, `connection` and `extraParams` of this sign-in (the
    /// client's own are added in [`Client::start`], these first).
    pub params: Params,
    /// A popup sign-in: how long to wait for its answer (ms); `None` for a redirect.
    pub popup_timeout_ms: Option<u64>,
    /// A step-up's: the `sub` of the user signed in when it was planned, who alone may complete
    /// it ([`Client::signed_in`]), whatever the store still holds by then.
    pub user: Option<String>,
}

impl FromJson for Plan {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "requirement",
                "acrValues",
                "maxAge?",
                "prompt?",
                "loginHint?",
                "returnTo?",
                "claims?",
                "essentialAcr?",
                "params?",
                "popupTimeoutMs?",
                "user?",
            ],
        )?;
        let params = o.with("params", |v, at| crate::options::string_map(v, at, "an object of strings"))?;
        Ok(Plan {
            requirement: Requirement::from_json(o.required("requirement")?, "requirement")?,
            acr_values: o.strings("acrValues")?.unwrap_or_default(),
            max_age: o.whole("maxAge")?,
            prompt: o.str("prompt")?,
            login_hint: o.str("loginHint")?,
            return_to: o.str("returnTo")?,
            claims: o.with("claims", claims_request)?,
            essential_acr: o.bool("essentialAcr")?.unwrap_or_default(),
            params: Params(params.unwrap_or_default().into_iter().collect()),
            popup_timeout_ms: o.whole("popupTimeoutMs")?,
            user: o.str("user")?,
        })
    }
}

impl Plan {
    /// This step-up as one for a call (`fetch`): the user's whose sets were held when the call
    /// was made (`at_call`), whatever went meanwhile (a refresh refused in another call drops the
    /// sets; that user's call stays theirs).
    pub fn for_call(mut self, at_call: &[TokenSet]) -> Plan {
        self.user = user_of(at_call).or(self.user);
        self
    }

    /// The plan as the shell holds it.
    pub fn to_json(&self) -> Value {
        Out::new()
            .set("requirement", self.requirement.to_json())
            .set("acrValues", self.acr_values.clone())
            .maybe("maxAge", self.max_age)
            .maybe("prompt", self.prompt.as_deref())
            .maybe("loginHint", self.login_hint.as_deref())
            .maybe("returnTo", self.return_to.as_deref())
            .maybe("claims", self.claims.clone())
            .maybe("essentialAcr", self.essential_acr.then_some(true))
            .maybe(
                "params",
                (!self.params.0.is_empty()).then(|| {
                    Value::from(Map::from_iter(self.params.0.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str())))))
                }),
            )
            .maybe("popupTimeoutMs", self.popup_timeout_ms)
            .maybe("user", self.user.as_deref())
            .build()
    }
}

/// A sign-out under way (`signout`): the `state` sent to the provider's `end_session_endpoint`
/// and where `handleSignOutCallback` says to go.
#[derive(Debug, Clone, PartialEq)]
pub struct SignOut {
    /// The `state` sent (RP-Initiated Logout 1.0 §2).
    pub state: String,
    /// Where to go afterwards.
    pub return_to: String,
}

impl FromJson for SignOut {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["state", "returnTo"])?;
        Ok(SignOut { state: o.string("state")?, return_to: o.string("returnTo")? })
    }
}

impl SignOut {
    /// The sign-out as stored.
    pub fn to_json(&self) -> Value {
        Out::new().set("state", self.state.as_str()).set("returnTo", self.return_to.as_str()).build()
    }
}

/// `client.signOut`'s `{ endSession?, returnTo? }`.
#[derive(Default)]
pub struct SignOutOptions {
    /// End the provider's session too (RP-Initiated Logout 1.0).
    pub end_session: bool,
    /// Where `handleSignOutCallback` says to go (default: the current page).
    pub return_to: Option<String>,
}

impl FromJson for SignOutOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["endSession?", "returnTo?"])?;
        Ok(SignOutOptions { end_session: o.bool("endSession")?.unwrap_or_default(), return_to: o.str("returnTo")? })
    }
}

/// Where the client keeps its state (`store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `"session"` (the default): `sessionStorage`, this tab only.
    Session,
    /// `"local"`: `localStorage`, shared by the origin's tabs, which then refresh one at a time.
    Local,
    /// `"memory"`: this page only; a redirect loses it (a redirect sign-in cannot complete).
    Memory,
    /// An object with synchronous `get`, `set` and `remove`.
    Custom,
}

/// The `store` option as the shell saw it.
pub enum StoreOption<'a> {
    /// Not given.
    Absent,
    /// A string.
    Name(&'a str),
    /// An object with `get`, `set` and `remove` functions.
    Methods,
    /// Anything else, described in JavaScript's words (`"a number"`, `"an object without get"`).
    Other(&'a str),
}

/// `store`: `"session"`, `"local"`, `"memory"` or an object with `get`, `set` and `remove`.
pub fn store(option: StoreOption<'_>) -> Result<Store> {
    match option {
        StoreOption::Absent => Ok(Store::Session),
        StoreOption::Name("session") => Ok(Store::Session),
        StoreOption::Name("local") => Ok(Store::Local),
        StoreOption::Name("memory") => Ok(Store::Memory),
        StoreOption::Methods => Ok(Store::Custom),
        StoreOption::Name(other) => {
            Err(Error::arg_value("store", format!("{other:?} is not \"session\", \"local\" or \"memory\"")))
        }
        StoreOption::Other(what) => Err(Error::arg_type(
            "store",
            format!("\"session\", \"local\", \"memory\" or an object with get, set and remove (got {what})"),
        )),
    }
}

/// A sign-in under way, kept until its callback (`tx:<state>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    /// The PKCE `code_verifier` (RFC 7636).
    pub verifier: String,
    /// The `nonce` sent (OIDC Core 3.1.2.1).
    pub nonce: String,
    /// What the new tokens must meet.
    pub requirement: Requirement,
    /// Where `handleCallback` says to go.
    pub return_to: String,
    /// The issuer the sign-in went to: a callback is completed only by a client of that issuer,
    /// so two clients with one client id never send one's code and PKCE verifier to the other's
    /// token endpoint (RFC 9207 §1, mix-up). Absent in a transaction stored by an earlier version.
    pub issuer: Option<String>,
    /// The origin's sign-out mark when the sign-in started ([`Self::cancelled_by`]); absent where
    /// the browser keeps none (no `localStorage`).
    pub sign_out_mark: Option<String>,
    /// The API the sign-in asked tokens for (`resource`, `audience`): the new set is for it alone.
    pub api: Api,
    /// A step-up's user ([`Plan::user`]).
    pub user: Option<String>,
}

impl FromJson for Transaction {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "verifier",
                "nonce",
                "requirement",
                "returnTo",
                "issuer?",
                "signOutMark?",
                "resource?",
                "audience?",
                "user?",
            ],
        )?;
        Ok(Transaction {
            verifier: o.string("verifier")?,
            nonce: o.string("nonce")?,
            requirement: Requirement::from_json(o.required("requirement")?, "requirement")?,
            return_to: o.string("returnTo")?,
            issuer: o.str("issuer")?,
            sign_out_mark: o.str("signOutMark")?,
            api: Api { resource: o.str("resource")?, audience: o.str("audience")? },
            user: o.str("user")?,
        })
    }
}

impl Transaction {
    /// The transaction as stored.
    pub fn to_json(&self) -> Value {
        Out::new()
            .set("verifier", self.verifier.as_str())
            .set("nonce", self.nonce.as_str())
            .set("requirement", self.requirement.to_json())
            .set("returnTo", self.return_to.as_str())
            .maybe("issuer", self.issuer.as_deref())
            .maybe("signOutMark", self.sign_out_mark.as_deref())
            .maybe("resource", self.api.resource.as_deref())
            .maybe("audience", self.api.audience.as_deref())
            .maybe("user", self.user.as_deref())
            .build()
    }

    /// Whether a sign-out since this sign-in started cancelled it (README, "The browser
    /// `Client`": a sign-out stays a sign-out): the origin's sign-out mark (`mark`: a random value
    /// every sign-out rewrites, kept where every tab reads it, so a tab that was away at the
    /// provider when another signed out finds it on its return; `""` when none is kept, after an
    /// app cleared `localStorage`, say) is not the one the sign-in started at.
    pub fn cancelled_by(&self, mark: Option<&str>) -> bool {
        matches!((self.sign_out_mark.as_deref(), mark), (Some(then), Some(now)) if now != then)
    }
}

/// Whether the tokens a store holds, kept at the sign-out mark `kept_at`, were signed out since
/// in a tab that this one did not hear (it was away at the provider, or closed): the origin's
/// mark now (`mark`, `""` when none is kept, `None` where the browser keeps none) is another.
/// Tokens that name no mark stay only while no mark was ever kept (before the first sign-out
/// since they were kept). Such tokens are removed, as a tab that heard the sign-out removed
/// its own.
pub fn signed_out_elsewhere(kept_at: Option<&str>, mark: Option<&str>) -> bool {
    match (kept_at, mark) {
        (_, None) => false,
        (None, Some(now)) => !now.is_empty(),
        (Some(kept), Some(now)) => kept != now,
    }
}

/// A call waiting for a step-up (`pending`), replayed once by `resume()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The request's URL.
    pub url: String,
    /// Its method.
    pub method: String,
    /// Its headers, without `authorization` (the replay carries the new token).
    pub headers: Vec<(String, String)>,
    /// Its body as text (none for `GET` and `HEAD`, which cannot have one).
    pub body: Option<String>,
    /// What the API asked for.
    pub requirement: Requirement,
    /// The sign-in started for it: its transaction's `nonce`, random and never reused.
    pub sign_in: String,
    /// Whether that sign-in completed ([`Pending::after_sign_in`]): only then is the call
    /// replayed. A step-up the user abandoned (the Back button at the provider) leaves the call
    /// saved but never ready, and the next, unrelated sign-in drops it.
    pub ready: bool,
    /// The issuer of the client that saved it ([`Client::owns_call`]). Absent in a call saved
    /// by an earlier version, which any client of its id takes.
    pub issuer: Option<String>,
    /// The API of the client that saved it.
    pub api: Api,
    /// How Fetch sends it, as the call had it: `[name, value]` of the `Request`'s
    /// `credentials`, `redirect`, `mode`, `cache`, `referrer`, `referrerPolicy` and `integrity` (the values
    /// Fetch can make a `Request` with again), so `resume()` sends the same call (no cookie a call made with
    /// `credentials: "omit"` left out, no redirect one made with `redirect: "error"` refused).
    pub modes: Vec<(String, String)>,
}

/// Whether `value` is one the `Request` member `name` can be made with again, beside the call's
/// other `modes` (Fetch: `only-if-cached` goes with `same-origin` only). `no-cors` is none: a
/// call in that mode sends no `Authorization` header, so no token.
fn request_mode(name: &str, value: &str, modes: &[(String, String)]) -> bool {
    let one_of = |values: &[&str]| values.contains(&value);
    match name {
        "credentials" => one_of(&["omit", "same-origin", "include"]),
        "redirect" => one_of(&["follow", "error", "manual"]),
        "mode" => one_of(&["cors", "same-origin"]),
        "cache" if value == "only-if-cached" => modes.iter().any(|(n, v)| n == "mode" && v == "same-origin"),
        "cache" => one_of(&["default", "no-store", "reload", "no-cache", "force-cache"]),
        "referrerPolicy" => one_of(&[
            "",
            "no-referrer",
            "no-referrer-when-downgrade",
            "same-origin",
            "origin",
            "strict-origin",
            "origin-when-cross-origin",
            "strict-origin-when-cross-origin",
            "unsafe-url",
        ]),
        "integrity" => value.chars().all(|c| c.is_ascii_graphic() || c == ' '),
        // None, or the page the call was made from (a URL as browsers write one): the replay,
        // made from the callback page, would otherwise send that page's URL, its `code` and
        // `state`, as `Referer`.
        "referrer" => {
            value.is_empty()
                || value.bytes().all(|b| b.is_ascii_graphic())
                    && origin_of(value).is_some_and(|origin| written_as_browsers_write(&origin))
        }
        _ => false,
    }
}

impl FromJson for Pending {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "url",
                "method",
                "headers",
                "body?",
                "requirement",
                "signIn",
                "ready?",
                "issuer?",
                "resource?",
                "audience?",
                "modes?",
            ],
        )?;
        // What Fetch sends again as it was (RFC 9110 §5.1, §5.5, §9.1; Fetch's header values
        // are bytes, so no character past U+00FF; its forbidden methods; no body with GET or
        // HEAD): a saved call any other script could have written reads as no call, never as
        // one the replay throws on.
        let token = |text: &str| !text.is_empty() && text.bytes().all(crate::step_up::is_tchar);
        let value = |text: &str| text.chars().all(|c| c <= '\u{ff}' && !matches!(c, '\0' | '\r' | '\n'));
        let pair = |v: &Value, at: &str| match list(v, at, "a [name, value] pair", json_string)?.as_slice() {
            [name, text] if token(name) && value(text) => Ok((name.clone(), text.clone())),
            _ => Err(Error::arg_type(at, "a [name, value] pair Fetch can send")),
        };
        let method = o.string("method")?;
        let is = |names: &[&str]| names.iter().any(|n| method.eq_ignore_ascii_case(n));
        let body = o.str("body")?;
        if !token(&method) || is(&["CONNECT", "TRACE", "TRACK"]) || (body.is_some() && is(&["GET", "HEAD"])) {
            return Err(Error::arg_value("method", "is not a method Fetch can send, or not with a body"));
        }
        Ok(Pending {
            url: o.string("url")?,
            method,
            headers: list(o.required("headers")?, "headers", "an array of pairs", pair)?,
            body,
            requirement: Requirement::from_json(o.required("requirement")?, "requirement")?,
            sign_in: o.string("signIn")?,
            ready: o.bool("ready")?.unwrap_or_default(),
            issuer: o.str("issuer")?,
            api: Api { resource: o.str("resource")?, audience: o.str("audience")? },
            modes: match o.get("modes") {
                Some(v) => {
                    let modes = list(v, "modes", "an array of pairs", pair)?;
                    if !modes.iter().all(|(name, value)| request_mode(name, value, &modes)) {
                        return Err(Error::arg_value("modes", "holds a mode Fetch cannot send the call with again"));
                    }
                    modes
                }
                None => Vec::new(),
            },
        })
    }
}

impl Pending {
    /// The body of a call to save (its bytes) as the text `resume()` sends: a body that is not
    /// UTF-8 text cannot be kept as it was (what is saved is text), so it is refused before the
    /// step-up starts, never replayed with other bytes (`ERR_INVALID_ARG_VALUE` naming
    /// `init.body`). A popup step-up replays the call from memory and keeps any body.
    pub fn body(bytes: Vec<u8>) -> Result<String> {
        String::from_utf8(bytes).map_err(|_| {
            Error::arg_value(
                "init.body",
                "is not UTF-8 text, which a step-up that leaves the page cannot keep for resume(); use \
                 { stepUp: \"popup\" }, which replays the call as it was",
            )
        })
    }

    /// The call as saved before a step-up, with its `Request`'s `modes` (`[name, value]`). The
    /// `authorization` header is not kept: it holds the token the API refused, and the replay
    /// sends the new one. A mode it could not be sent again with (`no-cors`, which sends no
    /// token) is `ERR_INVALID_ARG_VALUE` naming `init.<name>`, before the step-up starts.
    pub fn new(
        url: String,
        method: String,
        headers: Vec<(String, String)>,
        modes: Vec<(String, String)>,
        body: String,
        requirement: Requirement,
        sign_in: &Transaction,
    ) -> Result<Pending> {
        if let Some((name, value)) = modes.iter().find(|(name, value)| !request_mode(name, value, &modes)) {
            return Err(Error::arg_value(
                format!("init.{name}"),
                format!(
                    "is {value:?}, which a step-up that leaves the page cannot send again; use {{ stepUp: \"popup\" }}"
                ),
            ));
        }
        let headers = headers.into_iter().filter(|(name, _)| !name.eq_ignore_ascii_case("authorization")).collect();
        // Fetch refuses a body on GET and HEAD, so the replay must not carry one.
        let body = (!matches!(method.as_str(), "GET" | "HEAD")).then_some(body);
        Ok(Pending {
            url,
            method,
            headers,
            body,
            requirement,
            sign_in: sign_in.nonce.clone(),
            ready: false,
            issuer: sign_in.issuer.clone(),
            api: sign_in.api.clone(),
            modes,
        })
    }

    /// The saved call once the sign-in of `completed` finished: ready to replay when it is the
    /// one started for it, else `None`, to drop (its own step-up was abandoned, and replaying
    /// it after another sign-in would carry out an action the user gave up).
    pub fn after_sign_in(self, completed: &Transaction) -> Option<Pending> {
        crate::secret::same(&self.sign_in, &completed.nonce).then_some(Pending { ready: true, ..self })
    }

    /// The call as stored.
    pub fn to_json(&self) -> Value {
        let headers: Vec<Value> = self.headers.iter().map(|(n, v)| Value::from(vec![n.as_str(), v.as_str()])).collect();
        Out::new()
            .set("url", self.url.as_str())
            .set("method", self.method.as_str())
            .set("headers", headers)
            .maybe("body", self.body.as_deref())
            .set("requirement", self.requirement.to_json())
            .set("signIn", self.sign_in.as_str())
            .set("ready", self.ready)
            .maybe("issuer", self.issuer.as_deref())
            .maybe("resource", self.api.resource.as_deref())
            .maybe("audience", self.api.audience.as_deref())
            .set("modes", self.modes.iter().map(|(n, v)| Value::from(vec![n.as_str(), v.as_str()])).collect::<Vec<_>>())
            .build()
    }
}

/// The user whose tokens `sets` hold: any set's `sub`, expired or not (all are the one user's,
/// `same_user`; a call whose token expired while it was under way is that user's all the same).
pub fn user_of(sets: &[TokenSet]) -> Option<String> {
    sets.iter().find_map(|s| s.claims.get("sub")).and_then(Value::as_str).map(str::to_string)
}

/// The sets in `held` of the user whose tokens were held when a call was made (`at_call`): none
/// when no one's were. A call's tokens, its retry's and its step-up's are that user's only: a
/// refresh the provider refuses drops its user's sets without a sign-out, so another user may
/// sign in while the call is under way.
pub fn callers_sets<'a>(held: &'a [TokenSet], at_call: &[TokenSet]) -> impl Iterator<Item = &'a TokenSet> {
    let caller = user_of(at_call);
    held.iter().filter(move |s| caller.is_some() && s.claims.get("sub").and_then(Value::as_str) == caller.as_deref())
}

/// A sign-in cancelled by a sign-out made while it was under way (README, "The browser
/// `Client`": a sign-out stays a sign-out), at its callback or while it was starting.
pub fn cancelled_by_sign_out() -> Error {
    Error::response("state", "the sign-in was cancelled by a sign-out made while it was under way")
}

/// What the shell does with the call saved under the client id's `pending` key, which two
/// clients with one client id share (another issuer, another API).
#[derive(Debug, Clone, PartialEq)]
pub enum SavedCall {
    /// Nothing: none is saved, or it is another client's, left for its own `resume()` or its
    /// own next sign-in, never dropped nor replayed by this one.
    Leave,
    /// Remove it: this client's and not to be replayed, or unreadable.
    Remove,
    /// This client's call: `resume()` removes it and replays it (once); after its sign-in, it is
    /// stored again, ready.
    Use(Box<Pending>),
}

/// A stored value: `None` when absent or unreadable (what storage holds is not trusted, and a
/// value another version wrote, or a page edited, must not break the client: it counts as gone).
pub fn stored<T: FromJson>(text: Option<&str>) -> Option<T> {
    T::from_json(&crate::json::parse_own(text?)?, "").ok()
}

/// The stored token sets (`tokens`); none when absent or unreadable.
pub fn token_sets(text: Option<&str>) -> Vec<TokenSet> {
    let read = |text: &str| -> Option<Vec<TokenSet>> {
        list(&crate::json::parse_own(text)?, "tokens", "an array", TokenSet::from_json).ok()
    };
    text.and_then(read).unwrap_or_default()
}

impl Client {
    /// This client's token sets among those stored: the ones its issuer signed. The store is
    /// named after the client id alone, so another `Client` of the same id for another issuer
    /// (a tenant's own provider) shares it; its tokens are never sent, refreshed or judged here.
    pub fn stored_sets(&self, text: Option<&str>) -> Vec<TokenSet> {
        let mut sets = token_sets(text);
        sets.retain(|s| self.issuer_of(s) == Some(self.issuer.as_str()));
        sets
    }

    /// What to store once this client's sets are `own`: them, and the sets another issuer
    /// signed as `stored` holds them — the other `Client`'s, which are not this one's to drop.
    /// A set that names no issuer is nobody's and goes.
    pub fn sets_to_store(&self, own: &[TokenSet], stored: Option<&str>) -> Value {
        let theirs = token_sets(stored).into_iter().filter(|s| self.issuer_of(s).is_some_and(|iss| iss != self.issuer));
        Value::from(own.iter().map(TokenSet::to_json).chain(theirs.map(|s| s.to_json())).collect::<Vec<_>>())
    }

    fn issuer_of<'a>(&self, set: &'a TokenSet) -> Option<&'a str> {
        set.claims.get("iss").and_then(Value::as_str)
    }
}

/// The token sets as stored.
pub fn token_sets_json(sets: &[TokenSet]) -> Value {
    Value::from(sets.iter().map(TokenSet::to_json).collect::<Vec<_>>())
}

/// The provider documents the client fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// The discovery document (OIDC Discovery §4).
    Metadata,
    /// The key set at its `jwks_uri` (RFC 7517).
    Keys,
}

/// What the shell must do to have a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// The held one is good: use it.
    Held,
    /// Another call is fetching it: wait for that fetch, then [`Client::held`].
    Wait,
    /// Fetch this URL, then hand the answer to [`Client::fetched`].
    Fetch(String),
}

/// What is held of one document, refreshed by the core's rules ([`crate::refresh`]): a failed
/// fetch keeps the held document, and a fetch is tried at most once per cooldown.
struct Held<T> {
    value: Option<T>,
    state: refresh::State,
    /// Why the last fetch failed, for calls that find nothing held.
    error: Option<Error>,
}

impl<T> Default for Held<T> {
    fn default() -> Self {
        Held { value: None, state: refresh::State::default(), error: None }
    }
}

impl<T> Held<T> {
    fn current(&self) -> Result<&T> {
        self.value.as_ref().ok_or_else(|| {
            self.error
                .clone()
                .unwrap_or_else(|| Error::FetchFailed("the provider failed recently; retrying shortly".into()))
        })
    }
}

/// The answer to a request the shell sent: the status and the body, or why none came (the
/// network failed, the timeout passed).
pub type Answer<'a> = std::result::Result<(u16, &'a [u8]), String>;

/// `ERR_FETCH_FAILED` naming the request: `"GET <url>: <why>"`.
pub fn fetch_failed(method: &str, url: &str, why: impl std::fmt::Display) -> Error {
    Error::FetchFailed(format!("{method} {url}: {why}"))
}

/// A token endpoint's answer read as [`token_endpoint::read_answer`] does, except Auth0's
/// `mfa_required` ([`token_endpoint::mfa_required`]): the grant needs a multi-factor sign-in,
/// `ERR_STEP_UP_REQUIRED` asking for `mfa_acr` (see [`Client::mfa_acr`]).
fn grant(endpoint: &str, answer: Answer<'_>, mfa_acr: &str) -> Result<Grant> {
    let (status, body) = answer.map_err(|why| fetch_failed("POST", endpoint, why))?;
    if token_endpoint::mfa_required(status, body) {
        return Err(Error::StepUpRequired(Shortfall { acr_values: vec![mfa_acr.to_string()], max_age: None }));
    }
    token_endpoint::read_answer(endpoint, status, body)
}

/// The set a grant made at `now`, before its ID token's claims are known.
fn token_set(grant: Grant, now: u64) -> TokenSet {
    TokenSet {
        claims: Map::new(),
        access_token: Some(grant.access_token),
        // Never past the latest time JavaScript counts exactly: a huge `expires_in` is a token
        // that lasts, not one that wrapped around into the past.
        expires_at: grant.expires_in.map(|s| now.saturating_add(s).min(crate::claims::MAX_NUMERIC_DATE as u64)),
        refresh_token: grant.refresh_token,
        id_token: grant.id_token,
        api: Api::default(),
    }
}

/// `ERR_STEP_UP_REQUIRED` for `requirement`: what a sign-in must ask for to meet it.
pub fn step_up_required(requirement: &Requirement) -> Error {
    Error::StepUpRequired(Shortfall {
        acr_values: requirement.acr.clone().map(|a| a.0).unwrap_or_default(),
        max_age: requirement.max_age,
    })
}

/// A step-up challenge an API answered with ([`challenge`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Challenged {
    /// What the new tokens must meet.
    pub requirement: Requirement,
    /// An Entra claims challenge's decoded claims request, sent back as the authorization
    /// request's `claims` (OIDC Core 5.5) by the step-up.
    pub claims: Option<Map<String, Value>>,
}

/// The step-up challenge a `401` or `403` answer carries, read by
/// [`parse_step_up_challenge`]: RFC 9470 §3 (`401`), Okta's `insufficient_authentication_context`
/// (`403`), an Entra claims challenge (`insufficient_claims`, `401`), Auth0's `mfa_required`.
/// The requirement is the challenge's ACR values (for Entra those of `access_token.acrs`), else,
/// for a claims request that names none there, the values of an essential `id_token.acr`
/// request (OIDC Core 5.5.1.1), which the provider must then assert.
pub fn challenge(status: u16, www_authenticate: Option<&str>) -> Option<Challenged> {
    if !matches!(status, 401 | 403) {
        return None;
    }
    let challenge = parse_step_up_challenge(www_authenticate?)?;
    let mut acr_values = challenge.acr_values;
    if acr_values.is_empty() {
        acr_values = challenge.claims_request.as_ref().map(essential_acr).unwrap_or_default();
    }
    let acr = (!acr_values.is_empty()).then_some(AcrList(acr_values));
    Some(Challenged {
        requirement: Requirement { acr, amr: None, max_age: challenge.max_age },
        claims: challenge.claims_request,
    })
}

/// The values of an essential `id_token.acr` request (`value` or `values`), if usable ACR values.
fn essential_acr(claims: &Map<String, Value>) -> Vec<String> {
    let Some(acr) = claims.get("id_token").and_then(|t| t.get("acr")) else { return Vec::new() };
    if acr.get("essential") != Some(&Value::Bool(true)) {
        return Vec::new();
    }
    let values: Vec<String> = match (acr.get("value"), acr.get("values")) {
        (Some(Value::String(one)), _) => vec![one.clone()],
        (_, Some(Value::Array(values))) => values.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    if crate::authorize::check_acr_values(&values).is_err() {
        return Vec::new();
    }
    values
}

/// After a challenge met with `requirement`: `true` to retry once with `better`, a held token
/// that meets it, is not the one refused (`first`), and is the access token of a set (in `held`,
/// the sets held now) of the user who made the call (`at_call`, the sets held then); else
/// `false` to save the call and step up when the caller allowed it (`stepUp: true`), or
/// `ERR_STEP_UP_REQUIRED`. Never a loop: the same token is never sent twice. Never another
/// user's: a refresh the provider refuses drops its user's sets without a sign-out, and whoever
/// signs in next must not carry out a call made before (nor one made with no one signed in).
pub fn retry(
    requirement: &Requirement,
    first: Option<&str>,
    better: Option<&str>,
    step_up: bool,
    at_call: &[TokenSet],
    held: &[TokenSet],
) -> Result<bool> {
    let callers = |token: &str| callers_sets(held, at_call).any(|s| s.access_token.as_deref() == Some(token));
    if better.is_some_and(callers) && better != first {
        return Ok(true);
    }
    if step_up {
        Ok(false)
    } else {
        Err(step_up_required(requirement))
    }
}

/// Which token a call uses ([`Client::token_for`]).
#[derive(Debug, Clone, PartialEq)]
pub enum TokenFor {
    /// This access token.
    Use(String),
    /// Refresh this set first, then ask again.
    Refresh(TokenSet),
    /// None meets the requirement.
    None,
}

/// A refresh's answer, read ([`Client::refresh_answer`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Renewal {
    /// The provider refused the refresh token (`invalid_grant`, RFC 6749 §5.2): it will never
    /// work again, and is dropped ([`Client::replace`] without a new set).
    Refused,
    /// New tokens.
    Renewed(Box<Renewed>),
}

/// New tokens from a refresh: the ID token, if one came, to verify with `call` on the refresh
/// verifier ([`Client::id_token_options`] with `refreshed`), then [`Client::refreshed`].
#[derive(Debug, Clone, PartialEq)]
pub struct Renewed {
    /// The refresh's ID token (OIDC Core 12.2: optional).
    pub id_token: Option<String>,
    /// `verifyIdToken`'s options for it.
    pub call: PerCall,
    /// The new tokens, claims not yet known.
    pub set: TokenSet,
}

/// The browser client's settings and the provider documents it holds.
pub struct Client {
    issuer: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    resource: Option<String>,
    policy: AcrPolicy,
    params: Params,
    /// Where discovery is (default `{issuer}/.well-known/openid-configuration`).
    discovery_url: String,
    /// The metadata was given (`metadata`): never fetched.
    given_metadata: bool,
    post_logout_redirect_uri: String,
    metadata: Held<Metadata>,
    keys: Held<KeySet>,
    documents: refresh::Policy,
    /// Where `client.fetch` may send tokens besides the page's own origin
    /// ([`Client::token_may_go`]): `apiOrigins`, and the origin of `resource`.
    api_origins: Vec<String>,
    /// The API this client's calls go to (`resource`, `audience`): only sets issued for it are
    /// sent, refreshed or counted as a call's token.
    api: Api,
}

impl FromJson for Client {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = ClientOptions::from_json(value, at)?;
        crate::url::Endpoint::parse(&o.issuer, "issuer")?;
        let policy = o.policy.unwrap_or_default();
        policy.check_at("policy")?;
        let discovery_url = match o.discovery_url {
            Some(url) => {
                crate::url::Endpoint::parse(&url, "discoveryUrl")?;
                url
            }
            None => format!("{}/.well-known/openid-configuration", o.issuer.trim_end_matches('/')),
        };
        let mut api_origins = Vec::new();
        for (i, given) in o.api_origins.unwrap_or_default().into_iter().enumerate() {
            // An origin exactly as browsers write one (`location.origin`), so that comparing texts
            // is comparing origins.
            match origin_of(&given) {
                Some(origin) if origin == given && written_as_browsers_write(&origin) => api_origins.push(origin),
                _ => {
                    return Err(Error::arg_value(
                        format!("apiOrigins[{i}]"),
                        "must be an origin as browsers write it, such as \"https://api.example.com\"",
                    ))
                }
            }
        }
        // The resource server the tokens are for (RFC 8707 §2: `resource` is its URI) is theirs
        // to see. Auth0's `audience` is not: it names an API and need not be where it is.
        api_origins.extend(o.resource.as_deref().and_then(origin_of));
        let mut metadata = Held::default();
        let given_metadata = o.metadata.is_some();
        if let Some(document) = o.metadata {
            // Given, not fetched: a document that does not read is the caller's mistake; the
            // issuer must still be this client's (OIDC Discovery §4.3).
            let text = document.to_string();
            metadata.value =
                Some(crate::discovery::parse_given_discovery_document(text.as_bytes(), &o.issuer, "metadata")?);
        }
        let api = Api { resource: o.resource.clone(), audience: o.params.0.get("audience").cloned() };
        Ok(Client {
            post_logout_redirect_uri: o.post_logout_redirect_uri.unwrap_or_else(|| o.redirect_uri.clone()),
            issuer: o.issuer,
            client_id: o.client_id,
            redirect_uri: o.redirect_uri,
            scope: o.scope.unwrap_or_else(|| "openid profile".into()),
            resource: o.resource,
            policy,
            params: o.params,
            discovery_url,
            given_metadata,
            metadata,
            keys: Held::default(),
            documents: refresh::Policy::default(),
            api_origins,
            api,
        })
    }
}

impl Client {
    /// The storage key of `name`: `stepup:<clientId>:<name>`; `key("")` is the prefix of all.
    pub fn key(&self, name: &str) -> String {
        // `:` ends the client id in a key: one that holds a `:` (or `%`, the escape itself) is
        // escaped, so no client's keys fall under another's prefix (`spa` and `spa:tx`), and a
        // sign-out or a callback's `state` never reaches another client's keys.
        let id = self.client_id.replace('%', "%25").replace(':', "%3A");
        format!("stepup:{id}:{name}")
    }

    /// Whether `client.fetch` may send this client's tokens with a call to `url` (the call's URL
    /// as `fetch()` sends it): to the page's own origin (`here`, its URL), the origin of
    /// `resource`, or one of `apiOrigins`; never to another site, which a bearer
    /// token would let act as the user (README, "The browser `Client`"). A refused call is the
    /// caller's `input` (`ERR_INVALID_ARG_VALUE`), made with no token at all.
    pub fn token_may_go(&self, url: &str, here: Option<&str>) -> Result<()> {
        let origin = origin_of(url);
        let page = here.and_then(origin_of);
        match origin {
            Some(origin) if page.as_ref() == Some(&origin) || self.api_origins.contains(&origin) => Ok(()),
            _ => Err(Error::arg_value(
                "input",
                format!(
                    "is not on an origin this client sends tokens to (the page's, resource's or one of \
                     apiOrigins): {}",
                    origin.as_deref().unwrap_or("no http(s) origin")
                ),
            )),
        }
    }

    /// The step-up challenge of an answer ([`challenge`]) from `answered_at`, the URL that
    /// answered (a redirect's target, when the API redirected): only an answer from an origin
    /// this client sends tokens to ([`Self::token_may_go`]) asks for a step-up. Another origin
    /// could otherwise choose what the user is asked to sign in with and have the call saved.
    /// `signed_out`: a sign-out came (here, or heard from another tab) while the call was under
    /// way. Then no answer asks for anything: the call was the signed-out user's, and retrying
    /// it with a held token, or stepping up for it, would carry it out as whoever signs in next.
    /// `at_call`: the sets held when the call was made (`None` for a replay, made with the
    /// step-up's own); a call made with none asks for nothing either.
    pub fn challenged(
        &self,
        status: u16,
        www_authenticate: Option<&str>,
        answered_at: &str,
        here: Option<&str>,
        signed_out: bool,
        at_call: Option<&[TokenSet]>,
    ) -> Option<Challenged> {
        // A call made with no one signed in went without a token: its answer is the app's
        // (README: "sign in first"), never retried or stepped up for whoever signs in meanwhile.
        if signed_out || at_call.is_some_and(|sets| user_of(sets).is_none()) {
            return None;
        }
        self.token_may_go(answered_at, here).ok()?;
        challenge(status, www_authenticate)
    }

    /// The saved call (as stored) that `resume()` replays: one that is ready (its sign-in
    /// completed), whose URL may get this client's tokens ([`Self::token_may_go`]), and whose
    /// sign-in's tokens are still held (`sets`: a set whose ID token carries that sign-in's
    /// `nonce`, OIDC Core 3.1.3.7), so a call is never replayed with the tokens of another
    /// sign-in, another user's after a sign-out; else `None`.
    pub fn to_replay(&self, saved: Option<&str>, here: Option<&str>, sets: &[TokenSet]) -> SavedCall {
        let held = |p: &Pending| sets.iter().any(|s| s.claims.get("nonce").and_then(Value::as_str) == Some(&p.sign_in));
        self.own_call(saved, |p| (p.ready && self.token_may_go(&p.url, here).is_ok() && held(&p)).then_some(p))
    }

    /// The saved call once this client's sign-in `completed` finished: ready to replay when it
    /// was saved for that sign-in, else removed (its own step-up was abandoned).
    pub fn after_sign_in(&self, saved: Option<&str>, completed: &Transaction) -> SavedCall {
        self.own_call(saved, |p| p.after_sign_in(completed))
    }

    /// `use_it` on the saved call when it is this client's: `Leave` when none is saved or it is
    /// another's, `Remove` when unreadable or `use_it` refuses it.
    fn own_call(&self, saved: Option<&str>, use_it: impl FnOnce(Pending) -> Option<Pending>) -> SavedCall {
        let Some(text) = saved else { return SavedCall::Leave };
        match stored::<Pending>(Some(text)) {
            None => SavedCall::Remove,
            Some(p) if !self.owns_call(&p) => SavedCall::Leave,
            Some(p) => use_it(p).map_or(SavedCall::Remove, |p| SavedCall::Use(Box::new(p))),
        }
    }

    /// Whether a saved call is this client's: saved for a sign-in at its issuer for its API.
    /// One saved by an earlier version names no issuer, and is any client's.
    pub fn owns_call(&self, call: &Pending) -> bool {
        call.issuer.as_ref().is_none_or(|issuer| *issuer == self.issuer && call.api == self.api)
    }

    /// The options of an ID token verification for this client: the verifier's fixed options.
    /// `refreshed`: the token came from a refresh (OIDC Core 12.2), which may leave out the nonce.
    pub fn id_token_options(&self, refreshed: bool) -> IdTokenOptions {
        IdTokenOptions {
            issuer: self.issuer.clone(),
            audience: self.client_id.clone(),
            refreshed,
            policy: Some(self.policy.clone()),
            ..IdTokenOptions::default()
        }
    }

    // The provider's documents.

    /// What to do to have `which` at `now`. `refetch` asks for a new fetch even within the max
    /// age (a token names a key the held set lacks), at most once per cooldown; `in_flight`: a
    /// fetch of it is under way. A fresh document needs no network, so it never waits behind
    /// another call's fetch; a stale one waits, and is used only if the fetch fails.
    pub fn document(&mut self, which: Document, now: f64, refetch: bool, in_flight: bool) -> Result<Need> {
        if which == Document::Metadata && self.given_metadata {
            return Ok(Need::Held);
        }
        let url = match which {
            Document::Metadata => self.discovery_url.clone(),
            Document::Keys => {
                let metadata = self.metadata.current()?;
                metadata
                    .str("jwks_uri")
                    .ok_or_else(|| Error::FetchFailed("discovery names no jwks_uri".into()))?
                    .to_string()
            }
        };
        let (state, has_value) = match which {
            Document::Metadata => (&mut self.metadata.state, self.metadata.value.is_some()),
            Document::Keys => (&mut self.keys.state, self.keys.value.is_some()),
        };
        let action = self.documents.decide(state, now, refetch);
        if action == Action::UseHeld && has_value && !refetch && self.documents.fresh(state, now) {
            return Ok(Need::Held);
        }
        if in_flight {
            return Ok(Need::Wait);
        }
        match action {
            Action::Fetch => {
                state.attempted_at = Some(now);
                Ok(Need::Fetch(url))
            }
            _ => self.held(which).map(|()| Need::Held),
        }
    }

    /// Whether `which` is held (else why the latest fetch failed).
    pub fn held(&self, which: Document) -> Result<()> {
        match which {
            Document::Metadata => self.metadata.current().map(|_| ()),
            Document::Keys => self.keys.current().map(|_| ()),
        }
    }

    /// Keeps what a fetch of `which` from `url` brought at `now`. Anything but a `200` with a
    /// usable document is `ERR_FETCH_FAILED` naming the URL (the provider's fault), and the
    /// document held before stays.
    pub fn fetched(&mut self, which: Document, url: &str, answer: Answer<'_>, now: f64) -> Result<()> {
        let body = match answer {
            Ok((200, body)) => Ok(body),
            Ok((status, _)) => Err(fetch_failed("GET", url, format!("status {status}"))),
            Err(why) => Err(fetch_failed("GET", url, why)),
        };
        let failed = |e: Error| fetch_failed("GET", url, e);
        match which {
            Document::Metadata => {
                let parsed = body.and_then(|b| parse_discovery_document(b, &self.issuer).map_err(failed));
                keep(&mut self.metadata, parsed, now)
            }
            Document::Keys => keep(&mut self.keys, body.and_then(|b| KeySet::parse(b).map_err(failed)), now),
        }
    }

    /// The key set held (after [`Client::document`] said so).
    pub fn keys(&self) -> Result<&KeySet> {
        self.keys.current()
    }

    /// Where codes and refresh tokens go. Without one, `fetch("")` would post them to the
    /// page's own URL, so its absence is an error, not an empty string.
    fn token_endpoint(&self) -> Result<&str> {
        self.metadata
            .current()?
            .str("token_endpoint")
            .ok_or_else(|| Error::FetchFailed("discovery names no token_endpoint".into()))
    }

    fn public_client(&self) -> ClientAuth<'_> {
        ClientAuth { client_id: &self.client_id, secret: None }
    }

    /// The ACR a token endpoint's `mfa_required` (Auth0) asks for: the `acr` of the policy's
    /// first `amrLevels` entry that names the `mfa` method (the `auth0` preset's PAPE
    /// multi-factor), else PAPE multi-factor itself, the value Auth0 documents for step-up.
    pub fn mfa_acr(&self) -> &str {
        let names_mfa = |l: &&crate::acr::AmrLevel| l.all.iter().chain(&l.any).any(|m| m == "mfa");
        self.policy.amr_levels.iter().find(names_mfa).map_or(crate::acr::PAPE_MULTI_FACTOR, |l| l.acr.as_str())
    }

    fn grant(&self, answer: Answer<'_>) -> Result<Grant> {
        grant(self.token_endpoint()?, answer, self.mfa_acr())
    }

    // Signing in.

    /// `signIn(options)`: one spelling of each setting — ours, else auth0.js's (`acr_values`
    /// space-separated, `max_age`), else Lock's (`auth.params`) — and the requirement the
    /// sign-in is judged by: the ACR values and `maxAge` asked for, else those of
    /// `options.requirement`, with its `amr`. `popup`: how the provider's pages are shown (a
    /// popup sign-in has no `returnTo` and waits at most `timeoutInSeconds`).
    pub fn sign_in(&self, options: SignInOptions, popup: Popup) -> Result<Plan> {
        let lock = options.lock;
        let split = |v: String| v.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect();
        let acr_values =
            options.acr_values.or_else(|| options.auth0_acr_values.or(lock.acr_values).map(split)).unwrap_or_default();
        let max_age = options.max_age.or(options.auth0_max_age).or(lock.max_age);
        let prompt = options.prompt.or(lock.prompt);
        let extra = options.requirement.unwrap_or_default();
        let requirement = Requirement {
            acr: (!acr_values.is_empty()).then_some(AcrList(acr_values)).or(extra.acr),
            amr: extra.amr,
            max_age: max_age.or(extra.max_age),
        };
        requirement.check_at("options")?;
        let acr_values = requirement.acr.clone().map(|a| a.0).unwrap_or_default();
        if options.essential_acr && acr_values.is_empty() {
            return Err(Error::arg_value("essentialAcr", "needs acrValues"));
        }
        Ok(Plan {
            acr_values,
            max_age: requirement.max_age,
            requirement,
            prompt,
            login_hint: options.login_hint,
            return_to: popup::return_to(options.return_to, popup)?,
            claims: options.claims,
            essential_acr: options.essential_acr,
            params: options.params,
            popup_timeout_ms: popup::timeout(options.timeout_in_seconds, popup)?,
            // A sign-in, not a step-up: anyone may sign in (another user is refused while one
            // is signed in here, `same_user`).
            user: None,
        })
    }

    /// `stepUp(requirement)`: a sign-in for what the session (its strongest set) lacks to meet
    /// `requirement`, [`crate::step_up::Decision::ask`], as the guard asks. When the held
    /// tokens already meet it by this policy (the API judged otherwise), the requirement itself
    /// is asked for.
    /// `claims`: an Entra claims challenge's request, sent back as is; `popup` as for
    /// [`Client::sign_in`].
    pub fn step_up(
        &self,
        requirement: Requirement,
        options: StepUpOptions,
        popup: Popup,
        claims: Option<Map<String, Value>>,
        sets: &[TokenSet],
        now: u64,
    ) -> Result<Plan> {
        let held = tokens::strongest(sets, &self.policy, now);
        let held_claims = held.map(|s| s.claims.clone()).unwrap_or_default();
        let decision = evaluate_step_up(&held_claims, &requirement, &self.policy, now as i64, DEFAULT_CLOCK_TOLERANCE);
        let ask = if decision.satisfied {
            Ask {
                acr_values: requirement.acr.clone().map(|a| a.0).unwrap_or_default(),
                max_age: requirement.max_age,
                prompt_login: requirement.max_age.is_some(),
                ..Ask::default()
            }
        } else {
            decision.ask()
        };
        Ok(Plan {
            requirement,
            acr_values: ask.acr_values,
            max_age: ask.max_age,
            prompt: ask.prompt_login.then(|| "login".to_string()),
            login_hint: None,
            return_to: popup::return_to(options.return_to, popup)?,
            claims,
            essential_acr: false,
            params: Params::default(),
            popup_timeout_ms: popup::timeout(options.timeout_in_seconds, popup)?,
            user: user_of(sets),
        })
    }

    /// Starts `plan` with discovery held: the authorization URL (PKCE S256, `nonce`, `state`;
    /// `resource` when set, RFC 8707), the storage key of its transaction and the transaction.
    /// `random` holds three fresh CSPRNG values (state, nonce, verifier); `here` is the current
    /// page, where `handleCallback` returns to unless the plan says otherwise; `sign_out_mark` the
    /// origin's sign-out mark now ([`Transaction::cancelled_by`]).
    pub fn start(
        &self,
        plan: Plan,
        [state, nonce, verifier]: [String; 3],
        here: impl FnOnce() -> Result<String>,
        sign_out_mark: Option<String>,
    ) -> Result<(String, String, Transaction)> {
        let metadata = self.metadata.current()?;
        let mut extra_params = self.params.and(&plan.params).0;
        if let Some(resource) = &self.resource {
            extra_params.insert("resource".to_string(), resource.clone());
        }
        // This sign-in's own `audience`, if it gave one, is the API its tokens are for.
        let api = Api { resource: self.resource.clone(), audience: extra_params.get("audience").cloned() };
        let url = build_authorization_url(&AuthorizationRequest {
            authorization_endpoint: metadata.str("authorization_endpoint").unwrap_or_default().to_string(),
            client_id: self.client_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
            state: state.clone(),
            code_challenge: pkce::code_challenge_s256(&verifier)?,
            nonce: Some(nonce.clone()),
            scope: Some(self.scope.clone()),
            acr_values: plan.acr_values,
            max_age: plan.max_age,
            prompt: plan.prompt,
            login_hint: plan.login_hint,
            essential_acr: plan.essential_acr,
            claims: plan.claims,
            extra_params,
            ..AuthorizationRequest::default()
        })?;
        let return_to = returning_to(plan.return_to, here)?;
        let tx = Transaction {
            verifier,
            nonce,
            requirement: plan.requirement,
            return_to,
            issuer: Some(self.issuer.clone()),
            sign_out_mark,
            api,
            user: plan.user,
        };
        Ok((url, self.key(&format!("tx:{state}")), tx))
    }

    // The callback.

    /// The storage key of the transaction the callback at `url` answers (by its `state`).
    pub fn callback_key(&self, url: &str) -> Result<String> {
        Ok(self.key(&format!("tx:{}", callback_state(url)?)))
    }

    /// Refuses the transaction of a sign-in that went to another issuer (two clients with one
    /// client id share where transactions are kept): only the client of that issuer completes
    /// it, so neither's code or PKCE verifier reaches the other's token endpoint (RFC 9207 §1,
    /// mix-up). The shell asks before it takes the transaction, so the other client can still
    /// complete its own.
    pub fn owns(&self, tx: Option<&Transaction>) -> Result<()> {
        match tx.and_then(|tx| tx.issuer.as_ref()) {
            Some(issuer) if *issuer != self.issuer => {
                Err(Error::response("state", "the sign-in under way for this state went to another issuer"))
            }
            _ => Ok(()),
        }
    }

    /// Checks the authorization response at `url` (RFC 6749 §4.1.2, RFC 9207) against its
    /// transaction `tx` (read from storage, and removed there whatever happens next: one use
    /// only) and builds the code exchange: the token endpoint and the body to POST
    /// (RFC 6749 §4.1.3, RFC 7636 §4.5).
    pub fn code_request(&self, url: &str, tx: Option<&Transaction>) -> Result<(String, GrantRequest)> {
        self.owns(tx)?;
        let tx = tx.ok_or_else(|| Error::response("state", "no sign-in under way in this browser for this state"))?;
        let metadata = self.metadata.current()?;
        let expect = ResponseExpectations {
            expected_state: Some(callback_state(url)?),
            expected_issuer: self.issuer.clone(),
            require_issuer: metadata.sends_response_iss(),
        };
        let code = validate_authorization_response(url, &expect)?.code;
        let endpoint = self.token_endpoint()?;
        let request = token_endpoint::code_request(&self.public_client(), &code, &self.redirect_uri, &tx.verifier);
        Ok((endpoint.to_string(), request))
    }

    /// Reads the code exchange's answer: the ID token (OIDC Core 3.1.3.3: required) with the
    /// options to verify it with (the transaction's nonce and requirement, its `maxAge` as
    /// `max_age`, OIDC Core 3.1.3.7), and the new tokens.
    pub fn exchanged(&self, answer: Answer<'_>, tx: &Transaction, now: u64) -> Result<(String, PerCall, TokenSet)> {
        let endpoint = self.token_endpoint()?;
        let grant = self.grant(answer)?;
        let id_token = grant.id_token.clone().ok_or_else(|| fetch_failed("POST", endpoint, "no id_token"))?;
        let call = PerCall {
            expected_nonce: Some(tx.nonce.clone()),
            max_age: tx.requirement.max_age,
            requirement: Some(tx.requirement.clone()),
        };
        let set = TokenSet { api: tx.api.clone(), ..token_set(grant, now) };
        Ok((id_token, call, set))
    }

    /// The sets after a sign-in whose ID token verified with `claims`: the new set joins the
    /// held ones ([`tokens::keep`]). Another user than the one signed in is refused: tokens of
    /// two users must never be mixed.
    pub fn signed_in(
        &self,
        mut set: TokenSet,
        claims: Map<String, Value>,
        mut sets: Vec<TokenSet>,
        now: u64,
        signed_out_since: bool,
        user: Option<&str>,
    ) -> Result<Vec<TokenSet>> {
        // A sign-out stays a sign-out: one made after this sign-in started (here, or in another
        // tab) cancelled it, even when the provider answered it meanwhile (README, "The browser
        // `Client`").
        if signed_out_since {
            return Err(cancelled_by_sign_out());
        }
        tokens::keepable(&claims)?;
        if !same_user(sets.first().map(|s| &s.claims), &claims) {
            return Err(Error::claim_invalid(
                "sub",
                "the provider signed in another user than the one signed in here; sign out first",
            ));
        }
        // A step-up is its user's, even where the store no longer holds that user's tokens (the
        // `"memory"` store after the page left for the provider): another user's sign-in would
        // complete the step-up, and the call saved for it, as them.
        if user.is_some_and(|user| claims.get("sub").and_then(Value::as_str) != Some(user)) {
            return Err(Error::claim_invalid("sub", "the provider signed in another user than the one who stepped up"));
        }
        set.claims = claims;
        tokens::keep(&mut sets, set, &self.policy, now);
        Ok(sets)
    }

    // Signing out.

    /// `signOut({ endSession: true })` after the local state is gone (RP-Initiated Logout 1.0
    /// §2): the provider's `end_session_endpoint` with `id_token_hint` (the ID token of the
    /// strongest set held before, if any), `client_id`, `post_logout_redirect_uri` (the
    /// `postLogoutRedirectUri` option, default `redirectUri`) and `state` (a fresh CSPRNG value),
    /// and the sign-out to store under [`Client::sign_out_key`]. A provider whose discovery names
    /// no `end_session_endpoint` cannot end its session: `ERR_INVALID_ARG_VALUE` naming
    /// `endSession` (the local state is gone all the same).
    pub fn sign_out(
        &self,
        return_to: Option<String>,
        sets: &[TokenSet],
        state: String,
        here: impl FnOnce() -> Result<String>,
        now: u64,
    ) -> Result<(String, SignOut)> {
        let metadata = self.metadata.current()?;
        let endpoint = metadata
            .str("end_session_endpoint")
            .ok_or_else(|| Error::arg_value("endSession", "the provider's discovery names no end_session_endpoint"))?;
        // Not https, or its own query sets the parameters sent here: not a place to send the
        // browser (the guard refuses the same, `guard::flow::signed_out`).
        let endpoint = crate::url::Endpoint::parse(endpoint, "end_session_endpoint")
            .and_then(|e| e.refuse_in_query("end_session_endpoint", &crate::discovery::END_SESSION_PARAMS).map(|()| e))
            .map_err(|e| Error::FetchFailed(format!("discovery document: end_session_endpoint: {e}")))?;
        let hint = tokens::strongest(sets, &self.policy, now)
            .and_then(|s| s.id_token.as_deref())
            .or_else(|| sets.iter().find_map(|s| s.id_token.as_deref()));
        let mut pairs = Vec::new();
        if let Some(hint) = hint {
            pairs.push(("id_token_hint", hint));
        }
        pairs.extend([
            ("client_id", self.client_id.as_str()),
            ("post_logout_redirect_uri", self.post_logout_redirect_uri.as_str()),
            ("state", state.as_str()),
        ]);
        let url = endpoint.with_query(&pairs);
        let return_to = returning_to(return_to, here)?;
        Ok((url, SignOut { state, return_to }))
    }

    /// Where a sign-out under way is kept (`signout`).
    pub fn sign_out_key(&self) -> String {
        self.key("signout")
    }

    /// `handleSignOutCallback(url)`: the provider came back to `post_logout_redirect_uri` with
    /// the `state` of the sign-out stored (`stored`, removed by the shell first: one use); where
    /// to go. Another or no `state`, or no sign-out under way, is `ERR_AUTH_RESPONSE_INVALID`.
    pub fn signed_out(&self, url: &str, stored: Option<&SignOut>) -> Result<String> {
        let stored = stored.ok_or_else(|| Error::response("state", "no sign-out under way in this browser"))?;
        let state = callback_state(url)?;
        if !crate::secret::same(&state, &stored.state) {
            return Err(Error::response("state", "does not match the sign-out under way"));
        }
        Ok(stored.return_to.clone())
    }

    /// What becomes of the saved call (as stored) after a callback failed that `took` a
    /// transaction of this client's: the call saved for a step-up that failed is removed, never
    /// replayed by a later sign-in. A callback that took none (run twice at once, as React's
    /// StrictMode runs effects, the second finds the transaction gone) leaves it for the one that
    /// took it, and another client's is left for it.
    pub fn callback_failed(&self, saved: Option<&str>, took: bool) -> SavedCall {
        if !took {
            return SavedCall::Leave;
        }
        self.own_call(saved, |_| None)
    }

    // Tokens and the session.

    /// The weakest held access token that meets `requirement` (RFC 9470 §2), if any.
    pub fn access_token(&self, requirement: &Requirement, sets: &[TokenSet], now: u64) -> Option<String> {
        tokens::weakest(sets, &self.api, requirement, &self.policy, now).and_then(|s| s.access_token.clone())
    }

    /// The token a call needing `requirement` uses: the weakest set that meets it; else, when
    /// only sets whose access token expired would, the weakest of them is refreshed first (and
    /// used only if it still meets the requirement: a downgraded refresh may not).
    pub fn token_for(&self, requirement: &Requirement, sets: &[TokenSet], now: u64) -> TokenFor {
        if let Some(set) = tokens::weakest(sets, &self.api, requirement, &self.policy, now) {
            return set.access_token.clone().map_or(TokenFor::None, TokenFor::Use);
        }
        match tokens::refreshable(sets, &self.api, requirement, &self.policy, now) {
            Some(old) => TokenFor::Refresh(old.clone()),
            None => TokenFor::None,
        }
    }

    /// `refresh(requirement)`: the set to renew, or `ERR_STEP_UP_REQUIRED` when nothing can be
    /// (only a sign-in helps).
    pub fn refreshable(&self, requirement: &Requirement, sets: &[TokenSet], now: u64) -> Result<TokenSet> {
        tokens::refreshable(sets, &self.api, requirement, &self.policy, now)
            .cloned()
            .ok_or_else(|| step_up_required(requirement))
    }

    /// The refresh of `old` (RFC 6749 §6): the token endpoint and the body to POST.
    pub fn refresh_request(&self, old: &TokenSet) -> Result<(String, GrantRequest)> {
        let refresh_token = old.refresh_token.as_deref().unwrap_or_default();
        // The grant is renewed for the API it was made for (RFC 8707 §2.2).
        let request =
            token_endpoint::refresh_request(&self.public_client(), refresh_token, old.api.resource.as_deref());
        Ok((self.token_endpoint()?.to_string(), request))
    }

    /// Reads a refresh's answer. Any other failure than a refusal leaves storage as it was (the
    /// refresh token may still work).
    pub fn refresh_answer(&self, old: &TokenSet, answer: Answer<'_>, now: u64) -> Result<Renewal> {
        let grant = match self.grant(answer) {
            Err(Error::AuthResponseError { error, .. }) if error == "invalid_grant" => return Ok(Renewal::Refused),
            other => other?,
        };
        // OIDC Core 12.2: a refresh's ID token carries the original nonce, if any.
        let call = PerCall {
            expected_nonce: old.claims.get("nonce").and_then(Value::as_str).map(str::to_string),
            ..PerCall::default()
        };
        Ok(Renewal::Renewed(Box::new(Renewed { id_token: grant.id_token.clone(), call, set: token_set(grant, now) })))
    }

    /// What a refresh of `old` made, its ID token having verified with `claims` (`None`: none
    /// came): [`tokens::refreshed`] (OIDC Core 12.2) and the `RefreshResult`, with the sets to
    /// store either way. The refresh token is spent now (rotation) whatever follows, so an
    /// answer that fails its checks drops it too ([`Client::replace`] without a new set, as
    /// after an ID token that fails verification), rather than leaving every later call to
    /// retry a dead token.
    pub fn refreshed(
        &self,
        old: &TokenSet,
        claims: Option<Map<String, Value>>,
        renewed: TokenSet,
        sets: Vec<TokenSet>,
        now: u64,
    ) -> (Option<Vec<TokenSet>>, Result<Value>) {
        // Replaced or signed out while the refresh was under way: its answer is not stored (a
        // sign-out must not be undone).
        if let Some(elsewhere) = self.refreshed_elsewhere(old, &sets, now) {
            return (None, elsewhere);
        }
        match tokens::refreshed(old, claims, renewed, &self.policy) {
            Ok(refreshed) => {
                let result = refresh_result(old, &refreshed);
                (self.replace(old, Some(refreshed.set), sets, now), Ok(result))
            }
            Err(e) => (self.replace(old, None, sets, now), Err(e)),
        }
    }

    /// Whether `old` still needs its refresh: `None` when it is still stored as it was (`sets`
    /// read again after the cross-tab lock was acquired, or once its refresh came back). Else
    /// what became of it: another tab's refresh replaced it (its refresh token is spent, and
    /// sending it again would be refused or, with rotation, revoke the grant), and its
    /// `RefreshResult` has the claims of the set now held for the same user; or no set of that
    /// user is left, so it was signed out (here or in another tab), and only a sign-in helps.
    pub fn refreshed_elsewhere(&self, old: &TokenSet, sets: &[TokenSet], now: u64) -> Option<Result<Value>> {
        old.refresh_token.as_ref()?;
        if sets.contains(old) {
            return None;
        }
        let Some(renewed) = sets
            .iter()
            .filter(|s| {
                s.api == old.api
                    && s.usable(now)
                    && s.refresh_token.is_some()
                    && same_user(Some(&old.claims), &s.claims)
            })
            .max_by_key(|s| s.expires_at)
        else {
            return Some(Err(step_up_required(&Requirement::default())));
        };
        let mut result = Map::new();
        result.insert("claims".into(), Value::Object(renewed.claims.clone()));
        result.insert("downgraded".into(), false.into());
        Some(Ok(Value::Object(result)))
    }

    /// The sets after a refresh of `old` gave `new` (`None`: refused or failed). `old`'s refresh
    /// token is spent (or was refused), but its access token still works until it expires, so a
    /// downgraded refresh does not throw away a stronger token still in force (RFC 9470 §2).
    /// A refresh renews a set only while that set is still stored: gone from `sets`, it was
    /// signed out (here or in another tab) while the refresh was under way, and nothing is
    /// stored (`None`).
    pub fn replace(
        &self,
        old: &TokenSet,
        new: Option<TokenSet>,
        mut sets: Vec<TokenSet>,
        now: u64,
    ) -> Option<Vec<TokenSet>> {
        if !sets.contains(old) {
            return None;
        }
        sets.retain(|s| s != old);
        if old.usable(now) {
            tokens::keep(&mut sets, TokenSet { refresh_token: None, ..old.clone() }, &self.policy, now);
        }
        if let Some(new) = new {
            tokens::keep(&mut sets, new, &self.policy, now);
        }
        Some(sets)
    }

    /// `session(requirement)`: whether the session meets `requirement` and for how long, shown
    /// with the claims of the set for this client's API that meets it, else of the strongest held
    /// (the user signed in, whichever API a sign-in asked tokens for).
    pub fn session(&self, requirement: &Requirement, sets: &[TokenSet], now: u64) -> Value {
        let meeting = tokens::weakest(sets, &self.api, requirement, &self.policy, now);
        let shown = meeting.or_else(|| tokens::strongest(sets, &self.policy, now));
        let claims = shown.map(|s| s.claims.clone()).unwrap_or_default();
        let decision = evaluate_step_up(&claims, requirement, &self.policy, now as i64, DEFAULT_CLOCK_TOLERANCE);
        let mut status = Map::new();
        status.insert("signedIn".into(), shown.is_some().into());
        if shown.is_some() {
            status.insert("claims".into(), Value::Object(claims));
        }
        status.insert("satisfied".into(), (shown.is_some() && decision.satisfied).into());
        let decision = decision.to_json();
        for name in ["reasons", "acrValues", "maxAge"] {
            if let Some(value) = decision.get(name) {
                status.insert(name.into(), value.clone());
            }
        }
        if let Some(remaining) = meeting.and_then(|s| s.remaining(requirement, now)) {
            status.insert("expiresIn".into(), remaining.into());
        }
        Value::Object(status)
    }
}

/// The `state` of the authorization response at `url`: which transaction it answers.
fn callback_state(url: &str) -> Result<String> {
    let query = url.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or_default()).unwrap_or_default();
    crate::url::parse_query(query)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(n, _)| n == "state").map(|(_, v)| v))
        .ok_or_else(|| Error::response("state", "missing"))
}

fn keep<T>(held: &mut Held<T>, fetched: Result<T>, now: f64) -> Result<()> {
    match fetched {
        Ok(value) => {
            held.value = Some(value);
            held.state.fetched_at = Some(now);
            held.error = None;
            Ok(())
        }
        Err(e) => {
            held.error = Some(e.clone());
            Err(e)
        }
    }
}

/// `RefreshResult`: the claims the tokens now stand for, whether they were downgraded, and the
/// `acr` and `amr` before when they were.
fn refresh_result(old: &TokenSet, refreshed: &tokens::Refreshed) -> Value {
    let mut result = Map::new();
    result.insert("claims".into(), Value::Object(refreshed.set.claims.clone()));
    result.insert("downgraded".into(), refreshed.downgraded.into());
    if refreshed.downgraded {
        let previous: Map<String, Value> =
            ["acr", "amr"].iter().filter_map(|name| Some((name.to_string(), old.claims.get(*name)?.clone()))).collect();
        result.insert("previous".into(), Value::Object(previous));
    }
    Value::Object(result)
}

/// Where `handleCallback` and `handleSignOutCallback` send the app afterwards: the page itself
/// (`here`), or a path or URL on the page's own origin — never another site or a `javascript:`
/// URL, which an app passing a `?next=` parameter through would otherwise turn into an open
/// redirect. A path may hold no `\\`, whitespace or control character, which browsers drop or
/// read as `/` (`/\tevil.example` is `//evil.example` to them).
fn returning_to(given: Option<String>, here: impl FnOnce() -> Result<String>) -> Result<String> {
    let Some(given) = given else { return here() };
    let refused = || Error::arg_value("returnTo", "must be a path or a URL on this page's origin");
    if given.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()) {
        return Err(refused());
    }
    if given.starts_with('/') && !given.starts_with("//") {
        return Ok(given);
    }
    match origin_of(&given) {
        Some(theirs) if Some(theirs.as_str()) == origin_of(&here()?).as_deref() => Ok(given),
        _ => Err(refused()),
    }
}

/// Whether `origin` (as [`origin_of`] writes one) is exactly as the WHATWG URL parser writes
/// it, so that comparing it with a `Request`'s origin compares origins: a host of lower-case
/// ASCII labels (an IDN in its `xn--` form), an IPv4 address in four decimal parts (the parser
/// rewrites `127.1` and `0x7f.0.0.1`), or a bracketed IPv6 address (taken as written: write it
/// as the parser does, `[::1]`); a port in decimal.
fn written_as_browsers_write(origin: &str) -> bool {
    let Some((_, authority)) = origin.split_once("://") else { return false };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !authority.ends_with(']') => (host, Some(port)),
        _ => (authority, None),
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0') && p.parse::<u16>().is_ok()
    });
    let host_ok = if let Some(inside) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !inside.is_empty()
            && inside.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase() || b == b':' || b == b'.')
    } else {
        let labels: Vec<&str> = host.split('.').collect();
        let label_ok =
            |l: &&str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        // A last label that is a number makes the whole host an IPv4 address to the parser.
        let numeric = labels.last().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()) || l.starts_with("0x"));
        labels.iter().all(label_ok)
            && (!numeric
                || labels.len() == 4
                    && labels.iter().all(|l| (*l == "0" || !l.starts_with('0')) && l.parse::<u8>().is_ok()))
    };
    port_ok && host_ok
}

/// The origin of an `http` or `https` URL as browsers serialize it (`event.origin`,
/// `location.origin`): scheme and host lower-cased, the scheme's default port left out. `None`
/// for anything else (another scheme, user info, no host).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    (matches!(scheme.as_str(), "http" | "https") && !authority.is_empty() && !authority.contains('@'))
        .then(|| format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests;
