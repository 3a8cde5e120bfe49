//! The guard's decision for one request (contract section 6), as plain data the wasm layer turns
//! into a `Response`: forward (with the identity headers), send a browser to the provider, answer
//! an API with an RFC 6750 / RFC 9470 challenge, or explain a refusal.
//!
//! Every answer the guard makes itself carries `Cache-Control: no-store` (G08): redirects,
//! challenges and pages are about one user at one moment.

use serde_json::{Map, Value};

use super::config::Config;
use super::cookie::set_cookie;
use super::path::Target;
use super::redirect::return_location;
use super::rules::Rule;
use super::session::{session_cookie, Transaction, SESSION_COOKIE};
use crate::authorize::{build_authorization_url, AuthorizationRequest};
use crate::step_up::{build_step_up_challenge, ChallengeParams, Decision};
use crate::url::Endpoint;
use crate::{pkce, Error, Result};

/// Headers the guard sets on forwarded requests; any incoming header that a server could read
/// as one of them is removed first, so the origin can trust them (G13, [`is_identity_header`]).
pub const IDENTITY_PREFIX: &str = "x-stepup-";

/// Headers on every page, redirect and challenge the guard writes itself: nothing in them is
/// active content, may be sniffed into some, or framed (G22).
const OWN_ANSWER_HEADERS: [(&str, &str); 5] = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
];

/// An answer the guard makes itself. Its `Debug` shows header names, not values: `Set-Cookie`
/// values are sessions and `Location` carries `state` and `nonce`.
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Header name and value pairs (`Set-Cookie` may repeat).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Reply").field("status", &self.status).field("headers", &names).finish_non_exhaustive()
    }
}

impl Reply {
    pub(super) fn new(status: u16, content_type: &str, body: String) -> Reply {
        let mut headers: Vec<(String, String)> =
            OWN_ANSWER_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        headers.push(("content-type".into(), content_type.into()));
        Reply { status, headers, body }
    }

    /// A short HTML page; `message` is escaped.
    pub fn page(status: u16, title: &str, message: &str) -> Reply {
        let body = format!(
            "<!doctype html><meta charset=\"utf-8\"><title>{t}</title>\
             <body style=\"font-family:system-ui;max-width:40em;margin:4em auto\"><h1>{t}</h1><p>{m}</p></body>",
            t = escape(title),
            m = escape(message)
        );
        Reply::new(status, "text/html; charset=utf-8", body)
    }

    pub(crate) fn with(mut self, name: &str, value: String) -> Reply {
        self.headers.push((name.to_string(), value));
        self
    }
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '&' => "&amp;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The redirect path: a sign-in coming back.
    Callback,
    /// The logout path (`STEPUP_LOGOUT_PATH`).
    Logout,
    /// No rule: forwarded as is (minus the guard's own cookies and identity headers).
    Open,
    /// A rule applies.
    Guarded(Rule),
}

/// The route for a request target, by its key (the redirect path too, so `/Callback/` is the
/// callback wherever `/callback` is).
pub fn route(config: &Config, target: &Target) -> Route {
    if config.redirect_key == target.key {
        return Route::Callback;
    }
    if config.logout.as_ref().is_some_and(|logout| logout.key == target.key) {
        return Route::Logout;
    }
    config.rules.find_target(target).map_or(Route::Open, Route::Guarded)
}

/// A target whose meaning depends on who parses it: refused, never guessed (G16, G17, G18).
pub fn bad_target(refusal: super::path::Refusal) -> Reply {
    Reply::page(refusal.status(), "Bad request", refusal.reason())
}

/// Whether to answer like an API (a challenge) rather than a browser (a redirect): the rule says
/// so, the request carries `Authorization`, or it does not accept HTML (G14).
pub fn is_api(rule: &Rule, authorization: Option<&str>, accept: Option<&str>) -> bool {
    rule.api || authorization.is_some() || !accept.is_some_and(|a| a.contains("text/html"))
}

/// RFC 6750 §3 when there are no credentials at all: `Bearer`, no error.
pub fn unauthorized() -> Reply {
    Reply::new(401, "text/plain; charset=utf-8", "authentication required\n".into())
        .with("www-authenticate", "Bearer".into())
}

