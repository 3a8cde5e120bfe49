use std::collections::BTreeMap;

use serde_json::json;

use super::*;
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

fn header<'a>(reply: &'a Reply, name: &str) -> Vec<&'a str> {
    reply.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
}

#[test]
fn routes() {
    let config = config(r#"[{"path":"/admin/*","acr":"2"}]"#);
    assert_eq!(route(&config, "/callback"), Route::Callback);
    assert_eq!(route(&config, "/CALLBACK/"), Route::Callback);
    assert_eq!(route(&config, "/public"), Route::Open);
    assert!(matches!(route(&config, "/Admin/../admin/x"), Route::Guarded(_)));
}

#[test]
fn g14_apis_get_challenges() {
    let config = config(r#"[{"path":"/a/*"},{"path":"/b/*","api":true}]"#);
    let Route::Guarded(page) = route(&config, "/a/x") else { panic!() };
    let Route::Guarded(api) = route(&config, "/b/x") else { panic!() };
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
    assert_eq!(get("prompt"), None, "not only freshness");
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
        vec![
            ("x-stepup-sub".to_string(), "u1".to_string()),
            ("x-stepup-acr".into(), "urn:mfa".into()),
            ("x-stepup-amr".into(), "pwd otp".into()),
            ("x-stepup-auth-time".into(), "123".into())
        ]
    );
    let hostile = json!({"sub":"u1\r\nx-stepup-acr: 3"});
    assert!(identity_headers(hostile.as_object().unwrap()).is_empty());
}

#[test]
fn pages_escape_what_they_show() {
    let page = Reply::page(403, "Refused", "<script>alert(1)</script>");
    assert!(page.body.contains("&lt;script&gt;") && !page.body.contains("<script>"));
}
