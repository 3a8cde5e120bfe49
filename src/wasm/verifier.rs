//! The wasm face of [`crate::verifier`]: `VerifierCore`, driven by `createVerifier` (the
//! package's `verifier.js`), which does the WebCrypto step in JavaScript between
//! [`VerifierCore::begin`] and [`VerifierCore::complete`] — one boundary crossing each way, no
//! Rust future.

use std::cell::Cell;

use js_sys::{Array, Reflect};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::convert::{read, string, to_js, to_json};
use super::errors::js_error;
use crate::access_token::{Profile, PROFILES};
use crate::acr::AcrPolicy;
use crate::id_token::IdTokenOptions;
use crate::jwks::KeySet;
use crate::jws::Alg;
use crate::options::{strings, Fields, FromJson};
use crate::step_up::Requirement;
use crate::verifier::{Begin, Held, Kind, PerCall, Verdict, Verifier};
use crate::{Error, Result};

#[wasm_bindgen(typescript_custom_section)]
const VERIFY_TYPES: &str = r#"
/** A JSON Web Key Set (RFC 7517 §5), as text or parsed. Only public signing keys are used. */
export type JsonWebKeySet = string | { keys: JsonValue[] };

/** The claims of a verified token, every member as signed. */
export interface JwtClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf?: number;
  auth_time?: number;
  acr?: string;
  amr?: string[];
  nonce?: string;
  azp?: string;
  [claim: string]: JsonValue | undefined;
}

/** `verifyIdToken` options (OIDC Core 3.1.3.7). */
export interface IdTokenVerifyOptions {
  issuer: string;
  /** The client id. */
  audience: string;
  /** The nonce sent with the request; absent: a token carrying a nonce is refused. */
  expectedNonce?: string;
  /** Seconds; then `auth_time` is required and checked. */
  maxAge?: number;
  requirement?: StepUpRequirement;
  policy?: AcrPolicy;
  /** Default `["RS256", "PS256", "ES256", "EdDSA"]`. */
  algorithms?: string[];
  /** Seconds, default 30. */
  clockTolerance?: number;
  /** Seconds since the epoch, default the platform clock. */
  currentTime?: number;
  /** Seconds an `iat` may lie in the past. */
  maxTokenAge?: number;
}

/**
 * Which access tokens an API accepts: `"rfc9068"` (`typ` `at+jwt`, `client_id` and `jti`
 * required) or `"jwt"` (a signed JWT as Fief and Auth0 issue it: `typ` `JWT` or absent).
 */
export type AccessTokenProfile = "rfc9068" | "jwt";

/** `verifyAccessToken` options (RFC 9068, or a plain JWT with `accessTokenProfile: "jwt"`). */
export interface AccessTokenVerifyOptions {
  issuer: string;
  /** This API's resource identifier. */
  audience: string;
  requirement?: StepUpRequirement;
  policy?: AcrPolicy;
  algorithms?: string[];
  clockTolerance?: number;
  currentTime?: number;
  /** Default `"rfc9068"`. */
  accessTokenProfile?: AccessTokenProfile;
}
"#;

#[wasm_bindgen(typescript_custom_section)]
const VERIFIER_TYPES: &str = r#"
/** `createVerifier` options: read once. */
export interface VerifierOptions {
  issuer: string;
  /** The client id (ID tokens) or this API's resource identifier (access tokens). */
  audience: string;
  jwks: JsonWebKeySet;
  policy?: AcrPolicy;
  /** Default `["RS256", "PS256", "ES256", "EdDSA"]`. */
  algorithms?: string[];
  /** Seconds, default 30. */
  clockTolerance?: number;
  /** Seconds an ID token's `iat` may lie in the past (default 86400). */
  maxTokenAge?: number;
  /** The access tokens' shape: RFC 9068 (`at+jwt`, the default) or a plain signed JWT. */
  accessTokenProfile?: AccessTokenProfile;
}

/** What one `verifyIdToken` call adds. */
export interface VerifyIdTokenCall {
  expectedNonce?: string;
  maxAge?: number;
  requirement?: StepUpRequirement;
  /** Seconds since the epoch, default the platform clock. */
  currentTime?: number;
}

