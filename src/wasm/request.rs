//! Exports for the sign-in request side: PKCE and random values (RFC 7636), the authorization
//! URL (OIDC Core 3.1.2.1) and its Auth0 adapters, the callback (RFC 6749 §4.1.2, RFC 9207) and
//! discovery (OIDC Discovery §4).

use js_sys::Reflect;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::convert::{read, string, to_js, to_json};
use super::errors::throw;
use crate::authorize::{self, auth0, AuthorizationRequest};
use crate::callback::{self, ResponseExpectations};
use crate::{discovery, pkce, Error, Result};

#[wasm_bindgen(typescript_custom_section)]
const REQUEST_TYPES: &str = r#"
/** JSON data as stepup reads and returns it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [member: string]: JsonValue };

/** A `claims` request (OIDC Core 5.5). */
export interface ClaimsRequest {
  id_token?: { [claim: string]: { essential?: boolean; value?: JsonValue; values?: JsonValue[] } | null };
  userinfo?: { [claim: string]: { essential?: boolean; value?: JsonValue; values?: JsonValue[] } | null };
}

/** `buildAuthorizationUrl` parameters (OIDC Core 3.1.2.1). */
export interface AuthorizationParams {
  /** https, or http on localhost / 127.0.0.1 / [::1]. Its own query is kept. */
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  state: string;
  /** From `calculateCodeChallenge` (S256). */
  codeChallenge: string;
  nonce?: string;
  /** Space-separated; `openid` is always included. Default `"openid"`. */
  scope?: string;
  /** Most preferred first; sent space-separated as `acr_values`. */
  acrValues?: string[];
  /** Seconds; sent as `max_age`. */
  maxAge?: number;
  prompt?: string;
  loginHint?: string;
  uiLocales?: string;
  /** Also request `acr` as an essential ID token claim with `acrValues` as its values. */
  essentialAcr?: boolean;
  claims?: ClaimsRequest;
  /** Further parameters; none may replace one stepup sets. */
  extraParams?: Record<string, string>;
}

/** What the Auth0 adapters return: `AuthorizationParams` still missing `codeChallenge` (and
 * `state` unless the options had one). Spread it and add them. */
export type AuthorizationParamsDraft = Partial<AuthorizationParams> &
  Pick<AuthorizationParams, "authorizationEndpoint" | "clientId">;

/** auth0.js `WebAuth` options merged with `authorize()` / `signin()` options. */
export interface Auth0AuthorizeOptions {
  domain: string;
  clientID: string;
  redirectUri?: string;
  responseType?: "code";
  responseMode?: "query";
  scope?: string;
  state?: string;
  nonce?: string;
  connection?: string;
  /** Space-separated, most preferred first. */
  acr_values?: string;
  max_age?: number | string;
  prompt?: string;
  login_hint?: string;
  audience?: string;
  /** Any other key becomes an extra request parameter. */
  [param: string]: string | number | boolean | undefined;
}

/** Lock's `auth.params` / auth0.js parameter names. */
export interface LockAuthParams {
  scope?: string;
  state?: string;
  nonce?: string;
  acr_values?: string;
  max_age?: number | string;
  prompt?: string;
  login_hint?: string;
  connection?: string;
  [param: string]: string | number | boolean | undefined;
}

/** `new Auth0Lock(clientId, domain, options)` options; only `auth` reaches the request. */
export interface LockOptions {
  auth?: {
    redirectUrl?: string;
    responseType?: "code";
    responseMode?: "query";
    audience?: string;
    /** As written in Auth0's step-up guide; same as `params.acr_values`. */
    acr_values?: string;
    state?: string;
    nonce?: string;
    params?: LockAuthParams;
    redirect?: boolean;
    sso?: boolean;
    autoParseHash?: boolean;
    autoclose?: boolean;
    connectionScopes?: Record<string, string[]>;
  };
  [uiOption: string]: unknown;
}

/** `validateAuthorizationResponse` expectations (RFC 6749 §4.1.2, RFC 9207). */
export interface AuthorizationResponseExpectations {
  /** The `state` sent; omit only if the request had none. */
  expectedState?: string;
  /** The issuer the request went to. */
  expectedIssuer: string;
  /** Refuse a response without `iss` (when discovery says the issuer always sends it). */
  requireIssuer?: boolean;
}

export interface AuthorizationResponse {
  code: string;
  /** The RFC 9207 issuer parameter, when sent (already checked). */
  iss?: string;
}

/** Provider metadata (OIDC Discovery §3), every member as sent. */
export interface DiscoveryMetadata {
  issuer: string;
  authorization_endpoint: string;
  jwks_uri: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  end_session_endpoint?: string;
  acr_values_supported?: string[];
  scopes_supported?: string[];
  response_types_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
  code_challenge_methods_supported?: string[];
  claims_parameter_supported?: boolean;
  authorization_response_iss_parameter_supported?: boolean;
  [member: string]: JsonValue | undefined;
}
"#;

/// 32 bytes from `crypto.getRandomValues`, base64url; fails rather than falling back.
pub(super) fn random_value() -> Result<String> {
    let mut bytes = [0u8; pkce::RANDOM_BYTES];
    getrandom::getrandom(&mut bytes).map_err(|_| Error::CryptoUnavailable("crypto.getRandomValues".into()))?;
    Ok(pkce::random_value(&bytes))
}

