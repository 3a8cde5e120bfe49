//! The span a verifier's answer holds (src/verifier.rs, `Verifier::valid_until`): for random
//! claims, options and times, a call whose checks pass at `t` passes at every later time before
//! the bound the core gives. The JavaScript shell answers repeated calls from that bound without
//! asking the core, so a bound that erred late would let an expired or stale token through.
#![no_main]
use std::rc::Rc;
use std::sync::Arc;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use stepup::id_token::IdTokenOptions;
use stepup::jwks::KeySet;
use stepup::options::FromJson;
use stepup::step_up::Requirement;
use stepup::verifier::{Claims, Kind, PerCall, Verifier};

const BASE: f64 = 1_700_000_000.0;
const JWKS: &str =
    r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k"}]}"#;

fn verifier(tolerance: u64, max_token_age: Option<u64>) -> Verifier {
    let keys = KeySet::parse(JWKS.as_bytes()).expect("a key set");
    let mut options =
        IdTokenOptions::from_json(&json!({"issuer": "https://idp.example", "audience": "c"}), "").expect("options");
    options.clock_tolerance = Some(tolerance);
    options.max_token_age = max_token_age;
    Verifier::new(keys, options).expect("a verifier")
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

/// A time around `BASE`, in whole or fractional seconds.
fn time(u: &mut Unstructured) -> Result<f64> {
    let offset = f64::from(u.int_in_range(-200_000..=200_000)?);
    Ok(BASE + offset + if u.arbitrary()? { 0.5 } else { 0.0 })
}

fn run(u: &mut Unstructured) -> Result<()> {
    let kind = if u.arbitrary()? { Kind::IdToken } else { Kind::AccessToken };
    let tolerance = *u.choose(&[0u64, 1, 30, 60])?;
    let v = verifier(tolerance, if u.arbitrary()? { Some(u.int_in_range(0..=100_000)?) } else { None });
    let mut claims = Map::new();
    claims.insert("iss".into(), "https://idp.example".into());
    claims.insert("aud".into(), "c".into());
    claims.insert("sub".into(), "u".into());
    claims.insert("client_id".into(), "c".into());
    claims.insert("jti".into(), "j".into());
    for name in ["exp", "iat", "nbf", "auth_time"] {
        if u.ratio(4, 5)? {
            claims.insert(name.into(), Value::from(time(u)?));
        }
    }
    if u.arbitrary()? {
        claims.insert("acr".into(), "2".into());
    }
    let header = json!({"alg": "EdDSA", "typ": if kind == Kind::IdToken { "JWT" } else { "at+jwt" }});
    let claims = Rc::new(Claims {
        claims,
        header: Arc::new(header.as_object().cloned().unwrap_or_default()),
        text: String::new(),
    });
    let max_age = if u.arbitrary()? { Some(u.int_in_range(0..=100_000)?) } else { None };
    let requirement: Option<Requirement> = if u.arbitrary()? {
        Requirement::from_json(&json!({"maxAge": u.int_in_range(0..=100_000u64)?}), "").ok()
    } else {
        None
    };
    let call =
        PerCall { expected_nonce: None, max_age: if kind == Kind::IdToken { max_age } else { None }, requirement };
    let t = time(u)?;
    if v.check(&claims, kind, &call, t).is_err() {
        return Ok(());
    }
    let until = v.valid_until(&claims, kind, &call);
    assert!(!until.is_nan(), "a bound");
    for _ in 0..8 {
        let step = f64::from(u.int_in_range(0..=200_000)?) / if u.arbitrary()? { 1.0 } else { 7.0 };
        let later = t + step;
        if later < until {
            assert!(
                v.check(&claims, kind, &call, later).is_ok(),
                "passed at {t}, holds until {until}, but fails at {later}: {:?}",
                v.check(&claims, kind, &call, later)
            );
        }
    }
    // Just before the bound, too.
    let last = until - 0.001;
    if last >= t {
        assert!(v.check(&claims, kind, &call, last).is_ok(), "fails just before its bound {until}");
    }
    Ok(())
}
