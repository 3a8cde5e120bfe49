use serde_json::json;

use super::*;

#[path = "../../tests/support/mint.rs"]
mod mint;

fn keys() -> KeySet {
    KeySet::parse(mint::default_jwks().as_bytes()).unwrap()
}

#[test]
fn algorithm_names_are_exact() {
    for alg in [Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDSA, Alg::Ed25519] {
        assert_eq!(Alg::from_name(alg.name()), Some(alg));
    }
    for name in ["rs256", "none", "HS256", "ES256K", "RS384", "ed25519", ""] {
        assert_eq!(Alg::from_name(name), None, "{name}");
    }
}

#[test]
fn the_allow_list_option_is_validated() {
    assert_eq!(Alg::parse_list(None).unwrap(), DEFAULT_ALGORITHMS);
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(Alg::parse_list(Some(&names(&["Ed25519", "ES256"]))).unwrap(), [Alg::Ed25519, Alg::Es256]);
    for (bad, param) in [
        (vec![], "algorithms"),
        (vec!["none"], "algorithms[0]"),
        (vec!["RS256", "HS256"], "algorithms[1]"),
        (vec!["RS256", "RS256"], "algorithms[1]"),
    ] {
        let err = Alg::parse_list(Some(&names(&bad))).unwrap_err();
        assert_eq!((err.code(), err.param()), ("ERR_INVALID_ARG_VALUE", Some(param)), "{bad:?}");
    }
}

#[test]
#[cfg(feature = "native-crypto")]
fn prepared_exposes_what_a_backend_needs() {
    let keys = keys();
    let token = mint::sign("ec1", &json!({"alg": "ES256", "kid": "k-es"}), &mint::id_claims());
    let p = prepare(&token, &keys, &DEFAULT_ALGORITHMS).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    assert_eq!(p.alg(), Alg::Es256);
    assert_eq!(p.key().kid(), Some("k-es"));
    assert_eq!(p.signing_input(), input);
    assert_eq!(p.payload_b64(), input.split('.').nth(1).unwrap());
    assert_eq!(base64url::encode(p.signature()), sig);
    assert_eq!(p.header()["kid"], "k-es");
    let verified = verify_signature(p).unwrap();
    assert_eq!((verified.alg(), verified.key().kid()), (Alg::Es256, Some("k-es")));
    assert_eq!(verified.header()["kid"], "k-es");
    assert_eq!(Value::Object(verified.claims().unwrap()), mint::id_claims());
}

#[test]
#[cfg(feature = "native-crypto")]
fn only_a_verified_token_has_claims() {
    let keys = keys();
    let token = mint::sign("ec1", &json!({"alg": "ES256", "kid": "k-es"}), &mint::id_claims());
    let prepared = || prepare(&token, &keys, &DEFAULT_ALGORITHMS).unwrap();
    // The platform's verdict is taken as given: true verifies, false is the signature error
    // `verify_signature` gives, and nothing else is decided.
    let verified = prepared().accept_platform_verdict(true).unwrap();
    assert_eq!(Value::Object(verified.claims().unwrap()), mint::id_claims());
    assert_eq!(prepared().accept_platform_verdict(false).unwrap_err(), Error::SignatureVerificationFailed);
    let forged = mint::with_signature(&token, &[7; 64]);
    let p = prepare(&forged, &keys, &DEFAULT_ALGORITHMS).unwrap();
    assert_eq!(verify_signature(p).unwrap_err(), Error::SignatureVerificationFailed);
}

