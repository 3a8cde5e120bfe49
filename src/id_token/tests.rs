use serde_json::json;

use super::*;
use crate::options::FromJson;

const NOW: f64 = 1_795_348_751.0;

fn claims(changes: Value) -> Object {
    let mut c = json!({"iss": "https://idp.example", "sub": "u1", "aud": "client-1", "exp": NOW + 300.0, "iat": NOW, "nonce": "n"});
    for (k, v) in changes.as_object().unwrap() {
        c[k] = v.clone();
    }
    c.as_object().unwrap().clone()
}

fn opts(extra: Value) -> IdTokenOptions {
    let mut o = json!({"issuer": "https://idp.example", "audience": "client-1", "expectedNonce": "n"});
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    IdTokenOptions::from_json(&o, "").unwrap()
}

fn header() -> Object {
    json!({"alg": "RS256"}).as_object().unwrap().clone()
}

#[test]
fn options_are_camel_case_and_strict() {
    let o = opts(
        json!({"maxAge": 60, "clockTolerance": 0, "currentTime": 1.5, "maxTokenAge": 10, "algorithms": ["ES256"], "requirement": {"acr": ["urn:mfa"]}, "policy": {"ladder": ["a", "b"]}}),
    );
    assert_eq!((o.max_age, o.clock_tolerance(), o.current_time, o.max_token_age), (Some(60), 0, Some(1.5), Some(10)));
    assert_eq!(o.algorithms().unwrap(), [Alg::Es256]);
    let typo = json!({"issuer": "i", "audience": "a", "expectedNonse": "n"});
    assert!(IdTokenOptions::from_json(&typo, "").is_err());
    assert_eq!(opts(json!({})).clock_tolerance(), 30);
}

#[test]
fn caller_mistakes_are_not_claim_errors() {
    for (o, now, param) in [
        (opts(json!({"issuer": ""})), NOW, "issuer"),
        (opts(json!({"audience": ""})), NOW, "audience"),
        (opts(json!({})), f64::NAN, "currentTime"),
        (opts(json!({})), -1.0, "currentTime"),
        (opts(json!({"requirement": {"acr": []}})), NOW, "requirement.acr"),
    ] {
        let err = check(&claims(json!({})), &header(), &o, now).unwrap_err();
        assert!(err.is_caller_mistake(), "{err}");
        assert_eq!(err.param(), Some(param));
    }
}

#[test]
fn steps_run_in_order() {
    // typ before iss before aud before azp before sub before exp before iat before nonce.
    let everything_wrong =
        claims(json!({"iss": "x", "aud": "y", "azp": "z", "sub": 1, "exp": 1, "iat": 1e12, "nonce": 5, "events": {}}));
    let mut c = everything_wrong.clone();
    let o = opts(json!({}));
    for expected in ["typ", "iss", "aud", "azp", "sub", "exp", "iat", "nonce"] {
        let err = check(&c, &header(), &o, NOW).unwrap_err();
        let got = if err == Error::JwtExpired { "exp" } else { err.claim().unwrap() };
        assert_eq!(got, expected, "{err}");
        let fixed = claims(json!({}));
        let key = match expected {
            "typ" => "events",
            other => other,
        };
        match fixed.get(key) {
            Some(v) => c.insert(key.into(), v.clone()),
            None => c.remove(key),
        };
    }
    assert_eq!(check(&c, &header(), &o, NOW), Ok(()));
}

#[test]
fn boundaries_with_fractional_times() {
    let o = opts(json!({"clockTolerance": 0}));
    assert_eq!(check(&claims(json!({"exp": NOW + 0.5})), &header(), &o, NOW), Ok(()));
    assert_eq!(check(&claims(json!({"exp": NOW})), &header(), &o, NOW + 0.0), Err(Error::JwtExpired));
    assert_eq!(check(&claims(json!({"exp": NOW + 0.5})), &header(), &o, NOW + 0.5), Err(Error::JwtExpired));
    assert_eq!(check(&claims(json!({"iat": NOW + 0.5})), &header(), &o, NOW).unwrap_err().claim(), Some("iat"));
    assert_eq!(check(&claims(json!({"exp": 9_007_199_254_740_991u64})), &header(), &o, NOW), Ok(()));
    assert_eq!(
        check(&claims(json!({"exp": 9_007_199_254_740_992u64})), &header(), &o, NOW).unwrap_err().claim(),
        Some("exp")
    );
}

#[test]
fn max_age_shortfall_carries_max_age() {
    let o = opts(json!({"maxAge": 60, "clockTolerance": 0}));
    let err = check(&claims(json!({"auth_time": NOW - 61.0})), &header(), &o, NOW).unwrap_err();
    assert_eq!(err, Error::AuthTimeTooOld(Shortfall { acr_values: vec![], max_age: Some(60) }));
    assert_eq!(check(&claims(json!({"auth_time": NOW - 60.0})), &header(), &o, NOW), Ok(()));
}

#[test]
fn a_refreshed_id_token_may_omit_the_nonce_but_never_change_it() {
    // OIDC Core 12.2: "it SHOULD NOT have a nonce Claim ... if it is present, its value MUST be
    // the same as in the ID Token issued at the time of the original authentication".
    let refreshed = IdTokenOptions { refreshed: true, ..opts(json!({})) };
    let mut without = claims(json!({}));
    without.remove("nonce");
    assert!(check(&without, &header(), &refreshed, NOW).is_ok());
    assert!(check(&claims(json!({})), &header(), &refreshed, NOW).is_ok());
    assert_eq!(
        check(&claims(json!({"nonce": "other"})), &header(), &refreshed, NOW).unwrap_err().claim(),
        Some("nonce")
    );
    assert_eq!(
        check(&without, &header(), &opts(json!({})), NOW).unwrap_err().claim(),
        Some("nonce"),
        "a sign-in's must be there"
    );
    assert!(
        IdTokenOptions::from_json(&json!({"issuer": "i", "audience": "a", "refreshed": true}), "").is_err(),
        "not an option of verifyIdToken"
    );
}

#[test]
fn debug_output_leaves_the_nonce_out() {
    let shown = format!("{:?}", opts(json!({"expectedNonce": "nonce-Hk2mP7rT"})));
    assert!(!shown.contains("nonce-Hk2mP7rT") && shown.contains("expected_nonce: Some(<redacted>)"), "{shown}");
    assert!(shown.contains("client-1"), "{shown}");
}
