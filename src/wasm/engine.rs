//! Exports for the ACR/AMR engine (CONTRACT.md section 4, "ACR and AMR" and "Step-up"): policies
//! and their presets, ACR and AMR matching, selection and precedence, step-up decisions and
//! RFC 9470 challenges. Every policy and requirement is checked before use, so a malformed one is
//! a caller mistake with the offending member named, never a silently weaker check.

use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::convert::{data, read, read_optional, string, to_js, to_json};
use super::errors::throw;
use super::now;
use crate::acr::{self, AcrList, AcrPolicy, AcrResolution};
use crate::amr::{self, AmrRequirement, MethodMapping};
use crate::claims::DEFAULT_CLOCK_TOLERANCE;
use crate::options::{strings, Fields, FromJson};
use crate::step_up::{self, ChallengeParams, Requirement};
use crate::{Error, Result};

#[wasm_bindgen(typescript_custom_section)]
const ENGINE_TYPES: &str = r#"
/** The names `acrPolicy` knows. */
export type AcrPresetName = "fief" | "auth0" | "wso2" | "janssen" | "eidas" | "nist" | "phr";

/** SAML 2.0 `RequestedAuthnContext/@Comparison`, applied to each required value. */
export type AcrComparison = "exact" | "minimum" | "better" | "maximum";

/** "A token whose `amr` has all of `all` and one of `any` counts as having at least `acr`." */
export interface AmrLevel {
  acr: string;
  all?: string[];
  any?: string[];
}

/** An ACR policy: rungs weakest → strongest, an inner array being equivalent values. */
export interface AcrPolicy {
  ladder?: (string | string[])[];
  /** Default `"minimum"`. */
  comparison?: AcrComparison;
  amrLevels?: AmrLevel[];
  /** The identity server's authenticator names as `amr` values, applied to a token's `amr` before any requirement reads it (the `wso2` preset maps WSO2's). */
  amrMapping?: MethodMapping;
}

/** `amr` methods (RFC 8176): all of `all`, and at least one of `any` when given. */
export interface AmrRequirement {
  all?: string[];
  any?: string[];
}

/** What a protected action needs. */
export interface StepUpRequirement {
  /** Acceptable values, most preferred first; one of them must be satisfied. */
  acr?: string | string[];
  amr?: AmrRequirement;
  /** Seconds since the last active authentication (`auth_time`). */
  maxAge?: number;
}

/** `evaluateStepUp` options. */
export interface StepUpOptions {
  policy?: AcrPolicy;
  /** Seconds since the epoch, default the platform clock. */
  currentTime?: number;
  /** Seconds, default 30. */
  clockTolerance?: number;
}

export type StepUpReason = "acr" | "amr" | "max_age";

/** The outcome of `evaluateStepUp`; a shortfall says what to ask the IdP for. */
export interface StepUpDecision {
  satisfied: boolean;
  reasons: StepUpReason[];
  acrValues?: string[];
  maxAge?: number;
}

/** `resolveAcrValues` input (Janssen's precedence). */
export interface AcrResolutionOptions {
  requested?: string[];
  /** The client's `default_acr_values`. */
  clientDefault?: string[];
  serverDefault?: string | string[];
  /** `acr_values_supported`; when given, only these values are kept. */
  supported?: string[];
  fallback?: { useHighestLevel?: boolean; internalAcr?: string };
}

/** WSO2's `method_refs`: authenticator name → amr value, and names to leave out. */
export interface MethodMapping {
  mapping?: Record<string, string>;
  excluded?: string[];
}

/** `buildStepUpChallenge` parameters (RFC 9470 §3). */
export interface StepUpChallengeParams {
  acrValues?: string[];
  maxAge?: number;
  errorDescription?: string;
  realm?: string;
}

/** A step-up challenge read from `WWW-Authenticate`. */
export interface StepUpChallenge {
  kind: "rfc9470" | "okta" | "entra" | "auth0";
  scheme: "Bearer" | "DPoP";
  error: string;
  /** Untrusted text: escape before display. */
  errorDescription?: string;
  acrValues: string[];
  maxAge?: number;
  realm?: string;
  /** Entra: the `claims` parameter as sent (base64). */
  claims?: string;
  /** Entra: the decoded claims request, for the authorization request's `claims`. */
  claimsRequest?: { [member: string]: JsonValue };
}
"#;