#[test]
#[cfg(feature = "native-crypto")]
fn debug_output_leaves_the_token_out() {
    let keys = keys();
    let token = mint::sign("ec1", &json!({"alg": "ES256", "kid": "k-es"}), &mint::id_claims());
    let (input, signature) = token.rsplit_once('.').unwrap();
    let (_, payload) = input.split_once('.').unwrap();
    let p = prepare(&token, &keys, &DEFAULT_ALGORITHMS).unwrap();
    let claims = mint::id_claims().to_string();
    let prepared = format!("{p:?}");
    let verified = format!("{:?}", verify_signature(p).unwrap());
    for shown in [prepared, verified] {
        assert!(shown.contains("k-es") && shown.contains("<redacted>"), "{shown}");
        for secret in [payload, signature, &claims, &format!("{:?}", claims.as_bytes())] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

/// The browser build has no native verifier: a token its WebCrypto cannot verify is a clear
/// `ERR_CRYPTO_UNAVAILABLE` naming the algorithm, never a pass and never a forged signature.
#[test]
#[cfg(not(feature = "native-crypto"))]
fn without_the_native_verifier_the_algorithm_is_unavailable() {
    let keys = keys();
    let token = mint::sign("ec1", &json!({"alg": "ES256", "kid": "k-es"}), &mint::id_claims());
    let err = verify_signature(prepare(&token, &keys, &DEFAULT_ALGORITHMS).unwrap()).unwrap_err();
    assert_eq!(err.code(), "ERR_CRYPTO_UNAVAILABLE");
    assert!(err.to_string().contains("ES256"), "{err}");
}

#[test]
fn the_size_cap_comes_before_anything_else() {
    let keys = keys();
    let limits = Limits { max_token_length: 10 };
    assert_eq!(prepare_with("a.b.c.d.e.f", &keys, &[], &limits).unwrap_err().code(), "ERR_JWT_TOO_LARGE");
    assert_eq!(prepare_with("a.b", &keys, &[], &limits).unwrap_err().code(), "ERR_JWT_MALFORMED");
}

#[test]
#[cfg(feature = "native-crypto")]
fn checks_run_in_the_documented_order() {
    let keys = keys();
    let claims = mint::id_claims();
    // alg is judged before crit, and crit before key selection.
    let none_crit = mint::sign_raw("RS256", "rsa1", br#"{"alg":"none","crit":["x"]}"#, claims.to_string().as_bytes());
    assert_eq!(prepare(&none_crit, &keys, &DEFAULT_ALGORITHMS).unwrap_err().code(), "ERR_JOSE_ALG_NOT_ALLOWED");
    let crit_unknown_kid = mint::sign("rsa1", &json!({"alg": "RS256", "kid": "nope", "crit": ["x"]}), &claims);
    assert_eq!(prepare(&crit_unknown_kid, &keys, &DEFAULT_ALGORITHMS).unwrap_err().code(), "ERR_JOSE_NOT_SUPPORTED");
    // The payload is not parsed before the signature: a bad payload with a bad signature is a
    // signature failure, never a parse error.
    let bad_payload = mint::with_signature(
        &mint::sign_raw("RS256", "rsa1", br#"{"alg":"RS256","kid":"k1"}"#, b"not json"),
        &[1; 256],
    );
    let p = prepare(&bad_payload, &keys, &DEFAULT_ALGORITHMS).unwrap();
    assert_eq!(verify_signature(p).unwrap_err().code(), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
}

#[test]
fn signature_length_must_fit_the_key() {
    let keys = keys();
    let token = mint::sign("ed1", &json!({"alg": "EdDSA", "kid": "k-ed"}), &mint::id_claims());
    let sig = mint::signature_of(&token);
    for len in [1, 63, 65, 128] {
        let mut s = sig.clone();
        s.resize(len, 0);
        let err = prepare(mint::with_signature(&token, &s), &keys, &DEFAULT_ALGORITHMS).unwrap_err();
        assert_eq!(err, Error::SignatureVerificationFailed, "{len}");
    }
}

#[test]
fn a_key_alg_restricts_it_and_kinds_must_fit() {
    let keys = keys();
    let by_kid = |kid: &str| keys.keys().iter().find(|k| k.kid() == Some(kid)).unwrap();
    assert!(Alg::Rs256.fits(by_kid("k1")));
    assert!(!Alg::Ps256.fits(by_kid("k1")));
    assert!(Alg::Ps256.fits(by_kid("k-ps")));
    assert!(!Alg::Es256.fits(by_kid("k1")));
    assert!(Alg::EdDSA.fits(by_kid("k-ed")) && Alg::Ed25519.fits(by_kid("k-ed")));
}

#[test]
#[cfg(feature = "native-crypto")]
fn a_settled_header_changes_no_outcome_and_serves_only_its_own_segment() {
    /// What preparing a token settled, to compare two ways of preparing it.
    type Outcome = (Alg, Option<String>, String, Vec<u8>, Object);
    fn outcome(prepared: Result<Prepared<'_>>) -> Result<Outcome> {
        prepared.map(|p| {
            let kid = p.key().kid().map(str::to_string);
            (p.alg(), kid, p.signing_input().to_string(), p.signature().to_vec(), p.header().clone())
        })
    }
    let keys = keys();
    let es = mint::sign("ec1", &json!({"alg": "ES256", "kid": "k-es"}), &mint::id_claims());
    let rs = mint::sign("rsa1", &json!({"alg": "RS256", "kid": "k1"}), &mint::id_claims());
    let (h, rest) = es.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let other = |header: Value| mint::b64(header.to_string().as_bytes());
    // Each after the one before, over one `last`: the same header with every later step
    // failing in turn, other headers (settled anew or refused), then the same header again.
    let tokens = [
        es.clone(),
        format!("{h}.{payload}."),
        format!("{h}.{payload}.AAAA"),
        format!("{h}.{payload}.{signature}x"),
        format!("{h}.!{payload}.{signature}"),
        format!("{h}.{payload}"),
        format!("{h}.{payload}.{signature}.a.b"),
        format!("{h}.{payload}.{signature}.a"),
        rs.clone(),
        format!("{}.{payload}.{signature}", other(json!({"alg": "ES256", "kid": "k-es", "crit": ["x"]}))),
        format!("{}.{payload}.{signature}", other(json!({"alg": "HS256", "kid": "k-es"}))),
        format!("{}.{payload}.{signature}", other(json!({"alg": "ES256", "kid": "nobody"}))),
        es.clone(),
        format!("{h}x.{payload}.{signature}"),
        es.clone(),
    ];
    let mut last = None;
    for token in &tokens {
        let reused = outcome(prepare_reusing(token.as_str(), &keys, &DEFAULT_ALGORITHMS, &mut last));
        assert_eq!(reused, outcome(prepare(token.as_str(), &keys, &DEFAULT_ALGORITHMS)), "{token}");
    }
    assert_eq!(last.as_ref().map(|s| &*s.segment), Some(h), "the last header settled");

    // The settled header is what a token with exactly its segment gets (so the check above
    // went through it), and only such a token.
    let marked = Arc::new(json!({"alg": "ES256", "kid": "k-es", "marked": true}).as_object().cloned().unwrap());
    let mut last = Some(SettledHeader { segment: h.into(), header: marked, alg: Alg::Es256 });
    let p = prepare_reusing(es.as_str(), &keys, &DEFAULT_ALGORITHMS, &mut last).unwrap();
    assert_eq!((p.header().get("marked"), p.key().kid()), (Some(&json!(true)), Some("k-es")));
    let p = prepare_reusing(rs.as_str(), &keys, &DEFAULT_ALGORITHMS, &mut last).unwrap();
    assert_eq!((p.header().get("marked"), p.key().kid()), (None, Some("k1")));

    // A header read for one key set and allow-list does not carry its key or its `alg` to
    // another: both are checked again for every token.
    let mut last = None;
    prepare_reusing(rs.as_str(), &keys, &DEFAULT_ALGORITHMS, &mut last).unwrap();
    let refused = prepare_reusing(rs.as_str(), &keys, &[Alg::Es256], &mut last).unwrap_err();
    assert_eq!(refused, prepare(rs.as_str(), &keys, &[Alg::Es256]).unwrap_err());
    assert_eq!(refused.code(), "ERR_JOSE_ALG_NOT_ALLOWED");
    let other = KeySet::parse(mint::jwks(vec![mint::public_jwk("rsa2", json!({"kid": "evil"}))]).as_bytes()).unwrap();
    let refused = prepare_reusing(rs.as_str(), &other, &DEFAULT_ALGORITHMS, &mut last).unwrap_err();
    assert_eq!(refused, prepare(rs.as_str(), &other, &DEFAULT_ALGORITHMS).unwrap_err());
    assert_eq!(refused.code(), "ERR_JWKS_NO_MATCHING_KEY");
}

#[test]
fn prepared_and_verified_tokens_may_move_between_threads() {
    fn send<T: Send + Sync>() {}
    send::<Prepared<'static>>();
    send::<Detached>();
    send::<Verified<'static>>();
}
