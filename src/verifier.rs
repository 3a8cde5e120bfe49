//! A reusable verifier (README, "createVerifier"), as jose users write `createLocalJWKSet` once:
//! the options and the key set are read once, and a token verified before is answered without
//! parsing it again — its claims are checked against the clock and the call's options on every
//! call, never remembered as a verdict.
//!
//! Sans I/O: [`Verifier::begin`] either answers from the cache or names the key, algorithm,
//! signature and signing input for the shell to verify (WebCrypto in JavaScript, the native
//! fallback here), keeping the parsed token as a pending verification; [`Verifier::complete`]
//! takes the platform's verdict on it and finishes without parsing the token again. A token is
//! cached only after its signature verified with a key of this verifier's set, keyed by the whole
//! token, so a changed byte is a different token.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::rc::Rc;
use std::sync::Arc;

use crate::access_token::{self, AccessTokenOptions, Profile};
use crate::id_token::{self, IdTokenOptions};
use crate::json::Object;
use crate::jwks::{Key, KeySet};
use crate::jws::{self, Alg, Detached, SettledHeader, Verified};
use crate::step_up::Requirement;
use crate::{Error, Result};

/// Tokens kept verified; the oldest is forgotten first.
pub const CACHE_SIZE: usize = 1024;

/// The bytes of tokens and claims text kept verified at most, whatever their number: the
/// provider signs what it signs, and a thousand tokens of 16 KB, each with its claims parsed,
/// would be a good part of a Workers isolate's 128 MB. The oldest is forgotten first.
pub const CACHE_BYTES: usize = 4 << 20;

/// Verifications begun and not completed that are kept; beyond this the oldest is forgotten (its
/// shell then completes it with the token, [`Verifier::complete_token`]), so a verification that
/// never completes holds its token only until this many others have begun.
pub const PENDING_SIZE: usize = 64;

/// Which kind of token a call verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An ID token (OIDC Core 3.1.3.7).
    IdToken,
    /// A JWT access token (RFC 9068, or a plain JWT: [`Profile`]).
    AccessToken,
}

/// What one call adds to the verifier's options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PerCall {
    /// The nonce sent with the authentication request (ID tokens).
    pub expected_nonce: Option<String>,
    /// `max_age` sent with the request, seconds (ID tokens).
    pub max_age: Option<u64>,
    /// A step-up requirement the claims must meet.
    pub requirement: Option<Requirement>,
}

/// A verified token's claims and header, and the claims as JSON text (what JavaScript parses).
#[derive(Debug)]
pub struct Claims {
    /// The claims.
    pub claims: Object,
    /// The protected header.
    pub header: Arc<Object>,
    /// `claims` as JSON text.
    pub text: String,
}

/// A verification that holds: the claims, and the time until which the same call's checks
/// cannot fail (see [`Verifier::valid_until`]).
#[derive(Debug, Clone)]
pub struct Held {
    /// The verified claims.
    pub claims: Rc<Claims>,
    /// Seconds since the epoch, exclusive.
    pub until: f64,
}

/// What [`Verifier::begin`] needs next.
#[derive(Debug)]
pub enum Begin {
    /// Verified before and its claims hold now: done.
    Done(Held),
    /// The signature must be checked, then [`Verifier::complete`] called with `pending` and the
    /// verdict; [`Verifier::pending`] gives the signature and signing input.
    Signature {
        /// The pending verification: a number never given out before by this verifier.
        pending: u32,
        /// The key's index in [`Verifier::keys`].
        key: usize,
        /// The algorithm.
        alg: Alg,
    },
}

/// The platform's verdict on a pending verification's signature. Native builds have no platform
/// verifier (see `jws::Prepared::accept_platform_verdict`): there the native verifier judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The signature verified.
    #[cfg(any(target_arch = "wasm32", test))]
    Valid,
    /// The signature did not verify.
    #[cfg(any(target_arch = "wasm32", test))]
    Invalid,
    /// The platform cannot verify this algorithm: the native verifier checks the signature.
    Native,
}

/// A verification between [`Verifier::begin`] and [`Verifier::complete`]: the token prepared
/// once, and the call it was begun for.
struct Pending {
    id: u32,
    kind: Kind,
    call: PerCall,
    now: f64,
    prepared: Detached,
}

