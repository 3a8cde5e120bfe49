use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::guard::session::session_cookie;

const NOW: u64 = 1_700_000_000;
const RULES: &str =
    r#"[{"path":"/admin/*","acr":["LOA2"]},{"path":"/api/*","acr":["LOA2"],"api":true},{"path":"/weak/*"}]"#;

fn config_for(client_id: &str, upstream: Option<&str>) -> Config {
    let mut env: BTreeMap<String, String> = [
        ("STEPUP_ISSUER", "https://idp.example"),
        ("STEPUP_CLIENT_ID", client_id),
        ("STEPUP_SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("STEPUP_ACR_POLICY", "wso2"),
        ("STEPUP_RULES", RULES),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(upstream) = upstream {
        env.insert("STEPUP_UPSTREAM".into(), upstream.into());
    }
    Config::from_env(&env).unwrap()
}

fn config() -> Config {
    config_for("edge", Some("http://app.internal"))
}

/// A `Cookie` header carrying a session for `claims`.
fn session(config: &Config, claims: serde_json::Value) -> String {
    let set = session_cookie(config, claims.as_object().unwrap(), NOW).unwrap();
    set.split(';').next().unwrap().to_string()
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn judge_at(config: &Config, url: &str, pairs: &[(&str, &str)]) -> Action {
    let headers = headers(pairs);
    judge(config, &Request { method: "GET", url, headers: &headers }, NOW).unwrap()
}

const HTML: (&str, &str) = ("accept", "text/html");

fn strong() -> serde_json::Value {
    json!({"sub":"alice","acr":"LOA2","amr":["pwd","otp"],"auth_time":NOW - 10})
}

#[test]
fn g16_the_forwarded_url_is_the_judged_target() {
    let config = config();
    let Action::Forward(plan) = judge_at(&config, "http://edge.example/public//../x?y=1", &[]) else { panic!() };
    assert_eq!(plan.url, "http://app.internal/public/x?y=1");
    assert!(!plan.guarded);
    // `/admin//../panel` is `/admin/panel` for fetch(), so it is judged under /admin/*.
    let action = judge_at(&config, "http://edge.example/admin//../panel", &[HTML]);
    let Action::SignIn(sign_in) = action else { panic!("{action:?}") };
    assert_eq!(sign_in.return_to, "/admin/panel");
    assert_eq!(sign_in.decision.acr_values, Some(vec!["LOA2".to_string()]));
}

#[test]
fn g17_g18_ambiguous_targets_are_refused_before_anything_else() {
    let config = config();
    let cookie = session(&config, strong());
    for url in ["http://e/public/..;/admin", "http://e/admin%2fx", "http://e/adm%C4%B1n", "http://e/a\\b"] {
        let Action::Reply(reply) = judge_at(&config, url, &[("cookie", &cookie)]) else { panic!("{url}") };
        assert_eq!(reply.status, 400, "{url}");
    }
}

#[test]
fn a_strong_session_is_forwarded_with_its_identity_and_without_the_guard_cookie() {
    let config = config();
    let cookie = format!("theme=dark; {}", session(&config, strong()));
    let action = judge_at(
        &config,
        "http://e/ADMIN/x",
        &[("cookie", &cookie), ("x_stepup_sub", "mallory"), ("x-stepup-acr", "LOA3")],
    );
    let Action::Forward(plan) = action else { panic!("{action:?}") };
    assert!(plan.guarded);
    assert_eq!(plan.url, "http://app.internal/ADMIN/x");
    assert_eq!(plan.remove, ["x_stepup_sub", "x-stepup-acr"]);
    let set: BTreeMap<_, _> = plan.set.iter().cloned().collect();
    assert_eq!(set["x-stepup-sub"], "alice");
    assert_eq!(set["x-stepup-acr"], "LOA2");
    assert_eq!(set["cookie"], "theme=dark");
}

/// Found by the second outside attack: a session cookie inside another cookie's value (which
/// browsers keep whole) is no session, and two `Cookie` lines carry none.
#[test]
fn g21_no_session_is_read_from_inside_another_cookie() {
    let config = config();
    let session = session(&config, strong());
    for cookie in [format!("pref=x,{session}; other=1"), format!("a=1, {session}")] {
        let action = judge_at(&config, "http://e/admin/x", &[("cookie", &cookie), HTML]);
        assert!(matches!(action, Action::SignIn(_)), "{cookie}: {action:?}");
    }
}

#[test]
fn g21_sessions_are_bound_to_the_client_and_issuer() {
    let ours = config();
    let other = config_for("another-client", Some("http://app.internal"));
    let cookie = session(&other, strong());
    let action = judge_at(&ours, "http://e/admin/x", &[("cookie", &cookie), HTML]);
    assert!(matches!(action, Action::SignIn(_)), "{action:?}");
    let action = judge_at(&ours, "http://e/api/x", &[("cookie", &cookie)]);
    let Action::Reply(reply) = action else { panic!() };
    assert_eq!(reply.status, 401);
}

#[test]
fn g20_a_session_whose_sub_cannot_be_a_header_is_no_session() {
    let config = config();
    let cookie = session(&config, json!({"sub":"al\u{ef}ce","acr":"LOA2","auth_time":NOW}));
    let action = judge_at(&config, "http://e/weak/x", &[("cookie", &cookie), HTML]);
    assert!(matches!(action, Action::SignIn(_)), "{action:?}");
}

#[test]
fn bearer_tokens_are_verified_then_judged() {
    let config = config();
    let request_headers = headers(&[("authorization", "Bearer abc.def.ghi"), ("x-stepup-sub", "x")]);
    let request = Request { method: "GET", url: "http://e/api/t", headers: &request_headers };
    let Action::VerifyBearer(pending) = judge(&config, &request, NOW).unwrap() else { panic!() };
    assert_eq!(pending.token, "abc.def.ghi");
    let Action::Reply(refused) = after_bearer(&config, &pending, Err(&Error::JwtExpired), &request, NOW).unwrap()
    else {
        panic!()
    };
    assert_eq!(refused.status, 401);
    assert!(refused.headers.iter().any(|(n, v)| n == "www-authenticate" && v.contains(r#"error="invalid_token""#)));
    let weak = json!({"sub":"alice","acr":"LOA1"});
    let Action::Reply(challenge) =
        after_bearer(&config, &pending, Ok(weak.as_object().unwrap()), &request, NOW).unwrap()
    else {
        panic!()
    };
    assert!(challenge
        .headers
        .iter()
        .any(|(n, v)| n == "www-authenticate" && v.contains("insufficient_user_authentication")));
    let binary = json!({"sub":"al ice","acr":"LOA2"});
    let Action::Reply(bad) = after_bearer(&config, &pending, Ok(binary.as_object().unwrap()), &request, NOW).unwrap()
    else {
        panic!()
    };
    assert_eq!(bad.status, 401);
    let claims = strong();
    let Action::Forward(plan) =
        after_bearer(&config, &pending, Ok(claims.as_object().unwrap()), &request, NOW).unwrap()
    else {
        panic!()
    };
    assert_eq!(plan.remove, ["x-stepup-sub"]);
    assert!(plan.set.contains(&("x-stepup-sub".into(), "alice".into())));
}

#[test]
fn a_bearer_token_the_provider_kept_from_verifying_is_the_guards_failure_not_the_tokens() {
    let config = config();
    let request_headers = headers(&[("authorization", "Bearer abc.def.ghi")]);
    let request = Request { method: "GET", url: "http://e/api/t", headers: &request_headers };
    let Action::VerifyBearer(pending) = judge(&config, &request, NOW).unwrap() else { panic!() };
    // Not an `invalid_token` a client would answer by fetching another token: the guard's page
    // (flow::failure) for the provider out of reach or a rule it cannot meet.
    for at_fault in [
        Error::FetchFailed("GET https://idp.example/jwks: 502".into()),
        Error::arg_value("STEPUP_RULES[0].acr[0]", "\"LOA2\" is not in the provider's acr_values_supported"),
    ] {
        assert!(provider_at_fault(&at_fault));
        assert_eq!(after_bearer(&config, &pending, Err(&at_fault), &request, NOW).unwrap_err(), at_fault);
    }
    // A caller's mistake that names no setting, or any token error, is the token's.
    for token_error in [Error::arg_value("token", "x"), Error::JwksNoMatchingKey, Error::SignatureVerificationFailed] {
        assert!(!provider_at_fault(&token_error));
        let Action::Reply(reply) = after_bearer(&config, &pending, Err(&token_error), &request, NOW).unwrap() else {
            panic!()
        };
        assert_eq!(reply.status, 401, "{token_error:?}");
    }
}

fn transaction() -> Transaction {
    Transaction {
        state: "the-state".into(),
        nonce: "the-nonce".into(),
        verifier: "the-verifier".into(),
        return_to: "/admin/panel?x=1".into(),
        max_age: Some(300),
        created: NOW - 5,
    }
}

fn at(url: &str) -> (String, Vec<(String, String)>) {
    (url.to_string(), headers(&[HTML]))
}

/// The page ends the sign-in: its status, the transaction cookie deleted, and no redirect (G15).
fn ends_the_sign_in(reply: &Reply, status: u16, says: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert!(reply.headers.iter().any(|(n, v)| n == "set-cookie" && *v == transaction().clear()), "{reply:?}");
    assert!(!reply.headers.iter().any(|(n, _)| n == "location"), "{reply:?}");
    assert!(reply.body.contains(says), "{}", reply.body);
}

#[test]
fn g02_the_callback_takes_the_code_of_this_sign_in_only() {
    let config = config();
    let t = transaction();
    let code = |url: &str, sends_iss: bool| {
        let (url, headers) = at(url);
        callback_code(&config, &t, &Request { method: "GET", url: &url, headers: &headers }, sends_iss)
    };
    let iss = "iss=https%3A%2F%2Fidp.example";
    assert_eq!(code(&format!("http://edge.example/callback?code=c1&state=the-state&{iss}"), true).unwrap(), "c1");
    assert_eq!(code("http://edge.example/callback?code=c1&state=the-state", false).unwrap(), "c1");
    // RFC 9207: a provider that says it sends `iss` must send this issuer.
    ends_the_sign_in(&code("http://edge.example/callback?code=c1&state=the-state", true).unwrap_err(), 400, "iss");
    let other_iss = "iss=https%3A%2F%2Fevil.example";
    let wrong = code(&format!("http://edge.example/callback?code=c1&state=the-state&{other_iss}"), true);
    ends_the_sign_in(&wrong.unwrap_err(), 400, "Invalid sign-in response");
    ends_the_sign_in(&code("http://edge.example/callback?code=c1&state=another", false).unwrap_err(), 400, "state");
    // The provider's refusal: said plainly when it could not authenticate as strongly as asked.
    let unmet = code("http://edge.example/callback?error=unmet_authentication_requirements&state=the-state", false);
    ends_the_sign_in(&unmet.unwrap_err(), 403, "could not authenticate you as strongly as this page requires");
    let denied =
        code("http://edge.example/callback?error=access_denied&error_description=%3Cb%3Eno&state=the-state", false);
    let denied = denied.unwrap_err();
    ends_the_sign_in(&denied, 403, "refused the sign-in: access_denied &lt;b&gt;no");
}

#[test]
fn a_refused_code_ends_the_sign_in_and_other_exchange_failures_are_the_guards() {
    let t = transaction();
    let refused = Error::AuthResponseError { error: "invalid_grant".into(), description: Some("used".into()) };
    ends_the_sign_in(&exchange_refused(&t, &refused).unwrap(), 400, "refused to complete the sign-in (invalid_grant)");
    assert_eq!(exchange_refused(&t, &Error::FetchFailed("POST https://idp.example/token: 502".into())), None);
    assert_eq!(exchange_refused(&t, &Error::claim_invalid("token_type", "x")), None);
}

#[test]
fn the_callbacks_id_token_is_held_to_its_sign_in() {
    let config = config();
    let options = callback_id_token(&config, &transaction());
    assert_eq!(options.issuer, "https://idp.example");
    assert_eq!(options.audience, "edge");
    assert_eq!(options.expected_nonce.as_deref(), Some("the-nonce"));
    assert_eq!(options.max_age, Some(300));
    assert!(!options.refreshed);
    assert_eq!(
        options,
        IdTokenOptions {
            issuer: "https://idp.example".into(),
            audience: "edge".into(),
            expected_nonce: Some("the-nonce".into()),
            max_age: Some(300),
            ..IdTokenOptions::default()
        }
    );
    assert_eq!(config.redirect_uri("https://edge.example"), "https://edge.example/callback");
}

#[test]
fn g15_after_the_callback_a_sign_in_ends_in_a_session_or_a_page() {
    let config = config();
    let t = transaction();
    let (url, headers) = at("http://edge.example/callback?code=c1&state=the-state");
    let request = Request { method: "GET", url: &url, headers: &headers };
    let after = |verified| after_callback(&config, &t, verified, &request, "http://edge.example", NOW);
    let down = Error::FetchFailed("GET https://idp.example/jwks: 502".into());
    assert_eq!(after(Err(&down)).unwrap_err(), down);
    ends_the_sign_in(&after(Err(&Error::JwtExpired)).unwrap(), 403, "could not be verified");
    // Only the provider out of reach is the guard's failure: anything else ends this sign-in.
    let setting = Error::arg_value("STEPUP_RULES[0].acr[0]", "x");
    ends_the_sign_in(&after(Err(&setting)).unwrap(), 403, "could not be verified");
    let weak = json!({"sub":"alice","acr":"LOA1","auth_time":NOW - 10});
    ends_the_sign_in(&after(Ok(weak.as_object().unwrap())).unwrap(), 403, "not strong enough");
    let strong = strong();
    let signed_in = after(Ok(strong.as_object().unwrap())).unwrap();
    assert_eq!(signed_in.status, 303);
    let location = signed_in.headers.iter().find(|(n, _)| n == "location").map(|(_, v)| v.as_str());
    assert_eq!(location, Some("http://edge.example/admin/panel?x=1"));
    let cookies: Vec<&str> =
        signed_in.headers.iter().filter(|(n, _)| n == "set-cookie").map(|(_, v)| v.as_str()).collect();
    assert_eq!(cookies[0], t.clear());
    assert!(cookies[1].starts_with("__Host-stepup-session="), "{cookies:?}");
}

#[test]
fn without_an_upstream_the_guard_shows_the_session() {
    let config = config_for("edge", None);
    let cookie = session(&config, strong());
    let Action::Reply(page) = judge_at(&config, "http://e/admin/x", &[("cookie", &cookie)]) else { panic!() };
    assert_eq!(page.status, 200);
    let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(body["identity"]["sub"], "alice");
    assert_eq!(body["guarded"], true);
}

#[test]
fn f18_other_hosts_are_refused_with_a_public_origin() {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("STEPUP_ISSUER".into(), "https://idp.example".into());
    env.insert("STEPUP_CLIENT_ID".into(), "edge".into());
    env.insert("STEPUP_SESSION_SECRET".into(), "0123456789abcdef0123456789abcdef".into());
    env.insert("STEPUP_RULES".into(), "[]".into());
    env.insert("STEPUP_PUBLIC_ORIGIN".into(), "https://app.example".into());
    let config = Config::from_env(&env).unwrap();
    let Action::Reply(reply) = judge_at(&config, "https://evil.example/x", &[]) else { panic!() };
    assert_eq!(reply.status, 421);
    assert!(matches!(judge_at(&config, "https://APP.example/callback?x", &[]), Action::Callback { .. }));
}

/// Found by the outside attack: a `Host` carrying a path would move part of the target into
/// the URL the runtime builds.
#[test]
fn g16_a_host_that_is_not_an_authority_is_refused() {
    let config = config();
    for host in ["127.0.0.1:8787/public?", "app.example/admin", "a b", "user@app.example", ""] {
        let Action::Reply(reply) = judge_at(&config, "http://127.0.0.1:8787/public?/admin/x", &[("host", host)]) else {
            panic!("{host}")
        };
        assert_eq!(reply.status, 400, "{host}");
    }
    assert!(matches!(judge_at(&config, "http://[::1]:8787/x", &[("host", "[::1]:8787")]), Action::Forward(_)));
}

/// Found by the outside attack: on a request let through on a session, the upstream sees the
/// guard's identity only, never an `Authorization` the guard did not read as a bearer token.
#[test]
fn g19_a_session_forward_drops_authorization_and_a_malformed_bearer_is_refused() {
    let config = config();
    let cookie = session(&config, strong());
    let action = judge_at(&config, "http://e/admin/x", &[("cookie", &cookie), ("authorization", "Basic eDp5")]);
    let Action::Forward(plan) = action else { panic!("{action:?}") };
    assert!(plan.remove.contains(&"authorization".to_string()));
    let action = judge_at(&config, "http://e/admin/x", &[("cookie", &cookie), ("authorization", "Bearer\tabc")]);
    assert!(matches!(action, Action::Reply(ref r) if r.status == 400), "{action:?}");
    let Action::Forward(open) = judge_at(&config, "http://e/public", &[("authorization", "Basic eDp5")]) else {
        panic!()
    };
    assert!(open.remove.is_empty(), "open paths keep the application's own authorization");
}

#[test]
fn header_lines_are_the_headers_exactly() {
    let pairs = |list: &[(&str, &str)]| headers(list);
    assert_eq!(header_lines("", 0).unwrap(), pairs(&[]));
    assert_eq!(header_lines("accept\ntext/html", 2).unwrap(), pairs(&[("accept", "text/html")]));
    assert_eq!(
        header_lines("cookie\na=b; c=d\nx-empty\n", 4).unwrap(),
        pairs(&[("cookie", "a=b; c=d"), ("x-empty", "")])
    );
    // A line feed inside a value (which Fetch never lets through) would move a header: refused,
    // as is any count that does not match the lines.
    for (text, lines) in [
        ("x-a\nfoo\nauthorization\nBearer t", 2),
        ("x-a\nfoo\nauthorization\nBearer t", 3),
        ("x-a\nfoo\nauthorization", 4),
        ("accept\ntext/html", 0),
        ("", 2),
        ("accept", 1),
    ] {
        let e = header_lines(text, lines).unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE", "{text:?} {lines}");
    }
}

#[test]
fn g03_a_session_kept_from_an_earlier_request_expires_on_time() {
    let config = config();
    let cookie = session(&config, strong());
    let request = |now| {
        let headers = headers(&[HTML, ("cookie", &cookie)]);
        judge(&config, &Request { method: "GET", url: "http://edge.example/admin/x", headers: &headers }, now).unwrap()
    };
    assert!(matches!(request(NOW), Action::Forward(_)));
    assert!(matches!(request(NOW + 1), Action::Forward(_)), "answered from the opened sessions");
    let expiry = NOW + config.session_max_age;
    assert!(matches!(request(expiry - 1), Action::Forward(_)));
    assert!(matches!(request(expiry), Action::SignIn(_)), "the kept session expired");
    // A changed MAC on the kept payload is no session, also after the payload was opened.
    let (body, mac) = cookie.rsplit_once('.').unwrap();
    let forged = format!("{body}.{}{}", if mac.starts_with('A') { "B" } else { "A" }, &mac[1..]);
    let headers = headers(&[HTML, ("cookie", &forged)]);
    let action =
        judge(&config, &Request { method: "GET", url: "http://edge.example/admin/x", headers: &headers }, NOW + 1)
            .unwrap();
    assert!(matches!(action, Action::SignIn(_)));
}

fn with_logout() -> Config {
    let mut env: BTreeMap<String, String> = [
        ("STEPUP_ISSUER", "https://idp.example"),
        ("STEPUP_CLIENT_ID", "edge"),
        ("STEPUP_SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("STEPUP_RULES", RULES),
        ("STEPUP_LOGOUT_PATH", "/logout"),
        ("STEPUP_UPSTREAM", "http://app.internal"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.insert("STEPUP_PUBLIC_ORIGIN".into(), "https://app.example".into());
    Config::from_env(&env).unwrap()
}

fn logout(method: &str, pairs: &[(&str, &str)]) -> Action {
    let headers = headers(pairs);
    judge(&with_logout(), &Request { method, url: "https://app.example/logout", headers: &headers }, NOW).unwrap()
}

#[test]
fn signing_out_takes_a_post_from_this_origin() {
    let signed_out = Action::SignOut { origin: "https://app.example".into() };
    assert_eq!(logout("POST", &[("origin", "https://app.example"), ("sec-fetch-site", "same-origin")]), signed_out);
    assert_eq!(logout("POST", &[("origin", "https://APP.example")]), signed_out, "an origin's host is case-blind");
    assert_eq!(logout("POST", &[("sec-fetch-site", "same-origin")]), signed_out);
    let status = |action: Action| match action {
        Action::Reply(reply) => reply.status,
        other => panic!("{other:?}"),
    };
    // A link, an image or a top-level navigation from elsewhere: not a POST.
    assert_eq!(status(logout("GET", &[("sec-fetch-site", "same-origin")])), 405);
    // A form on another site, or a sibling subdomain, or a browser that says nothing.
    for pairs in [
        &[("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")][..],
        &[("origin", "https://evil.example")],
        &[("sec-fetch-site", "same-site"), ("origin", "https://sub.app.example")],
        &[("sec-fetch-site", "cross-site"), ("origin", "https://app.example")],
        &[("origin", "null")],
        &[],
    ] {
        assert_eq!(status(logout("POST", pairs)), 403, "{pairs:?}");
    }
    // Elsewhere the logout path is only a path: without the setting it is forwarded.
    assert!(matches!(judge_at(&config(), "http://edge.example/logout", &[]), Action::Forward(_)));
}
