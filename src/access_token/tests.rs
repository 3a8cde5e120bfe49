use serde_json::{json, Value};

use super::*;
use crate::options::FromJson;

const NOW: f64 = 1_795_348_751.0;

fn claims() -> Object {
    json!({"iss": "https://as.example", "sub": "u1", "aud": "https://api.example", "exp": NOW + 60.0, "iat": NOW, "client_id": "c", "jti": "j"})
        .as_object()
        .unwrap()
        .clone()
}

fn opts() -> AccessTokenOptions {
    AccessTokenOptions::from_json(&json!({"issuer": "https://as.example", "audience": "https://api.example"}), "")
        .unwrap()
}

fn header(typ: Value) -> Object {
    let mut h = json!({"alg": "ES256"});
    if !typ.is_null() {
        h["typ"] = typ;
    }
    h.as_object().unwrap().clone()
}

#[test]
fn typ_must_be_at_jwt_in_either_spelling() {
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt"] {
        assert_eq!(check(&claims(), &header(json!(typ)), &opts(), NOW), Ok(()), "{typ}");
    }
    for typ in [
        json!("JWT"),
        json!("jwt"),
        Value::Null,
        json!("application/jwt"),
        json!("at+jwt+x"),
        json!("application/x/at+jwt"),
        json!(["at+jwt"]),
    ] {
        assert_eq!(check(&claims(), &header(typ.clone()), &opts(), NOW).unwrap_err().claim(), Some("typ"), "{typ}");
    }
}

#[test]
fn no_maximum_age_for_access_tokens() {
    let mut c = claims();
    c.insert("iat".into(), json!(NOW - 30.0 * 86400.0));
    assert_eq!(check(&c, &header(json!("at+jwt")), &opts(), NOW), Ok(()));
}

#[test]
fn options_refuse_id_token_only_members() {
    let o = json!({"issuer": "i", "audience": "a", "expectedNonce": "n"});
    assert!(AccessTokenOptions::from_json(&o, "").is_err());
}

fn jwt_opts() -> AccessTokenOptions {
    AccessTokenOptions { profile: Profile::Jwt, ..opts() }
}

/// Fief's access token: only `alg` and `kid` in the header, the client id as `aud`, `acr` as a
/// level, no `client_id`, `jti` or `auth_time` (README, "Access-token profiles").
fn fief_claims() -> Object {
    json!({"iss": "https://as.example", "sub": "u1", "aud": ["https://api.example"], "exp": NOW + 60.0, "iat": NOW,
           "azp": "https://api.example", "scope": "openid", "permissions": [], "acr": "1"})
    .as_object()
    .unwrap()
    .clone()
}

#[test]
fn options_read_the_profile_by_name() {
    let read = |profile: Value| {
        AccessTokenOptions::from_json(&json!({"issuer": "i", "audience": "a", "accessTokenProfile": profile}), "")
    };
    assert_eq!(read(json!("jwt")).unwrap().profile, Profile::Jwt);
    assert_eq!(read(json!("rfc9068")).unwrap().profile, Profile::Rfc9068);
    assert_eq!(read(Value::Null).unwrap().profile, Profile::Rfc9068);
    for (bad, code) in [
        (json!("JWT"), "ERR_INVALID_ARG_VALUE"),
        (json!("introspection"), "ERR_INVALID_ARG_VALUE"),
        (json!(1), "ERR_INVALID_ARG_TYPE"),
    ] {
        let err = read(bad.clone()).unwrap_err();
        assert_eq!((err.code(), err.param()), (code, Some("accessTokenProfile")), "{bad}");
    }
}

#[test]
fn jwt_profile_typ_absent_jwt_or_at_jwt() {
    for typ in [Value::Null, json!("JWT"), json!("application/jwt"), json!("at+jwt")] {
        assert_eq!(check(&fief_claims(), &header(typ.clone()), &jwt_opts(), NOW), Ok(()), "{typ}");
    }
    for typ in [json!("logout+jwt"), json!("secevent+jwt"), json!("dpop+jwt"), json!(["JWT"]), json!(1)] {
        let err = check(&fief_claims(), &header(typ.clone()), &jwt_opts(), NOW).unwrap_err();
        assert_eq!(err.claim(), Some("typ"), "{typ}");
    }
}

