use serde_json::json;

use super::*;
use crate::options::FromJson;
use crate::Error;

// The fake OP shared by the unit tests; each test module includes it (see its header).
#[allow(clippy::duplicate_mod)]
#[path = "../../tests/support/mint.rs"]
mod mint;

const NOW: f64 = mint::NOW as f64;

fn verifier() -> Verifier {
    let keys = KeySet::parse(mint::default_jwks().as_bytes()).unwrap();
    let opts = IdTokenOptions::from_json(&json!({"issuer": mint::ISS, "audience": mint::CLIENT}), "").unwrap();
    Verifier::new(keys, opts).unwrap()
}

fn nonce() -> PerCall {
    PerCall { expected_nonce: Some(mint::NONCE.into()), ..PerCall::default() }
}

#[test]
fn a_token_is_verified_once_then_answered_from_the_cache_with_its_claims_checked_again() {
    let v = verifier();
    let token = mint::id_token(json!({}));
    let Begin::Signature { pending, key, alg } = v.begin(&token, Kind::IdToken, &nonce(), NOW).unwrap() else {
        panic!("a new token needs its signature checked")
    };
    assert_eq!((key, alg), (0, Alg::Rs256));
    let (signature, signing_input) = v.pending(pending, |s, i| (s.to_vec(), i.to_vec())).unwrap();
    assert_eq!(signature, mint::signature_of(&token));
    assert_eq!(format!("{}.{}", String::from_utf8(signing_input).unwrap(), mint::b64(&signature)), token);
    let held = v.complete(pending, Verdict::Valid).unwrap().unwrap();
    assert_eq!(held.claims.claims["sub"], "u1");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&held.claims.text).unwrap()["acr"], "urn:mfa");
    let payload = token.split('.').nth(1).unwrap();
    assert_eq!(held.claims.text.as_bytes(), mint::unb64(payload), "the claims as signed");
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
    assert_eq!(complete(&v, &token, Verdict::Invalid).unwrap_err(), Error::SignatureVerificationFailed);
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
    let opts = IdTokenOptions::from_json(&json!({"issuer": mint::ISS, "audience": mint::API}), "").unwrap();
    let v = Verifier::new(keys, opts).unwrap();
    let token = mint::sign("ec1", &json!({"alg": "ES256", "kid": "k-es", "typ": "at+jwt"}), &mint::at_claims());
    let held = v.verify(&token, Kind::AccessToken, &PerCall::default(), NOW).unwrap();
    assert_eq!(held.claims.claims["client_id"], mint::CLIENT);
    let strong = Requirement::from_json(&json!({"acr": ["urn:stronger"]}), "").unwrap();
    let call = PerCall { requirement: Some(strong), ..PerCall::default() };
    assert!(matches!(v.begin(&token, Kind::AccessToken, &call, NOW), Err(Error::AcrNotSatisfied(_))));
    // An access token is not an ID token, cached or not.
    assert!(v.begin(&token, Kind::IdToken, &PerCall::default(), NOW).is_err());
}

#[test]
#[cfg(feature = "native-crypto")]
fn the_access_token_profile_is_the_verifiers() {
    let keys = KeySet::parse(mint::default_jwks().as_bytes()).unwrap();
    let opts = IdTokenOptions::from_json(&json!({"issuer": mint::ISS, "audience": mint::API}), "").unwrap();
    let strict = Verifier::new(keys.clone(), opts.clone()).unwrap();
    let plain = Verifier::new(keys, opts).unwrap().with_access_token_profile(Profile::Jwt);
    // Auth0's shape: typed JWT, an audience array, no client_id or jti.
    let claims = mint::with(mint::at_claims(), json!({"client_id": null, "jti": null, "aud": [mint::API, "u"]}));
    let token = mint::sign("rsa1", &json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}), &claims);
    let none = PerCall::default();
    assert_eq!(strict.verify(&token, Kind::AccessToken, &none, NOW).unwrap_err().claim(), Some("typ"));
    assert_eq!(plain.verify(&token, Kind::AccessToken, &none, NOW).unwrap().claims.claims["sub"], "u1");
    // Cached now: the profile's checks still run on every call.
    assert!(matches!(plain.begin(&token, Kind::AccessToken, &none, NOW), Ok(Begin::Done(_))));
    let strong = Requirement::from_json(&json!({"acr": ["urn:stronger"]}), "").unwrap();
    let call = PerCall { requirement: Some(strong), ..PerCall::default() };
    assert!(matches!(plain.begin(&token, Kind::AccessToken, &call, NOW), Err(Error::AcrNotSatisfied(_))));
    // An ID token is no access token in either profile, even for the API's audience.
    let id = mint::id_token(json!({"aud": mint::API}));
    assert_eq!(plain.verify(&id, Kind::AccessToken, &none, NOW).unwrap_err().claim(), Some("typ"));
    assert_eq!(strict.verify(&id, Kind::AccessToken, &none, NOW).unwrap_err().claim(), Some("typ"));
}