/// The verifier: a key set, the fixed options, the tokens verified so far and the verifications
/// begun.
pub struct Verifier {
    keys: KeySet,
    id: IdTokenOptions,
    access: AccessTokenOptions,
    algorithms: Vec<Alg>,
    cache: RefCell<Cache>,
    pending: RefCell<Pendings>,
    /// The header of the last token prepared (see [`jws::prepare_reusing`]).
    header: RefCell<Option<SettledHeader>>,
}

/// Pending verifications in the order they began (so by `id`), at most [`PENDING_SIZE`].
#[derive(Default)]
struct Pendings {
    next: u32,
    queue: VecDeque<Pending>,
}

/// The token is the key and the eviction order's entry, held once.
#[derive(Default)]
struct Cache {
    tokens: HashMap<Token, Rc<Claims>, BuildHasherDefault<SignatureTail>>,
    order: VecDeque<Token>,
    /// The bytes of the tokens held and of their claims text.
    bytes: usize,
}

/// A cached token, held once by the map and the eviction order. Equal to itself by address
/// before its text is compared: evicting the token `order` names finds it in the map without
/// comparing its kilobyte with itself (wasm compares byte by byte: a microsecond per new token
/// once the cache is full). Hashed and looked up as the `str` it holds.
#[derive(Clone)]
struct Token(Rc<str>);

impl PartialEq for Token {
    fn eq(&self, other: &Token) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Token {}

impl Hash for Token {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As the `str`, so a lookup by `&str` (Borrow) finds it.
        (*self.0).hash(state);
    }
}

