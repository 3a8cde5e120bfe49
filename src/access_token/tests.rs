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