#[test]
fn jwt_profile_refuses_what_only_id_and_logout_tokens_carry() {
    for claim in ["nonce", "at_hash", "c_hash", "events"] {
        let mut c = fief_claims();
        c.insert(claim.into(), json!("x"));
        let err = check(&c, &header(Value::Null), &jwt_opts(), NOW).unwrap_err();
        assert_eq!((err.code(), err.claim()), ("ERR_JWT_CLAIM_VALIDATION_FAILED", Some("typ")), "{claim}");
    }
}

#[test]
fn jwt_profile_needs_no_client_id_jti_or_iat_but_checks_the_rest() {
    let mut c = fief_claims();
    c.remove("iat");
    assert_eq!(check(&c, &header(json!("JWT")), &jwt_opts(), NOW), Ok(()));
    // RFC 9068 still needs them.
    assert_eq!(check(&fief_claims(), &header(json!("at+jwt")), &opts(), NOW).unwrap_err().claim(), Some("client_id"));
    for (claim, value, named) in [
        ("iss", json!("https://other.example"), "iss"),
        ("aud", json!("https://client.example"), "aud"),
        ("sub", Value::Null, "sub"),
        ("iat", json!(NOW + 3600.0), "iat"),
        ("nbf", json!(NOW + 3600.0), "nbf"),
        ("acr", json!(1), "acr"),
        ("amr", json!("pwd"), "amr"),
        ("auth_time", json!("yesterday"), "auth_time"),
        ("cnf", json!({"jkt": "x"}), "cnf"),
    ] {
        let mut c = fief_claims();
        if value.is_null() {
            c.remove(claim);
        } else {
            c.insert(claim.into(), value);
        }
        let err = check(&c, &header(Value::Null), &jwt_opts(), NOW).unwrap_err();
        assert_eq!(err.claim(), Some(named), "{claim}");
    }
    let mut expired = fief_claims();
    expired.insert("exp".into(), json!(NOW - 31.0));
    assert_eq!(check(&expired, &header(Value::Null), &jwt_opts(), NOW), Err(Error::JwtExpired));
    expired.remove("exp");
    assert_eq!(check(&expired, &header(Value::Null), &jwt_opts(), NOW).unwrap_err().claim(), Some("exp"));
}

#[test]
fn jwt_profile_requirements_use_acr_amr_auth_time_when_present() {
    let fief = crate::acr::preset("fief").unwrap();
    let with = |requirement: Value| AccessTokenOptions {
        requirement: Some(crate::step_up::Requirement::from_json(&requirement, "requirement").unwrap()),
        policy: Some(fief.clone()),
        ..jwt_opts()
    };
    let h = header(Value::Null);
    assert_eq!(check(&fief_claims(), &h, &with(json!({"acr": "1"})), NOW), Ok(()));
    let mut zero = fief_claims();
    zero.insert("acr".into(), json!("0"));
    assert_eq!(check(&zero, &h, &with(json!({"acr": "1"})), NOW).unwrap_err().code(), "ERR_ACR_NOT_SATISFIED");
    // A requirement that needs a claim the token does not carry is not met.
    zero.remove("acr");
    assert_eq!(check(&zero, &h, &with(json!({"acr": "1"})), NOW).unwrap_err().code(), "ERR_ACR_NOT_SATISFIED");
    let err = check(&fief_claims(), &h, &with(json!({"maxAge": 300})), NOW).unwrap_err();
    assert_eq!((err.code(), err.shortfall().and_then(|s| s.max_age)), ("ERR_AUTH_TIME_TOO_OLD", Some(300)));
    assert_eq!(
        check(&fief_claims(), &h, &with(json!({"amr": {"any": ["mfa"]}})), NOW).unwrap_err().code(),
        "ERR_AMR_NOT_SATISFIED"
    );
    let mut fresh = fief_claims();
    fresh.insert("auth_time".into(), json!(NOW - 10.0));
    fresh.insert("amr".into(), json!(["pwd", "mfa"]));
    assert_eq!(check(&fresh, &h, &with(json!({"maxAge": 300, "amr": {"any": ["mfa"]}})), NOW), Ok(()));
}

#[test]
fn providers_name_their_profile() {
    assert_eq!(issued_by("fief"), Some(Verification::Signed(Profile::Jwt)));
    assert_eq!(issued_by("auth0"), Some(Verification::Signed(Profile::Jwt)));
    assert_eq!(issued_by("nist"), None);
    // Opaque by default: the provider is asked (RFC 7662).
    assert_eq!(issued_by("wso2"), Some(Verification::Introspection));
    assert_eq!(issued_by("janssen"), Some(Verification::Introspection));
}
