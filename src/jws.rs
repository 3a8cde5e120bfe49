//! Compact JWS (RFC 7515 §7.1) for JWTs (RFC 7519 §7.2), split in three steps so that the
//! signature check can be done by whichever backend the platform has:
//!
//! 1. [`prepare`]: size cap, structure, strict base64url and JSON, header rules, algorithm
//!    allow-list and key selection — everything that can be decided before any cryptography;
//! 2. a backend checks [`Prepared::signature`] over [`Prepared::signing_input`] with
//!    [`Prepared::key`] and turns the [`Prepared`] into a [`Verified`] token: [`verify_signature`]
//!    (jwt-compact, pure Rust; Cargo feature `native-crypto`) natively and as the fallback, or,
//!    in the wasm layer only, `Prepared::accept_platform_verdict` with WebCrypto's answer;
//! 3. [`Verified::claims`]: the payload, parsed strictly as a JSON object, then
//!    [`crate::id_token::check`] or [`crate::access_token::check`]. Only a [`Verified`] token has
//!    claims, so no caller can read them from a token whose signature was never checked
//!    (RFC 7515 §5.2 step 8 comes before the payload is used; RFC 8725 §3.3).
//!
//! ## Design choices
//! - **The token chooses nothing** (RFC 8725 §3.1, §3.10): the algorithm must be in the
//!   caller's allow-list (exact, case-sensitive; `none` never exists here), the key comes only
//!   from the caller's key set and must fit the algorithm; `jwk`, `jku`, `x5u`, `x5c`, `x5t`
//!   headers are ignored, never fetched, never used; `kid` is an opaque string.
//! - **Refuse what we do not implement** (RFC 7515 §4.1.11): any `crit`, `b64`, `cty` or `zip`
//!   header is `ERR_JOSE_NOT_SUPPORTED` — jwt-compact 0.8 would silently accept `crit` and
//!   `b64:false` (catalog A21, A22; jwt-compact probes E1, E2).
//! - **One encoding per token**: canonical unpadded base64url only (A14–A16), so a token has
//!   exactly one string form, and duplicate JSON members are refused at any depth (A19, A20).
//! - **Signature lengths are exact** before any backend sees them: 64 bytes `r‖s` for ES256
//!   (a DER signature is refused, B12), 64 for Ed25519, the modulus length for RSA.
//! - ECDSA signatures are not normalised: a high-`s` ES256 signature (`n − s`) verifies, as it
//!   does in WebCrypto (B13). Replay protection must therefore key on `jti`/`nonce`, never on the
//!   token string.

use std::fmt;
use std::sync::Arc;

#[cfg(feature = "native-crypto")]
use jwt_compact::alg::{Ed25519, Es256, Rsa, RsaSignature};
#[cfg(feature = "native-crypto")]
use jwt_compact::{Algorithm, AlgorithmSignature};
use serde_json::Value;

use crate::json::{self, Object};
#[cfg(feature = "native-crypto")]
use crate::jwks::Material;
use crate::jwks::{Key, KeyKind, KeySet};
use crate::secret::Redacted;
use crate::{base64url, Error, Result};

/// The default token size cap (catalog A29): far above any real ID or access token, and below
/// the header limits of edge runtimes.
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 16 * 1024;

/// A JWS algorithm stepup verifies (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt (RFC 7518 §3.5).
    Ps256,
    /// ECDSA on P-256 with SHA-256, signature `r‖s`.
    Es256,
    /// EdDSA as named by RFC 8037; only Ed25519 keys are used.
    EdDSA,
    /// Ed25519 as named by RFC 9864 (the fully specified name of the same signature).
    Ed25519,
}

/// The default allow-list (contract section 4). `Ed25519` must be asked for by name.
pub const DEFAULT_ALGORITHMS: [Alg; 4] = [Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDSA];