/// `token` begun and completed with `verdict`, with the nonce.
fn complete(v: &Verifier, token: &str, verdict: Verdict) -> Result<Held> {
    let Begin::Signature { pending, .. } = v.begin(token, Kind::IdToken, &nonce(), NOW)? else { panic!("not new") };
    v.complete(pending, verdict).expect("pending")
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
    // They differ only in their signature's first bytes: the same last bytes, so the same hash
    // in the cache (`SignatureTail`), and still told apart, as keys are compared whole.
    assert!(tokens.iter().all(|t| t[t.len() - 16..] == tokens[0][tokens[0].len() - 16..]));
    for token in &tokens {
        complete(&v, token, Verdict::Valid).unwrap();
    }
    assert_eq!(v.cache.borrow().tokens.len(), CACHE_SIZE);
    assert!(matches!(v.begin(&tokens[0], Kind::IdToken, &nonce(), NOW), Ok(Begin::Signature { .. })));
    assert!(matches!(v.begin(&tokens[CACHE_SIZE + 4], Kind::IdToken, &nonce(), NOW), Ok(Begin::Done(_))));
}

#[test]
fn the_cache_is_bounded_in_bytes_too() {
    let v = verifier();
    // Tokens of about 12 KB (a claim of 8 KB, the payload and its text counted): a few hundred
    // of them pass the byte bound long before the count.
    let mut claims = mint::id_claims();
    claims["groups"] = json!("g".repeat(8 * 1024));
    let signed = mint::sign("ed1", &json!({"alg": "EdDSA", "kid": "k-ed"}), &claims);
    let each = signed.len() + json!(claims).to_string().len();
    let n = CACHE_BYTES / each + 10;
    assert!(n < CACHE_SIZE, "the byte bound comes first");
    let tokens: Vec<String> = (0..n).map(|i| token(&signed, i)).collect();
    for token in &tokens {
        complete(&v, token, Verdict::Valid).unwrap();
    }
    let cache = v.cache.borrow();
    assert!(cache.bytes <= CACHE_BYTES, "{} bytes held", cache.bytes);
    assert!(
        cache.tokens.len() < n && cache.tokens.len() >= CACHE_BYTES / each - 1,
        "{} of {n} kept",
        cache.tokens.len()
    );
    let held: usize = cache.tokens.iter().map(|(t, c)| t.0.len() + c.text.len()).sum();
    assert_eq!(held, cache.bytes, "the count is of what is held");
    drop(cache);
    assert!(
        matches!(v.begin(&tokens[0], Kind::IdToken, &nonce(), NOW), Ok(Begin::Signature { .. })),
        "the oldest went"
    );
    assert!(matches!(v.begin(&tokens[n - 1], Kind::IdToken, &nonce(), NOW), Ok(Begin::Done(_))));
}

fn pending(v: &Verifier, token: &str) -> u32 {
    match v.begin(token, Kind::IdToken, &nonce(), NOW) {
        Ok(Begin::Signature { pending, .. }) => pending,
        other => panic!("not pending: {other:?}"),
    }
}

#[test]
fn pending_verifications_are_bounded_and_the_oldest_is_forgotten() {
    let v = verifier();
    let signed = mint::sign("ed1", &json!({"alg": "EdDSA", "kid": "k-ed"}), &mint::id_claims());
    let tokens: Vec<String> = (0..PENDING_SIZE + 3).map(|i| token(&signed, i)).collect();
    let ids: Vec<u32> = tokens.iter().map(|token| pending(&v, token)).collect();
    assert_eq!(v.pending.borrow().queue.len(), PENDING_SIZE);
    // The three oldest are forgotten: their verdicts are refused, and nothing is cached.
    for id in &ids[..3] {
        assert!(v.pending(*id, |_, _| ()).is_none());
        assert!(v.complete(*id, Verdict::Valid).is_none());
    }
    assert!(v.cache.borrow().tokens.is_empty());
    // Completed with the token instead, it is prepared again.
    let held = v.complete_token(&tokens[0], Verdict::Valid, Kind::IdToken, &nonce(), NOW).unwrap();
    assert_eq!(held.claims.claims["sub"], "u1");
    // The others complete, each once.
    for id in &ids[3..] {
        assert!(v.complete(*id, Verdict::Valid).unwrap().is_ok());
        assert!(v.complete(*id, Verdict::Valid).is_none(), "a verdict is taken once");
    }
    assert!(v.pending.borrow().queue.is_empty());
    assert_eq!(v.cache.borrow().tokens.len(), PENDING_SIZE + 1);
}