/// A ready policy by name (`"fief"`, `"auth0"`, `"wso2"`, `"janssen"`, `"eidas"`, `"nist"`,
/// `"phr"`).
#[wasm_bindgen(js_name = acrPolicy, unchecked_return_type = "AcrPolicy")]
pub fn acr_policy(
    #[wasm_bindgen(unchecked_param_type = "AcrPresetName")] name: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    throw(string(&name, "name").and_then(|n| acr::preset(&n))).map(|p| to_js(&p.to_json()))
}

/// An optional policy argument, checked; absent, the default (numeric-or-exact).
pub fn policy(value: Option<JsValue>) -> Result<AcrPolicy> {
    let policy = match value {
        Some(v) if !v.is_undefined() && !v.is_null() => data(&v, "policy", AcrPolicy::from_json)?,
        _ => AcrPolicy::default(),
    };
    policy.check()?;
    Ok(policy)
}

/// Whether a token's `acr` satisfies any of `required` under the policy. An `actual` that is not
/// a string (missing, a number, an array) satisfies nothing.
#[wasm_bindgen(js_name = acrSatisfies)]
pub fn acr_satisfies(
    #[wasm_bindgen(unchecked_param_type = "unknown")] actual: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | string[]")] required: JsValue,
    #[wasm_bindgen(js_name = policy, unchecked_optional_param_type = "AcrPolicy")] policy_arg: Option<JsValue>,
) -> std::result::Result<bool, JsValue> {
    throw((|| {
        let required = data(&required, "required", AcrList::from_json)?;
        let policy = policy(policy_arg)?;
        Ok(acr::acr_satisfies(actual.as_string().as_deref(), &required.0, &policy))
    })())
}

/// WSO2's `selectAcrFrom` as WSO2 runs it: the first configured value the request asked for, or
/// `null`.
#[wasm_bindgen(js_name = selectAcrFrom, unchecked_return_type = "string | null")]
pub fn select_acr_from(
    #[wasm_bindgen(unchecked_param_type = "string[]")] requested: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] configured: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    throw((|| {
        let requested = data(&requested, "requested", strings)?;
        let configured = data(&configured, "configured", strings)?;
        Ok(acr::select_acr_from(&requested, &configured))
    })())
    .map(|v| v.map_or(JsValue::NULL, JsValue::from))
}

/// The strongest value both lists hold by the policy (stepup's ranked `selectAcrFrom`), or `null`.
#[wasm_bindgen(js_name = selectStrongestAcr, unchecked_return_type = "string | null")]
pub fn select_strongest_acr(
    #[wasm_bindgen(unchecked_param_type = "string[]")] requested: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] supported: JsValue,
    #[wasm_bindgen(js_name = policy, unchecked_optional_param_type = "AcrPolicy")] policy_arg: Option<JsValue>,
) -> std::result::Result<JsValue, JsValue> {
    throw((|| {
        let requested = data(&requested, "requested", strings)?;
        let supported = data(&supported, "supported", strings)?;
        let policy = policy(policy_arg)?;
        Ok(acr::select_strongest_acr(&requested, &supported, &policy))
    })())
    .map(|v| v.map_or(JsValue::NULL, JsValue::from))
}

/// The ACR values to apply, by Janssen's precedence (request → client default → server default →
/// fallback), keeping only supported values.
#[wasm_bindgen(js_name = resolveAcrValues)]
pub fn resolve_acr_values(
    #[wasm_bindgen(unchecked_param_type = "AcrResolutionOptions")] resolution: JsValue,
    #[wasm_bindgen(js_name = policy, unchecked_optional_param_type = "AcrPolicy")] policy_arg: Option<JsValue>,
) -> std::result::Result<Vec<String>, JsValue> {
    throw((|| {
        let resolution: AcrResolution = read(&resolution, "options")?;
        resolution.check()?;
        let policy = policy(policy_arg)?;
        Ok(acr::resolve_acr_values(&resolution, &policy))
    })())
}

