//! Signing in in a popup (README, "The browser `Client`"), as auth0-spa-js's `loginWithPopup`
//! does: the page stays where it is (a half-filled form survives a step-up), the provider's
//! pages run in a window the client opened, and the tokens land in the page that opened it.
//!
//! The popup's state carries a mark ([`POPUP_STATE`]), so the redirect URI's page knows from the
//! URL alone — its store may hold nothing of the sign-in: a popup gets a copy of
//! `sessionStorage` when it opens, before the transaction exists, and `"memory"` holds nothing
//! at all — that it answers a popup. It hands the authorization response to the page that opened
//! it ([`Client::popup_callback`]), which accepts it only from that window, from the redirect
//! URI's origin and with the `state` bound to that popup ([`Client::popup_message`]), and then
//! exchanges the code itself (RFC 6749 §4.1.3), as a redirect's callback would.

use serde_json::Value;

use super::{callback_state, origin_of, Client, Plan, Transaction};
use crate::error::Shortfall;
use crate::options::Out;
use crate::{Error, Result};

/// How a sign-in shows the provider's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Popup {
    /// The page itself goes to the provider and comes back (the default).
    Redirect,
    /// In a popup the client opens (`popup: true`).
    Open,
    /// In the window the caller opened (`popup: Window`, as auth0-spa-js's `config.popup`).
    Given,
}

/// The `popup` option as the shell saw it.
pub enum PopupOption<'a> {
    /// Not given, or `false`.
    Absent,
    /// `true`.
    Open,
    /// A window (a `WindowProxy`).
    Window,
    /// Anything else, described in JavaScript's words (`"a string"`).
    Other(&'a str),
}

/// `popup`: `true`, `false` or a window the page opened.
pub fn popup(option: PopupOption<'_>) -> Result<Popup> {
    match option {
        PopupOption::Absent => Ok(Popup::Redirect),
        PopupOption::Open => Ok(Popup::Open),
        PopupOption::Window => Ok(Popup::Given),
        PopupOption::Other(what) => {
            Err(Error::arg_type("popup", format!("true, false or a window the page opened (got {what})")))
        }
    }
}

/// How long a popup sign-in may take by default (seconds), as auth0-spa-js's
/// `timeoutInSeconds`.
pub const DEFAULT_TIMEOUT_SECONDS: f64 = 60.0;

/// The longest `timeoutInSeconds`: a day (a browser timer longer than about 24.8 days fires at
/// once).
const MAX_TIMEOUT_SECONDS: f64 = 86_400.0;

/// How often the shell looks whether the popup was closed (ms).
pub const POLL_MS: u32 = 250;

/// The mark of a popup sign-in's `state` (RFC 6749 §4.1.1: opaque to the provider, which sends it
/// back as is).
pub const POPUP_STATE: &str = "popup.";

/// What the popup posts to the page that opened it: JSON text with this `stepup` member and the
/// authorization response's URL.
const RESPONSE: &str = "authorization_response";

/// `timeoutInSeconds` (`seconds`) for a sign-in shown as `popup`, in ms: `None` for a redirect.
/// Only a popup waits, so the option without one is a mistake, not a no-op.
pub(super) fn timeout(seconds: Option<f64>, popup: Popup) -> Result<Option<u64>> {
    if popup == Popup::Redirect {
        return match seconds {
            Some(_) => Err(Error::arg_value("timeoutInSeconds", "is for a popup sign-in: pass popup too")),
            None => Ok(None),
        };
    }
    let seconds = seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    if !(seconds > 0.0 && seconds <= MAX_TIMEOUT_SECONDS) {
        return Err(Error::arg_value("timeoutInSeconds", "must be more than 0 and at most 86400"));
    }
    Ok(Some((seconds * 1000.0).round() as u64))
}

/// A `returnTo` for a sign-in shown as `popup`: a popup leaves the page where it is.
pub(super) fn return_to(given: Option<String>, popup: Popup) -> Result<Option<String>> {
    match (given, popup) {
        (Some(_), Popup::Open | Popup::Given) => {
            Err(Error::arg_value("returnTo", "has no use with popup: the page stays where it is"))
        }
        (given, _) => Ok(given),
    }
}

/// Why a popup sign-in ended without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopupFailure {
    /// The browser refused to open it (`window.open` gave `null`).
    Blocked,
    /// The user (or the page) closed it before the provider answered.
    Closed,
    /// No answer within `timeoutInSeconds`.
    TimedOut,
}

impl PopupFailure {
    /// The error's `reason`.
    pub fn reason(self) -> &'static str {
        match self {
            PopupFailure::Blocked => "popup_blocked",
            PopupFailure::Closed => "popup_closed",
            PopupFailure::TimedOut => "popup_timeout",
        }
    }

    fn why(self) -> &'static str {
        match self {
            PopupFailure::Blocked => {
                "the browser blocked the sign-in popup (open it from a click, or pass a window the page opened as popup)"
            }
            PopupFailure::Closed => "the sign-in popup was closed before the sign-in finished",
            PopupFailure::TimedOut => "the sign-in popup did not finish in time",
        }
    }
}

