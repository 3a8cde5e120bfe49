//! The sign-in request vectors (tests/vectors/request.json) through the native core; the same
//! file runs through the wasm package in tests/js/request.test.mjs.
#![cfg(not(target_arch = "wasm32"))]

use serde_json::Value;
use stepup::authorize::{build_authorization_url, AuthorizationRequest};
use stepup::callback::{validate_authorization_response, ResponseExpectations};
use stepup::discovery::parse_given_discovery_document;
use stepup::options::FromJson;
use stepup::{pkce, Error};

fn vectors(section: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(include_str!("vectors/request.json")).unwrap();
    all[section].as_array().unwrap().clone()
}

/// Compares an error with a vector's `{ code, param?, error?, errorDescription? }`.
fn assert_error(name: &str, err: &Error, want: &Value) {
    assert_eq!(err.code(), want["code"], "{name}: {err}");
    if let Some(param) = want.get("param") {
        assert_eq!(err.param(), param.as_str(), "{name}");
    }
    if let Error::AuthResponseError { error, description } = err {
        assert_eq!(Some(error.as_str()), want["error"].as_str(), "{name}");
        assert_eq!(description.as_deref(), want["errorDescription"].as_str(), "{name}");
    }
}

fn decoded_params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    stepup::url::parse_query(query).unwrap()
}

#[test]
fn pkce_vectors() {
    for v in vectors("pkce") {
        let name = v["name"].as_str().unwrap();
        match pkce::code_challenge_s256(v["verifier"].as_str().unwrap()) {
            Ok(challenge) => assert_eq!(challenge, v["challenge"], "{name}"),
            Err(e) => assert_error(name, &e, &v["error"]),
        }
    }
}

#[test]
fn authorize_vectors() {
    for v in vectors("authorize") {
        let name = v["name"].as_str().unwrap();
        let request = match AuthorizationRequest::from_json(&v["request"], "") {
            Ok(r) => r,
            Err(e) => {
                // Shape errors, read as the binding reads them.
                let code = v["error"]["code"].as_str().unwrap_or_else(|| panic!("{name}: {e}"));
                assert_eq!(e.code(), code, "{name}: {e}");
                continue;
            }
        };
        match build_authorization_url(&request) {
            Ok(url) => {
                assert!(v.get("error").is_none(), "{name}: expected an error, got {url}");
                if let Some(want) = v.get("url") {
                    assert_eq!(url, *want, "{name}");
                }
                if let Some(want) = v.get("params") {
                    let want: Vec<(String, String)> = serde_json::from_value(want.clone()).unwrap();
                    assert_eq!(decoded_params(&url), want, "{name}");
                }
            }
            Err(e) => assert_error(name, &e, &v["error"]),
        }
    }
}

#[test]
fn callback_vectors() {
    for v in vectors("callback") {
        let name = v["name"].as_str().unwrap();
        let expect = ResponseExpectations::from_json(&v["expect"].clone(), "").unwrap();
        match validate_authorization_response(v["url"].as_str().unwrap(), &expect) {
            Ok(r) => assert_eq!(r.to_json(), v["result"], "{name}"),
            Err(e) => assert_error(name, &e, &v["error"]),
        }
    }
}

#[test]
fn discovery_vectors() {
    for v in vectors("discovery") {
        let name = v["name"].as_str().unwrap();
        let text = match v.get("text") {
            Some(text) => text.as_str().unwrap().to_string(),
            None => v["document"].to_string(),
        };
        match parse_given_discovery_document(text.as_bytes(), v["issuer"].as_str().unwrap(), "json") {
            Ok(m) => {
                assert!(v.get("error").is_none(), "{name}: expected an error");
                assert_eq!(Value::Object(m.document), v["document"], "{name}");
            }
            Err(e) => assert_error(name, &e, &v["error"]),
        }
    }
}