impl Alg {
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Ps256 => "PS256",
            Alg::Es256 => "ES256",
            Alg::EdDSA => "EdDSA",
            Alg::Ed25519 => "Ed25519",
        }
    }

    /// Every algorithm, in a fixed order (a shell may name one by its place).
    pub const ALL: [Alg; 5] = [Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDSA, Alg::Ed25519];

    /// The algorithm with this exact (case-sensitive) name.
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// Parses a caller's `algorithms` option; absent means [`DEFAULT_ALGORITHMS`]. Unknown
    /// names, repeats and an empty list are caller mistakes (`ERR_INVALID_ARG_VALUE`).
    pub fn parse_list(names: Option<&[String]>) -> Result<Vec<Alg>> {
        let Some(names) = names else {
            return Ok(DEFAULT_ALGORITHMS.to_vec());
        };
        if names.is_empty() {
            return Err(Error::arg_value("algorithms", "must name at least one algorithm"));
        }
        let mut algs = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let alg = Alg::from_name(name).ok_or_else(|| {
                Error::arg_value(
                    format!("algorithms[{i}]"),
                    format!("{name:?} is not one of RS256, PS256, ES256, EdDSA, Ed25519"),
                )
            })?;
            if algs.contains(&alg) {
                return Err(Error::arg_value(format!("algorithms[{i}]"), "is repeated"));
            }
            algs.push(alg);
        }
        Ok(algs)
    }

    /// Whether a key can verify this algorithm: its kind fits, and its `alg`, when present,
    /// is exactly this one (RFC 7517 §4.4, catalog C08).
    pub fn fits(self, key: &Key) -> bool {
        let kind = match self {
            Alg::Rs256 | Alg::Ps256 => KeyKind::Rsa,
            Alg::Es256 => KeyKind::P256,
            Alg::EdDSA | Alg::Ed25519 => KeyKind::Ed25519,
        };
        key.kind() == kind && key.alg().is_none_or(|alg| alg == self.name())
    }
}

/// Limits on untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest token accepted, in bytes; checked before any decoding.
    pub max_token_length: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_token_length: DEFAULT_MAX_TOKEN_LENGTH }
    }
}

/// A parsed token whose signature is not checked yet, with its key as `K`: the key itself
/// ([`Prepared`]) or its place in the set ([`Detached`]). Either way it gives no access to its
/// claims.
#[derive(Clone)]
pub struct Unverified<K> {
    alg: Alg,
    key: K,
    header: Arc<Object>,
    token: String,
    signing_input_len: usize,
    payload_b64_len: usize,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// A token whose structure, header and key are settled; its signature is not checked yet, so it
/// gives no access to its claims: a signature check turns it into a [`Verified`] token.
pub type Prepared<'k> = Unverified<&'k Key>;

/// A [`Prepared`] token held apart from its key set (see [`Prepared::detach`]): only
/// [`Detached::attach`] back to the same set leads on to a signature check.
pub type Detached = Unverified<usize>;

impl<K> Unverified<K> {
    /// The algorithm, from the allow-list.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The JWS signing input (RFC 7515 §5.2 step 8): `header.payload` exactly as received.
    pub fn signing_input(&self) -> &str {
        self.token.get(..self.signing_input_len).unwrap_or_default()
    }

    /// The decoded signature, of the exact length the algorithm and key call for.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

impl<'k> Prepared<'k> {
    /// The key the signature must verify with.
    pub fn key(&self) -> &'k Key {
        self.key
    }

    /// The protected header, parsed strictly.
    pub fn header(&self) -> &Object {
        &self.header
    }

    /// The payload segment as received (base64url).
    pub fn payload_b64(&self) -> &str {
        let start = self.signing_input_len.saturating_sub(self.payload_b64_len);
        self.token.get(start..self.signing_input_len).unwrap_or_default()
    }

    /// The wasm layer's way to a [`Verified`] token: `valid` is the verdict of the platform's
    /// verifier (WebCrypto `crypto.subtle.verify`) on exactly [`Prepared::signature`] over
    /// [`Prepared::signing_input`] with [`Prepared::key`] and [`Prepared::alg`], or that verdict
    /// remembered for the same three. `false` is `ERR_JWS_SIGNATURE_VERIFICATION_FAILED`.
    /// Native builds have no platform verifier, so there only [`verify_signature`] verifies.
    #[cfg(any(target_arch = "wasm32", test))]
    pub fn accept_platform_verdict(self, valid: bool) -> Result<Verified<'k>> {
        if valid {
            Ok(Verified(self))
        } else {
            Err(Error::SignatureVerificationFailed)
        }
    }

    /// This token held apart from `keys` (the set it was prepared with), between a shell's two
    /// calls: the key is named by its place in the set. `None` when the key is not in `keys`.
    pub fn detach(self, keys: &KeySet) -> Option<Detached> {
        let Prepared { alg, key, header, token, signing_input_len, payload_b64_len, payload, signature } = self;
        let key = keys.keys().iter().position(|k| std::ptr::eq(k, key))?;
        Some(Detached { alg, key, header, token, signing_input_len, payload_b64_len, payload, signature })
    }
}

impl Detached {
    /// The key's index in the set it was prepared with.
    pub fn key_index(&self) -> usize {
        self.key
    }

