//! Core errors become real JS `Error`s here, and only here: `name: "StepUpError"`, the stable
//! `code`, and `claim`/`param`/`acrValues`/`maxAge`/`error`/`errorDescription` where the failure
//! has them. Caller mistakes become `TypeError`s with `ERR_INVALID_ARG_TYPE` or
//! `ERR_INVALID_ARG_VALUE`, like node's own argument checks.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

use crate::{Error, ERROR_CODES};

#[wasm_bindgen(typescript_custom_section)]
const ERROR_TYPES: &str = r#"
/** The stable codes of contract section 3. */
export type StepUpErrorCode =
  | "ERR_JWT_MALFORMED" | "ERR_JWT_TOO_LARGE" | "ERR_JOSE_NOT_SUPPORTED" | "ERR_JOSE_ALG_NOT_ALLOWED"
  | "ERR_JWKS_INVALID" | "ERR_JWKS_NO_MATCHING_KEY" | "ERR_JWKS_MULTIPLE_MATCHING_KEYS"
  | "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" | "ERR_JWT_EXPIRED" | "ERR_JWT_CLAIM_VALIDATION_FAILED"
  | "ERR_ACR_NOT_SATISFIED" | "ERR_AMR_NOT_SATISFIED" | "ERR_AUTH_TIME_TOO_OLD"
  | "ERR_AUTH_RESPONSE_INVALID" | "ERR_AUTH_RESPONSE_ERROR" | "ERR_ISSUER_MISMATCH" | "ERR_FETCH_FAILED"
  | "ERR_INVALID_ARG_TYPE" | "ERR_INVALID_ARG_VALUE" | "ERR_CRYPTO_UNAVAILABLE" | "ERR_STEP_UP_REQUIRED";

/** What every stepup failure carries. Caller mistakes are `TypeError`s with the same fields. */
export interface StepUpError extends Error {
  name: "StepUpError" | "TypeError";
  code: StepUpErrorCode;
  /** The claim at fault (ERR_JWT_CLAIM_VALIDATION_FAILED). */
  claim?: string;
  /** The parameter or option at fault (callback errors, caller mistakes, ERR_ISSUER_MISMATCH). */
  param?: string;
  /** What to ask the identity provider for (the three step-up errors). */
  acrValues?: string[];
  maxAge?: number;
  /** The authorization server's `error` and `error_description` (ERR_AUTH_RESPONSE_ERROR). */
  error?: string;
  errorDescription?: string;
  /** Why a popup sign-in ended without an answer (ERR_STEP_UP_REQUIRED from the browser `Client`). */
  reason?: "popup_blocked" | "popup_closed" | "popup_timeout";
}
"#;

/// The JS error for a core error.
pub fn js_error(e: &Error) -> JsValue {
    let message = e.to_string();
    let error: js_sys::Error = if e.is_caller_mistake() {
        js_sys::TypeError::new(&message).unchecked_into()
    } else {
        let error = js_sys::Error::new(&message);
        error.set_name("StepUpError");
        error
    };
    set(&error, "code", &e.code().into());
    if let Some(claim) = e.claim() {
        set(&error, "claim", &claim.into());
    }
    if let Some(param) = e.param() {
        set(&error, "param", &param.into());
    }
    if let Some(shortfall) = e.shortfall() {
        if !shortfall.acr_values.is_empty() {
            let values: Array = shortfall.acr_values.iter().map(|v| JsValue::from_str(v)).collect();
            set(&error, "acrValues", &values);
        }
        if let Some(max_age) = shortfall.max_age {
            set(&error, "maxAge", &(max_age as f64).into());
        }
    }
    if let Error::AuthResponseError { error: code, description } = e {
        set(&error, "error", &code.into());
        if let Some(description) = description {
            set(&error, "errorDescription", &description.into());
        }
    }
    error.into()
}

fn set(target: &js_sys::Error, key: &str, value: &JsValue) {
    // Setting a data property on a fresh Error object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// Shorthand used by every export: a core result with the error converted.
pub fn throw<T>(result: crate::Result<T>) -> Result<T, JsValue> {
    result.map_err(|e| js_error(&e))
}

/// True for errors stepup threw for a failed check (`name === "StepUpError"` with a known
/// `code`). Caller mistakes are `TypeError`s and answer false: they are bugs to fix, not
/// outcomes to handle.
#[wasm_bindgen(js_name = isStepUpError, unchecked_return_type = "value is StepUpError")]
pub fn is_step_up_error(#[wasm_bindgen(unchecked_param_type = "unknown")] value: &JsValue) -> bool {
    let Some(error) = value.dyn_ref::<js_sys::Error>() else { return false };
    error.name() == "StepUpError"
        && Reflect::get(error, &JsValue::from_str("code"))
            .ok()
            .and_then(|c| c.as_string())
            .is_some_and(|c| ERROR_CODES.contains(&c.as_str()))
}

/// The codes of contract section 3, for callers that want to list or check them.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "StepUpErrorCode[]")]
pub fn error_codes() -> Array {
    ERROR_CODES.iter().map(|c| JsValue::from_str(c)).collect()
}
