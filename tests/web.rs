//! Browser tests (wasm-bindgen-test in headless Chromium, `make test`): the wasm build's random
//! values come from the browser's CSPRNG with no fallback (SECURITY H03), URLs built in the browser
//! read back through the browser's own URL parser, and hostile input leaves the instance working.
#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Object, Reflect};
use stepup::wasm::errors::is_step_up_error;
use stepup::wasm::request::{
    build_authorization_url, calculate_code_challenge, generate_code_verifier, generate_nonce, generate_state,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

#[wasm_bindgen_test]
fn h03_random_values_are_distinct_base64url() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        for v in [generate_state(), generate_nonce(), generate_code_verifier()] {
            let v = v.unwrap();
            assert_eq!(v.len(), 43);
            assert!(v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert!(seen.insert(v));
        }
    }
}

#[wasm_bindgen_test]
fn h03_no_fallback_when_the_csprng_fails() {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).unwrap();
    let original = Reflect::get(&crypto, &"getRandomValues".into()).unwrap();
    let failing = Function::new_no_args("throw new Error('no entropy')");
    Reflect::set(&crypto, &"getRandomValues".into(), &failing).unwrap();
    let result = generate_state();
    Reflect::set(&crypto, &"getRandomValues".into(), &original).unwrap();
    let err = result.expect_err("generateState must fail without a CSPRNG");
    assert!(is_step_up_error(&err));
    assert_eq!(Reflect::get(&err, &"code".into()).unwrap(), "ERR_CRYPTO_UNAVAILABLE");
    assert!(generate_state().is_ok(), "works again once the CSPRNG is back");
}

#[wasm_bindgen_test]
fn urls_built_in_the_browser_read_back_through_its_url_parser() {
    let verifier = generate_code_verifier().unwrap();
    let challenge = calculate_code_challenge(verifier.into()).unwrap();
    let acr = js_sys::Array::of2(&"http://eidas.europa.eu/LoA/high".into(), &"LOA2".into());
    let params = object(&[
        ("authorizationEndpoint", "https://idp.example/authorize?tenant=x".into()),
        ("clientId", "spa client".into()),
        ("redirectUri", "https://app.example/callback".into()),
        ("state", "s&t=1#".into()),
        ("codeChallenge", challenge.clone().into()),
        ("acrValues", acr.into()),
        ("maxAge", 300.into()),
    ]);
    let url = build_authorization_url(params).unwrap();
    let parsed = web_sys::Url::new(&url).unwrap();
    let q = parsed.search_params();
    assert_eq!(q.get("tenant").as_deref(), Some("x"));
    assert_eq!(q.get("client_id").as_deref(), Some("spa client"));
    assert_eq!(q.get("state").as_deref(), Some("s&t=1#"));
    assert_eq!(q.get("acr_values").as_deref(), Some("http://eidas.europa.eu/LoA/high LOA2"));
    assert_eq!(q.get("max_age").as_deref(), Some("300"));
    assert_eq!(q.get("code_challenge").as_deref(), Some(challenge.as_str()));
    assert_eq!(q.get("code_challenge_method").as_deref(), Some("S256"));
}

#[wasm_bindgen_test]
fn hostile_input_is_an_error_and_the_instance_keeps_working() {
    for bad in [JsValue::NULL, JsValue::from_f64(f64::NAN), "\r\n".into(), "é".repeat(1 << 16).into()] {
        let err = build_authorization_url(bad.clone()).expect_err("must refuse");
        assert!(err.is_instance_of::<js_sys::TypeError>());
        assert!(calculate_code_challenge(bad).is_err());
    }
    assert_eq!(
        calculate_code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()).unwrap(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}
