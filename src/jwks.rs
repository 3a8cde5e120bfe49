//! JSON Web Key Sets (RFC 7517 §5): the only place verification keys come from.
//!
//! A key set is parsed once, strictly, into keys that are ready for both signature backends: the
//! public JWK members WebCrypto imports ([`Key::jwk`]) and the parsed key the native verifier
//! uses. Keys named in a token header (`jwk`, `jku`, `x5u`, `x5c`) are never consulted
//! (RFC 8725 §3.10); see [`crate::jws`].
//!
//! ## What makes a set invalid, what makes a key unusable
//! RFC 7517 §5 asks implementations to *ignore* keys they do not understand, so a provider's
//! mixed set (encryption keys, P-384 keys, new key types) keeps working. stepup ignores — keeps
//! out of selection, listed in [`KeySet::skipped`] — a key that is well formed but not for us:
//! - `use` other than `sig`, or `key_ops` without `verify` (catalog C06, C07);
//! - a `kty` other than `RSA`, `EC`, `OKP`; an `EC` curve other than `P-256` or an `OKP` curve
//!   other than `Ed25519` (B24: such a key can never verify an `ES256`/`EdDSA` token);
//! - an RSA modulus over 4096 bits (B20): the pure-Rust verifier cannot use it
//!   (`ModulusTooLarge`), and both backends must give the same answer.
//!
//! Anything that is malformed or dangerous makes the whole set invalid (`ERR_JWKS_INVALID`), so
//! the failure is loud instead of a silently missing key:
//! - not `{"keys":[...]}`, more than [`MAX_KEYS`] keys, an entry that is not an object (C11);
//! - a symmetric (`oct`) key or any private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`,
//!   `k`): symmetric and private keys never come from a key set (C10);
//! - `kid`, `use`, `alg` that are not strings; `key_ops` that is not an array of distinct strings
//!   (C07); a missing `kty`;
//! - for a signing key: an RSA modulus under 2048 bits (B18) or with the ROCA fingerprint (B21:
//!   made by Infineon's RSALib, so anyone can factor it, CVE-2017-15361), an even or unit public
//!   exponent (B19), a P-256 point of the wrong length or off the curve (B23), an Ed25519 point
//!   that does not decompress or has small order (a small-order key lets anyone forge signatures).
//!
//! Two different keys with the same `kid` are not refused here; selecting between them is
//! ambiguous and fails with `ERR_JWKS_MULTIPLE_MATCHING_KEYS` (C09, contract section 3).

use ed25519_dalek::VerifyingKey as Ed25519Key;
use p256::ecdsa::VerifyingKey as P256Key;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{base64url, json, Error, Result};

mod roca;

/// The most keys a set may hold; real providers publish a handful.
pub const MAX_KEYS: usize = 100;

/// The smallest RSA modulus accepted (RFC 7518 §3.3, catalog B18).
pub const MIN_RSA_BITS: usize = 2048;

/// The largest RSA modulus used (catalog B20); larger keys are skipped as unusable.
pub const MAX_RSA_BITS: usize = 4096;

/// Members that only private or symmetric keys have (RFC 7518 §6.3.2, §6.2.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The kind of a usable key, which decides the algorithms it can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA, 2048 to 4096 bits: `RS256`, `PS256`.
    Rsa,
    /// EC on P-256: `ES256`.
    P256,
    /// OKP on Ed25519: `EdDSA` / `Ed25519`.
    Ed25519,
}

/// Key material for the native verifier. Without it (Cargo feature `native-crypto` off) the
/// parsed key is kept unread: parsing it is the check that makes both builds accept the same keys.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "native-crypto"), allow(dead_code))]
pub(crate) enum Material {
    Rsa(RsaPublicKey),
    P256(P256Key),
    Ed25519(Ed25519Key),
}

/// One usable public signing key from a key set.
#[derive(Debug, Clone)]
pub struct Key {
    kid: Option<String>,
    alg: Option<String>,
    thumbprint: String,
    jwk: Value,
    signature_len: usize,
    material: Material,
}

