use serde_json::json;

use super::auth0::{params_from_auth0, params_from_lock};
use super::*;
use crate::options::FromJson;
use crate::url::parse_query;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn base() -> AuthorizationRequest {
    AuthorizationRequest {
        authorization_endpoint: "https://idp.example/authorize".into(),
        client_id: "client 1".into(),
        redirect_uri: "https://app.example/callback".into(),
        state: "s&t=a#te".into(),
        code_challenge: CHALLENGE.into(),
        ..Default::default()
    }
}

fn params(url: &str) -> Vec<(String, String)> {
    parse_query(url.split_once('?').unwrap().1).unwrap()
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
}

#[test]
fn minimal_request_has_code_flow_with_pkce_and_openid() {
    let url = build_authorization_url(&base()).unwrap();
    assert!(url.starts_with("https://idp.example/authorize?response_type=code&client_id=client%201&"));
    let p = params(&url);
    assert_eq!(get(&p, "response_type"), ["code"]);
    assert_eq!(get(&p, "scope"), ["openid"]);
    assert_eq!(get(&p, "state"), ["s&t=a#te"]);
    assert_eq!(get(&p, "code_challenge"), [CHALLENGE]);
    assert_eq!(get(&p, "code_challenge_method"), ["S256"]);
    assert!(get(&p, "acr_values").is_empty() && get(&p, "nonce").is_empty());
}

#[test]
fn f17_step_up_request_values_are_encoded_exactly_once() {
    let req = AuthorizationRequest {
        nonce: Some("n-0".into()),
        scope: Some("profile email".into()),
        acr_values: vec!["urn:a".into(), "http://schemas.openid.net/pape/policies/2007/06/multi-factor".into()],
        max_age: Some(300),
        prompt: Some("login".into()),
        login_hint: Some("jösé+1@example.com".into()),
        ui_locales: Some("fr-CA fr".into()),
        extra_params: [("audience".to_string(), "https://api.example/?a=b&c".to_string())].into(),
        ..base()
    };
    let url = build_authorization_url(&req).unwrap();
    assert!(!url.contains(' ') && !url.contains('+'), "{url}");
    let p = params(&url);
    assert_eq!(get(&p, "scope"), ["openid profile email"]);
    assert_eq!(get(&p, "acr_values"), ["urn:a http://schemas.openid.net/pape/policies/2007/06/multi-factor"]);
    assert_eq!(get(&p, "max_age"), ["300"]);
    assert_eq!(get(&p, "prompt"), ["login"]);
    assert_eq!(get(&p, "login_hint"), ["jösé+1@example.com"]);
    assert_eq!(get(&p, "ui_locales"), ["fr-CA fr"]);
    assert_eq!(get(&p, "audience"), ["https://api.example/?a=b&c"]);
    assert_eq!(p.len(), 14, "{p:?}");
}

#[test]
fn openid_is_added_once_and_kept_in_place() {
    for (scope, want) in [("email", "openid email"), ("email openid", "email openid"), ("openid", "openid")] {
        let url = build_authorization_url(&AuthorizationRequest { scope: Some(scope.into()), ..base() }).unwrap();
        assert_eq!(get(&params(&url), "scope"), [want]);
    }
}

#[test]
fn essential_acr_sends_a_claims_request() {
    let req = AuthorizationRequest {
        acr_values: vec!["LOA3".into(), "LOA2".into()],
        essential_acr: true,
        claims: Some(
            json!({"userinfo": {"email": null}, "id_token": {"auth_time": {"essential": true}}})
                .as_object()
                .unwrap()
                .clone(),
        ),
        ..base()
    };
    let url = build_authorization_url(&req).unwrap();
    let p = params(&url);
    let claims: serde_json::Value = serde_json::from_str(get(&p, "claims")[0]).unwrap();
    assert_eq!(
        claims,
        json!({"userinfo": {"email": null}, "id_token": {"auth_time": {"essential": true},
            "acr": {"essential": true, "values": ["LOA3", "LOA2"]}}})
    );
    assert_eq!(get(&p, "acr_values"), ["LOA3 LOA2"]);
}

