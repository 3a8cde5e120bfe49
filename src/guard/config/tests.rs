use super::*;
use crate::access_token::Profile;
use crate::discovery::parse_discovery_document;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = [
        ("STEPUP_ISSUER", "https://idp.example"),
        ("STEPUP_CLIENT_ID", "edge"),
        ("STEPUP_SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("STEPUP_RULES", r#"[{"path":"/admin/*","acr":["LOA3"]}]"#),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in pairs {
        if v.is_empty() {
            env.remove(*k);
        } else {
            env.insert(k.to_string(), v.to_string());
        }
    }
    env
}

#[test]
fn defaults() {
    let config = Config::from_env(&env(&[])).unwrap();
    assert_eq!(config.redirect_path, "/callback");
    assert_eq!(config.upstream, None);
    assert_eq!(config.policy, AcrPolicy::default());
    assert_eq!(config.session_max_age, DEFAULT_SESSION_MAX_AGE);
    assert_eq!(config.refresh, crate::refresh::Policy::default());
    assert!(config.client_secret.is_none() && config.api_audience.is_none());
    assert_eq!(config.access_token_profile, Verification::Signed(Profile::Rfc9068));
    assert_eq!(config.introspection_cache, 60);
}

#[test]
fn access_token_profiles_by_name_and_by_provider() {
    let secret = ("STEPUP_CLIENT_SECRET", "s");
    let profile = |value: &str| Config::from_env(&env(&[("STEPUP_ACCESS_TOKEN_PROFILE", value), secret]));
    assert_eq!(profile("rfc9068").unwrap().access_token_profile, Verification::Signed(Profile::Rfc9068));
    assert_eq!(profile("jwt").unwrap().access_token_profile, Verification::Signed(Profile::Jwt));
    assert_eq!(profile("introspection").unwrap().access_token_profile, Verification::Introspection);
    // What the provider issues by default (access_token::issued_by).
    assert_eq!(profile("fief").unwrap().access_token_profile, Verification::Signed(Profile::Jwt));
    assert_eq!(profile("auth0").unwrap().access_token_profile, Verification::Signed(Profile::Jwt));
    assert_eq!(profile("wso2").unwrap().access_token_profile, Verification::Introspection);
    assert_eq!(profile("janssen").unwrap().access_token_profile, Verification::Introspection);
    let err = profile("opaque").unwrap_err();
    assert_eq!(err.param(), Some("STEPUP_ACCESS_TOKEN_PROFILE"));
    assert!(err.to_string().contains("introspection"), "{err}");
}

