use serde_json::json;

use super::*;

const ISS: &str = "https://idp.example";

fn doc(extra: serde_json::Value) -> Vec<u8> {
    let mut base = json!({
        "issuer": ISS,
        "authorization_endpoint": "https://idp.example/auth",
        "token_endpoint": "https://idp.example/token",
        "jwks_uri": "https://idp.example/jwks",
        "acr_values_supported": ["0", "1"],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": true,
        "x_vendor": {"anything": [1, 2]}
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::to_vec(&base).unwrap()
}

#[test]
fn a_good_document_is_kept_whole() {
    let m = parse_discovery_document(&doc(json!({})), ISS).unwrap();
    assert_eq!(m.issuer(), ISS);
    assert_eq!(m.list("acr_values_supported"), Some(vec!["0", "1"]));
    assert!(m.sends_response_iss());
    assert_eq!(m.document["x_vendor"], json!({"anything": [1, 2]}));
}

#[test]
fn c12_issuer_must_match_exactly() {
    for issuer in ["https://idp.example/", "https://IDP.example", "https://idp.example/tenant", "http://idp.example"] {
        let err = parse_discovery_document(&doc(json!({"issuer": issuer})), ISS).unwrap_err();
        assert_eq!(err.code(), "ERR_ISSUER_MISMATCH", "{issuer}");
    }
}

#[test]
fn members_stepup_relies_on_are_type_checked() {
    for bad in [
        json!({"issuer": 1}),
        json!({"jwks_uri": null}),
        json!({"authorization_endpoint": "http://idp.example/auth"}),
        json!({"token_endpoint": "https://idp.example/t#x"}),
        json!({"acr_values_supported": "0 1"}),
        json!({"acr_values_supported": ["0", 1]}),
        json!({"authorization_response_iss_parameter_supported": "true"}),
    ] {
        let err = parse_discovery_document(&doc(bad.clone()), ISS).unwrap_err();
        assert!(matches!(err.code(), "ERR_FETCH_FAILED" | "ERR_ISSUER_MISMATCH"), "{bad}: {err}");
    }
}

#[test]
fn required_members_and_strict_json() {
    let mut missing = serde_json::from_slice::<serde_json::Value>(&doc(json!({}))).unwrap();
    missing.as_object_mut().unwrap().remove("jwks_uri");
    let err = parse_discovery_document(missing.to_string().as_bytes(), ISS).unwrap_err();
    assert!(err.to_string().contains("jwks_uri"), "{err}");
    let dup = br#"{"issuer":"https://evil.example","issuer":"https://idp.example","authorization_endpoint":"https://idp.example/a","jwks_uri":"https://idp.example/j"}"#;
    assert_eq!(parse_discovery_document(dup, ISS).unwrap_err().code(), "ERR_FETCH_FAILED");
    for bad in [&b"[]"[..], b"", b"{", b"null"] {
        assert_eq!(parse_discovery_document(bad, ISS).unwrap_err().code(), "ERR_FETCH_FAILED");
    }
}