#[test]
fn endpoint_query_is_kept_and_may_not_set_reserved_params() {
    let req =
        AuthorizationRequest { authorization_endpoint: "https://idp.example/authorize?tenant=a%20b".into(), ..base() };
    let url = build_authorization_url(&req).unwrap();
    assert!(url.starts_with("https://idp.example/authorize?tenant=a%20b&response_type=code&"), "{url}");
    for bad in [
        "https://idp.example/a?client_id=x",
        "https://idp.example/a?x=1&response_type=token",
        "https://idp.example/a?code_challenge_method=plain",
    ] {
        let err = build_authorization_url(&AuthorizationRequest { authorization_endpoint: bad.into(), ..base() })
            .unwrap_err();
        assert_eq!(err.param(), Some("authorizationEndpoint"), "{bad}");
    }
}

#[test]
fn extra_params_cannot_override_reserved_ones() {
    for name in RESERVED_PARAMS {
        let req = AuthorizationRequest { extra_params: [(name.to_string(), "x".to_string())].into(), ..base() };
        let err = build_authorization_url(&req).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE");
        assert_eq!(err.param(), Some(format!("extraParams.{name}").as_str()));
    }
}

#[test]
fn bad_values_are_refused_with_the_option_named() {
    let cases: Vec<(AuthorizationRequest, &str)> = vec![
        (AuthorizationRequest { client_id: "".into(), ..base() }, "clientId"),
        (AuthorizationRequest { state: "".into(), ..base() }, "state"),
        (AuthorizationRequest { nonce: Some("".into()), ..base() }, "nonce"),
        (AuthorizationRequest { code_challenge: "plain-verifier".into(), ..base() }, "codeChallenge"),
        (AuthorizationRequest { redirect_uri: "/callback".into(), ..base() }, "redirectUri"),
        (AuthorizationRequest { redirect_uri: "https://app.example/cb#x".into(), ..base() }, "redirectUri"),
        (AuthorizationRequest { redirect_uri: "http://app.example/cb".into(), ..base() }, "redirectUri"),
        (AuthorizationRequest { redirect_uri: "com.example.app:/cb#x".into(), ..base() }, "redirectUri"),
        (
            AuthorizationRequest { authorization_endpoint: "http://idp.example/a".into(), ..base() },
            "authorizationEndpoint",
        ),
        (AuthorizationRequest { scope: Some("a  b".into()), ..base() }, "scope"),
        (AuthorizationRequest { scope: Some("a\r\nb".into()), ..base() }, "scope"),
        (AuthorizationRequest { acr_values: vec!["urn:a urn:b".into()], ..base() }, "acrValues[0]"),
        (AuthorizationRequest { acr_values: vec!["a".into(), "".into()], ..base() }, "acrValues[1]"),
        (AuthorizationRequest { acr_values: vec!["a".into(), "a".into()], ..base() }, "acrValues[1]"),
        (AuthorizationRequest { acr_values: vec!["é".into()], ..base() }, "acrValues[0]"),
        (AuthorizationRequest { prompt: Some("none login".into()), ..base() }, "prompt"),
        (AuthorizationRequest { prompt: Some("login\n".into()), ..base() }, "prompt"),
        (AuthorizationRequest { essential_acr: true, ..base() }, "essentialAcr"),
        (
            AuthorizationRequest { claims: Some(json!({"other": {}}).as_object().unwrap().clone()), ..base() },
            "claims.other",
        ),
        (
            AuthorizationRequest {
                acr_values: vec!["a".into()],
                essential_acr: true,
                claims: Some(json!({"id_token": {"acr": {}}}).as_object().unwrap().clone()),
                ..base()
            },
            "claims.id_token.acr",
        ),
    ];
    for (req, param) in cases {
        let err = build_authorization_url(&req).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{param}");
        assert_eq!(err.param(), Some(param), "{err}");
    }
}

#[test]
fn private_use_redirect_uris_are_allowed() {
    let req = AuthorizationRequest { redirect_uri: "com.example.app:/oauth2redirect".into(), ..base() };
    build_authorization_url(&req).unwrap();
}

