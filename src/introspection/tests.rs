use serde_json::{json, Value};

use super::*;

const ENDPOINT: &str = "https://idp.example/introspect";
const NOW: f64 = 1_700_000_000.0;

fn opts() -> AccessTokenOptions {
    AccessTokenOptions {
        issuer: "https://idp.example".into(),
        audience: "https://api.example".into(),
        ..AccessTokenOptions::default()
    }
}

/// An answer as oidc-provider gives it for an opaque access token (its introspection action).
fn active() -> Value {
    json!({
        "active": true, "sub": "alice", "client_id": "spa", "iss": "https://idp.example",
        "aud": "https://api.example", "exp": NOW + 600.0, "iat": NOW - 10.0, "scope": "api:read",
        "token_type": "Bearer", "acr": "LOA2", "amr": ["pwd", "otp"], "auth_time": NOW - 20.0,
    })
}

fn with(changes: Value) -> Value {
    let mut answer = active();
    for (name, value) in changes.as_object().unwrap() {
        match value {
            Value::Null => answer.as_object_mut().unwrap().remove(name),
            value => answer.as_object_mut().unwrap().insert(name.clone(), value.clone()),
        };
    }
    answer
}

fn read(status: u16, answer: &Value) -> Result<Object> {
    read_answer(ENDPOINT, status, answer.to_string().as_bytes(), &opts(), NOW)
}

fn claim(result: Result<Object>) -> Option<&'static str> {
    match result {
        Err(Error::ClaimValidationFailed { claim, .. }) => Some(claim),
        other => panic!("expected a claim refusal, got {other:?}"),
    }
}

#[test]
fn rfc7662_2_1_the_request_is_authenticated_and_hinted() {
    let client = ClientAuth { client_id: "edge", secret: Some("s") };
    let r = request(&client, "a+b/c=");
    assert_eq!(r.body, "token=a%2Bb%2Fc%3D&token_type_hint=access_token");
    assert_eq!(r.authorization.as_deref(), Some("Basic ZWRnZTpz"));
    assert!(!format!("{r:?}").contains("a+b"));
}

#[test]
fn rfc7662_2_2_an_active_token_gives_its_claims() {
    let claims = read(200, &active()).unwrap();
    assert_eq!(claims.get("sub"), Some(&json!("alice")));
    assert_eq!(claims.get("acr"), Some(&json!("LOA2")));
    // Optional members (RFC 7662 §2.2): no `iss`, no `exp`, no `token_type`, `aud` an array.
    let bare = with(json!({"iss": null, "exp": null, "token_type": null, "aud": ["x", "https://api.example"]}));
    assert!(read(200, &bare).is_ok());
    for kind in ["bearer", "BEARER", "access_token"] {
        assert!(read(200, &with(json!({ "token_type": kind }))).is_ok(), "{kind}");
    }
}

#[test]
fn rfc7662_2_2_only_a_boolean_true_is_believed() {
    // The provider refusing: a token refused, `401 invalid_token`.
    assert_eq!(claim(read(200, &json!({"active": false}))), Some("active"));
    assert_eq!(claim(read(200, &with(json!({"active": false})))), Some("active"));
    // Not an answer: the provider failing, never a token accepted or refused.
    for bad in [json!("true"), json!(1), json!(null), json!({}), json!([true])] {
        assert!(matches!(read(200, &with(json!({ "active": bad.clone() }))), Err(Error::FetchFailed(_))), "{bad}");
    }
}

#[test]
fn rfc7662_2_3_anything_but_a_json_200_is_the_provider_failing() {
    for status in [201, 400, 401, 403, 500, 503] {
        let e = read(status, &active()).unwrap_err();
        assert!(matches!(&e, Error::FetchFailed(why) if why.contains(ENDPOINT)), "{status}: {e:?}");
    }
    for body in ["", "not json", "[]", r#"{"active":true,"active":true}"#, "<html>"] {
        let e = read_answer(ENDPOINT, 200, body.as_bytes(), &opts(), NOW).unwrap_err();
        assert!(matches!(&e, Error::FetchFailed(why) if why.contains(ENDPOINT)), "{body}: {e:?}");
    }
}