impl Key {
    /// The key's `kid`, compared with a token's `kid` as an opaque string.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Which algorithms the key can verify.
    pub fn kind(&self) -> KeyKind {
        match self.material {
            Material::Rsa(_) => KeyKind::Rsa,
            Material::P256(_) => KeyKind::P256,
            Material::Ed25519(_) => KeyKind::Ed25519,
        }
    }

    /// The key's `alg` member: when present, the only algorithm it may verify (RFC 7517 §4.4).
    pub fn alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }

    /// The key's identity: its RFC 7638 JWK thumbprint (SHA-256, base64url). It changes
    /// whenever the key material changes, so caches can be keyed on it.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The public members WebCrypto's `importKey("jwk", ...)` needs, plus `alg` when the key
    /// has one: `{kty, n, e}`, `{kty, crv, x, y}` or `{kty, crv, x}`, canonically encoded.
    pub fn jwk(&self) -> Value {
        self.jwk.clone()
    }

    /// The length in bytes a signature by this key has: the modulus length for RSA
    /// (RFC 8017 §8.2.2), 64 for P-256 (`r‖s`, RFC 7518 §3.4) and Ed25519 (RFC 8032 §5.1.6).
    pub fn signature_len(&self) -> usize {
        self.signature_len
    }

    #[cfg(feature = "native-crypto")]
    pub(crate) fn material(&self) -> &Material {
        &self.material
    }
}

/// A key the set holds but stepup does not use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// The key's `kid`, if any.
    pub kid: Option<String>,
    /// Why it is not used, in lower case.
    pub reason: String,
}

/// A parsed JSON Web Key Set.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<Key>,
    skipped: Vec<SkippedKey>,
}

impl KeySet {
    /// Parses JWKS text (`{"keys":[...]}`) strictly: duplicate members, private or symmetric
    /// keys, weak or malformed signing keys make the whole set invalid (`ERR_JWKS_INVALID`).
    pub fn parse(text: &[u8]) -> Result<KeySet> {
        let object = json::parse_object(text).map_err(Error::JwksInvalid)?;
        // RFC 7517 §5 allows further members beside "keys"; they are ignored.
        let Some(Value::Array(entries)) = object.get("keys") else {
            return Err(Error::JwksInvalid("\"keys\" must be an array".into()));
        };
        if entries.len() > MAX_KEYS {
            return Err(Error::JwksInvalid(format!("more than {MAX_KEYS} keys")));
        }
        let mut set = KeySet::default();
        for (i, entry) in entries.iter().enumerate() {
            match parse_entry(entry).map_err(|why| Error::JwksInvalid(format!("keys[{i}]: {why}")))? {
                Ok(key) => set.keys.push(key),
                Err(skipped) => set.skipped.push(skipped),
            }
        }
        Ok(set)
    }

    /// The usable keys, in the set's order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The keys that were well formed but are not used, with the reason.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }
}

/// The metadata members of a JWK (RFC 7517 §4), type-checked.
struct Meta {
    kid: Option<String>,
    alg: Option<String>,
}

type Entry = std::result::Result<Key, SkippedKey>;

/// One entry of `keys`: a usable key, a skipped one, or (outer error) an invalid one.
fn parse_entry(entry: &Value) -> std::result::Result<Entry, String> {
    let Value::Object(jwk) = entry else {
        return Err("not a JSON object".into());
    };
    if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
        return Err(format!("private or symmetric key member \"{member}\""));
    }
    let kty = match jwk.get("kty") {
        Some(Value::String(kty)) => kty.as_str(),
        Some(_) => return Err("\"kty\" must be a string".into()),
        None => return Err("\"kty\" is missing".into()),
    };
    if kty == "oct" {
        return Err("symmetric (\"oct\") keys never come from a key set".into());
    }
    let meta = Meta { kid: string_member(jwk, "kid")?, alg: string_member(jwk, "alg")? };
    let skip = |reason: String| Ok(Err(SkippedKey { kid: meta.kid.clone(), reason }));
    if let Some(why) = unusable_for_verification(jwk)? {
        return skip(why);
    }
    let parsed = match kty {
        "RSA" => parse_rsa(jwk)?,
        "EC" => parse_ec(jwk)?,
        "OKP" => parse_okp(jwk)?,
        other => Err(format!("key type {other:?} is not supported")),
    };
    match parsed {
        Ok(parsed) => Ok(Ok(parsed.into_key(meta))),
        Err(why) => skip(why),
    }
}