/// A popup sign-in that ended without an answer: `ERR_STEP_UP_REQUIRED` with what the plan asked
/// for (so the app can ask again, from a click), its `reason`, and its message.
pub struct PopupFailed {
    /// The error (its `acrValues` and `maxAge`: what the plan asked for).
    pub error: Error,
    /// `popup_blocked`, `popup_closed` or `popup_timeout`.
    pub reason: &'static str,
    /// What happened and what to ask for.
    pub message: String,
}

/// `plan` failed in its popup for `failure`.
pub fn popup_failed(plan: &Plan, failure: PopupFailure) -> PopupFailed {
    let shortfall = Shortfall { acr_values: plan.acr_values.clone(), max_age: plan.max_age };
    let mut message = failure.why().to_string();
    if !shortfall.acr_values.is_empty() {
        message.push_str(&format!(" (acr_values: {})", shortfall.acr_values.join(" ")));
    }
    if let Some(max_age) = shortfall.max_age {
        message.push_str(&format!(" (max_age: {max_age})"));
    }
    PopupFailed { error: Error::StepUpRequired(shortfall), reason: failure.reason(), message }
}

/// A popup sign-in under way, held by the page that opened the popup (never stored): the
/// `state` bound to that popup, the transaction, and how long to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct PopupSignIn {
    /// The `state` sent (marked [`POPUP_STATE`]): the only answer [`Client::popup_message`] takes.
    pub state: String,
    /// The transaction, as a redirect's would be stored.
    pub tx: Transaction,
    /// How long to wait for the popup's answer (ms).
    pub timeout_ms: u64,
}

/// What the page that opened a popup makes of a message ([`Client::popup_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Not the popup's answer (another window, another origin, another kind of message): wait on.
    Ignore,
    /// The authorization response, at this URL: complete the sign-in with it.
    Response(String),
}

impl Client {
    /// Starts a popup `plan` with discovery held: the authorization URL and the sign-in to hold
    /// until the popup answers. Its `state` is marked [`POPUP_STATE`]; `random` and `here` as for
    /// [`Client::start`].
    pub fn start_popup(
        &self,
        plan: Plan,
        [state, nonce, verifier]: [String; 3],
        here: impl FnOnce() -> Result<String>,
        sign_out_mark: Option<String>,
    ) -> Result<(String, PopupSignIn)> {
        let timeout_ms =
            plan.popup_timeout_ms.ok_or_else(|| Error::arg_value("plan", "is not a popup sign-in's plan"))?;
        let state = format!("{POPUP_STATE}{state}");
        let (url, _, tx) = self.start(plan, [state.clone(), nonce, verifier], here, sign_out_mark)?;
        Ok((url, PopupSignIn { state, tx, timeout_ms }))
    }

    /// On the redirect URI's page: when the authorization response at `url` answers a popup
    /// sign-in, the message to post to the page that opened the popup (with that page's origin
    /// as the target, so no other page reads it); `None` for a redirect's callback. `opener`: a
    /// page of this origin opened this one and is still open. Without it the response has nowhere
    /// to go: `ERR_AUTH_RESPONSE_INVALID` naming `state`.
    pub fn popup_callback(&self, url: &str, opener: bool) -> Result<Option<String>> {
        let Ok(state) = callback_state(url) else { return Ok(None) };
        if !state.starts_with(POPUP_STATE) {
            return Ok(None);
        }
        if !opener {
            return Err(Error::response(
                "state",
                "answers a sign-in in a popup, but no page of this origin that opened it is open",
            ));
        }
        Ok(Some(Out::new().set("stepup", RESPONSE).set("url", url).build().to_string()))
    }

    /// In the page that opened the popup whose sign-in sent `state`: what a `message` event is. Only the
    /// popup itself (`from_popup`: the event's `source` is that window) at the redirect URI's
    /// origin (`origin`: the event's) can answer; anything else is another window's message
    /// and is ignored. The popup's answer must be an authorization response at the redirect URI
    /// with the `state` bound to this popup: another is `ERR_AUTH_RESPONSE_INVALID` (the popup
    /// came back with a response that is not this sign-in's).
    pub fn popup_message(&self, state: &str, origin: &str, from_popup: bool, data: Option<&str>) -> Result<Heard> {
        if !from_popup || origin_of(&self.redirect_uri).as_deref() != Some(origin) {
            return Ok(Heard::Ignore);
        }
        let Some(message) = data.and_then(crate::json::parse_own) else { return Ok(Heard::Ignore) };
        if message.get("stepup").and_then(Value::as_str) != Some(RESPONSE) {
            return Ok(Heard::Ignore);
        }
        let url = message
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::response("url", "the popup's answer holds no authorization response"))?;
        // As browsers write a page's URL: the origin normalised, the path as sent.
        let page = |u: &str| {
            let path = u.split(['?', '#']).next().unwrap_or_default().splitn(4, '/').nth(3).unwrap_or_default();
            origin_of(u).map(|origin| format!("{origin}/{path}"))
        };
        if page(url).is_none() || page(url) != page(&self.redirect_uri) {
            return Err(Error::response("url", "the popup's answer is not at the redirect URI"));
        }
        if !crate::secret::same(&callback_state(url)?, state) {
            return Err(Error::response("state", "does not match the sign-in this popup was opened for"));
        }
        Ok(Heard::Response(url.to_string()))
    }
}
