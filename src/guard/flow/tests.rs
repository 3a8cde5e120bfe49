use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::step_up::Reason;
use crate::url::parse_query;

fn config(rules: &str) -> Config {
    let env: BTreeMap<String, String> = [
        ("STEPUP_ISSUER", "https://idp.example"),
        ("STEPUP_CLIENT_ID", "edge"),
        ("STEPUP_SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("STEPUP_RULES", rules),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Config::from_env(&env).unwrap()
}

fn target(raw: &str) -> Target {
    Target::parse(raw).unwrap()
}

fn header<'a>(reply: &'a Reply, name: &str) -> Vec<&'a str> {
    reply.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
}

#[test]
fn routes() {
    let config = config(r#"[{"path":"/admin/*","acr":"2"}]"#);
    assert_eq!(route(&config, &target("/callback")), Route::Callback);
    assert_eq!(route(&config, &target("/CALLBACK/")), Route::Callback);
    assert_eq!(route(&config, &target("/public")), Route::Open);
    assert!(matches!(route(&config, &target("/Admin/../admin/x")), Route::Guarded(_)));
}

#[test]
fn g14_apis_get_challenges() {
    let config = config(r#"[{"path":"/a/*"},{"path":"/b/*","api":true}]"#);
    let Route::Guarded(page) = route(&config, &target("/a/x")) else { panic!() };
    let Route::Guarded(api) = route(&config, &target("/b/x")) else { panic!() };
    let html = Some("text/html,application/xhtml+xml");
    assert!(!is_api(&page, None, html));
    assert!(is_api(&page, Some("Bearer x"), html));
    assert!(is_api(&page, None, Some("application/json")));
    assert!(is_api(&page, None, None));
    assert!(is_api(&api, None, html));
}

#[test]
fn sign_in_redirects_with_everything_step_up_needs() {
    let config = config("[]");
    let decision = Decision {
        satisfied: false,
        reasons: vec![Reason::Acr, Reason::MaxAge],
        acr_values: Some(vec!["2".into(), "3".into()]),
        max_age: Some(300),
    };
    let randoms = Randoms { state: [1; 32], nonce: [2; 32], verifier: [3; 32] };
    let request = Incoming { origin: "https://app.example", return_to: "/admin?x=1", cookie: None, now: 1000 };
    let reply = sign_in(&config, "https://idp.example/auth", &request, &decision, &randoms).unwrap();
    assert_eq!(reply.status, 302);
    assert_eq!(header(&reply, "cache-control"), ["no-store"]);
    let location = header(&reply, "location")[0];
    let query = parse_query(location.split_once('?').unwrap().1).unwrap();
    let get = |n: &str| query.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("response_type"), Some("code"));
    assert_eq!(get("client_id"), Some("edge"));
    assert_eq!(get("redirect_uri"), Some("https://app.example/callback"));
    assert_eq!(get("acr_values"), Some("2 3"));
    assert_eq!(get("max_age"), Some("300"));
    assert_eq!(get("prompt"), Some("login"), "freshness fell short: Decision::ask");
    assert_eq!(get("code_challenge_method"), Some("S256"));
    assert_eq!(get("state"), Some(pkce::random_value(&[1; 32]).as_str()));
    assert_eq!(header(&reply, "set-cookie").len(), 1);

    let fresher = Decision { reasons: vec![Reason::MaxAge], acr_values: None, ..decision };
    let reply = sign_in(&config, "https://idp.example/auth", &request, &fresher, &randoms).unwrap();
    assert!(header(&reply, "location")[0].contains("&prompt=login"));
}

#[test]
fn e17_e18_challenges() {
    let decision = Decision {
        satisfied: false,
        reasons: vec![Reason::Acr],
        acr_values: Some(vec!["myACR".into()]),
        max_age: None,
    };
    let reply = step_up_challenge(&decision).unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(
        header(&reply, "www-authenticate"),
        ["Bearer error=\"insufficient_user_authentication\", error_description=\"A different authentication level is required\", acr_values=\"myACR\""]
    );
    // Methods no ACR names: a new authentication, and the challenge says why.
    let methods = Decision { satisfied: false, reasons: vec![Reason::Amr], acr_values: None, max_age: None };
    assert_eq!(
        header(&step_up_challenge(&methods).unwrap(), "www-authenticate"),
        ["Bearer error=\"insufficient_user_authentication\", error_description=\"Authentication with other methods is required\", max_age=\"0\""]
    );
    let fresher = Decision { satisfied: false, reasons: vec![Reason::MaxAge], acr_values: None, max_age: Some(60) };
    assert_eq!(
        header(&step_up_challenge(&fresher).unwrap(), "www-authenticate"),
        ["Bearer error=\"insufficient_user_authentication\", error_description=\"More recent authentication is required\", max_age=\"60\""]
    );
    assert_eq!(header(&unauthorized(), "www-authenticate"), ["Bearer"]);
    let bad = bad_credentials(false, "ERR_JWT_EXPIRED");
    assert_eq!(bad.status, 401);
    assert!(header(&bad, "www-authenticate")[0].starts_with("Bearer error=\"invalid_token\""));
    assert_eq!(bad_credentials(true, "malformed").status, 400);
}

#[test]
fn g13_identity_headers_are_plain_ascii() {
    let claims = json!({"sub":"u1","acr":"urn:mfa","amr":["pwd","otp"],"auth_time":123,"x":"y"});
    let headers = identity_headers(claims.as_object().unwrap());
    assert_eq!(
        headers,
        Some(vec![
            ("x-stepup-sub".to_string(), "u1".to_string()),
            ("x-stepup-acr".into(), "urn:mfa".into()),
            ("x-stepup-amr".into(), "pwd otp".into()),
            ("x-stepup-auth-time".into(), "123".into())
        ])
    );
}

/// G20: an identity the upstream cannot be told exactly is no identity at all.
#[test]
fn g20_unrepresentable_identities_are_refused_whole() {
    for claims in [
        json!({"sub":"u1\r\nx-stepup-acr: 3"}),
        json!({"sub":"caf\u{e9}"}),
        json!({"sub":" u1"}),
        json!({"sub":"u 1"}),
        json!({"sub":""}),
        json!({"sub":42}),
        json!({"acr":"2"}),
        json!({"sub":"u1","acr":"a b"}),
        json!({"sub":"u1","amr":["pwd","o tp"]}),
        json!({"sub":"u1","amr":"pwd"}),
        json!({"sub":"u1","auth_time":"123"}),
        json!({"sub":"u1","auth_time":-1}),
    ] {
        assert_eq!(identity_headers(claims.as_object().unwrap()), None, "{claims}");
    }
}

/// G13, G19: every spelling a CGI-style server maps to `HTTP_X_STEPUP_*` is an identity header.
#[test]
fn g13_g19_identity_header_spellings() {
    for name in ["x-stepup-sub", "X-StepUp-Acr", "x_stepup_sub", "x-stepup_acr", "X_STEPUP.AMR", "x-stepup-anything"] {
        assert!(is_identity_header(name), "{name}");
    }
    for name in ["x-stepupsub", "x-step-up-sub", "stepup-sub", "x-stepu", "accept"] {
        assert!(!is_identity_header(name), "{name}");
    }
}

/// G01, G21: the guard's cookies never reach the upstream, in one `Cookie` line or two.
#[test]
fn g01_g21_guard_cookies_are_stripped_from_every_cookie_line() {
    for (header, want) in [
        ("theme=dark", Some("theme=dark")),
        ("__Host-stepup-session=x; theme=dark", Some("theme=dark")),
        ("theme=dark, __Host-stepup-session=x", Some("theme=dark")),
        ("a=1, __Host-stepup-tx-abc=y; b=2", Some("a=1; b=2")),
        ("__host-STEPUP-session=x", None),
        (" __Host-stepup-session =x;a=1", Some("a=1")),
        ("=__Host-stepup-session=x; a=1", Some("a=1")),
        ("\u{a0}__Host-stepup-session=x; a=1", Some("a=1")),
        ("__Host%2Dstepup-session=x; a=1", Some("a=1")),
        ("__Host-stepup-session=x", None),
    ] {
        assert_eq!(upstream_cookie(header).as_deref(), want, "{header:?}");
    }
}

/// G21: `Clear-Site-Data` from the upstream cannot delete the guard's cookies.
#[test]
fn g21_clear_site_data_keeps_the_guard_cookies() {
    assert_eq!(upstream_clear_site_data(r#""cookies""#), None);
    assert_eq!(upstream_clear_site_data(r#""*""#), None);
    assert_eq!(upstream_clear_site_data(r#""cache", "Cookies", "storage""#).as_deref(), Some(r#""cache", "storage""#));
    assert_eq!(upstream_clear_site_data(r#""cookies";x, "cache""#).as_deref(), Some(r#""cache""#));
    assert_eq!(upstream_clear_site_data("cookies"), None);
}

/// G21: the upstream cannot set, replace or delete the guard's cookies.
#[test]
fn g21_upstream_cannot_set_guard_cookies() {
    for line in [
        "__Host-stepup-session=forged; Path=/; Secure",
        "__host-stepup-session=x",
        " __Host-stepup-tx-abc=; Max-Age=0",
        "=__Host-stepup-session=x",
        "__Host-stepup-session",
    ] {
        assert!(!upstream_may_set(line), "{line:?}");
    }
    // Found by the second outside attack: the prefix inside another cookie's value.
    for line in ["pref=x,__Host-stepup-session=v; Path=/", "x=__Host-stepup-session"] {
        assert!(!upstream_may_set(line), "{line:?}");
    }
    for line in ["theme=dark; Path=/", "session=x"] {
        assert!(upstream_may_set(line), "{line:?}");
    }
}

/// Found by the fourth outside attack: the guard's cookie after the first `;` of a `Set-Cookie`
/// line was kept, which a parser that splits lines at `,` reads as a cookie of its own.
#[test]
fn x17_a_set_cookie_holding_the_guards_name_after_its_attributes_is_dropped() {
    for line in [
        "x=y; Max-Age=1,__Host-stepup-session=x",
        "x=y; Path=/, __Host-stepup-session=x; Path=/",
        "x=y; Secure; __host-STEPUP-tx-abc=z",
        "x=y; Domain=app.example,__Host%2Dstepup-session=x",
    ] {
        assert!(!upstream_may_set(line), "{line:?}");
    }
    for line in ["x=y; Max-Age=1, theme=dark", "x=y; Path=/stepup; Secure"] {
        assert!(upstream_may_set(line), "{line:?}");
    }
}

#[test]
fn forward_plans_strip_and_set() {
    let headers: Vec<(String, String)> = [
        ("accept", "*/*"),
        ("x-stepup-sub", "admin"),
        ("x_stepup_acr", "3"),
        ("cookie", "theme=dark, __Host-stepup-session=s"),
        ("authorization", "Basic dXNlcjpwYXNz"),
        ("cookie2", "__Host-stepup-session=s"),
        ("X-Original-URL", "/admin"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let identity = vec![("x-stepup-sub".to_string(), "u1".to_string())];
    let plan = forward("http://app.internal", &target("/a/../b?c"), &headers, identity, true, false);
    assert_eq!(plan.url, "http://app.internal/b?c");
    assert_eq!(plan.remove, ["x-stepup-sub", "x_stepup_acr", "authorization", "cookie2", "X-Original-URL"]);
    assert_eq!(
        plan.set,
        [("x-stepup-sub".to_string(), "u1".to_string()), ("cookie".to_string(), "theme=dark".to_string())]
    );
    assert!(plan.guarded);
}

/// Found by the fourth outside attack: `X_Original_URL` reached the upstream, which CGI, WSGI,
/// Rack and PHP read as `HTTP_X_ORIGINAL_URL` (Zend and Symfony route on it, CVE-2018-14773), as
/// did `proxy_authorization`; and `Proxy` is `HTTP_PROXY` there (httpoxy).
#[test]
fn x11_x20_headers_never_forwarded_are_dropped_in_every_spelling() {
    let spellings = [
        "X-Original-URL",
        "X_Original_URL",
        "X-Original.URL",
        "x.original_url",
        "x_rewrite_url",
        "X-Rewrite.Url",
        "proxy_authorization",
        "Proxy.Authorization",
        "Cookie2",
        "PROXY",
        "proxy",
        // X20: what an application strips as its mount point or reads as the path asked for.
        "X-Script-Name",
        "x_script_name",
        "X-Forwarded-Prefix",
        "x-forwarded-path",
        "X_Original_URI",
        "SCRIPT_NAME",
        "Path-Info",
        "X-Forwarded-Uri",
        "x-envoy-original-path",
        "X-Original-Path",
        "Daphne-Root-Path",
        "X_Forwarded_Script_Name",
        "x-traversal-path",
    ];
    let mut headers: Vec<(String, String)> = spellings.iter().map(|n| (n.to_string(), "/admin".to_string())).collect();
    // Names that only look alike are the application's.
    for name in ["x-original-urls", "x-originalurl", "proxy-x", "x-proxy", "cookie", "accept"] {
        headers.push((name.to_string(), "v".to_string()));
    }
    for guarded in [false, true] {
        let plan = forward("http://app.internal", &target("/a"), &headers, Vec::new(), guarded, true);
        assert_eq!(plan.remove, spellings, "guarded: {guarded}");
    }
}

/// G22: the guard's own answers cannot be sniffed, framed or cached.
#[test]
fn g22_own_answers_carry_protective_headers() {
    for reply in [Reply::page(403, "t", "m"), unauthorized(), bad_credentials(true, "x")] {
        for name in ["x-content-type-options", "content-security-policy", "x-frame-options", "cache-control"] {
            assert_eq!(header(&reply, name).len(), 1, "{name}");
        }
        assert!(header(&reply, "content-security-policy")[0].contains("frame-ancestors 'none'"));
    }
}

/// G22: a deep link too long to keep in the transaction cookie still signs in.
#[test]
fn g22_long_return_paths_are_shortened() {
    let long_query = format!("/a?{}", "q".repeat(MAX_RETURN_TO));
    assert_eq!(kept_return_to(&long_query), "/a");
    let long_path = format!("/{}", "p".repeat(MAX_RETURN_TO));
    assert_eq!(kept_return_to(&long_path), "/");
    assert_eq!(kept_return_to("/a?b"), "/a?b");
}

#[test]
fn debug_shows_no_cookie_or_location_values() {
    let reply = Reply::page(200, "t", "m").with("set-cookie", "__Host-stepup-session=s3cret".into());
    let shown = format!("{reply:?}");
    assert!(shown.contains("set-cookie") && !shown.contains("s3cret"), "{shown}");
}

#[test]
fn x18_a_sign_out_clears_the_session_and_ends_the_providers_session() {
    let config = config("[]");
    let header = |reply: &Reply, name: &str| -> Vec<String> {
        reply.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.clone()).collect()
    };
    let cleared = "__Host-stepup-session=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0";
    // RP-Initiated Logout 1.0 §2: the endpoint's own query kept, client_id and where to come back.
    let (reply, log) = signed_out(&config, "https://app.example", Ok(Some("https://idp.example/end?ui=1")));
    assert_eq!(log, None);
    assert_eq!(reply.status, 303);
    assert_eq!(
        header(&reply, "location"),
        [format!(
            "https://idp.example/end?ui=1&client_id={}&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F",
            config.client_id
        )]
    );
    assert_eq!(header(&reply, "set-cookie"), [cleared]);
    // No end_session_endpoint: signed out here, back to /.
    let (reply, _) = signed_out(&config, "https://app.example", Ok(None));
    assert_eq!((reply.status, header(&reply, "location")), (303, vec!["https://app.example/".to_string()]));
    assert_eq!(header(&reply, "set-cookie"), [cleared]);
    // The provider cannot be reached: still signed out here, and told the rest did not happen;
    // only the log names what failed, since the provider's URLs may be internal (X18).
    let down = Error::FetchFailed("GET https://idp.internal/.well-known/openid-configuration: status 503".into());
    let (reply, log) = signed_out(&config, "https://app.example", Err(&down));
    assert_eq!(reply.status, 503);
    assert_eq!(header(&reply, "set-cookie"), [cleared]);
    assert!(reply.body.contains("signed out here"), "{}", reply.body);
    assert!(!reply.body.contains("idp.internal") && !reply.body.contains("status 503"), "{}", reply.body);
    assert!(log.is_some_and(|log| log.contains("https://idp.internal/")));
    // An end_session_endpoint that is not https is not followed, nor one whose own query would
    // send the browser elsewhere or for another client: signed out here only, and told so.
    for endpoint in [
        "http://idp.example/end",
        "https://idp.example/end?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
        "https://idp.example/end?client_id=other",
        "https://idp.example/end?state=x",
    ] {
        let (reply, log) = signed_out(&config, "https://app.example", Ok(Some(endpoint)));
        assert_eq!((reply.status, header(&reply, "location")), (503, vec![]), "{endpoint}");
        assert_eq!(header(&reply, "set-cookie"), [cleared], "{endpoint}");
        assert!(reply.body.contains("could not be ended") && !reply.body.contains("idp.example"), "{}", reply.body);
        assert!(log.is_some_and(|log| log.contains("end_session_endpoint")), "{endpoint}");
    }
}

/// The upstream's `Cookie` as the plain reading of its doc comment builds it, to hold the
/// allocation-free one to.
fn upstream_cookie_reference(header: &str) -> Option<String> {
    let kept: Vec<String> = header
        .split(';')
        .filter_map(|item| {
            let parts: Vec<&str> = item.split(',').filter(|part| !is_guard_cookie(cookie_name(part))).collect();
            let joined = parts.join(",");
            (!joined.trim().is_empty()).then(|| joined.trim().to_string())
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

#[test]
fn g01_the_upstream_cookie_is_the_request_cookie_without_the_guards() {
    let pieces = [
        "a=1",
        " b=2",
        "__Host-stepup-session=x",
        "__host-STEPUP-tx-1=y",
        "%5F_Host-stepup-session=z",
        "",
        " ",
        "=__Host-stepup-session",
        "c",
        "d=e=f",
        "pref=x",
        "théme=é",
    ];
    let mut checked = 0;
    for a in pieces {
        for b in pieces {
            for c in pieces {
                for (s1, s2) in [(";", ";"), (", ", "; "), (",", ","), ("; ", ",")] {
                    let header = format!("{a}{s1}{b}{s2}{c}");
                    assert_eq!(upstream_cookie(&header), upstream_cookie_reference(&header), "{header:?}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 5000);
    assert_eq!(upstream_cookie("a=1;__Host-stepup-session=x, b=2").as_deref(), Some("a=1; b=2"));
    assert!(is_guard_cookie("x%5f_HOST-stepup-"));
    assert!(!is_guard_cookie("__Host-stepup"));
}

#[test]
fn the_guarded_answers_names_are_lower_case() {
    // The shell drops these by a case-sensitive lookup of the names Fetch `Headers` lists, which
    // are lower-case (js/guard.js): a name written otherwise here would silently stay.
    let names = GUARDED_ANSWER
        .remove
        .iter()
        .copied()
        .chain([GUARDED_ANSWER.remove_ending])
        .chain(GUARDED_ANSWER.set.iter().chain(GUARDED_ANSWER.append).map(|(name, _)| *name));
    for name in names {
        assert_eq!(name, name.to_ascii_lowercase());
    }
}

#[test]
fn x18_the_guards_own_failures_name_the_setting_never_its_internals() {
    // Found by the fourth outside attack: the provider's (internal) URL and the runtime's error
    // were on the page; they go to the log only.
    let why = "GET http://127.0.0.1:1/internal/secret-path/.well-known/openid-configuration: Network connection lost.";
    let (page, log) = failure(&Error::FetchFailed(why.into()));
    assert_eq!(page.status, 503);
    assert!(page.body.contains("The identity provider cannot be reached. Try again later."), "{}", page.body);
    for detail in ["127.0.0.1", "secret-path", "openid-configuration", "GET", "Network connection lost"] {
        assert!(!page.body.contains(detail), "{detail}: {}", page.body);
    }
    assert_eq!(log.as_deref(), Some(format!("stepup guard: the identity provider cannot be reached: {why}").as_str()));
    let setting = Error::arg_value("STEPUP_RULES[0].acr[0]", "\"LOA3\" is not in the provider's acr_values_supported");
    assert!(misconfigured(&setting));
    let (page, log) = failure(&setting);
    assert_eq!(page.status, 503);
    assert!(page.body.contains("stepup is misconfigured: &quot;STEPUP_RULES[0].acr[0]&quot;"), "{}", page.body);
    assert_eq!(log.as_deref(), Some(format!("stepup is misconfigured: {setting}").as_str()));
    // Anything else is the guard's own fault: the log says what, the page does not.
    let internal = Error::JwksInvalid("secret detail".into());
    assert!(!misconfigured(&internal) && !misconfigured(&Error::arg_value("token", "x")));
    let (page, log) = failure(&internal);
    assert_eq!(page.status, 500);
    assert!(!page.body.contains("secret detail"));
    assert!(log.unwrap().contains("secret detail"));
    for (page, _) in [failure(&internal), failure(&setting)] {
        assert_eq!(header(&page, "cache-control"), ["no-store"]);
    }
}

#[test]
fn an_upstream_that_fails_is_a_gateway_error() {
    assert_eq!(upstream_failed(true).status, 504);
    assert_eq!(upstream_failed(false).status, 502);
    assert_eq!(header(&upstream_failed(true), "cache-control"), ["no-store"]);
}