/** What one `verifyAccessToken` call adds. */
export interface VerifyAccessTokenCall {
  requirement?: StepUpRequirement;
  currentTime?: number;
}
"#;

/// `createVerifier`'s options.
struct VerifierOptions {
    issuer: String,
    audience: String,
    jwks: Value,
    policy: Option<AcrPolicy>,
    algorithms: Option<Vec<String>>,
    clock_tolerance: Option<u64>,
    max_token_age: Option<u64>,
    profile: Profile,
}

impl FromJson for VerifierOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "issuer",
                "audience",
                "jwks",
                "policy?",
                "algorithms?",
                "clockTolerance?",
                "maxTokenAge?",
                "accessTokenProfile?",
            ],
        )?;
        Ok(VerifierOptions {
            issuer: o.string("issuer")?,
            audience: o.string("audience")?,
            jwks: o.required("jwks")?.clone(),
            policy: o.object("policy")?,
            algorithms: o.with("algorithms", strings)?,
            clock_tolerance: o.whole("clockTolerance")?,
            max_token_age: o.whole("maxTokenAge")?,
            profile: o.one_of("accessTokenProfile", &PROFILES)?.unwrap_or_default(),
        })
    }
}

/// The verifier's core, for `createVerifier`.
#[wasm_bindgen]
pub struct VerifierCore {
    inner: Verifier,
}

/// A verifier made by the core of another export (the browser client's, for its ID tokens).
impl From<Verifier> for VerifierCore {
    fn from(inner: Verifier) -> Self {
        VerifierCore { inner }
    }
}

fn kind(kind: u8) -> Kind {
    if kind == 0 {
        Kind::IdToken
    } else {
        Kind::AccessToken
    }
}

/// This call's options and the time (`currentTime`, else `now`). Read member by member, not
/// through the general options reader: this runs on every verification, and a call passes one
/// or two members.
fn call(value: &JsValue, param: &str, kind: Kind, now: f64) -> Result<(PerCall, f64)> {
    if value.is_undefined() || value.is_null() {
        return Ok((PerCall::default(), now));
    }
    if !value.is_object() || Array::is_array(value) {
        return Err(Error::arg_type(param, "an object"));
    }
    let unreadable = |at: &str| Error::arg_value(at, "could not be read");
    let keys = Reflect::own_keys(value.unchecked_ref()).map_err(|_| unreadable(param))?;
    let (mut per_call, mut now) = (PerCall::default(), now);
    for key in keys.iter() {
        let Some(name) = key.as_string() else { return Err(Error::arg_value(param, "may only have string keys")) };
        // Members are named as the caller spells them, as every options reader names them.
        let at = name.clone();
        let item = Reflect::get(value, &key).map_err(|_| unreadable(&at))?;
        if item.is_undefined() {
            continue;
        }
        match name.as_str() {
            // An ID token's own checks (OIDC Core 3.1.3.7 steps 11 and 13): an access token has no
            // nonce, and its freshness is a requirement's `maxAge` — never silently unchecked.
            "expectedNonce" | "maxAge" if kind == Kind::AccessToken => {
                return Err(Error::arg_value(&at, "is not an option of verifyAccessToken (use requirement.maxAge)"))
            }
            // The free `verifyIdToken` hands this to the call (`verifier.js`), so a profile
            // given to an ID token's check is named rather than silently unused.
            "accessTokenProfile" if kind == Kind::IdToken => {
                return Err(Error::arg_value(&at, "is not an option of verifyIdToken"))
            }
            "expectedNonce" => {
                per_call.expected_nonce = Some(item.as_string().ok_or_else(|| Error::arg_type(&at, "a string"))?)
            }
            "maxAge" => match item.as_f64() {
                Some(seconds) if seconds >= 0.0 && seconds.fract() == 0.0 && seconds <= u32::MAX as f64 => {
                    per_call.max_age = Some(seconds as u64)
                }
                _ => return Err(Error::arg_type(&at, "a whole number of seconds")),
            },
            "requirement" => {
                // Read at its member's name, so a mistake inside it is named `requirement.acr`.
                let requirement = Requirement::from_json(&to_json(&item, &at)?, &at)?;
                requirement.check_at(&at)?;
                per_call.requirement = Some(requirement);
            }
            "currentTime" => match item.as_f64() {
                Some(time) if time.is_finite() => now = time,
                _ => return Err(Error::arg_type(&at, "a number of seconds since the epoch")),
            },
            _ => return Err(Error::arg_value(&at, "is not an option of this call")),
        }
    }
    Ok((per_call, now))
}