/// A PKCE `code_verifier`: 32 CSPRNG bytes, base64url (43 characters).
#[wasm_bindgen(js_name = generateCodeVerifier)]
pub fn generate_code_verifier() -> Result<String, JsValue> {
    throw(random_value())
}

/// A `state` value: 32 CSPRNG bytes, base64url.
#[wasm_bindgen(js_name = generateState)]
pub fn generate_state() -> Result<String, JsValue> {
    throw(random_value())
}

/// A `nonce` value: 32 CSPRNG bytes, base64url.
#[wasm_bindgen(js_name = generateNonce)]
pub fn generate_nonce() -> Result<String, JsValue> {
    throw(random_value())
}

/// The S256 `code_challenge` of a verifier (RFC 7636 §4.2).
#[wasm_bindgen(js_name = calculateCodeChallenge)]
pub fn calculate_code_challenge(
    #[wasm_bindgen(unchecked_param_type = "string")] verifier: JsValue,
) -> Result<String, JsValue> {
    throw(string(&verifier, "verifier").and_then(|v| pkce::code_challenge_s256(&v)))
}

/// The authorization URL (OIDC Core 3.1.2.1) for a step-up sign-in.
#[wasm_bindgen(js_name = buildAuthorizationUrl)]
pub fn build_authorization_url(
    #[wasm_bindgen(unchecked_param_type = "AuthorizationParams")] params: JsValue,
) -> Result<String, JsValue> {
    throw(read::<AuthorizationRequest>(&params, "params").and_then(|req| authorize::build_authorization_url(&req)))
}

/// auth0.js option names to `buildAuthorizationUrl` parameters.
#[wasm_bindgen(js_name = authorizationParamsFromAuth0, unchecked_return_type = "AuthorizationParamsDraft")]
pub fn authorization_params_from_auth0(
    #[wasm_bindgen(unchecked_param_type = "Auth0AuthorizeOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let result = object(&options, "options").and_then(|o| auth0::params_from_auth0(&o));
    throw(result).map(|params| to_js(&Value::Object(params)))
}

/// Lock's `(clientId, domain, options)` to `buildAuthorizationUrl` parameters.
#[wasm_bindgen(js_name = authorizationParamsFromLock, unchecked_return_type = "AuthorizationParamsDraft")]
pub fn authorization_params_from_lock(
    #[wasm_bindgen(js_name = clientId, unchecked_param_type = "string")] client_id: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] domain: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "LockOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let result = (|| {
        let client_id = string(&client_id, "clientId")?;
        let domain = string(&domain, "domain")?;
        let options = match options {
            Some(options) => object(&options, "options")?,
            None => Map::new(),
        };
        auth0::params_from_lock(&client_id, &domain, &options)
    })();
    throw(result).map(|params| to_js(&Value::Object(params)))
}

/// Checks a callback URL (a string, or a `URL`/`Location` object) and returns the code.
#[wasm_bindgen(js_name = validateAuthorizationResponse, unchecked_return_type = "AuthorizationResponse")]
pub fn validate_authorization_response(
    #[wasm_bindgen(js_name = callbackUrl, unchecked_param_type = "string | URL")] callback_url: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AuthorizationResponseExpectations")] expectations: JsValue,
) -> Result<JsValue, JsValue> {
    let result = (|| {
        let url = match callback_url.as_string() {
            Some(url) => url,
            None if callback_url.is_object() => {
                string(&Reflect::get(&callback_url, &"href".into()).unwrap_or_default(), "callbackUrl")?
            }
            None => return Err(Error::arg_type("callbackUrl", "a string or a URL")),
        };
        let expect: ResponseExpectations = read(&expectations, "expectations")?;
        callback::validate_authorization_response(&url, &expect)
    })();
    throw(result).map(|r| to_js(&r.to_json()))
}

/// Parses provider metadata (JSON text or an already parsed object) and checks its issuer.
#[wasm_bindgen(js_name = parseDiscoveryDocument, unchecked_return_type = "DiscoveryMetadata")]
pub fn parse_discovery_document(
    #[wasm_bindgen(unchecked_param_type = "string | DiscoveryMetadata")] json: JsValue,
    #[wasm_bindgen(js_name = expectedIssuer, unchecked_param_type = "string")] expected_issuer: JsValue,
) -> Result<JsValue, JsValue> {
    let result = (|| {
        let expected_issuer = string(&expected_issuer, "expectedIssuer")?;
        let text = match json.as_string() {
            Some(text) => text,
            None if json.is_object() => to_json(&json, "json")?.to_string(),
            None => return Err(Error::arg_type("json", "a string or an object")),
        };
        discovery::parse_given_discovery_document(text.as_bytes(), &expected_issuer, "json")
    })();
    throw(result).map(|m| to_js(&Value::Object(m.document)))
}

/// A plain JS object read as a JSON object.
fn object(value: &JsValue, param: &str) -> Result<Map<String, serde_json::Value>> {
    match to_json(value, param)? {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(Error::arg_type(param, "an object")),
    }
}
