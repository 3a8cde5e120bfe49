use serde_json::json;

use super::*;
use crate::Error;

// The fake OP shared by the unit tests; each test module includes it (see its header).
#[allow(clippy::duplicate_mod)]
#[path = "../../tests/support/mint.rs"]
mod mint;

const NOW: f64 = mint::NOW as f64;

fn verifier() -> Verifier {
    let keys = KeySet::parse(mint::default_jwks().as_bytes()).unwrap();
    let opts: IdTokenOptions = serde_json::from_value(json!({"issuer": mint::ISS, "audience": mint::CLIENT})).unwrap();
    Verifier::new(keys, opts).unwrap()
}

fn nonce() -> PerCall {
    PerCall { expected_nonce: Some(mint::NONCE.into()), ..PerCall::default() }
}

#[test]
fn a_token_is_verified_once_then_answered_from_the_cache_with_its_claims_checked_again() {
    let v = verifier();
    let token = mint::id_token(json!({}));
    let Begin::Signature { key, alg, signature, signing_input } =
        v.begin(&token, Kind::IdToken, &nonce(), NOW).unwrap()
    else {
        panic!("a new token needs its signature checked")
    };
    assert_eq!((key, alg), (0, Alg::Rs256));
    assert_eq!(signature, mint::signature_of(&token));
    assert_eq!(format!("{signing_input}.{}", mint::b64(&signature)), token);
    let held = v.complete(&token, true, Kind::IdToken, &nonce(), NOW).unwrap();
    assert_eq!(held.claims.claims["sub"], "u1");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&held.claims.text).unwrap()["acr"], "urn:mfa");
    // exp + the tolerance (iat + a day is later).
    assert_eq!(held.until, NOW + 300.0 + 30.0);
    let Begin::Done(again) = v.begin(&token, Kind::IdToken, &PerCall { max_age: Some(60), ..nonce() }, NOW).unwrap()
    else {
        panic!()
    };
    assert_eq!(again.until, NOW - 10.0 + 60.0 + 30.0, "auth_time + max_age + the tolerance");

    // Cached: no signature needed, the claims still checked against this call and the clock.
    assert!(matches!(v.begin(&token, Kind::IdToken, &nonce(), NOW), Ok(Begin::Done(_))));
    assert_eq!(v.begin(&token, Kind::IdToken, &nonce(), NOW + 3600.0).unwrap_err(), Error::JwtExpired);
    let other_nonce = PerCall { expected_nonce: Some("other".into()), ..PerCall::default() };
    assert!(v.begin(&token, Kind::IdToken, &other_nonce, NOW).is_err());
    let fresh = PerCall { max_age: Some(1), ..nonce() };
    assert!(v.begin(&token, Kind::IdToken, &fresh, NOW + 100.0).is_err(), "auth_time is older than max_age");
    assert!(v.begin(&token, Kind::IdToken, &fresh, NOW).is_ok(), "within max_age and the clock tolerance");
}

#[test]
#[cfg(feature = "native-crypto")]
fn a_refused_signature_is_never_cached() {
    let v = verifier();
    let token = mint::id_token(json!({}));
    assert_eq!(
        v.complete(&token, false, Kind::IdToken, &nonce(), NOW).unwrap_err(),
        Error::SignatureVerificationFailed
    );
    assert!(matches!(v.begin(&token, Kind::IdToken, &nonce(), NOW), Ok(Begin::Signature { .. })));
    // One changed byte of the signature is another token.
    let ok = v.verify(&token, Kind::IdToken, &nonce(), NOW).unwrap();
    assert_eq!(ok.claims.claims["sub"], "u1");
    let mut sig = mint::signature_of(&token);
    sig[0] ^= 1;
    let forged = mint::with_signature(&token, &sig);
    assert_eq!(v.verify(&forged, Kind::IdToken, &nonce(), NOW).unwrap_err(), Error::SignatureVerificationFailed);
}

#[test]
#[cfg(feature = "native-crypto")]
fn access_tokens_and_requirements() {
    let keys = KeySet::parse(mint::default_jwks().as_bytes()).unwrap();
    let opts: IdTokenOptions = serde_json::from_value(json!({"issuer": mint::ISS, "audience": mint::API})).unwrap();
    let v = Verifier::new(keys, opts).unwrap();
    let token = mint::sign("ec1", &json!({"alg": "ES256", "kid": "k-es", "typ": "at+jwt"}), &mint::at_claims());
    let held = v.verify(&token, Kind::AccessToken, &PerCall::default(), NOW).unwrap();
    assert_eq!(held.claims.claims["client_id"], mint::CLIENT);
    let strong: Requirement = serde_json::from_value(json!({"acr": ["urn:stronger"]})).unwrap();
    let call = PerCall { requirement: Some(strong), ..PerCall::default() };
    assert!(matches!(v.begin(&token, Kind::AccessToken, &call, NOW), Err(Error::AcrNotSatisfied(_))));
    // An access token is not an ID token, cached or not.
    assert!(v.begin(&token, Kind::IdToken, &PerCall::default(), NOW).is_err());
}

/// Distinct Ed25519 ID tokens, told apart by their signature bytes (whose check the platform
/// verdict of `complete` stands in for).
fn token(signed: &str, i: usize) -> String {
    let mut signature = [0u8; 64];
    signature[..8].copy_from_slice(&(i as u64).to_be_bytes());
    mint::with_signature(signed, &signature)
}

#[test]
fn the_cache_is_bounded() {
    let v = verifier();
    let signed = mint::sign("ed1", &json!({"alg": "EdDSA", "kid": "k-ed"}), &mint::id_claims());
    let tokens: Vec<String> = (0..CACHE_SIZE + 5).map(|i| token(&signed, i)).collect();
    for token in &tokens {
        v.complete(token, true, Kind::IdToken, &nonce(), NOW).unwrap();
    }
    assert_eq!(v.cache.borrow().tokens.len(), CACHE_SIZE);
    assert!(matches!(v.begin(&tokens[0], Kind::IdToken, &nonce(), NOW), Ok(Begin::Signature { .. })));
    assert!(matches!(v.begin(&tokens[CACHE_SIZE + 4], Kind::IdToken, &nonce(), NOW), Ok(Begin::Done(_))));
}
