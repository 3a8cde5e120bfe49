//! The guard's answer to one request as a pure function (contract section 6): of the request's
//! URL and headers, the configuration and the time. It returns an [`Action`] the shell carries
//! out exactly: forward this plan, send this reply, or do one piece of I/O (verify a bearer
//! token, finish a sign-in, fetch the authorization endpoint) and come back with its result.
//! The shell never reads the request again to decide anything.

use serde_json::{Map, Value};

use super::bearer::{credentials, Credentials};
use super::config::Config;
use super::flow::{self, Forward, Reply, Route};
use super::path::{split_url, Target};
use super::rules::Rule;
use super::session::{read_session, session_claims, Transaction};
use crate::callback::{validate_authorization_response, ResponseExpectations};
use crate::id_token::IdTokenOptions;
use crate::step_up::Decision;
use crate::{Error, Result};

/// A request as the shell hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method (`request.method`), as Fetch normalises it (`GET`, `POST`, …).
    pub method: &'a str,
    /// The absolute URL (`request.url`).
    pub url: &'a str,
    /// The headers as Fetch `Headers` lists them: lower-case names, repeated ones joined by `, `.
    pub headers: &'a [(String, String)],
}

impl Request<'_> {
    /// A header's value (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The headers of a request from `lines` lines of `text`, names and values alternating, as the
/// shell hands them over in one string. Fetch lets no header name or value hold a line feed, so
/// the lines are the headers exactly; should one ever hold one, the count differs and the
/// request is refused rather than judged on headers it does not have.
pub fn header_lines(text: &str, lines: usize) -> Result<Vec<(String, String)>> {
    // Room for what the text can hold at most (a pair takes two characters), never for a count
    // that cannot be true.
    let mut out = Vec::with_capacity((lines / 2).min(text.len() / 2 + 1));
    // No headers is the empty text, which `split` would read as one empty line.
    let mut items = text.split('\n').filter(|_| !text.is_empty());
    while let Some(name) = items.next() {
        let value = items.next().ok_or_else(|| Error::arg_value("headers", "are not name and value lines"))?;
        out.push((name.to_string(), value.to_string()));
    }
    if out.len() * 2 != lines {
        return Err(Error::arg_value("headers", "are not as many lines as were counted"));
    }
    Ok(out)
}

/// What the shell does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer with this.
    Reply(Reply),
    /// Forward as planned.
    Forward(Forward),
    /// Verify this bearer token as an access token, then call [`after_bearer`] with the result.
    VerifyBearer(Box<Pending>),
    /// Fetch the provider's authorization endpoint and draw randoms, then call
    /// [`flow::sign_in`] with this decision (a browser without a strong enough session).
    SignIn(SignIn),
    /// The redirect path: finish the sign-in. The core decides each step ([`callback_state`],
    /// [`callback_code`], [`exchange_refused`], [`callback_id_token`], [`after_callback`]); the
    /// shell exchanges the code and verifies the ID token between them.
    Callback {
        /// The guarded origin, for `redirect_uri`.
        origin: String,
    },
    /// The logout path, asked for by a page of this origin: read the provider's
    /// `end_session_endpoint`, then answer with [`flow::signed_out`].
    SignOut {
        /// The guarded origin, for `post_logout_redirect_uri`.
        origin: String,
    },
}

/// A guarded request waiting for its bearer token's verification. Its `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Pending {
    /// The token, as sent.
    pub token: String,
    /// The rule that applies.
    pub rule: Rule,
    /// The target that was judged.
    pub target: Target,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("token", &crate::secret::Redacted)
            .field("rule", &self.rule)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// A browser to send to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// What fell short.
    pub decision: Decision,
    /// The guarded origin.
    pub origin: String,
    /// The path and query to come back to.
    pub return_to: String,
}