#[test]
fn interleaved_verifications_each_get_their_own_verdict_and_claims() {
    let v = verifier();
    let a = mint::id_token(json!({"sub": "a"}));
    let b =
        mint::sign("ec1", &json!({"alg": "ES256", "kid": "k-es"}), &mint::with(mint::id_claims(), json!({"sub": "b"})));
    let c = mint::id_token(json!({"sub": "c"}));
    let (pa, pb, pc) = (pending(&v, &a), pending(&v, &b), pending(&v, &c));
    assert!(pa != pb && pb != pc && pa != pc, "each verification its own number");
    assert_eq!(v.pending(pb, |s, _| s.to_vec()).unwrap(), mint::signature_of(&b));
    // Completed out of order: each verdict goes to its own token only.
    assert_eq!(v.complete(pb, Verdict::Invalid).unwrap().unwrap_err(), Error::SignatureVerificationFailed);
    // The platform could not judge c: the native verifier does (the browser build has none).
    let native = v.complete(pc, Verdict::Native).unwrap();
    if cfg!(feature = "native-crypto") {
        assert_eq!(native.unwrap().claims.claims["sub"], "c");
    } else {
        assert!(matches!(native, Err(Error::CryptoUnavailable(_))));
    }
    assert_eq!(v.complete(pa, Verdict::Valid).unwrap().unwrap().claims.claims["sub"], "a");
    // b's refused verdict is not b's last word, and was nobody else's.
    assert!(matches!(v.begin(&b, Kind::IdToken, &nonce(), NOW), Ok(Begin::Signature { .. })));
    assert!(matches!(v.begin(&a, Kind::IdToken, &nonce(), NOW), Ok(Begin::Done(_))));
    // A number never given out, or given out and completed, is refused.
    assert!(v.complete(pc.wrapping_add(1000), Verdict::Valid).is_none());
    assert!(v.complete(pa, Verdict::Valid).is_none());
}

#[test]
fn claims_are_released_only_on_a_valid_verdict() {
    let v = verifier();
    let token = mint::id_token(json!({}));
    let mut sig = mint::signature_of(&token);
    sig[0] ^= 1;
    let forged = mint::with_signature(&token, &sig);
    // The platform says invalid: an error, nothing cached.
    assert_eq!(complete(&v, &token, Verdict::Invalid).unwrap_err(), Error::SignatureVerificationFailed);
    // The native verifier judges a forged signature itself, whatever the platform could not (the
    // browser build has none, and says so).
    let refused = |e: Error| {
        if cfg!(feature = "native-crypto") {
            e == Error::SignatureVerificationFailed
        } else {
            matches!(e, Error::CryptoUnavailable(_))
        }
    };
    assert!(refused(complete(&v, &forged, Verdict::Native).unwrap_err()));
    assert!(refused(v.complete_token(&forged, Verdict::Native, Kind::IdToken, &nonce(), NOW).unwrap_err()));
    assert!(v.cache.borrow().tokens.is_empty());
    assert!(v.pending.borrow().queue.is_empty(), "a refused verification is not kept either");
}

#[test]
fn pending_numbers_wrap_around() {
    let v = verifier();
    v.pending.borrow_mut().next = u32::MAX - 1;
    let tokens: Vec<String> = (0..4).map(|i| mint::id_token(json!({"sub": format!("u{i}")}))).collect();
    let ids: Vec<u32> = tokens.iter().map(|token| pending(&v, token)).collect();
    assert_eq!(ids, [u32::MAX - 1, u32::MAX, 0, 1]);
    for (i, id) in ids.iter().enumerate().rev() {
        assert_eq!(v.complete(*id, Verdict::Valid).unwrap().unwrap().claims.claims["sub"], format!("u{i}"));
    }
}