/// `verdict` 1: valid, 0: invalid, 2: the runtime cannot verify this algorithm, so the native
/// verifier does.
fn verdict(verdict: u8) -> Verdict {
    match verdict {
        1 => Verdict::Valid,
        2 => Verdict::Native,
        _ => Verdict::Invalid,
    }
}

thread_local! {
    /// Where a call leaves the numbers of its answer for the shell, which reads them through one
    /// `Float64Array` view ([`VerifierCore::step_at`]): no array is made and filled across the
    /// boundary on every verification.
    static STEP: Cell<[f64; 7]> = const { Cell::new([0.0; 7]) };
}

/// The claims as JSON text, with when they stop holding ([`Verifier::valid_until`]) left in
/// the step's first place: the shell may answer the same call from them while `now` lies before.
fn held_js(held: &Held) -> JsValue {
    STEP.with(|step| step.set([held.until, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]));
    JsValue::from_str(&held.claims.text)
}

#[wasm_bindgen]
impl VerifierCore {
    /// Reads the options and the key set once; a mistake throws naming the option.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "VerifierOptions")] opts: JsValue,
    ) -> std::result::Result<VerifierCore, JsValue> {
        let build = || -> Result<VerifierCore> {
            let o: VerifierOptions = read(&opts, "options")?;
            let keys = match &o.jwks {
                Value::String(text) => KeySet::parse(text.as_bytes())?,
                Value::Object(_) => KeySet::parse(o.jwks.to_string().as_bytes())?,
                _ => return Err(Error::arg_type("jwks", "a JSON Web Key Set (text or object)")),
            };
            if let Some(policy) = &o.policy {
                policy.check_at("policy")?;
            }
            let id = IdTokenOptions {
                issuer: o.issuer,
                audience: o.audience,
                policy: o.policy,
                algorithms: o.algorithms,
                clock_tolerance: o.clock_tolerance,
                max_token_age: o.max_token_age,
                ..IdTokenOptions::default()
            };
            Ok(VerifierCore { inner: Verifier::new(keys, id)?.with_access_token_profile(o.profile) })
        };
        build().map_err(|e| js_error(&e))
    }

    /// Starts a verification (`kind` 0: ID token, 1: access token) at `now` (seconds), of
    /// `token`, or of `utf8` when the shell gives the token's UTF-8 bytes (`TextEncoder`'s one
    /// native copy, where a string crosses into wasm character by character): the claims as JSON
    /// text when the token verified before and its claims hold (valid until the step's first
    /// number), else `undefined` with the step ([`VerifierCore::step_at`]) holding `[pending, key
    /// index, alg (its place in [`Alg::ALL`]), signature at, its length, signing input at, its
    /// length]` for WebCrypto, then [`VerifierCore::complete`] with `pending`. The bytes lie in
    /// [`VerifierCore::memory`], unchanged until the next call into the core: a view of them
    /// passed to `crypto.subtle.verify`, which copies its arguments when called (W3C Web
    /// Cryptography API, `verify()` steps), needs no copy of its own. Throws the token's error.
    #[wasm_bindgen(unchecked_return_type = "string | undefined")]
    pub fn begin(
        &self,
        kind_code: u8,
        #[wasm_bindgen(unchecked_param_type = "unknown")] token: JsValue,
        utf8: Option<Vec<u8>>,
        #[wasm_bindgen(unchecked_param_type = "unknown")] per_call: JsValue,
        now: f64,
    ) -> std::result::Result<JsValue, JsValue> {
        let run = || -> Result<JsValue> {
            let token = match utf8 {
                Some(bytes) => String::from_utf8(bytes).map_err(|_| Error::arg_type("token", "a string"))?,
                None => string(&token, "token")?,
            };
            let (per_call, now) = call(&per_call, "options", kind(kind_code), now)?;
            Ok(match self.inner.begin(token, kind(kind_code), &per_call, now)? {
                Begin::Done(held) => held_js(&held),
                Begin::Signature { pending, key, alg } => {
                    let at = |bytes: &[u8]| [bytes.as_ptr() as usize as f64, bytes.len() as f64];
                    let [signature, signature_len, input, input_len] = self
                        .inner
                        .pending(pending, |signature, input| {
                            let ([s, s_len], [i, i_len]) = (at(signature), at(input));
                            [s, s_len, i, i_len]
                        })
                        .unwrap_or_default();
                    let code = Alg::ALL.iter().position(|a| *a == alg).unwrap_or_default();
                    let step = [pending.into(), key as f64, code as f64, signature, signature_len, input, input_len];
                    STEP.with(|cell| cell.set(step));
                    JsValue::UNDEFINED
                }
            })
        };
        run().map_err(|e| js_error(&e))
    }

    /// Where in [`VerifierCore::memory`] the step lies: seven `f64`s, the same place for the
    /// module's life.
    #[wasm_bindgen(js_name = stepAt)]
    pub fn step_at(&self) -> usize {
        STEP.with(|step| step.as_ptr() as usize)
    }

    /// Finishes pending verification `pending` with WebCrypto's verdict (`verdict` 1: valid,
    /// 0: invalid, 2: the runtime cannot verify this algorithm, so the native verifier does):
    /// the claims as JSON text (valid until the step's first number), or `undefined` when it is
    /// no longer pending (then [`VerifierCore::complete_token`]). Throws the token's error.
    #[wasm_bindgen(unchecked_return_type = "string | undefined")]
    pub fn complete(&self, pending: u32, verdict_code: u8) -> std::result::Result<JsValue, JsValue> {
        match self.inner.complete(pending, verdict(verdict_code)) {
            None => Ok(JsValue::UNDEFINED),
            Some(held) => held.map(|held| held_js(&held)).map_err(|e| js_error(&e)),
        }
    }

    /// Finishes a verification that is no longer pending (many begun since) with WebCrypto's
    /// verdict on the signature [`VerifierCore::begin`] named: the token is parsed again.
    #[wasm_bindgen(js_name = completeToken, unchecked_return_type = "string")]
    pub fn complete_token(
        &self,
        kind_code: u8,
        #[wasm_bindgen(unchecked_param_type = "unknown")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] per_call: JsValue,
        now: f64,
        verdict_code: u8,
    ) -> std::result::Result<JsValue, JsValue> {
        let run = || -> Result<JsValue> {
            let token = string(&token, "token")?;
            let (per_call, now) = call(&per_call, "options", kind(kind_code), now)?;
            let held = self.inner.complete_token(&token, verdict(verdict_code), kind(kind_code), &per_call, now)?;
            Ok(held_js(&held))
        };
        run().map_err(|e| js_error(&e))
    }

    /// The module's linear memory, where [`VerifierCore::begin`] names the bytes to verify.
    #[wasm_bindgen(unchecked_return_type = "WebAssembly.Memory")]
    pub fn memory(&self) -> JsValue {
        wasm_bindgen::memory()
    }

    /// The public JWK of key `index` and WebCrypto's `[importKey, verify]` parameters for the
    /// algorithm at place `alg` in [`Alg::ALL`] (`null` when WebCrypto has none), for importing
    /// the key once.
    #[wasm_bindgen(js_name = importParameters, unchecked_return_type = "[object, object, object] | null")]
    pub fn import_parameters(&self, index: usize, alg: usize) -> JsValue {
        let parameters = Alg::ALL.get(alg).and_then(|alg| super::webcrypto::parameters(alg.name()));
        let (Some(key), Some((import, verify))) = (self.inner.keys().get(index), parameters) else {
            return JsValue::NULL;
        };
        let out = Array::new();
        out.push(&to_js(&key.jwk()));
        out.push(&import);
        out.push(&verify);
        out.into()
    }
}