/// RFC 6750 §3.1: a malformed `Authorization` header (400 `invalid_request`) or a token that
/// does not verify (401 `invalid_token`). The description is stepup's error code only: details
/// stay out of headers.
pub fn bad_credentials(malformed: bool, code: &str) -> Reply {
    let (status, error) = if malformed { (400, "invalid_request") } else { (401, "invalid_token") };
    Reply::new(status, "text/plain; charset=utf-8", format!("{error}\n"))
        .with("www-authenticate", format!("Bearer error=\"{error}\", error_description=\"{code}\""))
}

/// RFC 9470 §3: 401 with `insufficient_user_authentication` and what to come back with.
pub fn step_up_challenge(decision: &Decision) -> Result<Reply> {
    let ask = decision.ask();
    let header = build_step_up_challenge(&ChallengeParams {
        acr_values: ask.acr_values,
        max_age: ask.max_age,
        error_description: Some(ask.description.to_string()),
        ..ChallengeParams::default()
    })?;
    Ok(Reply::new(401, "text/plain; charset=utf-8", "insufficient_user_authentication\n".into())
        .with("www-authenticate", header))
}

/// The parts of the request a sign-in needs.
pub struct Incoming<'a> {
    /// The guarded origin (`https://app.example`), from the request URL.
    pub origin: &'a str,
    /// The path and query to return to after sign-in.
    pub return_to: &'a str,
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// Seconds since the epoch.
    pub now: u64,
}

/// Fresh random values for one sign-in (from the platform CSPRNG, in the wasm layer).
pub struct Randoms {
    /// `state`.
    pub state: [u8; pkce::RANDOM_BYTES],
    /// `nonce`.
    pub nonce: [u8; pkce::RANDOM_BYTES],
    /// The PKCE verifier.
    pub verifier: [u8; pkce::RANDOM_BYTES],
}

/// The longest path and query a sign-in returns to: the transaction cookie must stay under a
/// browser's 4 KiB per cookie (RFC 6265 §6.1).
pub const MAX_RETURN_TO: usize = 1024;

/// Where a sign-in returns to: the request's path and query, its path alone when that is too
/// long, the root when even the path is (a long deep link still signs in, G22).
fn kept_return_to(return_to: &str) -> &str {
    let path = return_to.split('?').next().unwrap_or_default();
    [return_to, path].into_iter().find(|p| p.len() <= MAX_RETURN_TO).unwrap_or("/")
}

/// 302 to the provider asking for what `decision` says is missing, with the transaction cookie.
/// What is asked for is [`Decision::ask`], as for the challenge and the browser client.
pub fn sign_in(
    config: &Config,
    authorization_endpoint: &str,
    request: &Incoming<'_>,
    decision: &Decision,
    randoms: &Randoms,
) -> Result<Reply> {
    let transaction = Transaction {
        state: pkce::random_value(&randoms.state),
        nonce: pkce::random_value(&randoms.nonce),
        verifier: pkce::random_value(&randoms.verifier),
        return_to: kept_return_to(request.return_to).to_string(),
        max_age: decision.max_age,
        created: request.now,
    };
    let ask = decision.ask();
    let url = build_authorization_url(&AuthorizationRequest {
        authorization_endpoint: authorization_endpoint.to_string(),
        client_id: config.client_id.clone(),
        redirect_uri: config.redirect_uri(request.origin),
        state: transaction.state.clone(),
        code_challenge: pkce::code_challenge_s256(&transaction.verifier)?,
        nonce: Some(transaction.nonce.clone()),
        acr_values: ask.acr_values,
        max_age: ask.max_age,
        prompt: ask.prompt_login.then(|| "login".to_string()),
        ..AuthorizationRequest::default()
    })?;
    let mut reply = Reply::new(302, "text/plain; charset=utf-8", String::new()).with("location", url);
    for cookie in transaction.start(config, request.cookie)? {
        reply = reply.with("set-cookie", cookie);
    }
    Ok(reply)
}

/// After a verified callback whose claims meet the rule: the session cookie, the transaction
/// deleted, 303 back to where the user was going (same origin only, G05-G07).
pub fn signed_in(
    config: &Config,
    transaction: &Transaction,
    session: &Map<String, Value>,
    origin: &str,
    now: u64,
) -> Result<Reply> {
    Ok(Reply::new(303, "text/plain; charset=utf-8", String::new())
        .with("location", return_location(origin, Some(&transaction.return_to)))
        .with("set-cookie", transaction.clear())
        .with("set-cookie", session_cookie(config, session, now)?))
}

