//! The core natively (`make bench`, tests/bench/native.mjs reads the results): token verification
//! with the pure-Rust verifiers (the fallback the wasm build uses where WebCrypto lacks an
//! algorithm), the step-up decision, and the guard's work for an allowed request with a session.
//! Runs briefly: the figures are for comparison within one run, not for publication alone.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Map, Value};

use stepup::acr::preset;
use stepup::claims::DEFAULT_CLOCK_TOLERANCE;
use stepup::guard::config::Config;
use stepup::guard::judge::{judge, Action, Request};
use stepup::guard::session::session_cookie;
use stepup::id_token::IdTokenOptions;
use stepup::jwks::KeySet;
use stepup::jws;
use stepup::options::FromJson;
use stepup::step_up::{evaluate_step_up, Requirement};
use stepup::verifier::{Kind, PerCall, Verifier};
use stepup::verify::verify_id_token;

#[path = "../tests/support/mint.rs"]
mod mint;

fn verification(c: &mut Criterion) {
    let keys = KeySet::parse(mint::default_jwks().as_bytes()).expect("key set");
    let options = IdTokenOptions {
        issuer: mint::ISS.into(),
        audience: mint::CLIENT.into(),
        expected_nonce: Some(mint::NONCE.into()),
        ..IdTokenOptions::default()
    };
    let now = mint::NOW as f64;
    let mut group = c.benchmark_group("verify_id_token");
    for (alg, key, kid) in [("RS256", "rsa1", "k1"), ("ES256", "ec1", "k-es"), ("EdDSA", "ed1", "k-ed")] {
        let token = mint::sign(key, &json!({ "alg": alg, "kid": kid, "typ": "JWT" }), &mint::id_claims());
        verify_id_token(&token, &keys, &options, now).expect("the token verifies");
        group.bench_function(alg, |b| b.iter(|| verify_id_token(black_box(&token), &keys, &options, now)));
    }
    group.finish();

    // The reusable verifier's steps without the signature (WebCrypto's part in wasm): a new
    // token prepared for the signature check, and a token verified before answered again.
    let mut group = c.benchmark_group("verifier");
    let verifier = Verifier::new(keys.clone(), options.clone()).expect("verifier");
    let call = PerCall { expected_nonce: Some(mint::NONCE.into()), ..PerCall::default() };
    let token = mint::sign("ed1", &json!({ "alg": "EdDSA", "kid": "k-ed", "typ": "JWT" }), &mint::id_claims());
    group.bench_function("begin_new_token", |b| {
        b.iter(|| verifier.begin(black_box(&token), Kind::IdToken, &call, now).expect("prepared"))
    });
    group.bench_function("prepare", |b| {
        b.iter(|| jws::prepare(black_box(&token), &keys, &[jws::Alg::EdDSA]).map(|p| p.alg()))
    });
    verifier.verify(&token, Kind::IdToken, &call, now).expect("verifies");
    group.bench_function("begin_repeated_token", |b| {
        b.iter(|| verifier.begin(black_box(&token), Kind::IdToken, &call, now).expect("cached"))
    });
    group.finish();
}

fn decisions(c: &mut Criterion) {
    let claims: Map<String, Value> = serde_json::from_value(mint::id_claims()).expect("claims");
    let requirement =
        Requirement::from_json(&json!({ "acr": ["urn:mfa"], "amr": { "any": ["otp"] }, "maxAge": 300 }), "")
            .expect("requirement");
    let policy = preset("wso2").expect("preset");
    c.bench_function("evaluate_step_up", |b| {
        b.iter(|| evaluate_step_up(black_box(&claims), &requirement, &policy, mint::NOW, DEFAULT_CLOCK_TOLERANCE))
    });

    // The guard's whole decision for an allowed page request: the route, the session cookie
    // (HMAC and JSON), the rule, and the identity headers for the origin.
    let env: BTreeMap<String, String> = [
        ("STEPUP_ISSUER", mint::ISS),
        ("STEPUP_CLIENT_ID", mint::CLIENT),
        ("STEPUP_SESSION_SECRET", "a-bench-session-secret-of-at-least-32-bytes"),
        ("STEPUP_ACR_POLICY", "wso2"),
        ("STEPUP_RULES", r#"[{"path":"/app/*","acr":["LOA2"],"maxAge":3600}]"#),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = Config::from_env(&env).expect("config");
    let now = mint::NOW as u64;
    let session: Map<String, Value> =
        serde_json::from_value(json!({ "sub": "alice", "acr": "LOA2", "amr": ["pwd", "otp"], "auth_time": now - 60 }))
            .expect("session");
    let set_cookie = session_cookie(&config, &session, now).expect("session cookie");
    let cookie = format!("theme=dark; {}", set_cookie.split(';').next().expect("name=value"));
    // The guard's whole answer to an allowed request: the target parsed, the rule found, the
    // session opened and judged, the forwarding planned.
    let headers: Vec<(String, String)> =
        vec![("accept".into(), "text/html".into()), ("cookie".into(), cookie), ("user-agent".into(), "bench".into())];
    let upstream = Config::from_env(&{
        let mut env = env.clone();
        env.insert("STEPUP_UPSTREAM".into(), "http://app.internal".into());
        env
    })
    .expect("config");
    c.bench_function("guard_allowed_request", |b| {
        b.iter(|| {
            let request =
                Request { method: "GET", url: black_box("https://app.example/app/bench?x=1"), headers: &headers };
            let Ok(Action::Forward(plan)) = judge(&upstream, &request, now) else { panic!("not forwarded") };
            plan
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(30);
    targets = verification, decisions
}
criterion_main!(benches);