    /// The prepared token again, with its key from `keys`, the set [`Prepared::detach`] was given;
    /// `None` if `keys` has no such key or it no longer fits the algorithm.
    pub fn attach(self, keys: &KeySet) -> Option<Prepared<'_>> {
        let Detached { alg, key, header, token, signing_input_len, payload_b64_len, payload, signature } = self;
        let key = keys.keys().get(key).filter(|key| alg.fits(key))?;
        Some(Prepared { alg, key, header, token, signing_input_len, payload_b64_len, payload, signature })
    }
}

/// As [`Prepared`]'s, without the token.
impl fmt::Debug for Detached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Detached").field("alg", &self.alg).field("key", &self.key).finish_non_exhaustive()
    }
}

/// The token is the secret here (a bearer credential, RFC 6750 §5.3): the signing input,
/// payload and signature together rebuild it, so they are left out.
impl fmt::Debug for Prepared<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Prepared { alg, key, header, token: _, signing_input_len: _, payload_b64_len: _, payload: _, signature: _ } =
            self;
        f.debug_struct("Prepared")
            .field("alg", alg)
            .field("key", key)
            .field("header", header)
            .field("signing_input", &Redacted)
            .field("payload", &Redacted)
            .field("signature", &Redacted)
            .finish()
    }
}

/// A token whose signature verified with [`Verified::key`]. Only [`verify_signature`] and, in
/// the wasm layer, the platform's verdict make one, and only it gives the claims.
#[derive(Debug, Clone)]
pub struct Verified<'k>(Prepared<'k>);

impl<'k> Verified<'k> {
    /// The algorithm the signature verified with.
    pub fn alg(&self) -> Alg {
        self.0.alg
    }

    /// The key the signature verified with.
    pub fn key(&self) -> &'k Key {
        self.0.key
    }

    /// The protected header, parsed strictly.
    pub fn header(&self) -> &Object {
        &self.0.header
    }

    /// The token as received.
    pub fn token(&self) -> &str {
        &self.0.token
    }

    /// The protected header, kept with the claims once they are read.
    pub fn into_header(self) -> Arc<Object> {
        self.0.header
    }

    /// The claims: the payload must be UTF-8 and a strict JSON object (catalog A10–A13, A20,
    /// A30).
    pub fn claims(&self) -> Result<Object> {
        json::parse_object(&self.0.payload).map_err(|why| Error::JwtMalformed(format!("claims: {why}")))
    }

    /// The claims as JSON text exactly as signed, for a shell to parse rather than the claims
    /// written out again: where [`Verified::claims`] parsed them, the text is UTF-8 and means the
    /// same values to `JSON.parse` (both strict JSON, RFC 8259, numbers rounded alike).
    pub fn claims_text(&self) -> Result<&str> {
        std::str::from_utf8(&self.0.payload).map_err(|_| Error::JwtMalformed("claims: not UTF-8".into()))
    }
}

/// [`prepare_with`] with the default [`Limits`].
pub fn prepare<'k>(
    token: impl AsRef<str> + Into<String>,
    keys: &'k KeySet,
    algorithms: &[Alg],
) -> Result<Prepared<'k>> {
    prepare_with(token, keys, algorithms, &Limits::default())
}

/// Parses a compact JWS and settles everything but the signature, in this order: size cap
/// (before any decoding), three segments, strict base64url, header as a strict JSON object,
/// `alg` in the allow-list, a non-empty signature, unsupported header features, key selection,
/// signature length. The prepared token keeps `token` (taken, or copied from a `&str`).
pub fn prepare_with<'k>(
    token: impl AsRef<str> + Into<String>,
    keys: &'k KeySet,
    algorithms: &[Alg],
    limits: &Limits,
) -> Result<Prepared<'k>> {
    prepare_inner(token, keys, algorithms, limits, None)
}

/// A protected header segment as [`prepare`] read it: decoded, parsed strictly, its `alg` and
/// nothing it does not support. A provider signs its tokens with one header per key, so a
/// verifier keeps the last one and, for a token with exactly the same segment, skips decoding
/// and parsing it again: the same bytes read the same way. The allow-list and the key are
/// checked again for every token, against the set and list it is prepared with.
#[derive(Debug, Clone)]
pub struct SettledHeader {
    segment: Box<str>,
    header: Arc<Object>,
    alg: Alg,
}

