//! The introspection endpoint's answer (RFC 7662 §2.2, §2.3): any status and body. Never a
//! panic; a token is believed only from a `200` JSON object whose `active` is the boolean `true`,
//! for this issuer (when it names one) and this API, with a subject; `active: false` is always a
//! refusal and never an outage; an answer that is not one is always the provider failing. What
//! is believed is kept by the cache no longer than the token's `exp`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use stepup::access_token::AccessTokenOptions;
use stepup::introspection::{digest, read_answer, Cache};
use stepup::Error;

const NOW: f64 = 1_700_000_000.0;

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let status = [200, 200, 401, 503, status][usize::from(status % 5)];
    let opts = AccessTokenOptions {
        issuer: "https://idp.example".into(),
        audience: "https://api.example".into(),
        ..AccessTokenOptions::default()
    };
    let answer = stepup::json::parse_object(body).ok();
    let active = answer.as_ref().and_then(|a| a.get("active").cloned());
    match read_answer("https://idp.example/introspect", status, body, &opts, NOW) {
        Ok(claims) => {
            assert_eq!((status, active), (200, Some(Value::Bool(true))));
            assert!(claims.get("iss").is_none_or(|iss| iss == "https://idp.example"));
            let aud = claims.get("aud").expect("aud");
            assert!(
                aud == "https://api.example"
                    || aud.as_array().is_some_and(|a| a.contains(&"https://api.example".into()))
            );
            assert!(claims.get("sub").and_then(Value::as_str).is_some());
            let mut cache = Cache::new(60);
            let token = digest("token");
            cache.keep(token, claims.clone(), NOW);
            match claims.get("exp").and_then(Value::as_f64) {
                Some(exp) if exp <= NOW => assert_eq!(cache.get(&token, NOW), None),
                Some(exp) => {
                    assert_eq!(cache.get(&token, NOW), Some(claims));
                    assert_eq!(cache.get(&token, exp), None);
                }
                None => assert_eq!(cache.get(&token, NOW + 60.0), None),
            }
        }
        Err(Error::FetchFailed(why)) => {
            assert!(why.contains("https://idp.example/introspect"));
            assert!(status != 200 || answer.is_none() || !matches!(active, Some(Value::Bool(_))));
        }
        Err(Error::ClaimValidationFailed { claim: "active", .. }) => {
            assert_eq!((status, active), (200, Some(Value::Bool(false))));
        }
        Err(_) => assert_eq!((status, active), (200, Some(Value::Bool(true)))),
    }
});
