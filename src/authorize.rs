//! The authorization request (OIDC Core 3.1.2.1, RFC 6749 §4.1.1, RFC 7636 §4.3): the URL that
//! sends a user to the identity provider asking for a given authentication level.
//!
//! Always `response_type=code` with PKCE S256; the ACR values go in order of preference
//! (`acr_values` is "any one of, most preferred first"); with `essential_acr` the same values are
//! also sent as an essential `acr` claim request (OIDC Core 5.5.1.1), which obliges the provider to
//! answer `unmet_authentication_requirements` rather than silently issue a weaker token.

pub mod auth0;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{json, Map, Value};

use crate::options::{string_map, Fields, FromJson};
use crate::secret::{redact, Redacted};
use crate::url::Endpoint;
use crate::{pkce, Error, Result};

/// The parameters of [`build_authorization_url`]; JavaScript passes them as an object with these
/// names in camelCase. Unknown names are refused so that a typo never drops a requirement.
/// `Debug` leaves out `state` and `nonce`.
#[derive(Clone, Default, PartialEq)]
pub struct AuthorizationRequest {
    /// The provider's `authorization_endpoint`: https, or http on a loopback host.
    pub authorization_endpoint: String,
    /// `client_id`.
    pub client_id: String,
    /// `redirect_uri`: an absolute URI without fragment (RFC 6749 §3.1.2).
    pub redirect_uri: String,
    /// `state`, binding the response to this browser (use [`pkce::random_value`]).
    pub state: String,
    /// `code_challenge`, from [`pkce::code_challenge_s256`].
    pub code_challenge: String,
    /// `nonce`, binding the ID token to this request.
    pub nonce: Option<String>,
    /// `scope`; `openid` is always included (default `"openid"`).
    pub scope: Option<String>,
    /// `acr_values`, most preferred first.
    pub acr_values: Vec<String>,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// `prompt`: space-separated `none`, `login`, `consent`, `select_account` (or extensions).
    pub prompt: Option<String>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// `ui_locales`.
    pub ui_locales: Option<String>,
    /// Also request `acr` as an essential ID token claim with `acr_values` as its values.
    pub essential_acr: bool,
    /// A `claims` request object (OIDC Core 5.5), merged with the essential-acr request.
    pub claims: Option<Map<String, Value>>,
    /// Further parameters; none may replace one of the above.
    pub extra_params: BTreeMap<String, String>,
}

impl FromJson for AuthorizationRequest {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "authorizationEndpoint",
                "clientId",
                "redirectUri",
                "state",
                "codeChallenge",
                "nonce?",
                "scope?",
                "acrValues?",
                "maxAge?",
                "prompt?",
                "loginHint?",
                "uiLocales?",
                "essentialAcr?",
                "claims?",
                "extraParams?",
            ],
        )?;
        let claims = |v: &Value, at: &str| match v {
            Value::Object(map) => Ok(map.clone()),
            _ => Err(Error::arg_type(at, "an object (an OIDC claims request)")),
        };
        let extra = |v: &Value, at: &str| string_map(v, at, "an object whose members are strings");
        Ok(AuthorizationRequest {
            authorization_endpoint: o.string("authorizationEndpoint")?,
            client_id: o.string("clientId")?,
            redirect_uri: o.string("redirectUri")?,
            state: o.string("state")?,
            code_challenge: o.string("codeChallenge")?,
            nonce: o.str("nonce")?,
            scope: o.str("scope")?,
            acr_values: o.strings("acrValues")?.unwrap_or_default(),
            max_age: o.whole("maxAge")?,
            prompt: o.str("prompt")?,
            login_hint: o.str("loginHint")?,
            ui_locales: o.str("uiLocales")?,
            essential_acr: o.bool("essentialAcr")?.unwrap_or_default(),
            claims: o.with("claims", claims)?,
            extra_params: o.with("extraParams", extra)?.unwrap_or_default().into_iter().collect(),
        })
    }
}

/// `state` and `nonce` are what bind the response and the ID token to this browser (RFC 6749
/// §10.12, OIDC Core 15.5.2); whoever learns them can answer in its place.
impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let AuthorizationRequest {
            authorization_endpoint,
            client_id,
            redirect_uri,
            state: _,
            code_challenge,
            nonce,
            scope,
            acr_values,
            max_age,
            prompt,
            login_hint,
            ui_locales,
            essential_acr,
            claims,
            extra_params,
        } = self;
        f.debug_struct("AuthorizationRequest")
            .field("authorization_endpoint", authorization_endpoint)
            .field("client_id", client_id)
            .field("redirect_uri", redirect_uri)
            .field("state", &Redacted)
            .field("code_challenge", code_challenge)
            .field("nonce", &redact(nonce))
            .field("scope", scope)
            .field("acr_values", acr_values)
            .field("max_age", max_age)
            .field("prompt", prompt)
            .field("login_hint", login_hint)
            .field("ui_locales", ui_locales)
            .field("essential_acr", essential_acr)
            .field("claims", claims)
            .field("extra_params", extra_params)
            .finish()
    }
}