/// The guard's answer to a request at `now` (seconds since the epoch).
pub fn judge(config: &Config, request: &Request<'_>, now: u64) -> Result<Action> {
    // The runtime builds the URL from `Host`; a `Host` that is not just an authority would move
    // part of the target into it (`Host: app.example/public?`), so it is refused.
    if request.header("host").is_some_and(|host| !is_authority(host)) {
        return Ok(Action::Reply(Reply::page(400, "Bad request", "The Host header is not a host name and port.")));
    }
    let (origin, raw_target) = split_url(request.url);
    // F18: with a configured public origin, the request's Host decides nothing.
    let origin = match &config.public_origin {
        Some(public) if !public.eq_ignore_ascii_case(origin) => {
            return Ok(Action::Reply(Reply::page(421, "Wrong host", "This guard does not serve that host.")));
        }
        Some(public) => public.clone(),
        None => origin.to_string(),
    };
    let target = match Target::parse(raw_target) {
        Ok(target) => target,
        Err(refusal) => return Ok(Action::Reply(flow::bad_target(refusal))),
    };
    let rule = match flow::route(config, &target) {
        Route::Callback => return Ok(Action::Callback { origin }),
        Route::Logout => return Ok(sign_out(request, origin)),
        Route::Open => return Ok(pass(config, &target, request.headers, Vec::new(), false, true)),
        Route::Guarded(rule) => rule,
    };
    let authorization = request.header("authorization");
    let api = flow::is_api(&rule, authorization, request.header("accept"));
    match credentials(authorization) {
        Credentials::Malformed => Ok(Action::Reply(flow::bad_credentials(true, "malformed Authorization header"))),
        Credentials::Bearer(token) => {
            Ok(Action::VerifyBearer(Box::new(Pending { token: token.to_string(), rule, target })))
        }
        Credentials::None => {
            // A session whose identity the upstream could not be told is no session (G20).
            let session = read_session(config, request.header("cookie"), now)
                .and_then(|claims| flow::identity_headers(&claims).map(|identity| (claims, identity)));
            let decision = evaluate(config, &rule, session.as_ref().map(|(claims, _)| &**claims), now);
            match session {
                Some((_, identity)) if decision.satisfied => {
                    Ok(pass(config, &target, request.headers, identity, true, false))
                }
                _ if api => refuse_api(session.is_some(), &decision),
                _ => Ok(Action::SignIn(SignIn { decision, origin, return_to: target.path_and_query() })),
            }
        }
    }
}

/// The logout path (`STEPUP_LOGOUT_PATH`): only a `POST` that a page of this very origin sent
/// signs out, so a link, an image or a form on another site cannot sign a user out (cross-site
/// request forgery). The browser says where the request comes from in `Sec-Fetch-Site` (Fetch
/// Metadata) and `Origin` (RFC 6454 §7, sent with every `POST`); what it says must be this origin,
/// and a request that says neither is refused too.
fn sign_out(request: &Request<'_>, origin: String) -> Action {
    if request.method != "POST" {
        let page = Reply::page(405, "Sign out with a button", "Signing out takes a POST from this site's own page.");
        return Action::Reply(page.with("allow", "POST".into()));
    }
    let site = request.header("sec-fetch-site");
    let from = request.header("origin");
    let same_origin = site.is_none_or(|site| site == "same-origin")
        && from.is_none_or(|from| from.eq_ignore_ascii_case(&origin))
        && (site.is_some() || from.is_some());
    if !same_origin {
        let message = "A sign-out must come from this site's own page; this one came from elsewhere.";
        return Action::Reply(Reply::page(403, "Not signed out", message));
    }
    Action::SignOut { origin }
}