/// A sign-out: the session cookie deleted, and the browser sent to the provider's
/// `end_session_endpoint` to end its session there too (OpenID Connect RP-Initiated Logout 1.0
/// §2: `client_id` names the client, as the guard keeps no ID token for `id_token_hint`, and
/// `post_logout_redirect_uri` brings the user back to this origin's `/`, which must be
/// registered with the provider). `end_session`: the provider's endpoint, `Ok(None)` when it
/// names none (the browser goes straight to `/`), `Err` when its metadata could not be read.
/// Signed out here whatever happens: when the provider cannot be reached, or its endpoint is not
/// one to send a browser to (not https, or its own query sets the parameters the guard sends),
/// the user is told the provider's session may continue. Why goes to the log (the second
/// member) and not on the page, as for [`failure`]: the provider's URLs may be internal.
pub fn signed_out(
    config: &Config,
    origin: &str,
    end_session: std::result::Result<Option<&str>, &Error>,
) -> (Reply, Option<String>) {
    let back = format!("{origin}/");
    let params = [("client_id", config.client_id.as_str()), ("post_logout_redirect_uri", back.as_str())];
    let location = |endpoint: &str| -> Result<String> {
        let endpoint = Endpoint::parse(endpoint, "end_session_endpoint")?;
        endpoint.refuse_in_query("end_session_endpoint", &crate::discovery::END_SESSION_PARAMS)?;
        Ok(endpoint.with_query(&params))
    };
    let not_there = |e: &Error| {
        let page = Reply::page(
            503,
            "Signed out of this site only",
            "You are signed out here, but your session at the identity provider could not be ended.",
        );
        (page, Some(format!("stepup: signing out at the identity provider: {e}")))
    };
    let redirect = |to: String| Reply::new(303, "text/plain; charset=utf-8", String::new()).with("location", to);
    let (reply, log) = match end_session.map(|endpoint| endpoint.map(location)) {
        Ok(Some(Ok(to))) => (redirect(to), None),
        Ok(None) => (redirect(back.clone()), None),
        Ok(Some(Err(e))) => not_there(&e),
        Err(e) => not_there(e),
    };
    (reply.with("set-cookie", set_cookie(SESSION_COOKIE, "", 0)), log)
}

/// Whether a setting, not a token or the provider, is at fault: an error found only once the
/// provider's metadata is read (a rule it cannot meet, [`Config::check_against`]), about a
/// setting (named `STEPUP_*`).
pub fn misconfigured(e: &Error) -> bool {
    e.is_caller_mistake() && e.param().is_some_and(|p| p.starts_with("STEPUP_"))
}

/// The answer to a request the guard could not decide, and what goes to the log. The provider
/// out of reach is `503` saying so, and only the log says what failed (the provider's URLs, which
/// may be internal, and the runtime's error: nothing for any visitor to read); a setting at
/// fault is `503` naming the setting, as one wrong at start-up is (`worker/worker.js`); anything
/// else is `500`, and its page names nothing of the guard's internals, which only the log sees.
pub fn failure(e: &Error) -> (Reply, Option<String>) {
    match e {
        Error::FetchFailed(why) => (
            Reply::page(503, "Sign-in is unavailable", "The identity provider cannot be reached. Try again later."),
            Some(format!("stepup guard: the identity provider cannot be reached: {why}")),
        ),
        setting if misconfigured(setting) => {
            let message = format!("stepup is misconfigured: {setting}");
            (Reply::page(503, "Sign-in is unavailable", &message), Some(message))
        }
        other => (
            Reply::page(500, "The guard failed", "The request could not be handled. Try again later."),
            Some(format!("stepup guard: {other}")),
        ),
    }
}

/// The answer when the upstream did not answer in time (`timed_out`: the head of its answer,
/// within `STEPUP_UPSTREAM_TIMEOUT`), could not be reached, or answered what cannot be passed
/// on ([`upstream_status_usable`]).
pub fn upstream_failed(timed_out: bool) -> Reply {
    if timed_out {
        Reply::page(504, "The application did not answer", "Try again later.")
    } else {
        Reply::page(502, "The application cannot be reached", "Try again later.")
    }
}