/// Parameters stepup sets itself, and those that would replace them all: a request object
/// (`request`, `request_uri`: RFC 9101 §6.3, its parameters are the ones used) or another way
/// back for the answer (`response_mode`); neither `extraParams` nor the endpoint's own query may
/// carry them, so nothing can quietly replace `response_type`, PKCE or the ACR request.
pub const RESERVED_PARAMS: [&str; 17] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "max_age",
    "prompt",
    "login_hint",
    "ui_locales",
    "claims",
    "request",
    "request_uri",
    "response_mode",
];

/// Whether a parameter name is one of `names` as a server may read it: in any case (ASP.NET's
/// and .NET's query collections ignore it), with surrounding whitespace trimmed, as PHP fills
/// `$_GET` (`parse_str`: the name ends at a NUL, `.`, a space and an unclosed `[` become `_`, and
/// `name[…]` is `name`), as Rack 2 reads brackets around it, and as Node's `qs` (Express 4's
/// query parser) reads a name that begins with a bracketed key (`[prompt]x` is `prompt`).
pub fn names_one_of(name: &str, names: &[&str]) -> bool {
    let name = name.split('\0').next().unwrap_or_default().trim();
    let array = match name.split_once('[') {
        Some((base, rest)) if rest.contains(']') => base,
        _ => name,
    };
    let php: String = array.chars().map(|c| if matches!(c, '.' | ' ' | '[') { '_' } else { c }).collect();
    let rack = name.trim_matches(['[', ']']);
    let qs = name.strip_prefix('[').and_then(|rest| rest.split_once(']')).map_or(name, |(key, _)| key);
    [name, array, php.as_str(), rack, qs].iter().any(|read| names.iter().any(|n| read.eq_ignore_ascii_case(n)))
}

/// Builds the authorization URL. Every value is percent-encoded exactly once; the endpoint's own
/// query is kept as it is.
pub fn build_authorization_url(req: &AuthorizationRequest) -> Result<String> {
    let endpoint = Endpoint::parse(&req.authorization_endpoint, "authorizationEndpoint")?;
    endpoint.refuse_in_query("authorizationEndpoint", &RESERVED_PARAMS)?;
    check_redirect_uri(&req.redirect_uri)?;
    non_empty("clientId", &req.client_id)?;
    non_empty("state", &req.state)?;
    if !pkce::is_s256_challenge(&req.code_challenge) {
        return Err(Error::arg_value("codeChallenge", "must be an S256 challenge (43 base64url characters)"));
    }
    if let Some(nonce) = &req.nonce {
        non_empty("nonce", nonce)?;
    }
    let scope = scope_with_openid(req.scope.as_deref())?;
    check_acr_values(&req.acr_values)?;
    let prompt = req.prompt.as_deref().map(check_prompt).transpose()?;
    for (name, value) in [("loginHint", &req.login_hint), ("uiLocales", &req.ui_locales)] {
        if let Some(v) = value {
            non_empty(name, v)?;
        }
    }
    let claims = claims_request(req)?;
    for name in req.extra_params.keys() {
        if name.trim().is_empty() || names_one_of(name, &RESERVED_PARAMS) {
            return Err(Error::arg_value(
                format!("extraParams.{name}"),
                "may not replace a parameter stepup sets itself",
            ));
        }
    }

    let acr_values = req.acr_values.join(" ");
    let max_age = req.max_age.map(|m| m.to_string());
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", &req.client_id),
        ("redirect_uri", &req.redirect_uri),
        ("scope", &scope),
        ("state", &req.state),
    ];
    let optional = [
        ("nonce", req.nonce.as_deref()),
        ("code_challenge", Some(req.code_challenge.as_str())),
        ("code_challenge_method", Some("S256")),
        ("acr_values", Some(acr_values.as_str()).filter(|v| !v.is_empty())),
        ("max_age", max_age.as_deref()),
        ("prompt", prompt),
        ("login_hint", req.login_hint.as_deref()),
        ("ui_locales", req.ui_locales.as_deref()),
        ("claims", claims.as_deref()),
    ];
    pairs.extend(optional.iter().filter_map(|(n, v)| v.map(|v| (*n, v))));
    pairs.extend(req.extra_params.iter().map(|(n, v)| (n.as_str(), v.as_str())));

    Ok(endpoint.with_query(&pairs))
}

