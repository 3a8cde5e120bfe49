use serde_json::json;

use super::*;

/// RFC 7638 §3.1: the example RSA key and its thumbprint.
const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

fn set(keys: serde_json::Value) -> Result<KeySet> {
    KeySet::parse(json!({ "keys": keys }).to_string().as_bytes())
}

fn rsa(extra: serde_json::Value) -> serde_json::Value {
    let mut key = json!({"kty": "RSA", "e": "AQAB", "n": RFC7638_N});
    for (k, v) in extra.as_object().unwrap() {
        key[k] = v.clone();
    }
    key
}

#[test]
fn rfc7638_thumbprint_and_public_jwk() {
    let keys = set(json!([rsa(json!({"kid": "2011-04-29", "alg": "RS256", "use": "sig"}))])).unwrap();
    let key = &keys.keys()[0];
    assert_eq!(key.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    assert_eq!(key.kid(), Some("2011-04-29"));
    assert_eq!(key.kind(), KeyKind::Rsa);
    assert_eq!(key.signature_len(), 256);
    // Only what importKey needs: no kid, no use.
    assert_eq!(key.jwk(), json!({"kty": "RSA", "e": "AQAB", "n": RFC7638_N, "alg": "RS256"}));
}

#[test]
fn a_leading_zero_octet_in_n_is_normalised() {
    let mut n = base64url::decode(RFC7638_N).unwrap();
    n.insert(0, 0);
    let keys = set(json!([rsa(json!({"n": base64url::encode(&n)}))])).unwrap();
    assert_eq!(keys.keys()[0].thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    assert_eq!(keys.keys()[0].jwk()["n"], RFC7638_N);
}

#[test]
fn unusable_keys_are_skipped_with_a_reason() {
    let keys = set(json!([
        rsa(json!({"kid": "enc", "use": "enc"})),
        rsa(json!({"kid": "ops", "key_ops": ["encrypt"]})),
        rsa(json!({"kid": "empty-ops", "key_ops": []})),
        {"kty": "EC", "crv": "P-384", "kid": "p384", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "X25519", "kid": "x", "x": "AA"},
        {"kty": "future", "kid": "f"},
        rsa(json!({"kid": "ok", "key_ops": ["verify", "sign"]})),
    ]))
    .unwrap();
    assert_eq!(keys.keys().len(), 1);
    assert_eq!(keys.keys()[0].kid(), Some("ok"));
    let skipped: Vec<_> = keys.skipped().iter().map(|s| s.kid.as_deref().unwrap()).collect();
    assert_eq!(skipped, ["enc", "ops", "empty-ops", "p384", "x", "f"]);
    assert!(keys.skipped()[3].reason.contains("P-384"), "{:?}", keys.skipped()[3]);
}

#[test]
fn invalid_sets_name_the_key_and_the_reason() {
    for (keys, why) in [
        (json!([rsa(json!({"d": "AQAB"}))]), "private"),
        (json!([{"kty": "oct", "k": "AAAA"}]), "private or symmetric"),
        (json!([{"kty": "oct"}]), "symmetric"),
        (json!([rsa(json!({"kid": 1}))]), "\"kid\" must be a string"),
        (json!([rsa(json!({"use": ["sig"]}))]), "\"use\" must be a string"),
        (json!([rsa(json!({"alg": 1}))]), "\"alg\" must be a string"),
        (json!([rsa(json!({"key_ops": ["verify", "verify"]}))]), "repeats"),
        (json!([rsa(json!({"key_ops": ["verify", 0]}))]), "only strings"),
        (json!([rsa(json!({"key_ops": "verify"}))]), "must be an array"),
        (json!([rsa(json!({"e": "AQ"}))]), "exponent"),
        (json!([rsa(json!({"e": "AQAA"}))]), "exponent"),
        (json!([rsa(json!({"e": "AQAB="}))]), "base64url"),
        (json!([rsa(json!({"n": "AQAB"}))]), "under 2048"),
        (json!([{"kty": "RSA", "e": "AQAB"}]), "\"n\" is missing"),
        (json!([{"kty": "EC", "x": "AA", "y": "AA"}]), "\"crv\" is missing"),
        (json!([{"kty": "OKP", "crv": "Ed25519", "x": base64url::encode(&[0; 31])}]), "32 bytes"),
        // The identity point has small order: it would accept forged signatures.
        (
            json!([{"kty": "OKP", "crv": "Ed25519", "x": base64url::encode(&{ let mut x = [0u8; 32]; x[0] = 1; x })}]),
            "small order",
        ),
        (json!([rsa(json!({})), 7]), "keys[1]: not a JSON object"),
        (json!([{"use": "sig"}]), "\"kty\" is missing"),
    ] {
        let err = set(keys.clone()).unwrap_err();
        assert_eq!(err.code(), "ERR_JWKS_INVALID", "{keys}");
        assert!(err.to_string().contains(why), "{keys}: {err}");
    }
}

#[test]
fn set_shape_and_size() {
    for text in ["", "{}", "[]", r#"{"keys":null}"#, r#"{"keys":{}}"#, r#"{"keys":[],"keys":[]}"#] {
        assert_eq!(KeySet::parse(text.as_bytes()).unwrap_err().code(), "ERR_JWKS_INVALID", "{text}");
    }
    assert!(KeySet::parse(br#"{"keys":[],"other":1}"#).unwrap().keys().is_empty());
    let many: Vec<_> = (0..=MAX_KEYS).map(|i| rsa(json!({"kid": i.to_string()}))).collect();
    assert_eq!(set(json!(many)).unwrap_err().code(), "ERR_JWKS_INVALID");
}
