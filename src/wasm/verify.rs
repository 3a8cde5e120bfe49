//! Verification driven from Rust, for the guard: the core prepares (size cap, strict parsing,
//! header rules, key selection), WebCrypto checks the signature (the native verifier where
//! WebCrypto cannot), and the core finishes with the claims checks, on every call. Bearer tokens,
//! the guard's common case (the same token again and again), go through the core's
//! [`Verifier`], whose cache answers a token verified before without preparing it again; an ID
//! token at the callback, seen once, is verified whole. (The package's `verifyIdToken` and
//! `verifyAccessToken` are `createVerifier`'s, in `js/verifier.js`.)

use super::convert::to_js;
use super::now;
use super::webcrypto::{self, Outcome};
use crate::id_token::{self, IdTokenOptions};
use crate::json::Object;
use crate::jwks::KeySet;
use crate::jws::{self, Prepared, Verified};
#[cfg(feature = "guard")]
use crate::verifier::{Begin, Kind, PerCall};
use crate::verifier::{Verdict, Verifier};
use crate::Result;

/// The signature check: WebCrypto, then the native verifier where WebCrypto does not implement
/// the algorithm.
async fn check_signature(p: Prepared<'_>) -> Result<Verified<'_>> {
    let outcome = webcrypto::verify(
        p.alg().name(),
        p.key().thumbprint(),
        || to_js(&p.key().jwk()),
        p.signature(),
        p.signing_input().as_bytes(),
    )
    .await;
    Verifier::judge(p, verdict(outcome))
}

/// WebCrypto's outcome as the core takes it: where WebCrypto cannot, the native verifier judges.
fn verdict(outcome: Outcome) -> Verdict {
    match outcome {
        Outcome::Valid => Verdict::Valid,
        Outcome::Invalid => Verdict::Invalid,
        Outcome::Unsupported => Verdict::Native,
    }
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

/// Verifies a token with `verifier` at `now` (the guard's bearer tokens): answered from its
/// cache when it verified before, its claims checked again; else WebCrypto's verdict (the native
/// verifier's where WebCrypto cannot) on the signature it names.
#[cfg(feature = "guard")]
pub(super) async fn with_verifier(verifier: &Verifier, token: &str, kind: Kind, now: f64) -> Result<Object> {
    let call = PerCall::default();
    let (pending, key, alg) = match verifier.begin(token, kind, &call, now)? {
        Begin::Done(held) => return Ok(held.claims.claims.clone()),
        Begin::Signature { pending, key, alg } => (pending, key, alg),
    };
    // Copied out: other requests may begin verifications while WebCrypto works.
    let named = verifier.pending(pending, |signature, input| (signature.to_vec(), input.to_vec()));
    let outcome = match (verifier.keys().get(key), named) {
        (Some(key), Some((signature, input))) => {
            webcrypto::verify(alg.name(), key.thumbprint(), || to_js(&key.jwk()), &signature, &input).await
        }
        // Just begun, so never the case; the native verifier would judge.
        _ => Outcome::Unsupported,
    };
    let verdict = verdict(outcome);
    let held = match verifier.complete(pending, verdict) {
        Some(held) => held?,
        // Pushed out by verifications begun meanwhile: the token is prepared again.
        None => verifier.complete_token(token, verdict, kind, &call, now)?,
    };
    Ok(held.claims.claims.clone())
}
