//! Adapters from Auth0's client vocabularies to [`AuthorizationRequest`](super::AuthorizationRequest)
//! parameters, so code written for auth0.js or Lock (see the Auth0 step-up seed:
//! `auth0.signin({ acr_values })`, `new Auth0Lock(id, domain, { auth: { ... } })`) keeps its
//! option names.
//!
//! The result is a parameter object in stepup's camelCase names, without `codeChallenge` (and
//! without `state` unless the options had one): the caller adds them before building the URL.

use serde_json::{Map, Value};

use crate::url::Endpoint;
use crate::{Error, Result};

/// auth0.js `WebAuth` options merged with `authorize()`/`signin()` options
/// (`domain`, `clientID`, `redirectUri`, `responseType`, `scope`, `state`, `nonce`, `connection`,
/// `acr_values`, `max_age`, `prompt`, `login_hint`; every other key becomes an extra parameter).
pub fn params_from_auth0(options: &Map<String, Value>) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let domain = string(options, "domain", "options")?.ok_or_else(|| Error::arg_type("options.domain", "a string"))?;
    out.insert("authorizationEndpoint".into(), endpoint_for(domain, "options.domain")?.into());
    let client_id =
        string(options, "clientID", "options")?.ok_or_else(|| Error::arg_type("options.clientID", "a string"))?;
    out.insert("clientId".into(), client_id.into());
    let rest: Map<String, Value> = options
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "domain" | "clientID"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    translate_params(&rest, "options", &mut out)?;
    Ok(out)
}

/// Lock's `new Auth0Lock(clientId, domain, options)`: `options.auth` (`redirectUrl`,
/// `responseType`, `responseMode`, `audience`, `params`) becomes request parameters. Lock's user
/// interface options outside `auth`, and its `auth` switches that only steer the widget
/// (`redirect`, `sso`, `autoParseHash`, `autoclose`, `connectionScopes`), do not reach the
/// request. The Auth0 step-up document writes `auth: { acr_values }`; that form is read too.
pub fn params_from_lock(client_id: &str, domain: &str, options: &Map<String, Value>) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    out.insert("authorizationEndpoint".into(), endpoint_for(domain, "domain")?.into());
    if client_id.is_empty() {
        return Err(Error::arg_value("clientId", "must not be empty"));
    }
    out.insert("clientId".into(), client_id.into());
    let auth = match options.get("auth") {
        None => return Ok(out),
        Some(Value::Object(auth)) => auth,
        Some(_) => return Err(Error::arg_type("options.auth", "an object")),
    };
    let mut params = match auth.get("params") {
        None => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(Error::arg_type("options.auth.params", "an object")),
    };
    for (key, value) in auth {
        let target = match key.as_str() {
            "params" | "redirect" | "sso" | "autoParseHash" | "autoclose" | "connectionScopes" => continue,
            "redirectUrl" => "redirectUri",
            "responseType" | "responseMode" | "audience" | "acr_values" | "state" | "nonce" => key,
            _ => {
                return Err(Error::arg_value(
                    format!("options.auth.{key}"),
                    "is not a Lock auth option stepup knows; put request parameters in auth.params",
                ))
            }
        };
        if params.get(target).is_some_and(|existing| existing != value) {
            return Err(Error::arg_value(
                format!("options.auth.{key}"),
                format!("conflicts with options.auth.params.{target}"),
            ));
        }
        params.insert(target.into(), value.clone());
    }
    translate_params(&params, "options.auth.params", &mut out)?;
    Ok(out)
}

/// Auth0's tenant domain (`host[:port]`, no scheme or path) to its authorization endpoint.
fn endpoint_for(domain: &str, param: &str) -> Result<String> {
    let url = format!("https://{domain}/authorize");
    if domain.is_empty() || domain.contains(['/', '?', '#', '@']) {
        return Err(Error::arg_value(param, "must be a host name such as tenant.auth0.com"));
    }
    Endpoint::parse(&url, param)?;
    Ok(url)
}

/// Maps the snake_case and auth0.js names shared by both adapters.
fn translate_params(input: &Map<String, Value>, at: &str, out: &mut Map<String, Value>) -> Result<()> {
    let mut extra = Map::new();
    for (key, value) in input {
        let param = || format!("{at}.{key}");
        match key.as_str() {
            "responseType" | "response_type" => {
                if value.as_str() != Some("code") {
                    return Err(Error::arg_value(param(), "only \"code\" is supported (PKCE)"));
                }
            }
            "responseMode" | "response_mode" => {
                if value.as_str() != Some("query") {
                    return Err(Error::arg_value(param(), "only \"query\" is supported"));
                }
            }
            "redirectUri" | "redirect_uri" => {
                out.insert("redirectUri".into(), text(value, &param())?.into());
            }
            "scope" | "state" | "nonce" | "prompt" => {
                out.insert(key.clone(), text(value, &param())?.into());
            }
            "login_hint" => {
                out.insert("loginHint".into(), text(value, &param())?.into());
            }
            "acr_values" => {
                let values: Vec<Value> =
                    text(value, &param())?.split(' ').map(|v| Value::from(v.to_string())).collect();
                if values.iter().any(|v| v.as_str() == Some("")) {
                    return Err(Error::arg_value(param(), "must be values separated by single spaces"));
                }
                out.insert("acrValues".into(), values.into());
            }
            "max_age" => {
                let max_age = match value {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
                    _ => None,
                };
                let max_age = max_age.ok_or_else(|| Error::arg_value(param(), "must be a whole number of seconds"))?;
                out.insert("maxAge".into(), max_age.into());
            }
            _ => {
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(Error::arg_type(param(), "a string, number or boolean")),
                };
                extra.insert(key.clone(), value.into());
            }
        }
    }
    if !extra.is_empty() {
        out.insert("extraParams".into(), extra.into());
    }
    Ok(())
}

fn text<'a>(value: &'a Value, param: &str) -> Result<&'a str> {
    value.as_str().ok_or_else(|| Error::arg_type(param, "a string"))
}

fn string<'a>(map: &'a Map<String, Value>, key: &str, at: &str) -> Result<Option<&'a str>> {
    map.get(key).map(|v| text(v, &format!("{at}.{key}"))).transpose()
}