/// `host[:port]`: a name, an IPv4 address or a bracketed IPv6 address, and digits after `:`.
fn is_authority(host: &str) -> bool {
    !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

/// The answer once a bearer token was verified (`Ok(claims)`) or not (`Err`). An API is never
/// redirected. The provider or the settings at fault ([`provider_at_fault`]) are the guard's
/// failure (`Err`, answered by [`flow::failure`]), never the token's: not an `invalid_token` a
/// client would answer by fetching another token.
pub fn after_bearer(
    config: &Config,
    pending: &Pending,
    verified: std::result::Result<&Map<String, Value>, &Error>,
    request: &Request<'_>,
    now: u64,
) -> Result<Action> {
    let claims = match verified {
        Ok(claims) => claims,
        Err(e) if provider_at_fault(e) => return Err(e.clone()),
        Err(e) => return Ok(Action::Reply(flow::bad_credentials(false, e.code()))),
    };
    let Some(identity) = flow::identity_headers(claims) else {
        return Ok(Action::Reply(flow::bad_credentials(false, "ERR_JWT_CLAIM_VALIDATION_FAILED")));
    };
    let decision = evaluate(config, &pending.rule, Some(claims), now);
    if decision.satisfied {
        Ok(pass(config, &pending.target, request.headers, identity, true, true))
    } else {
        refuse_api(true, &decision)
    }
}

/// Whether a verification failed because of the provider (its key set or metadata out of reach)
/// or the settings ([`flow::misconfigured`]) rather than the token: such a failure is the
/// guard's own ([`flow::failure`]), whatever the token.
pub fn provider_at_fault(e: &Error) -> bool {
    matches!(e, Error::FetchFailed(_)) || flow::misconfigured(e)
}

fn evaluate(config: &Config, rule: &Rule, claims: Option<&Map<String, Value>>, now: u64) -> Decision {
    rule.need.evaluate(
        claims.unwrap_or(&Map::new()),
        &config.policy,
        now as i64,
        crate::claims::DEFAULT_CLOCK_TOLERANCE,
    )
}

/// RFC 6750 §3 without credentials, RFC 9470 §3 with credentials that fall short.
fn refuse_api(signed_in: bool, decision: &Decision) -> Result<Action> {
    Ok(Action::Reply(if signed_in { flow::step_up_challenge(decision)? } else { flow::unauthorized() }))
}

/// Lets a request through: forwarded to the upstream, or without one the page that shows who
/// is signed in (the demo's and `make worker`'s default).
fn pass(
    config: &Config,
    target: &Target,
    headers: &[(String, String)],
    identity: Vec<(String, String)>,
    guarded: bool,
    keep_authorization: bool,
) -> Action {
    match &config.upstream {
        Some(upstream) => {
            Action::Forward(flow::forward(upstream, target, headers, identity, guarded, keep_authorization))
        }
        None => Action::Reply(session_page(&identity, guarded)),
    }
}

/// Without an upstream: who is signed in, as JSON for tools.
fn session_page(identity: &[(String, String)], guarded: bool) -> Reply {
    let members: Map<String, Value> = identity
        .iter()
        .map(|(k, v)| (k.trim_start_matches(flow::IDENTITY_PREFIX).to_string(), Value::String(v.clone())))
        .collect();
    let mut body = Map::new();
    body.insert("guarded".into(), guarded.into());
    body.insert("identity".into(), Value::Object(members));
    let mut page = Reply::new(200, "application/json", Value::Object(body).to_string());
    // Like a guarded answer from an upstream (G08): about one user, kept by no cache.
    for (name, value) in &mut page.headers {
        if name == "cache-control" {
            *value = "private, no-store".into();
        }
    }
    page
}

/// The `state` of a callback URL, and the transaction it belongs to (G02: its cookie intact,
/// unexpired and for this very `state`); `Err` is the page for a sign-in that cannot be found.
pub fn callback_state(config: &Config, request: &Request<'_>, now: u64) -> std::result::Result<Transaction, Reply> {
    let query = request.url.split('#').next().unwrap_or_default().split_once('?').map_or("", |(_, q)| q);
    let state = crate::url::parse_query(query)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(n, _)| n == "state").map(|(_, v)| v));
    state.and_then(|s| Transaction::find(config, request.header("cookie"), &s, now)).ok_or_else(|| {
        flow::refused(
            None,
            400,
            "This sign-in has expired",
            "The sign-in was already completed, took too long, or started in another browser. Go back and try again.",
        )
    })
}

/// The authorization response at the callback (RFC 6749 §4.1.2; `iss` as RFC 9207 says, when
/// the provider's metadata says it sends one: `sends_response_iss`), for the sign-in
/// `transaction` started: the code to exchange, or the page that ends the sign-in. The
/// provider's refusal is `403`, said plainly when it could not authenticate the user as strongly
/// as asked (RFC 9470 §3, `unmet_authentication_requirements`); a response that is not this
/// sign-in's is `400`.
pub fn callback_code(
    config: &Config,
    transaction: &Transaction,
    request: &Request<'_>,
    sends_response_iss: bool,
) -> std::result::Result<String, Reply> {
    let expect = ResponseExpectations {
        expected_state: Some(transaction.state.clone()),
        expected_issuer: config.issuer.clone(),
        require_issuer: sends_response_iss,
    };
    match validate_authorization_response(request.url, &expect) {
        Ok(response) => Ok(response.code),
        Err(Error::AuthResponseError { error, description }) => {
            let message = if error == "unmet_authentication_requirements" {
                "The identity provider could not authenticate you as strongly as this page requires.".to_string()
            } else {
                format!("The identity provider refused the sign-in: {error} {}", description.unwrap_or_default())
            };
            Err(flow::refused(Some(transaction), 403, "Sign-in refused", &message))
        }
        Err(e) => Err(flow::refused(Some(transaction), 400, "Invalid sign-in response", &e.to_string())),
    }
}