/// Whether an `amr` claim has the required methods; anything but an array of strings has none.
#[wasm_bindgen(js_name = amrSatisfies)]
pub fn amr_satisfies(
    #[wasm_bindgen(unchecked_param_type = "unknown")] amr: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AmrRequirement")] requirement: JsValue,
) -> std::result::Result<bool, JsValue> {
    throw((|| {
        let requirement: AmrRequirement = read(&requirement, "requirement")?;
        requirement.check()?;
        // A claim that is not even JSON data (a function, a Map) is no list of methods either.
        let amr = to_json(&amr, "amr").ok();
        Ok(amr::amr_satisfies(amr.as_ref(), &requirement))
    })())
}

/// Translates authenticator names into `amr` values (WSO2's method mapping).
#[wasm_bindgen(js_name = mapAuthenticationMethods)]
pub fn map_authentication_methods(
    #[wasm_bindgen(unchecked_param_type = "string[]")] methods: JsValue,
    #[wasm_bindgen(unchecked_param_type = "MethodMapping")] mapping: JsValue,
) -> std::result::Result<Vec<String>, JsValue> {
    throw((|| {
        let methods = data(&methods, "methods", strings)?;
        let mapping: MethodMapping = read(&mapping, "mapping")?;
        Ok(amr::map_authentication_methods(&methods, &mapping))
    })())
}

/// `evaluateStepUp`'s options.
#[derive(Default)]
struct StepUpOptions {
    policy: Option<AcrPolicy>,
    current_time: Option<f64>,
    clock_tolerance: Option<u64>,
}

impl FromJson for StepUpOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["policy?", "currentTime?", "clockTolerance?"])?;
        Ok(StepUpOptions {
            policy: o.object("policy")?,
            current_time: o.number("currentTime")?,
            clock_tolerance: o.whole("clockTolerance")?,
        })
    }
}

/// Whether claims meet a requirement, and if not, why and what to ask for.
#[wasm_bindgen(js_name = evaluateStepUp, unchecked_return_type = "StepUpDecision")]
pub fn evaluate_step_up(
    #[wasm_bindgen(unchecked_param_type = "JwtClaims | { [claim: string]: JsonValue }")] claims: JsValue,
    #[wasm_bindgen(unchecked_param_type = "StepUpRequirement")] requirement: JsValue,
    #[wasm_bindgen(js_name = options, unchecked_optional_param_type = "StepUpOptions")] opts: Option<JsValue>,
) -> std::result::Result<JsValue, JsValue> {
    throw((|| {
        let claims: Map<String, Value> = match to_json(&claims, "claims")? {
            Value::Object(claims) => claims,
            _ => return Err(Error::arg_type("claims", "an object")),
        };
        let requirement: Requirement = read(&requirement, "requirement")?;
        requirement.check()?;
        let opts: StepUpOptions = read_optional(opts, "options")?;
        let policy = opts.policy.unwrap_or_default();
        policy.check()?;
        // Whole seconds, as `auth_time` is (RFC 7519 NumericDate values stepup compares).
        let now = now(opts.current_time).floor() as i64;
        let tolerance = opts.clock_tolerance.unwrap_or(DEFAULT_CLOCK_TOLERANCE);
        Ok(step_up::evaluate_step_up(&claims, &requirement, &policy, now, tolerance))
    })())
    .map(|d| to_js(&d.to_json()))
}

/// The RFC 9470 §3 `WWW-Authenticate` value asking for a stronger or fresher authentication.
#[wasm_bindgen(js_name = buildStepUpChallenge)]
pub fn build_step_up_challenge(
    #[wasm_bindgen(unchecked_param_type = "StepUpChallengeParams")] params: JsValue,
) -> std::result::Result<String, JsValue> {
    throw(read::<ChallengeParams>(&params, "params").and_then(|p| step_up::build_step_up_challenge(&p)))
}

/// The first step-up challenge in a `WWW-Authenticate` value, or `null`.
#[wasm_bindgen(js_name = parseStepUpChallenge, unchecked_return_type = "StepUpChallenge | null")]
pub fn parse_step_up_challenge(
    #[wasm_bindgen(unchecked_param_type = "string")] header: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    throw(string(&header, "header"))
        .map(|h| step_up::parse_step_up_challenge(&h).map_or(JsValue::NULL, |c| to_js(&c.to_json())))
}