#[test]
fn rfc7662_2_1_introspection_needs_client_credentials_and_an_endpoint() {
    for name in ["introspection", "wso2"] {
        let err = Config::from_env(&env(&[("STEPUP_ACCESS_TOKEN_PROFILE", name)])).unwrap_err();
        assert_eq!(err.param(), Some("STEPUP_ACCESS_TOKEN_PROFILE"));
        assert!(err.to_string().contains("STEPUP_CLIENT_SECRET"), "{err}");
    }
    let config =
        Config::from_env(&env(&[("STEPUP_ACCESS_TOKEN_PROFILE", "janssen"), ("STEPUP_CLIENT_SECRET", "s")])).unwrap();
    let document = |extra: &str| {
        let text = format!(
            r#"{{"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/auth","token_endpoint":"https://idp.example/token","jwks_uri":"https://idp.example/jwks"{extra}}}"#
        );
        parse_discovery_document(text.as_bytes(), "https://idp.example").unwrap()
    };
    let err = config.check_against(&document("")).unwrap_err();
    assert_eq!(err.param(), Some("STEPUP_ACCESS_TOKEN_PROFILE"));
    assert!(err.to_string().contains("introspection_endpoint"), "{err}");
    assert_eq!(
        config.check_against(&document(r#","introspection_endpoint":"https://idp.example/introspect""#)),
        Ok(())
    );
    // Other profiles do not need it.
    assert_eq!(Config::from_env(&env(&[])).unwrap().check_against(&document("")), Ok(()));
}

#[test]
fn introspection_answers_are_kept_for_a_bounded_time() {
    let cache = |value: &str| Config::from_env(&env(&[("STEPUP_INTROSPECTION_CACHE_SECONDS", value)]));
    assert_eq!(cache("0").unwrap().introspection_cache, 0);
    assert_eq!(cache("3600").unwrap().introspection_cache, 3600);
    for bad in ["3601", "-1", "1.5", "soon"] {
        assert_eq!(cache(bad).unwrap_err().param(), Some("STEPUP_INTROSPECTION_CACHE_SECONDS"), "{bad}");
    }
}

#[test]
fn presets_json_policies_and_upstreams() {
    let config =
        Config::from_env(&env(&[("STEPUP_ACR_POLICY", "wso2"), ("STEPUP_UPSTREAM", "http://127.0.0.1:8080/")]))
            .unwrap();
    assert_eq!(config.policy, preset("wso2").unwrap());
    assert_eq!(config.upstream.as_deref(), Some("http://127.0.0.1:8080"));
    let public = Config::from_env(&env(&[("STEPUP_PUBLIC_ORIGIN", "https://App.Example/")])).unwrap();
    assert_eq!(public.public_origin.as_deref(), Some("https://app.example"));
    let json = Config::from_env(&env(&[("STEPUP_ACR_POLICY", r#"{"ladder":["a",["b","c"]]}"#)])).unwrap();
    assert_eq!(json.policy.ladder.len(), 2);
}

#[test]
fn key_refresh_timing_is_tunable() {
    let config = Config::from_env(&env(&[("STEPUP_KEYS_COOLDOWN", "1"), ("STEPUP_KEYS_MAX_AGE", "120")])).unwrap();
    assert_eq!(config.refresh, crate::refresh::Policy { max_age: 120.0, cooldown: 1.0 });
}

#[test]
fn every_bad_setting_is_named() {
    let cases: &[(&str, &str, &str)] = &[
        ("STEPUP_ISSUER", "", "STEPUP_ISSUER"),
        ("STEPUP_ISSUER", "http://idp.example", "STEPUP_ISSUER"),
        ("STEPUP_ISSUER", "https://idp.example?x=1", "STEPUP_ISSUER"),
        ("STEPUP_CLIENT_ID", "", "STEPUP_CLIENT_ID"),
        ("STEPUP_SESSION_SECRET", "short", "STEPUP_SESSION_SECRET"),
        ("STEPUP_SESSION_SECRET", "", "STEPUP_SESSION_SECRET"),
        ("STEPUP_REDIRECT_PATH", "callback", "STEPUP_REDIRECT_PATH"),
        ("STEPUP_REDIRECT_PATH", "//evil.example/cb", "STEPUP_REDIRECT_PATH"),
        ("STEPUP_REDIRECT_PATH", "/call%2Fback", "STEPUP_REDIRECT_PATH"),
        ("STEPUP_REDIRECT_PATH", "/callback.", "STEPUP_REDIRECT_PATH"),
        ("STEPUP_UPSTREAM", "ftp://x", "STEPUP_UPSTREAM"),
        ("STEPUP_UPSTREAM", "https://app/path", "STEPUP_UPSTREAM"),
        ("STEPUP_ACR_POLICY", "okta", "STEPUP_ACR_POLICY"),
        ("STEPUP_ACR_POLICY", r#"{"ladder":[[]]}"#, "STEPUP_ACR_POLICY.ladder[0]"),
        ("STEPUP_ACR_POLICY", r#"{"ladder":["a"],"ladder":["b"]}"#, "STEPUP_ACR_POLICY"),
        ("STEPUP_RULES", "", "STEPUP_RULES"),
        ("STEPUP_RULES", r#"[{"path":"/a","acr":"urn:mfa\", realm=\"x"}]"#, "STEPUP_RULES[0].acr[0]"),
        ("STEPUP_SESSION_MAX_AGE", "forever", "STEPUP_SESSION_MAX_AGE"),
        ("STEPUP_KEYS_COOLDOWN", "0", "STEPUP_KEYS_COOLDOWN"),
        ("STEPUP_PUBLIC_ORIGIN", "https://app.example/path", "STEPUP_PUBLIC_ORIGIN"),
        ("STEPUP_KEYS_MAX_AGE", "-5", "STEPUP_KEYS_MAX_AGE"),
        (
            "STEPUP_DISCOVERY_URL",
            "http://idp.example/jans-auth/.well-known/openid-configuration",
            "STEPUP_DISCOVERY_URL",
        ),
        ("STEPUP_DISCOVERY_URL", "/jans-auth/.well-known/openid-configuration", "STEPUP_DISCOVERY_URL"),
        ("STEPUP_LOGOUT_PATH", "logout", "STEPUP_LOGOUT_PATH"),
        ("STEPUP_LOGOUT_PATH", "/log%2Fout", "STEPUP_LOGOUT_PATH"),
        ("STEPUP_LOGOUT_PATH", "/Callback", "STEPUP_LOGOUT_PATH"),
        ("STEPUP_LOGOUT_PATH", "/logout/*", "STEPUP_LOGOUT_PATH"),
        ("STEPUP_ACCESS_TOKEN_PROFILE", "JWT", "STEPUP_ACCESS_TOKEN_PROFILE"),
        ("STEPUP_ACCESS_TOKEN_PROFILE", "eidas", "STEPUP_ACCESS_TOKEN_PROFILE"),
        ("STEPUP_ACCESS_TOKEN_PROFILE", "opaque", "STEPUP_ACCESS_TOKEN_PROFILE"),
    ];
    for (name, value, param) in cases {
        let err = Config::from_env(&env(&[(name, value)])).unwrap_err();
        assert_eq!(err.param(), Some(*param), "{name}={value}: {err}");
        assert!(err.is_caller_mistake(), "{name}={value}");
    }
}

#[test]
fn rules_the_provider_cannot_satisfy_are_refused() {
    let metadata = |acr: &str| {
        let doc = format!(
            r#"{{"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/auth",
            "token_endpoint":"https://idp.example/token","jwks_uri":"https://idp.example/jwks"{acr}}}"#
        );
        parse_discovery_document(doc.as_bytes(), "https://idp.example").unwrap()
    };
    let config = Config::from_env(&env(&[])).unwrap();
    config.check_against(&metadata("")).unwrap();
    config.check_against(&metadata(r#","acr_values_supported":["LOA2","LOA3"]"#)).unwrap();
    let err = config.check_against(&metadata(r#","acr_values_supported":["LOA1","LOA2"]"#)).unwrap_err();
    assert_eq!(err.param(), Some("STEPUP_RULES[0].acr[0]"));
}

#[test]
fn discovery_is_at_the_issuer_unless_set() {
    let config = Config::from_env(&env(&[])).unwrap();
    assert_eq!(config.discovery_url, "https://idp.example/.well-known/openid-configuration");
    let janssen = "https://idp.example/jans-auth/.well-known/openid-configuration";
    let config = Config::from_env(&env(&[("STEPUP_DISCOVERY_URL", janssen)])).unwrap();
    assert_eq!(config.discovery_url, janssen);
}

#[test]
fn debug_shows_no_client_secret() {
    let env: std::collections::BTreeMap<String, String> = [
        ("STEPUP_ISSUER", "https://idp.example"),
        ("STEPUP_CLIENT_ID", "edge"),
        ("STEPUP_CLIENT_SECRET", "cl1ent-s3cret"),
        ("STEPUP_SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("STEPUP_RULES", "[]"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let shown = format!("{:?}", Config::from_env(&env).unwrap());
    assert!(!shown.contains("cl1ent-s3cret") && !shown.contains("0123456789abcdef"), "{shown}");
}