/// The callback could not complete: a page saying why, the transaction deleted, never another
/// redirect (G15).
pub fn refused(transaction: Option<&Transaction>, status: u16, title: &str, message: &str) -> Reply {
    let reply = Reply::page(status, title, message);
    match transaction {
        Some(t) => reply.with("set-cookie", t.clear()),
        None => reply,
    }
}

/// The identity headers for a forwarded request, or `None` when the identity cannot be told to
/// the upstream exactly (G20): no `sub`, or a `sub`, `acr` or `amr` value that is not visible
/// ASCII without spaces (a header would drop, trim or mangle it, or an `amr` value with a space
/// would read as two). Such credentials then count as no credentials at all, never as a user
/// the upstream cannot see.
pub fn identity_headers(claims: &Map<String, Value>) -> Option<Vec<(String, String)>> {
    fn visible(text: &str) -> bool {
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic())
    }
    let text = |name: &str| match claims.get(name) {
        None => Some(None),
        Some(Value::String(value)) if visible(value) => Some(Some(value.clone())),
        Some(_) => None,
    };
    let mut headers = vec![(format!("{IDENTITY_PREFIX}sub"), text("sub")??)];
    if let Some(acr) = text("acr")? {
        headers.push((format!("{IDENTITY_PREFIX}acr"), acr));
    }
    if let Some(amr) = claims.get("amr") {
        let values: Option<Vec<&str>> = amr.as_array()?.iter().map(|v| v.as_str().filter(|v| visible(v))).collect();
        headers.push((format!("{IDENTITY_PREFIX}amr"), values?.join(" ")));
    }
    if let Some(auth_time) = claims.get("auth_time") {
        headers.push((format!("{IDENTITY_PREFIX}auth-time"), auth_time.as_u64()?.to_string()));
    }
    Some(headers)
}

/// A header name as the upstream may read it: CGI (RFC 3875 §4.1.18), WSGI, Rack and PHP map
/// `x-stepup_sub` and `X_STEPUP.SUB` to `HTTP_X_STEPUP_SUB` as they map `x-stepup-sub` (the class
/// of Puma's CVE-2024-45614), so a name is compared in lower case with every byte that is not a
/// letter or digit read as `-`.
fn folded(name: &str) -> impl Iterator<Item = u8> + '_ {
    name.bytes().map(|b| if b.is_ascii_alphanumeric() { b.to_ascii_lowercase() } else { b'-' })
}

/// Whether a header name reads as `spelled` (lower case, with `-`) once [`folded`].
fn reads_as(name: &str, spelled: &str) -> bool {
    name.len() == spelled.len() && folded(name).eq(spelled.bytes())
}

/// Whether a request header could reach the upstream as one of the identity headers: every
/// spelling whose fold (`folded`) starts with the prefix is one.
pub fn is_identity_header(name: &str) -> bool {
    let mut folded = folded(name);
    IDENTITY_PREFIX.bytes().all(|want| folded.next() == Some(want))
}

/// Whether a cookie name is one of the guard's own, in any case, percent-encoded or not, with
/// anything around it: upstream cookie parsers trim other whitespace than HTTP's, fold case or
/// decode names (PHP), so any name in which the prefix can be read counts.
pub fn is_guard_cookie(name: &str) -> bool {
    let prefix = GUARD_COOKIE_PREFIX.as_bytes();
    let holds_prefix = |folded: &[u8]| folded.windows(prefix.len()).any(|w| w.eq_ignore_ascii_case(prefix));
    let bytes = name.as_bytes();
    // Every request's cookies pass here: without a `%` there is nothing to decode, and nothing
    // to allocate.
    if !bytes.contains(&b'%') {
        return holds_prefix(bytes);
    }
    let mut folded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = (b == b'%').then(|| bytes.get(i + 1..i + 3)).flatten();
        match escaped.and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()) {
            Some(decoded) => {
                folded.push(decoded);
                i += 3;
            }
            None => {
                folded.push(b);
                i += 1;
            }
        }
    }
    holds_prefix(&folded)
}

/// Every cookie the guard writes starts with this.
pub const GUARD_COOKIE_PREFIX: &str = "__Host-stepup-";