#[test]
fn auth0_js_options_map_to_params() {
    let options = json!({
        "domain": "tenant.auth0.com", "clientID": "abc", "redirectUri": "https://app.example/cb",
        "responseType": "code", "scope": "openid profile", "state": "st", "nonce": "no",
        "connection": "google-oauth2",
        "acr_values": "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
        "max_age": "60", "prompt": "login", "login_hint": "a@b", "audience": "https://api"
    });
    let out = params_from_auth0(options.as_object().unwrap()).unwrap();
    assert_eq!(
        serde_json::Value::Object(out.clone()),
        json!({
            "authorizationEndpoint": "https://tenant.auth0.com/authorize", "clientId": "abc",
            "redirectUri": "https://app.example/cb", "scope": "openid profile", "state": "st",
            "nonce": "no", "acrValues": ["http://schemas.openid.net/pape/policies/2007/06/multi-factor"],
            "maxAge": 60, "prompt": "login", "loginHint": "a@b",
            "extraParams": {"connection": "google-oauth2", "audience": "https://api"}
        })
    );
    let mut with_pkce = out;
    with_pkce.insert("codeChallenge".into(), CHALLENGE.into());
    let req = AuthorizationRequest::from_json(&serde_json::Value::Object(with_pkce), "").unwrap();
    let url = build_authorization_url(&req).unwrap();
    assert_eq!(get(&params(&url), "connection"), ["google-oauth2"]);
}

#[test]
fn auth0_js_options_that_cannot_work_are_refused() {
    for (options, param) in [
        (json!({"clientID": "a"}), "options.domain"),
        (json!({"domain": "t.auth0.com"}), "options.clientID"),
        (json!({"domain": "https://t.auth0.com", "clientID": "a"}), "options.domain"),
        (json!({"domain": "t.auth0.com/x", "clientID": "a"}), "options.domain"),
        (json!({"domain": "t.auth0.com", "clientID": "a", "responseType": "token id_token"}), "options.responseType"),
        (json!({"domain": "t.auth0.com", "clientID": "a", "responseMode": "fragment"}), "options.responseMode"),
        (json!({"domain": "t.auth0.com", "clientID": "a", "max_age": -1}), "options.max_age"),
        (json!({"domain": "t.auth0.com", "clientID": "a", "acr_values": "a  b"}), "options.acr_values"),
        (json!({"domain": "t.auth0.com", "clientID": "a", "custom": {"x": 1}}), "options.custom"),
    ] {
        let err = params_from_auth0(options.as_object().unwrap()).unwrap_err();
        assert_eq!(err.param(), Some(param), "{err}");
    }
}

#[test]
fn lock_options_map_to_params_in_both_documented_forms() {
    let mfa = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
    let nested = json!({"theme": {"primaryColor": "#000"}, "auth": {"redirectUrl": "https://app.example/cb",
        "responseType": "code", "sso": true, "params": {"scope": "openid email", "acr_values": mfa, "state": "s"}}});
    let seed_form = json!({"auth": {"redirectUrl": "https://app.example/cb", "acr_values": mfa,
        "params": {"scope": "openid email", "state": "s"}}});
    let a = params_from_lock("cid", "account.auth0.com", nested.as_object().unwrap()).unwrap();
    let b = params_from_lock("cid", "account.auth0.com", seed_form.as_object().unwrap()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a["acrValues"], json!([mfa]));
    assert_eq!(a["authorizationEndpoint"], "https://account.auth0.com/authorize");
    let conflict = json!({"auth": {"acr_values": "x", "params": {"acr_values": "y"}}});
    assert!(params_from_lock("cid", "a.auth0.com", conflict.as_object().unwrap()).is_err());
    let unknown = json!({"auth": {"redirectUrl": "https://a/cb", "paramz": {}}});
    assert_eq!(
        params_from_lock("cid", "a.auth0.com", unknown.as_object().unwrap()).unwrap_err().param(),
        Some("options.auth.paramz")
    );
}

#[test]
fn debug_output_leaves_state_and_nonce_out() {
    let req = AuthorizationRequest {
        state: "state-Zq3vW9xK".into(),
        nonce: Some("nonce-Hk2mP7rT".into()),
        login_hint: Some("alice".into()),
        ..base()
    };
    let shown = format!("{req:?}");
    assert!(!shown.contains("state-Zq3vW9xK") && !shown.contains("nonce-Hk2mP7rT"), "{shown}");
    assert!(shown.contains(r#"state: <redacted>, code_challenge: ""#), "{shown}");
    assert!(shown.contains("nonce: Some(<redacted>)") && shown.contains("alice"), "{shown}");
}
