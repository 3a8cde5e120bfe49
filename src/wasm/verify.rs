//! Verification for the guard's bearer tokens and callbacks and the browser client, driven from
//! Rust: the core prepares (size cap, strict parsing, header rules, key selection), WebCrypto
//! checks the signature (the native verifier where WebCrypto cannot), and the core finishes with
//! the claims checks, on every call. (The package's `verifyIdToken` and `verifyAccessToken` are
//! `createVerifier`'s, in `js/verifier.js`.)
//!
//! A bounded cache makes the guard's common case, the same token again and again, nearly free:
//! tokens whose signature already verified, keyed by the token and the identity (RFC 7638
//! thumbprint) of the key that verified it. A key that leaves the set can no longer be selected,
//! so its cached verdicts are never consulted again.

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};

use sha2::{Digest, Sha256};

use super::convert::to_js;
use super::now;
use super::webcrypto::{self, Outcome};
#[cfg(feature = "guard")]
use crate::access_token::{self, AccessTokenOptions};
use crate::id_token::{self, IdTokenOptions};
use crate::json::Object;
use crate::jwks::KeySet;
use crate::jws::{self, Prepared, Verified};
use crate::Result;

/// Verified (token, key) pairs kept.
const VERIFIED_CACHE: usize = 4096;

/// Digests of verified (token, key) pairs; the oldest is forgotten beyond [`VERIFIED_CACHE`].
#[derive(Default)]
struct Verdicts {
    members: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

thread_local! {
    static VERIFIED: RefCell<Verdicts> = RefCell::new(Verdicts::default());
}

fn verified_key(p: &Prepared) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(p.signing_input().as_bytes());
    h.update([0]);
    h.update(p.signature());
    h.update([0]);
    h.update(p.key().thumbprint().as_bytes());
    h.finalize().into()
}

fn remember(key: [u8; 32]) {
    VERIFIED.with(|v| {
        let v = &mut *v.borrow_mut();
        if v.members.insert(key) {
            v.order.push_back(key);
            if v.order.len() > VERIFIED_CACHE {
                if let Some(old) = v.order.pop_front() {
                    v.members.remove(&old);
                }
            }
        }
    });
}

/// The signature check: the cache, then WebCrypto, then the native verifier where WebCrypto
/// does not implement the algorithm.
async fn check_signature(p: Prepared<'_>) -> Result<Verified<'_>> {
    let cache_key = verified_key(&p);
    if VERIFIED.with(|v| v.borrow().members.contains(&cache_key)) {
        // The same signature over the same input verified with the same key before: the cache
        // key covers all three.
        return p.accept_platform_verdict(true);
    }
    let outcome = webcrypto::verify(
        p.alg().name(),
        p.key().thumbprint(),
        || to_js(&p.key().jwk()),
        p.signature(),
        p.signing_input().as_bytes(),
    )
    .await;
    let verified = match outcome {
        Outcome::Valid => p.accept_platform_verdict(true)?,
        Outcome::Invalid => p.accept_platform_verdict(false)?,
        Outcome::Unsupported => jws::verify_signature(p)?,
    };
    remember(cache_key);
    Ok(verified)
}

/// The whole verification with a parsed key set: the core's preparation, the signature check,
/// the verified token's claims, then `check_claims`, which runs on every call, cached signature
/// or not.
pub(super) async fn verify_with(
    token: &str,
    keys: &KeySet,
    algorithms: &[jws::Alg],
    check_claims: impl FnOnce(&Object, &Object) -> Result<()>,
) -> Result<Object> {
    let verified = check_signature(jws::prepare(token, keys, algorithms)?).await?;
    let claims = verified.claims()?;
    check_claims(&claims, verified.header())?;
    Ok(claims)
}

/// Verifies an ID token with a parsed key set (the guard's callback).
pub(super) async fn id_token(token: &str, keys: &KeySet, o: &IdTokenOptions) -> Result<Object> {
    verify_with(token, keys, &o.algorithms()?, |claims, header| id_token::check(claims, header, o, now(o.current_time)))
        .await
}

/// Verifies an access token with a parsed key set (the guard's API requests).
#[cfg(feature = "guard")]
pub(super) async fn access_token(token: &str, keys: &KeySet, o: &AccessTokenOptions) -> Result<Object> {
    verify_with(token, keys, &o.algorithms()?, |claims, header| {
        access_token::check(claims, header, o, now(o.current_time))
    })
    .await
}