/// [`prepare`], with the header taken from `last` when the token's header segment is the one
/// it read; otherwise the header read here is left in `last`.
pub fn prepare_reusing<'k>(
    token: impl AsRef<str> + Into<String>,
    keys: &'k KeySet,
    algorithms: &[Alg],
    last: &mut Option<SettledHeader>,
) -> Result<Prepared<'k>> {
    prepare_inner(token, keys, algorithms, &Limits::default(), Some(last))
}

fn prepare_inner<'k>(
    token: impl AsRef<str> + Into<String>,
    keys: &'k KeySet,
    algorithms: &[Alg],
    limits: &Limits,
    last: Option<&mut Option<SettledHeader>>,
) -> Result<Prepared<'k>> {
    let text = token.as_ref();
    if text.len() > limits.max_token_length {
        return Err(Error::JwtTooLarge { size: text.len(), limit: limits.max_token_length });
    }
    let (header_b64, payload_b64, signature_b64) = split(text)?;
    // A header segment read before (decoded, parsed, its `alg` allowed and nothing unsupported)
    // reads the same way again; only its key is chosen anew, from this set.
    let known = last
        .as_deref()
        .and_then(Option::as_ref)
        .filter(|settled| *settled.segment == *header_b64 && algorithms.contains(&settled.alg))
        .map(|settled| (settled.header.clone(), settled.alg));
    let header_bytes = if known.is_none() { decode(header_b64, "header")? } else { Vec::new() };
    let payload = decode(payload_b64, "payload")?;
    let signature = decode(signature_b64, "signature")?;
    let (header, alg, read) = match known {
        Some((header, alg)) => (header, alg, false),
        None => {
            let header =
                json::parse_object(&header_bytes).map_err(|why| Error::JwtMalformed(format!("header: {why}")))?;
            let alg = allowed_alg(&header, algorithms)?;
            (Arc::new(header), alg, true)
        }
    };
    if signature.is_empty() {
        return Err(Error::JwtMalformed("empty signature segment".into()));
    }
    if read {
        refuse_unsupported(&header)?;
        if let Some(last) = last {
            *last = Some(SettledHeader { segment: header_b64.into(), header: header.clone(), alg });
        }
    }
    let key = select_key(keys, alg, &header)?;
    if signature.len() != key.signature_len() {
        return Err(Error::SignatureVerificationFailed);
    }
    let signing_input_len = header_b64.len() + 1 + payload_b64.len();
    Ok(Prepared {
        alg,
        key,
        header,
        payload_b64_len: payload_b64.len(),
        token: token.into(),
        signing_input_len,
        payload,
        signature,
    })
}

/// Exactly three segments, header and payload non-empty (RFC 7515 §7.1). Five segments are a JWE (RFC 7516 §7.1),
/// refused as not supported; a JSON serialization (RFC 7515 §7.2) is not a compact token.
fn split(token: &str) -> Result<(&str, &str, &str)> {
    if token.starts_with('{') {
        return Err(Error::JwtMalformed("a JWS JSON serialization is not a compact token".into()));
    }
    let mut segments = token.split('.');
    let first = [segments.next(), segments.next(), segments.next()];
    let more = segments.count();
    match (first, more) {
        ([Some(header), Some(payload), Some(signature)], 0) => {
            // An empty signature is checked after `alg`: it is only meaningful for `none`
            // (RFC 7519 §6), which is then refused as not allowed.
            for (name, segment) in [("header", header), ("payload", payload)] {
                if segment.is_empty() {
                    return Err(Error::JwtMalformed(format!("empty {name} segment")));
                }
            }
            Ok((header, payload, signature))
        }
        ([Some(_), Some(_), Some(_)], 2) => Err(Error::JoseNotSupported("encrypted tokens (JWE)".into())),
        _ => Err(Error::JwtMalformed(format!("{} segments, not 3", first.iter().flatten().count() + more))),
    }
}

fn decode(segment: &str, name: &str) -> Result<Vec<u8>> {
    base64url::decode(segment).ok_or_else(|| Error::JwtMalformed(format!("{name} is not canonical unpadded base64url")))
}

/// `alg` (RFC 7515 §4.1.1) must be a string naming an allowed algorithm, exactly.
fn allowed_alg(header: &Object, algorithms: &[Alg]) -> Result<Alg> {
    let name = match header.get("alg") {
        Some(Value::String(name)) => name,
        Some(_) => return Err(Error::JoseAlgNotAllowed("\"alg\" must be a string".into())),
        None => return Err(Error::JoseAlgNotAllowed("\"alg\" is missing".into())),
    };
    algorithms
        .iter()
        .copied()
        .find(|alg| alg.name() == name)
        .ok_or_else(|| Error::JoseAlgNotAllowed(format!("{name:?} is not allowed")))
}