/// The code exchange failed with `e`: when the provider refused the code (RFC 6749 §5.2:
/// replayed, expired, not this client's), this sign-in is over whatever the network did, and
/// the page says so. `None`: any other failure is the guard's ([`flow::failure`]).
pub fn exchange_refused(transaction: &Transaction, e: &Error) -> Option<Reply> {
    let Error::AuthResponseError { error, .. } = e else { return None };
    let message = format!("The identity provider refused to complete the sign-in ({error}). Go back and try again.");
    Some(flow::refused(Some(transaction), 400, "The sign-in could not be completed", &message))
}

/// What the callback's ID token must be (OIDC Core 3.1.3.7): from this issuer, for this
/// client, with this sign-in's `nonce`, and as recent as its `max_age` asked.
pub fn callback_id_token(config: &Config, transaction: &Transaction) -> IdTokenOptions {
    IdTokenOptions {
        issuer: config.issuer.clone(),
        audience: config.client_id.clone(),
        expected_nonce: Some(transaction.nonce.clone()),
        max_age: transaction.max_age,
        ..IdTokenOptions::default()
    }
}

/// The end of the callback once its ID token was verified (`Ok(claims)`) or not (`Err`): the
/// provider out of reach (its key set) is the guard's failure (`Err`, [`flow::failure`]); any
/// other failure ends this sign-in with a `403` page, the transaction deleted; a verified token
/// is the session, unless it signed in someone else or still falls short of the rule the user
/// was going to.
pub fn after_callback(
    config: &Config,
    transaction: &Transaction,
    verified: std::result::Result<&Map<String, Value>, &Error>,
    request: &Request<'_>,
    origin: &str,
    now: u64,
) -> Result<Reply> {
    match verified {
        Ok(claims) => signed_in(config, transaction, claims, request, origin, now),
        Err(e @ Error::FetchFailed(_)) => Err(e.clone()),
        Err(e) => Ok(flow::refused(Some(transaction), 403, "The sign-in could not be verified", &e.to_string())),
    }
}

/// The end of a sign-in whose ID token verified: refused when it signed in another user than
/// the session's (D27), when the identity cannot be told to the upstream (G20), or when it
/// still falls short of the rule the user was going to (G15: a page, never another redirect);
/// else the session cookie and the way back.
fn signed_in(
    config: &Config,
    transaction: &Transaction,
    claims: &Map<String, Value>,
    request: &Request<'_>,
    origin: &str,
    now: u64,
) -> Result<Reply> {
    let refuse = |status, title, message: &str| Ok(flow::refused(Some(transaction), status, title, message));
    if !crate::claims::same_user(read_session(config, request.header("cookie"), now).as_deref(), claims) {
        let message = "The identity provider signed in a different user than the one signed in here. Sign out first to switch users.";
        return refuse(403, "Signed in as someone else", message);
    }
    let session = session_claims(claims);
    if flow::identity_headers(&session).is_none() {
        let message = "The identity provider's subject, acr or amr cannot be passed on to the application.";
        return refuse(403, "The sign-in could not be used", message);
    }
    let rule = Target::parse(&transaction.return_to).ok().map(|target| flow::route(config, &target));
    if let Some(Route::Guarded(rule)) = rule {
        let decision = evaluate(config, &rule, Some(claims), now);
        if !decision.satisfied {
            let asked = decision.acr_values.unwrap_or_default().join(" ");
            let got = claims.get("acr").and_then(Value::as_str).unwrap_or("none");
            let message = format!("This page needs a stronger or more recent sign-in (asked for {asked:?}, signed in with {got:?}), and the identity provider did not provide it.");
            return refuse(403, "Sign-in not strong enough", &message);
        }
    }
    flow::signed_in(config, transaction, &session, origin, now)
}

#[cfg(test)]
mod tests;