/// A member that must be a string when present.
fn string_member(jwk: &Map<String, Value>, name: &str) -> std::result::Result<Option<String>, String> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("\"{name}\" must be a string")),
    }
}

/// `use` (RFC 7517 §4.2) and `key_ops` (§4.3): `Some(reason)` when the key is not for
/// verifying signatures, an error when the members are malformed.
fn unusable_for_verification(jwk: &Map<String, Value>) -> std::result::Result<Option<String>, String> {
    if let Some(usage) = string_member(jwk, "use")? {
        if usage != "sig" {
            return Ok(Some(format!("\"use\" is {usage:?}, not \"sig\"")));
        }
    }
    let Some(ops) = jwk.get("key_ops") else {
        return Ok(None);
    };
    let Value::Array(ops) = ops else {
        return Err("\"key_ops\" must be an array".into());
    };
    let mut seen: Vec<&str> = Vec::with_capacity(ops.len());
    for op in ops {
        let Value::String(op) = op else {
            return Err("\"key_ops\" must hold only strings".into());
        };
        if seen.contains(&op.as_str()) {
            return Err(format!("\"key_ops\" repeats {op:?}"));
        }
        seen.push(op);
    }
    Ok((!seen.contains(&"verify")).then(|| "\"key_ops\" does not include \"verify\"".into()))
}

