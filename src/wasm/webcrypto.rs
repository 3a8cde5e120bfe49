//! Signature verification through the platform's WebCrypto (`crypto.subtle`), about ten times
//! faster than pure-Rust RSA and P-256 in wasm. Keys are imported once per (key, algorithm) and
//! reused across calls; the core has already chosen the key and checked the algorithm, so this
//! module only maps a JOSE `alg` to WebCrypto parameters and runs `verify`.
//!
//! When the runtime has no `crypto.subtle`, or refuses an algorithm (`NotSupportedError`, e.g.
//! Ed25519 in an older runtime), [`verify`] says so and the caller falls back to the native
//! verifier; any other failure is a failed verification, never a fallback.

#[cfg(feature = "guard")]
use std::cell::RefCell;
#[cfg(feature = "guard")]
use std::collections::HashMap;

#[cfg(feature = "guard")]
use js_sys::{Array, Promise};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
#[cfg(feature = "guard")]
use wasm_bindgen_futures::JsFuture;

#[cfg(feature = "guard")]
#[wasm_bindgen]
extern "C" {
    type SubtleCrypto;

    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &SubtleCrypto,
        format: &str,
        key: &JsValue,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    // WebCrypto copies `signature` and `data` before returning (WebCrypto §14.3.4 step 4–5),
    // so views into wasm memory are safe here.
    #[wasm_bindgen(method, catch)]
    fn verify(
        this: &SubtleCrypto,
        algorithm: &JsValue,
        key: &JsValue,
        signature: &[u8],
        data: &[u8],
    ) -> Result<Promise, JsValue>;
}

/// How many imported keys are kept; a key set rarely has more than a handful.
#[cfg(feature = "guard")]
const KEY_CACHE_LIMIT: usize = 64;

#[cfg(feature = "guard")]
thread_local! {
    static KEYS: RefCell<HashMap<(String, &'static str), JsValue>> = RefCell::new(HashMap::new());
}

/// What WebCrypto said.
#[cfg(feature = "guard")]
pub enum Outcome {
    /// The signature verifies.
    Valid,
    /// The signature does not verify.
    Invalid,
    /// WebCrypto is missing or does not implement this algorithm: use the native verifier.
    Unsupported,
}

/// Import and verify parameters for a JOSE `alg` (RFC 7518 §3, RFC 8037 §3.1).
pub(super) fn parameters(alg: &str) -> Option<(JsValue, JsValue)> {
    let object = |pairs: &[(&str, JsValue)]| -> JsValue {
        let o = Object::new();
        for (k, v) in pairs {
            let _ = Reflect::set(&o, &JsValue::from_str(k), v);
        }
        o.into()
    };
    let s = JsValue::from_str;
    Some(match alg {
        "RS256" => (
            object(&[("name", s("RSASSA-PKCS1-v1_5")), ("hash", s("SHA-256"))]),
            object(&[("name", s("RSASSA-PKCS1-v1_5"))]),
        ),
        // RFC 7518 §3.5: the salt is as long as the hash.
        "PS256" => (
            object(&[("name", s("RSA-PSS")), ("hash", s("SHA-256"))]),
            object(&[("name", s("RSA-PSS")), ("saltLength", JsValue::from_f64(32.0))]),
        ),
        "ES256" => (
            object(&[("name", s("ECDSA")), ("namedCurve", s("P-256"))]),
            object(&[("name", s("ECDSA")), ("hash", s("SHA-256"))]),
        ),
        "EdDSA" | "Ed25519" => (object(&[("name", s("Ed25519"))]), object(&[("name", s("Ed25519"))])),
        _ => return None,
    })
}

#[cfg(feature = "guard")]
fn subtle() -> Option<SubtleCrypto> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
    (subtle.is_object()).then(|| subtle.unchecked_into())
}

#[cfg(feature = "guard")]
fn not_supported(error: &JsValue) -> bool {
    Reflect::get(error, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .is_some_and(|n| n == "NotSupportedError")
}

/// The imported `CryptoKey` for a key and algorithm, importing it on first use.
/// `identity` must change whenever the key material changes (the RFC 7638 thumbprint).
#[cfg(feature = "guard")]
async fn crypto_key(
    subtle: &SubtleCrypto,
    identity: &str,
    alg: &'static str,
    jwk: impl FnOnce() -> JsValue,
    import: &JsValue,
) -> Result<JsValue, JsValue> {
    let cache_key = (identity.to_string(), alg);
    if let Some(key) = KEYS.with(|keys| keys.borrow().get(&cache_key).cloned()) {
        return Ok(key);
    }
    let usages = Array::of1(&JsValue::from_str("verify"));
    let key = JsFuture::from(subtle.import_key("jwk", &jwk(), import, false, &usages)?).await?;
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if keys.len() >= KEY_CACHE_LIMIT {
            keys.clear();
        }
        keys.insert(cache_key, key.clone());
    });
    Ok(key)
}

/// Verifies `signature` over `data` with the public key `jwk()`, built only when the key is not
/// imported yet (public members only, no `alg`,
/// `use` or `key_ops`: the core has already checked those).
#[cfg(feature = "guard")]
pub async fn verify(
    alg: &'static str,
    identity: &str,
    jwk: impl FnOnce() -> JsValue,
    signature: &[u8],
    data: &[u8],
) -> Outcome {
    let (Some(subtle), Some((import, params))) = (subtle(), parameters(alg)) else {
        return Outcome::Unsupported;
    };
    let key = match crypto_key(&subtle, identity, alg, jwk, &import).await {
        Ok(key) => key,
        Err(e) if not_supported(&e) => return Outcome::Unsupported,
        // The core validated the key; WebCrypto refusing it anyway means it cannot vouch for
        // this signature.
        Err(_) => return Outcome::Invalid,
    };
    let promise = match subtle.verify(&params, &key, signature, data) {
        Ok(promise) => promise,
        Err(e) if not_supported(&e) => return Outcome::Unsupported,
        Err(_) => return Outcome::Invalid,
    };
    match JsFuture::from(promise).await {
        Ok(v) if v.as_bool() == Some(true) => Outcome::Valid,
        Err(e) if not_supported(&e) => Outcome::Unsupported,
        _ => Outcome::Invalid,
    }
}