/// The `Cookie` header for the upstream: the request's without any of the guard's cookies
/// (G01), `None` when nothing is left. Two `Cookie` lines arrive joined by `, ` (Fetch
/// `Headers`), so pairs are split at `,` as well as `;`; everything else is kept as sent.
pub fn upstream_cookie(header: &str) -> Option<String> {
    let mut kept = String::with_capacity(header.len());
    // One buffer for every `;` item: its `,` parts that are not the guard's, trimmed as a whole.
    let mut item = String::new();
    for pairs in header.split(';') {
        item.clear();
        for (n, part) in pairs.split(',').filter(|part| !is_guard_cookie(cookie_name(part))).enumerate() {
            if n > 0 {
                item.push(',');
            }
            item.push_str(part);
        }
        let trimmed = item.trim();
        if !trimmed.is_empty() {
            if !kept.is_empty() {
                kept.push_str("; ");
            }
            kept.push_str(trimmed);
        }
    }
    (!kept.is_empty()).then_some(kept)
}

/// The name of a `name=value` cookie pair; a nameless one (`=value` or `value`) is read by
/// browsers as its value, so that is what is checked.
fn cookie_name(pair: &str) -> &str {
    let pair = pair.trim();
    match pair.split_once('=') {
        Some(("", value)) => value.split('=').next().unwrap_or_default(),
        Some((name, _)) => name,
        None => pair,
    }
}

/// Whether the upstream may set this cookie (`Set-Cookie` value): never one that holds the
/// guard's prefix anywhere (README, "Forwarded requests"), so an application cannot plant or end
/// a session (G21) — not in its name or value, nor inside another cookie's value
/// (`pref=x,__Host-stepup-session=…`) or after an attribute (`x=y; Max-Age=1,__Host-stepup-…`),
/// which parsers that split folded `Set-Cookie` lines at `,` read as a cookie of its own.
pub fn upstream_may_set(set_cookie: &str) -> bool {
    !is_guard_cookie(set_cookie)
}

/// What the shell does to a forwarded request: send it to `url` with the request's headers,
/// minus `remove`, plus `set`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// The upstream origin and exactly the target that was judged.
    pub url: String,
    /// Header names to delete (spoofed identity headers, `cookie` when only the guard's were
    /// in it).
    pub remove: Vec<String>,
    /// Headers to set (the identity, the `cookie` without the guard's).
    pub set: Vec<(String, String)>,
    /// Whether a rule applied: the answer is then made private ([`GUARDED_ANSWER`]).
    pub guarded: bool,
}

/// Request headers never forwarded, in any spelling the upstream reads as them ([`folded`]:
/// `X_Original_URL` is `HTTP_X_ORIGINAL_URL` as `X-Original-URL` is): `Cookie2` (RFC 2965,
/// obsolete) can only carry cookies the `Cookie` rules above would strip; `X-Original-URL` and
/// `X-Rewrite-URL` make some frameworks (Symfony before CVE-2018-14773, Zend) route to another
/// path than the one judged; `Proxy-Authorization` is for a proxy, never the application (RFC
/// 9110 §11.7.2); `Proxy` is no header at all, but CGI hands it to the application as
/// `HTTP_PROXY`, which HTTP clients there take for their outgoing proxy (httpoxy,
/// CVE-2016-5385); `X-Script-Name`, `X-Forwarded-Prefix`, `X-Forwarded-Path` and
/// `X-Original-URI` tell an application behind a proxy what path it is mounted at or was asked
/// for (Flask's and Werkzeug's proxy fixes, Spring's forwarded-header filter, nginx's
/// `auth_request`), and an application that strips a mount prefix sent by the client routes
/// `/pub/admin/x` as `/admin/x`; so do gunicorn's own `SCRIPT_NAME` and `PATH_INFO` headers,
/// and the original-path headers of Traefik (`X-Forwarded-Uri`), Envoy and others; Daphne takes
/// Django's root path from `Daphne-Root-Path`, Plack and mod_wsgi a script name from
/// `X-Forwarded-Script-Name` and `X-Traversal-Path`. The guard is the proxy: it sends none of
/// them (README: an upstream that takes a mount point from another header must not trust it).
const NEVER_FORWARDED: [&str; 17] = [
    "cookie2",
    "x-original-url",
    "x-rewrite-url",
    "proxy-authorization",
    "proxy",
    "x-script-name",
    "x-forwarded-prefix",
    "x-forwarded-path",
    "x-original-uri",
    "script-name",
    "path-info",
    "x-forwarded-uri",
    "x-envoy-original-path",
    "x-original-path",
    "daphne-root-path",
    "x-forwarded-script-name",
    "x-traversal-path",
];