/// A key whose material parsed; metadata is added by [`Parsed::into_key`].
struct Parsed {
    /// The RFC 7638 required members, canonically encoded, in lexicographic order.
    members: Vec<(&'static str, String)>,
    signature_len: usize,
    material: Material,
}

impl Parsed {
    fn into_key(self, meta: Meta) -> Key {
        // RFC 7638 §3: the required members, sorted, no whitespace. Every value is a
        // base64url string or a fixed name, so no JSON escaping is needed; serde_json writes
        // them anyway.
        let mut canonical = Map::new();
        for (name, value) in &self.members {
            canonical.insert((*name).to_string(), Value::String(value.clone()));
        }
        let canonical = Value::Object(canonical);
        let thumbprint = base64url::encode(&Sha256::digest(canonical.to_string().as_bytes()));
        let mut jwk = canonical;
        if let (Value::Object(members), Some(alg)) = (&mut jwk, &meta.alg) {
            members.insert("alg".into(), Value::String(alg.clone()));
        }
        Key {
            kid: meta.kid,
            alg: meta.alg,
            thumbprint,
            jwk,
            signature_len: self.signature_len,
            material: self.material,
        }
    }
}

/// A base64url member holding bytes.
fn bytes_member(jwk: &Map<String, Value>, name: &str) -> std::result::Result<Vec<u8>, String> {
    match jwk.get(name) {
        Some(Value::String(text)) => {
            base64url::decode(text).ok_or_else(|| format!("\"{name}\" is not canonical unpadded base64url"))
        }
        Some(_) => Err(format!("\"{name}\" must be a string")),
        None => Err(format!("\"{name}\" is missing")),
    }
}

/// Without leading zero octets: RFC 7518 §6.3.1.1 notes some libraries add one to `n`.
fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

fn bit_length(big_endian: &[u8]) -> usize {
    match big_endian.first() {
        Some(first) => (big_endian.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

type ParseResult = std::result::Result<std::result::Result<Parsed, String>, String>;

/// RSA public key (RFC 7518 §6.3.1).
fn parse_rsa(jwk: &Map<String, Value>) -> ParseResult {
    let n = bytes_member(jwk, "n")?;
    let e = bytes_member(jwk, "e")?;
    let (n, e) = (strip_leading_zeros(&n), strip_leading_zeros(&e));
    let bits = bit_length(n);
    if bits < MIN_RSA_BITS {
        return Err(format!("rsa modulus of {bits} bits is under {MIN_RSA_BITS}"));
    }
    if bits > MAX_RSA_BITS {
        return Ok(Err(format!("rsa modulus of {bits} bits is over {MAX_RSA_BITS}")));
    }
    if n.last().is_some_and(|b| b % 2 == 0) {
        return Err("rsa modulus is even".into());
    }
    // CVE-2017-15361: a modulus from Infineon's RSALib can be factored from n alone.
    if roca::has_fingerprint(n) {
        return Err("rsa modulus has the ROCA fingerprint (CVE-2017-15361)".into());
    }
    // e = 1 makes every "signature" its own message; an even e is not an RSA exponent.
    if e == [1] || e.last().is_none_or(|b| b % 2 == 0) {
        return Err("rsa public exponent must be odd and greater than 1".into());
    }
    let key =
        RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e)).map_err(|e| format!("rsa key: {e}"))?;
    Ok(Ok(Parsed {
        members: vec![("e", base64url::encode(e)), ("kty", "RSA".into()), ("n", base64url::encode(n))],
        signature_len: n.len(),
        material: Material::Rsa(key),
    }))
}

/// The curve name of an `EC` or `OKP` key.
fn curve(jwk: &Map<String, Value>) -> std::result::Result<&str, String> {
    match jwk.get("crv") {
        Some(Value::String(crv)) => Ok(crv),
        Some(_) => Err("\"crv\" must be a string".into()),
        None => Err("\"crv\" is missing".into()),
    }
}

/// EC public key (RFC 7518 §6.2.1): only P-256 is used.
fn parse_ec(jwk: &Map<String, Value>) -> ParseResult {
    let crv = curve(jwk)?;
    if crv != "P-256" {
        return Ok(Err(format!("curve {crv:?} is not supported")));
    }
    let (x, y) = (bytes_member(jwk, "x")?, bytes_member(jwk, "y")?);
    if x.len() != 32 || y.len() != 32 {
        return Err("p-256 coordinates must be 32 bytes each".into());
    }
    // The uncompressed SEC1 point 0x04 ‖ x ‖ y; from_sec1_bytes refuses points off the curve and
    // the identity.
    let point = [&[4u8][..], &x, &y].concat();
    let key = P256Key::from_sec1_bytes(&point).map_err(|_| "p-256 point is not on the curve")?;
    Ok(Ok(Parsed {
        members: vec![
            ("crv", "P-256".into()),
            ("kty", "EC".into()),
            ("x", base64url::encode(&x)),
            ("y", base64url::encode(&y)),
        ],
        signature_len: 64,
        material: Material::P256(key),
    }))
}

/// OKP public key (RFC 8037 §2): only Ed25519 is used.
fn parse_okp(jwk: &Map<String, Value>) -> ParseResult {
    let crv = curve(jwk)?;
    if crv != "Ed25519" {
        return Ok(Err(format!("curve {crv:?} is not supported")));
    }
    let x = bytes_member(jwk, "x")?;
    let Ok(bytes) = <[u8; 32]>::try_from(x.as_slice()) else {
        return Err("ed25519 public key must be 32 bytes".into());
    };
    let key = Ed25519Key::from_bytes(&bytes).map_err(|_| "ed25519 point does not decompress")?;
    if key.is_weak() {
        return Err("ed25519 public key has small order".into());
    }
    Ok(Ok(Parsed {
        members: vec![("crv", "Ed25519".into()), ("kty", "OKP".into()), ("x", base64url::encode(&x))],
        signature_len: 64,
        material: Material::Ed25519(key),
    }))
}

#[cfg(test)]
mod tests;