fn non_empty(param: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::arg_value(param, "must not be empty"));
    }
    Ok(())
}

/// RFC 6749 §3.1.2: absolute, no fragment. http(s) URIs follow the endpoint rule (TLS or
/// loopback); other schemes (native apps' private-use schemes, RFC 8252 §7.1) pass as they are.
fn check_redirect_uri(uri: &str) -> Result<()> {
    let scheme = uri.split_once(':').map_or("", |(scheme, _)| scheme);
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(Error::arg_value("redirectUri", "must be an absolute URI"));
    }
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        Endpoint::parse(uri, "redirectUri")?;
    } else if uri.contains('#') || !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::arg_value("redirectUri", "must be visible ASCII without a fragment"));
    }
    Ok(())
}

/// `scope` with `openid` guaranteed; tokens must be RFC 6749 §3.3 `scope-token`s.
fn scope_with_openid(scope: Option<&str>) -> Result<String> {
    let tokens: Vec<&str> = scope.unwrap_or("openid").split(' ').collect();
    let valid = |t: &&str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    if !tokens.iter().all(valid) {
        return Err(Error::arg_value("scope", "must be scope tokens separated by single spaces"));
    }
    if tokens.contains(&"openid") {
        Ok(tokens.join(" "))
    } else {
        Ok(std::iter::once("openid").chain(tokens).collect::<Vec<_>>().join(" "))
    }
}

/// ACR values are space-separated on the wire, so each must be a non-empty run of visible ASCII;
/// a value listed twice is a mistake in the caller's preference order.
pub(crate) fn check_acr_values(values: &[String]) -> Result<()> {
    for (i, value) in values.iter().enumerate() {
        let param = || format!("acrValues[{i}]");
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::arg_value(param(), "must be non-empty visible ASCII without spaces"));
        }
        if values.iter().take(i).any(|v| v == value) {
            return Err(Error::arg_value(param(), format!("{value:?} is listed twice")));
        }
    }
    Ok(())
}

/// OIDC Core 3.1.2.1: `prompt` is a space-separated list, and `none` stands alone.
fn check_prompt(prompt: &str) -> Result<&str> {
    let values: Vec<&str> = prompt.split(' ').collect();
    let valid = |v: &&str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !values.iter().all(valid) {
        return Err(Error::arg_value(
            "prompt",
            "must be values such as login, consent, select_account separated by single spaces",
        ));
    }
    if values.len() > 1 && values.contains(&"none") {
        return Err(Error::arg_value("prompt", "\"none\" cannot be combined with other values"));
    }
    Ok(prompt)
}

/// The `claims` parameter: the caller's object, plus `id_token.acr` as an essential claim when
/// asked for. A caller object that already requests `id_token.acr` conflicts with
/// `essentialAcr` and is refused rather than merged by guesswork. Members are OIDC Core 5.5's
/// `id_token` and `userinfo`, and `access_token`: a Microsoft Entra claims challenge asks for
/// access token claims (`acrs`) that way, and the request is sent back as the API wrote it.
fn claims_request(req: &AuthorizationRequest) -> Result<Option<String>> {
    let mut claims = req.claims.clone().unwrap_or_default();
    if req.essential_acr {
        if req.acr_values.is_empty() {
            return Err(Error::arg_value("essentialAcr", "needs acrValues"));
        }
        let id_token = claims.entry("id_token").or_insert_with(|| json!({}));
        let Some(id_token) = id_token.as_object_mut() else {
            return Err(Error::arg_value("claims.id_token", "must be an object"));
        };
        if id_token.contains_key("acr") {
            return Err(Error::arg_value("claims.id_token.acr", "conflicts with essentialAcr"));
        }
        id_token.insert("acr".into(), json!({ "essential": true, "values": req.acr_values }));
    }
    if claims.is_empty() {
        return Ok(None);
    }
    for (member, request) in &claims {
        if !matches!(member.as_str(), "id_token" | "userinfo" | "access_token") || !request.is_object() {
            return Err(Error::arg_value(
                format!("claims.{member}"),
                "only \"id_token\", \"userinfo\" (OIDC Core 5.5) and \"access_token\" (Entra) objects may be requested",
            ));
        }
    }
    Ok(Some(Value::Object(claims).to_string()))
}

#[cfg(test)]
mod tests;