/// Header parameters whose meaning stepup does not implement; ignoring any of them could
/// change what the signature covers or what the payload means.
fn refuse_unsupported(header: &Object) -> Result<()> {
    for (name, what) in [
        ("crit", "critical header parameters (\"crit\")"),
        ("b64", "unencoded payloads (\"b64\")"),
        ("cty", "content types (\"cty\"), including nested tokens"),
        ("zip", "compressed payloads (\"zip\")"),
        ("enc", "encrypted tokens (\"enc\")"),
    ] {
        if header.contains_key(name) {
            return Err(Error::JoseNotSupported(what.into()));
        }
    }
    Ok(())
}

/// The one key that fits: among usable keys that fit the algorithm, the one with the token's
/// `kid` (opaque string; a non-string `kid` matches nothing), or, without a `kid`, the only
/// one. The same key material listed twice counts once.
fn select_key<'k>(keys: &'k KeySet, alg: Alg, header: &Object) -> Result<&'k Key> {
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.as_str()),
        Some(_) => return Err(Error::JwksNoMatchingKey),
    };
    let mut chosen: Option<&Key> = None;
    let candidates = keys.keys().iter().filter(|key| alg.fits(key) && kid.is_none_or(|kid| key.kid() == Some(kid)));
    for key in candidates {
        match chosen {
            None => chosen = Some(key),
            Some(first) if first.thumbprint() == key.thumbprint() => {}
            Some(_) => return Err(Error::JwksMultipleMatchingKeys),
        }
    }
    chosen.ok_or(Error::JwksNoMatchingKey)
}

/// The native signature backend: jwt-compact's algorithms over the raw signing input.
/// RSA-PSS uses a salt as long as the hash (RFC 7518 §3.5, catalog B17); ECDSA `r`, `s` of zero
/// or at least the group order are refused by `p256` (B10, B11); Ed25519 refuses a
/// non-canonical `S` (B14).
#[cfg(feature = "native-crypto")]
pub fn verify_signature(p: Prepared<'_>) -> Result<Verified<'_>> {
    verify_message(p.alg(), p.key(), p.signing_input().as_bytes(), p.signature())?;
    Ok(Verified(p))
}

/// The native check of one signature over a message: exactly the key's signature length (RFC
/// 7518 §3.3, §3.4), then the algorithm. What [`verify_signature`] runs on a JWS signing input,
/// and what the raw-signature test vectors (Wycheproof) reach directly.
#[cfg(feature = "native-crypto")]
pub fn verify_message(alg: Alg, key: &Key, message: &[u8], signature: &[u8]) -> Result<()> {
    let valid = signature.len() == key.signature_len()
        && match (alg, key.material()) {
            (Alg::Rs256, Material::Rsa(key)) => rsa(Rsa::rs256(), key, signature, message),
            (Alg::Ps256, Material::Rsa(key)) => rsa(Rsa::ps256(), key, signature, message),
            (Alg::Es256, Material::P256(key)) => verify_with(&Es256, key, signature, message),
            (Alg::EdDSA | Alg::Ed25519, Material::Ed25519(key)) => verify_with(&Ed25519, key, signature, message),
            _ => false,
        };
    if valid {
        Ok(())
    } else {
        Err(Error::SignatureVerificationFailed)
    }
}

#[cfg(feature = "native-crypto")]
fn rsa(alg: Rsa, key: &jwt_compact::alg::RsaPublicKey, signature: &[u8], message: &[u8]) -> bool {
    RsaSignature::try_from_slice(signature).is_ok_and(|signature| alg.verify_signature(&signature, key, message))
}

#[cfg(feature = "native-crypto")]
fn verify_with<A: Algorithm>(alg: &A, key: &A::VerifyingKey, signature: &[u8], message: &[u8]) -> bool {
    A::Signature::try_from_slice(signature).is_ok_and(|signature| alg.verify_signature(&signature, key, message))
}

/// Without the native backend (the browser build, Cargo feature `native-crypto` off), a token
/// the platform cannot verify is refused as such: `ERR_CRYPTO_UNAVAILABLE`, never a pass and
/// never a failed signature, which would blame the token.
#[cfg(not(feature = "native-crypto"))]
pub fn verify_signature(p: Prepared<'_>) -> Result<Verified<'_>> {
    Err(Error::CryptoUnavailable(format!(
        "WebCrypto's {} (the browser build has no native verifier for it)",
        p.alg().name()
    )))
}

#[cfg(test)]
mod tests;