#[test]
fn e13_the_answer_is_for_this_issuer_and_this_api() {
    assert_eq!(claim(read(200, &with(json!({"iss": "https://evil.example"})))), Some("iss"));
    assert_eq!(claim(read(200, &with(json!({"aud": "https://other-api.example"})))), Some("aud"));
    // RFC 7662 makes `aud` optional; without it any token the provider issued would do.
    assert_eq!(claim(read(200, &with(json!({"aud": null})))), Some("aud"));
}

#[test]
fn e14_time_and_subject_as_the_jwt_profile() {
    assert_eq!(read(200, &with(json!({"exp": NOW - 31.0}))).unwrap_err(), Error::JwtExpired);
    // Within the clock tolerance.
    assert!(read(200, &with(json!({"exp": NOW - 29.0}))).is_ok());
    assert_eq!(claim(read(200, &with(json!({"exp": "soon"})))), Some("exp"));
    assert_eq!(claim(read(200, &with(json!({"nbf": NOW + 60.0})))), Some("nbf"));
    assert_eq!(claim(read(200, &with(json!({"iat": NOW + 60.0})))), Some("iat"));
    assert_eq!(claim(read(200, &with(json!({"sub": null})))), Some("sub"));
    assert_eq!(claim(read(200, &with(json!({"auth_time": NOW + 60.0})))), Some("auth_time"));
    assert_eq!(claim(read(200, &with(json!({"acr": 2})))), Some("acr"));
}

#[test]
fn e15_only_bearer_access_tokens() {
    for kind in [json!("refresh_token"), json!("DPoP"), json!("N_A"), json!(1)] {
        assert_eq!(claim(read(200, &with(json!({ "token_type": kind.clone() })))), Some("token_type"), "{kind}");
    }
    assert_eq!(claim(read(200, &with(json!({"cnf": {"jkt": "x"}})))), Some("cnf"));
}

fn claims() -> Object {
    read(200, &active()).unwrap()
}

#[test]
fn the_cache_keeps_answers_for_its_bound_and_never_past_exp() {
    let mut cache = Cache::new(60);
    cache.keep(digest("t"), claims(), NOW);
    assert_eq!(cache.get(&digest("t"), NOW + 59.9).and_then(|c| c.get("sub").cloned()), Some(json!("alice")));
    assert_eq!(cache.get(&digest("t"), NOW + 60.0), None);
    assert_eq!(cache.get(&digest("other"), NOW), None);
    // A token expiring in 10 s is kept 10 s, not 60.
    let mut short = claims();
    short.insert("exp".into(), json!(NOW + 10.0));
    cache.keep(digest("s"), short, NOW);
    assert!(cache.get(&digest("s"), NOW + 9.0).is_some());
    assert_eq!(cache.get(&digest("s"), NOW + 10.0), None);
    // 0 disables it.
    let mut off = Cache::new(0);
    off.keep(digest("t"), claims(), NOW);
    assert_eq!(off.get(&digest("t"), NOW), None);
}

#[test]
fn the_cache_holds_hashes_not_tokens_and_is_bounded() {
    let mut cache = Cache::new(60);
    cache.keep(digest("s3cret-token"), claims(), NOW);
    assert!(!format!("{cache:?}").contains("s3cret-token"));
    for i in 0..CACHE_ENTRIES + 10 {
        cache.keep(digest(&format!("token-{i}")), claims(), NOW + i as f64 / 1000.0);
    }
    assert_eq!(cache.entries.len(), CACHE_ENTRIES);
    // The soonest to expire went first; the newest stays.
    assert_eq!(cache.get(&digest("s3cret-token"), NOW), None);
    assert!(cache.get(&digest(&format!("token-{}", CACHE_ENTRIES + 9)), NOW + 2.0).is_some());
    // Expired answers make room before live ones are dropped.
    cache.keep(digest("late"), claims(), NOW + 61.0);
    assert!(cache.entries.len() < CACHE_ENTRIES && cache.get(&digest("late"), NOW + 61.0).is_some());
}