/// Plans forwarding a request with these headers (name, value pairs as Fetch `Headers` lists
/// them) to `upstream` + `target`, with `identity` set on guarded requests. A request let
/// through on a session loses its `Authorization` too (`keep_authorization` false): the
/// identity the upstream sees is the guard's, never a second one it might parse from a header
/// the guard did not read as a bearer token.
pub fn forward(
    upstream: &str,
    target: &Target,
    headers: &[(String, String)],
    identity: Vec<(String, String)>,
    guarded: bool,
    keep_authorization: bool,
) -> Forward {
    let mut plan =
        Forward { url: format!("{upstream}{}", target.path_and_query()), remove: Vec::new(), set: identity, guarded };
    for (name, value) in headers {
        let dropped = NEVER_FORWARDED.iter().any(|n| reads_as(name, n))
            || (!keep_authorization && name.eq_ignore_ascii_case("authorization"));
        if is_identity_header(name) || dropped {
            plan.remove.push(name.clone());
        } else if name.eq_ignore_ascii_case("cookie") {
            match upstream_cookie(value) {
                Some(kept) if kept == *value => {}
                Some(kept) => plan.set.push(("cookie".into(), kept)),
                None => plan.remove.push(name.clone()),
            }
        }
    }
    plan
}

/// `Clear-Site-Data` from the upstream with only the directives that cannot touch the guard's
/// cookies, compared exactly as browsers compare them (W3C Clear Site Data §3.1): `"cache"`,
/// `"storage"`, `"executionContexts"`, `"prefetchCache"`, `"prerenderCache"`; `"cookies"`, `"*"`
/// and anything a laxer parser might read as them are dropped. `None` when nothing is left
/// (G21).
pub fn upstream_clear_site_data(value: &str) -> Option<String> {
    const KEPT: [&str; 5] =
        ["\"cache\"", "\"storage\"", "\"executionContexts\"", "\"prefetchCache\"", "\"prerenderCache\""];
    let kept: Vec<&str> = value.split(',').map(|d| d.trim_matches([' ', '\t'])).filter(|d| KEPT.contains(d)).collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// Whether the runtime can pass an upstream status on in a response it builds (Fetch: 200 to
/// 599); another is a `502` from the guard.
pub fn upstream_status_usable(status: u16) -> bool {
    (200..=599).contains(&status)
}

/// What a guarded answer from the upstream loses and gains (G08): it is about one user, so no
/// shared cache, CDN or browser may keep it, whatever the upstream said.
pub const GUARDED_ANSWER: GuardedAnswer = GuardedAnswer {
    // Every cache's own directive that could outrank `Cache-Control`: surrogates (Fastly's and
    // others'), nginx's `X-Accel-Expires`, and the HTTP/1.0 and age headers a cache may read as
    // freshness; the CDNs' targeted fields by their ending below.
    remove: &[
        "surrogate-control",
        "fastly-surrogate-control",
        "edge-control",
        "x-accel-expires",
        "expires",
        "pragma",
        "age",
    ],
    // RFC 9213's targeted fields are open-ended (`Akamai-Cache-Control`, any vendor's): every
    // name that ends so, but `Cache-Control` itself, which is set below.
    remove_ending: "-cache-control",
    set: &[("cache-control", "private, no-store")],
    append: &[("vary", "Cookie, Authorization")],
    // Fetch's cache mode for the forwarding request: the runtime's own cache (Cloudflare's edge
    // cache, keyed by URL) neither answers from an answer it kept nor keeps this one.
    fetch_cache: "no-store",
};

/// See [`GUARDED_ANSWER`].
#[derive(Debug)]
pub struct GuardedAnswer {
    /// Headers removed.
    pub remove: &'static [&'static str],
    /// Headers removed by the end of their name.
    pub remove_ending: &'static str,
    /// Headers set.
    pub set: &'static [(&'static str, &'static str)],
    /// Headers appended.
    pub append: &'static [(&'static str, &'static str)],
    /// The `cache` mode of the forwarding `fetch()` (Fetch, "request's cache mode").
    pub fetch_cache: &'static str,
}

#[cfg(test)]
mod tests;