impl Borrow<str> for Token {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The cache's hash of a token: its last bytes, which are its signature's. A key is still
/// compared whole, so this only spreads the keys, and a signature spreads them as well as any
/// hash (it is one); SipHash over all of a kilobyte token, twice per new token, was the largest
/// single function in a profile of a new token's verification in wasm. Keys cannot be chosen to
/// collide: only tokens whose signature verified are cached.
#[derive(Default)]
struct SignatureTail(u64);

impl Hasher for SignatureTail {
    fn write(&mut self, bytes: &[u8]) {
        let tail = bytes.get(bytes.len().saturating_sub(16)..).unwrap_or_default();
        for &byte in tail {
            // FxHash's step: rotate, mix in, multiply by a large odd constant.
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Verifier {
    /// A verifier for tokens from `issuer` for `audience`, signed by `keys`. `id` carries the
    /// shared options (policy, algorithms, clock tolerance, maximum token age); its issuer and
    /// audience are the verifier's.
    pub fn new(keys: KeySet, id: IdTokenOptions) -> Result<Verifier> {
        let algorithms = id.algorithms()?;
        let access = AccessTokenOptions {
            issuer: id.issuer.clone(),
            audience: id.audience.clone(),
            requirement: None,
            policy: id.policy.clone(),
            algorithms: id.algorithms.clone(),
            clock_tolerance: id.clock_tolerance,
            current_time: None,
            profile: Profile::default(),
        };
        Ok(Verifier {
            keys,
            id,
            access,
            algorithms,
            cache: RefCell::default(),
            pending: RefCell::default(),
            header: RefCell::default(),
        })
    }

    /// The verifier with access tokens checked in `profile` (`accessTokenProfile`; RFC 9068 by
    /// default).
    pub fn with_access_token_profile(mut self, profile: Profile) -> Verifier {
        self.access.profile = profile;
        self
    }

    /// The key set.
    pub fn keys(&self) -> &[Key] {
        self.keys.keys()
    }

    /// Starts verifying `token` at `now`: answered from the cache when it verified before (the
    /// claims checked again), else a pending verification whose signature must be checked.
    /// Errors are the token's. The pending verification keeps the token (taken, or copied from a
    /// `&str`).
    pub fn begin(&self, token: impl AsRef<str> + Into<String>, kind: Kind, call: &PerCall, now: f64) -> Result<Begin> {
        if let Some(held) = self.cached(token.as_ref(), kind, call, now)? {
            return Ok(Begin::Done(held));
        }
        let prepared = self.prepare(token)?;
        let alg = prepared.alg();
        let prepared = prepared.detach(&self.keys).ok_or(Error::JwksNoMatchingKey)?;
        let key = prepared.key_index();
        let mut pendings = self.pending.borrow_mut();
        let id = pendings.next;
        pendings.next = id.wrapping_add(1);
        if pendings.queue.len() >= PENDING_SIZE {
            pendings.queue.pop_front();
        }
        pendings.queue.push_back(Pending { id, kind, call: call.clone(), now, prepared });
        Ok(Begin::Signature { pending: id, key, alg })
    }

    /// The token prepared with this verifier's keys and algorithms, its header settled once for
    /// the tokens that share it.
    fn prepare(&self, token: impl AsRef<str> + Into<String>) -> Result<jws::Prepared<'_>> {
        jws::prepare_reusing(token, &self.keys, &self.algorithms, &mut self.header.borrow_mut())
    }

    /// The answer from the cache when `token` verified before, its claims checked again at
    /// `now`; `None` when it did not (nothing is begun: [`Verifier::begin`] does that).
    pub fn cached(&self, token: &str, kind: Kind, call: &PerCall, now: f64) -> Result<Option<Held>> {
        let cached = self.cache.borrow().tokens.get(token).cloned();
        let Some(claims) = cached else { return Ok(None) };
        self.check(&claims, kind, call, now)?;
        let until = self.valid_until(&claims, kind, call);
        Ok(Some(Held { claims, until }))
    }

    /// The signature and signing input of pending verification `pending`, for `with`; `None`
    /// when it is not pending.
    pub fn pending<R>(&self, pending: u32, with: impl FnOnce(&[u8], &[u8]) -> R) -> Option<R> {
        let pendings = self.pending.borrow();
        let at = pendings.position(pending)?;
        let prepared = &pendings.queue.get(at)?.prepared;
        Some(with(prepared.signature(), prepared.signing_input().as_bytes()))
    }

    /// Finishes pending verification `pending` with the platform's verdict on its signature, at
    /// the time and with the options it began with. `None` when it is not pending (completed
    /// already, or forgotten for newer ones): the verdict is then refused, and a shell that
    /// still has the token completes it with [`Verifier::complete_token`].
    pub fn complete(&self, pending: u32, verdict: Verdict) -> Option<Result<Held>> {
        let Pending { kind, call, now, prepared, .. } = {
            let mut pendings = self.pending.borrow_mut();
            let at = pendings.position(pending)?;
            pendings.queue.remove(at)?
        };
        let Some(prepared) = prepared.attach(&self.keys) else { return Some(Err(Error::JwksNoMatchingKey)) };
        Some(self.finish(Self::judge(prepared, verdict), kind, &call, now))
    }

    /// Finishes a verification of `token` that is no longer pending with the platform's verdict
    /// on the signature [`Verifier::begin`] named for it: the token is prepared again.
    pub fn complete_token(&self, token: &str, verdict: Verdict, kind: Kind, call: &PerCall, now: f64) -> Result<Held> {
        let prepared = self.prepare(token)?;
        self.finish(Self::judge(prepared, verdict), kind, call, now)
    }

    /// The verified token, on the platform's verdict or natively.
    pub(crate) fn judge(prepared: jws::Prepared<'_>, verdict: Verdict) -> Result<Verified<'_>> {
        match verdict {
            #[cfg(any(target_arch = "wasm32", test))]
            Verdict::Valid => prepared.accept_platform_verdict(true),
            #[cfg(any(target_arch = "wasm32", test))]
            Verdict::Invalid => prepared.accept_platform_verdict(false),
            Verdict::Native => jws::verify_signature(prepared),
        }
    }

    /// The whole verification natively.
    pub fn verify(&self, token: &str, kind: Kind, call: &PerCall, now: f64) -> Result<Held> {
        if let Some(held) = self.cached(token, kind, call, now)? {
            return Ok(held);
        }
        let prepared = self.prepare(token)?;
        self.finish(jws::verify_signature(prepared), kind, call, now)
    }

    fn finish(&self, verified: Result<Verified<'_>>, kind: Kind, call: &PerCall, now: f64) -> Result<Held> {
        let verified = verified?;
        let claims = verified.claims()?;
        let text = verified.claims_text()?.to_string();
        let token = Token(Rc::from(verified.token()));
        let claims = Rc::new(Claims { claims, header: verified.into_header(), text });
        // Cached once the signature verified: a token whose claims fail now (expired, short of
        // the requirement) is still this issuer's, and a later call may judge it differently.
        self.remember(token, claims.clone());
        self.check(&claims, kind, call, now)?;
        let until = self.valid_until(&claims, kind, call);
        Ok(Held { claims, until })
    }

    /// The time until which the checks of `kind` with this call's options cannot fail for claims
    /// that passed them: every check that time can turn from passing to failing has an upper
    /// bound — `exp` plus the tolerance (RFC 7519 §4.1.4), an ID token's `iat` plus its maximum
    /// age, and `auth_time` plus a `maxAge` (the call's or the requirement's) — and the others
    /// (`nbf`, an `iat` or `auth_time` in the future) only turn from failing to passing. So a
    /// shell may answer the same call again without asking while `now` lies between the time of
    /// the check and this bound; the bound errs early, never late (a fuzz target checks it).
    pub fn valid_until(&self, claims: &Claims, kind: Kind, call: &PerCall) -> f64 {
        let date = |name: &str| claims.claims.get(name).and_then(serde_json::Value::as_f64);
        let tolerance = self.id.clock_tolerance() as f64;
        let mut until = date("exp").map_or(f64::NEG_INFINITY, |exp| exp + tolerance);
        if kind == Kind::IdToken {
            let max_token_age = self.id.max_token_age.unwrap_or(id_token::DEFAULT_MAX_TOKEN_AGE) as f64;
            until = until.min(date("iat").map_or(f64::NEG_INFINITY, |iat| iat + max_token_age + tolerance));
        }
        let max_ages = [call.max_age, call.requirement.as_ref().and_then(|r| r.max_age)];
        for max_age in max_ages.into_iter().flatten() {
            until = until.min(date("auth_time").map_or(f64::NEG_INFINITY, |t| t + max_age as f64 + tolerance));
        }
        until
    }

    fn remember(&self, token: Token, claims: Rc<Claims>) {
        let mut cache = self.cache.borrow_mut();
        let bytes = token.0.len() + claims.text.len();
        if cache.tokens.insert(token.clone(), claims).is_none() {
            cache.order.push_back(token);
            cache.bytes += bytes;
            while cache.order.len() > CACHE_SIZE || cache.bytes > CACHE_BYTES {
                let Some(old) = cache.order.pop_front() else { break };
                if let Some(claims) = cache.tokens.remove(&old) {
                    cache.bytes = cache.bytes.saturating_sub(old.0.len() + claims.text.len());
                }
            }
        }
    }

    /// The claims checks of `kind` with this call's options, on every call.
    pub fn check(&self, claims: &Claims, kind: Kind, call: &PerCall, now: f64) -> Result<()> {
        match kind {
            Kind::IdToken => {
                let plain = call.expected_nonce.is_none() && call.max_age.is_none() && call.requirement.is_none();
                if plain {
                    return id_token::check(&claims.claims, &claims.header, &self.id, now);
                }
                let opts = IdTokenOptions {
                    expected_nonce: call.expected_nonce.clone(),
                    max_age: call.max_age,
                    requirement: call.requirement.clone(),
                    ..self.id.clone()
                };
                id_token::check(&claims.claims, &claims.header, &opts, now)
            }
            Kind::AccessToken if call.requirement.is_none() => {
                access_token::check(&claims.claims, &claims.header, &self.access, now)
            }
            Kind::AccessToken => {
                let opts = AccessTokenOptions { requirement: call.requirement.clone(), ..self.access.clone() };
                access_token::check(&claims.claims, &claims.header, &opts, now)
            }
        }
    }
}

impl Pendings {
    /// Where pending verification `id` is in the queue.
    fn position(&self, id: u32) -> Option<usize> {
        // Ids rise in the order verifications begin (wrapping at u32::MAX, far beyond the short
        // run the queue holds), so counted from the oldest they are sorted.
        let first = self.queue.front()?.id;
        let offset = id.wrapping_sub(first);
        self.queue.binary_search_by_key(&offset, |p| p.id.wrapping_sub(first)).ok()
    }
}

#[cfg(test)]
mod tests;
