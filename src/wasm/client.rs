//! The browser client (contract section 5): `new Client({ issuer, clientId, redirectUri })` signs
//! in with PKCE, handles the callback (code exchange, `verifyIdToken` with its signature), keeps
//! tokens per satisfied requirement ([`crate::tokens`]), tells whether the session meets a
//! requirement and for how long, and answers an API's RFC 9470 challenge by stepping up with
//! exactly what it asked for — retrying once, never looping.
//!
//! Everything lives in `sessionStorage` under `stepup:<clientId>:…`: the sign-ins under way
//! (`tx:<state>`: verifier, nonce, the requirement that started it, where to return), the token
//! sets, and the one request waiting for a step-up (`pending`). A redirect loses no state, and
//! another tab or origin sees none of it.

use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{Headers, Request, Response};

use super::convert::{read, read_optional, string, to_js};
use super::errors::js_error;
use super::provider::Document;
use super::request::random_value;
use super::{http, now, verify};
use crate::acr::{AcrList, AcrPolicy};
use crate::authorize::{build_authorization_url, AuthorizationRequest};
use crate::callback::{validate_authorization_response, ResponseExpectations};
use crate::claims::DEFAULT_CLOCK_TOLERANCE;
use crate::discovery::{parse_discovery_document, Metadata};
use crate::error::Shortfall;
use crate::id_token::IdTokenOptions;
use crate::jwks::KeySet;
use crate::options::{list, string as json_string, Fields, FromJson, Out};
use crate::refresh;
use crate::step_up::{evaluate_step_up, parse_step_up_challenge, Ask, Requirement};
use crate::tokens::{self, TokenSet};
use crate::{pkce, Error, Result};

#[wasm_bindgen(typescript_custom_section)]
const CLIENT_TYPES: &str = r#"
export interface ClientOptions {
    issuer: string;
    clientId: string;
    /** Where the provider sends the browser back; the page that calls `handleCallback`. */
    redirectUri: string;
    /** Default "openid profile". */
    scope?: string;
    /** RFC 8707 resource: the API the access tokens are for. */
    resource?: string;
    /** How ACR values rank (default: numeric-or-exact). */
    policy?: AcrPolicy;
}

/** What to sign in with. auth0.js (`acr_values`, `max_age`) and Lock (`auth.params`) spellings work too. */
export interface SignInOptions {
    acrValues?: string[];
    maxAge?: number;
    prompt?: string;
    loginHint?: string;
    /** Where `handleCallback` says to go afterwards (default: the current page). */
    returnTo?: string;
    /** Requirements the new token must meet beyond `acrValues`/`maxAge` (e.g. `amr`). */
    requirement?: StepUpRequirement;
    acr_values?: string;
    max_age?: number;
    auth?: { params?: { acr_values?: string; max_age?: number; prompt?: string } };
}

export interface CallbackResult {
    claims: JwtClaims;
    returnTo: string;
}

export interface SessionStatus {
    signedIn: boolean;
    /** The claims of the token that meets the requirement, else of the strongest held. */
    claims?: JwtClaims;
    satisfied: boolean;
    reasons: StepUpReason[];
    acrValues?: string[];
    maxAge?: number;
    /** Seconds until the session stops meeting the requirement (token expiry or maxAge). */
    expiresIn?: number;
}

/** What `refresh` did. */
export interface RefreshResult {
    /** The claims the refreshed tokens now stand for. */
    claims: JwtClaims;
    /** The provider reported a weaker authentication than the tokens had (a lower `acr`, none, or fewer `amr` methods): they now count at the new level. */
    downgraded: boolean;
    /** The `acr` and `amr` before the refresh, when downgraded. */
    previous?: { acr?: string; amr?: string[] };
}

export interface ClientFetchOptions {
    /** Meet a step-up challenge by signing in again (navigates away; `resume()` replays the call). */
    stepUp?: boolean;
}
"#;

/// `new Client(options)`.
struct ClientOptions {
    issuer: String,
    client_id: String,
    redirect_uri: String,
    scope: Option<String>,
    resource: Option<String>,
    policy: Option<AcrPolicy>,
}

impl FromJson for ClientOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["issuer", "clientId", "redirectUri", "scope?", "resource?", "policy?"])?;
        Ok(ClientOptions {
            issuer: o.string("issuer")?,
            client_id: o.string("clientId")?,
            redirect_uri: o.string("redirectUri")?,
            scope: o.str("scope")?,
            resource: o.str("resource")?,
            policy: o.object("policy")?,
        })
    }
}

/// `client.signIn(options)`, with the auth0.js and Lock spellings folded in.
#[derive(Default)]
struct SignInOptions {
    acr_values: Option<Vec<String>>,
    max_age: Option<u64>,
    prompt: Option<String>,
    login_hint: Option<String>,
    return_to: Option<String>,
    requirement: Option<Requirement>,
    auth0_acr_values: Option<String>,
    auth0_max_age: Option<u64>,
    lock: LockParams,
}

/// Lock's `auth.params`.
#[derive(Default)]
struct LockParams {
    acr_values: Option<String>,
    max_age: Option<u64>,
    prompt: Option<String>,
}

impl FromJson for SignInOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(
            value,
            at,
            &[
                "acrValues?",
                "maxAge?",
                "prompt?",
                "loginHint?",
                "returnTo?",
                "requirement?",
                "acr_values?",
                "max_age?",
                "auth?",
            ],
        )?;
        let lock = |v: &Value, at: &str| {
            let auth = Fields::new(v, at, &["params?"])?;
            auth.with("params", |v, at| {
                let p = Fields::new(v, at, &["acr_values?", "max_age?", "prompt?"])?;
                Ok(LockParams {
                    acr_values: p.str("acr_values")?,
                    max_age: p.whole("max_age")?,
                    prompt: p.str("prompt")?,
                })
            })
        };
        Ok(SignInOptions {
            acr_values: o.strings("acrValues")?,
            max_age: o.whole("maxAge")?,
            prompt: o.str("prompt")?,
            login_hint: o.str("loginHint")?,
            return_to: o.str("returnTo")?,
            requirement: o.object("requirement")?,
            auth0_acr_values: o.str("acr_values")?,
            auth0_max_age: o.whole("max_age")?,
            lock: o.with("auth", lock)?.flatten().unwrap_or_default(),
        })
    }
}

impl SignInOptions {
    /// One spelling of each setting: ours, else auth0.js's, else Lock's.
    fn normalized(self) -> (Vec<String>, Option<u64>, Option<String>) {
        let lock = self.lock;
        let split = |v: String| v.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect();
        let acr_values = self.acr_values.or_else(|| self.auth0_acr_values.or(lock.acr_values).map(split));
        (
            acr_values.unwrap_or_default(),
            self.max_age.or(self.auth0_max_age).or(lock.max_age),
            self.prompt.or(lock.prompt),
        )
    }
}

/// A sign-in under way, kept until its callback.
struct Transaction {
    verifier: String,
    nonce: String,
    requirement: Requirement,
    return_to: String,
}

impl FromJson for Transaction {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["verifier", "nonce", "requirement", "returnTo"])?;
        Ok(Transaction {
            verifier: o.string("verifier")?,
            nonce: o.string("nonce")?,
            requirement: Requirement::from_json(o.required("requirement")?, "requirement")?,
            return_to: o.string("returnTo")?,
        })
    }
}

impl Transaction {
    fn to_json(&self) -> Value {
        Out::new()
            .set("verifier", self.verifier.as_str())
            .set("nonce", self.nonce.as_str())
            .set("requirement", self.requirement.to_json())
            .set("returnTo", self.return_to.as_str())
            .build()
    }
}

/// A call waiting for a step-up, replayed once by `resume()`.
struct Pending {
    url: String,
    method: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    requirement: Requirement,
}

impl FromJson for Pending {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["url", "method", "headers", "body?", "requirement"])?;
        let pair = |v: &Value, at: &str| match list(v, at, "a [name, value] pair", json_string)?.as_slice() {
            [name, value] => Ok((name.clone(), value.clone())),
            _ => Err(Error::arg_type(at, "a [name, value] pair")),
        };
        Ok(Pending {
            url: o.string("url")?,
            method: o.string("method")?,
            headers: list(o.required("headers")?, "headers", "an array of pairs", pair)?,
            body: o.str("body")?,
            requirement: Requirement::from_json(o.required("requirement")?, "requirement")?,
        })
    }
}

/// The browser client.
#[wasm_bindgen]
pub struct Client {
    inner: Rc<Inner>,
}

struct Inner {
    issuer: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    resource: Option<String>,
    policy: AcrPolicy,
    metadata: Document<Metadata>,
    keys: Document<KeySet>,
}

#[wasm_bindgen]
impl Client {
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] settings: JsValue,
    ) -> std::result::Result<Client, JsValue> {
        let o: ClientOptions = read(&settings, "options").map_err(|e| js_error(&e))?;
        crate::url::Endpoint::parse(&o.issuer, "issuer").map_err(|e| js_error(&e))?;
        let policy = o.policy.unwrap_or_default();
        policy.check_at("policy").map_err(|e| js_error(&e))?;
        let issuer = o.issuer.clone();
        let inner = Inner {
            metadata: Document::new(refresh::Policy::default(), move |body| parse_discovery_document(body, &issuer)),
            keys: Document::new(refresh::Policy::default(), KeySet::parse),
            issuer: o.issuer,
            client_id: o.client_id,
            redirect_uri: o.redirect_uri,
            scope: o.scope.unwrap_or_else(|| "openid profile".into()),
            resource: o.resource,
            policy,
        };
        Ok(Client { inner: Rc::new(inner) })
    }

    /// The authorization URL for a sign-in, with its transaction stored (for custom navigation).
    #[wasm_bindgen(js_name = authorizationUrl, unchecked_return_type = "Promise<string>")]
    pub fn authorization_url(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "SignInOptions")] options: Option<JsValue>,
    ) -> Promise {
        let inner = self.inner.clone();
        run(async move {
            let options: SignInOptions = read_optional(options, "options")?;
            inner.authorization_url(options).await.map(JsValue::from)
        })
    }

    /// Signs in: navigates to the provider.
    #[wasm_bindgen(js_name = signIn, unchecked_return_type = "Promise<void>")]
    pub fn sign_in(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "SignInOptions")] options: Option<JsValue>,
    ) -> Promise {
        let inner = self.inner.clone();
        run(async move {
            let options: SignInOptions = read_optional(options, "options")?;
            let url = inner.authorization_url(options).await?;
            navigate(&url)
        })
    }

    /// Signs in again to meet `requirement` (what to ask for comes from the current session).
    #[wasm_bindgen(js_name = stepUp, unchecked_return_type = "Promise<void>")]
    pub fn step_up(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StepUpRequirement")] requirement: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "{ returnTo?: string }")] step_up_options: Option<JsValue>,
    ) -> Promise {
        let inner = self.inner.clone();
        run(async move {
            let requirement: Requirement = read(&requirement, "requirement")?;
            requirement.check_at("requirement")?;
            let return_to = read_optional::<ReturnTo>(step_up_options, "options")?.0;
            let url = inner.step_up_url(requirement, return_to).await?;
            navigate(&url)
        })
    }

    /// Completes a sign-in on the redirect page; resolves to the verified claims and where to go.
    #[wasm_bindgen(js_name = handleCallback, unchecked_return_type = "Promise<CallbackResult>")]
    pub fn handle_callback(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] url: Option<JsValue>,
    ) -> Promise {
        let inner = self.inner.clone();
        run(async move {
            let url = match url {
                Some(url) => string(&url, "url")?,
                None => location_href()?,
            };
            let result = inner.handle_callback(&url).await;
            if result.is_err() {
                // A call saved for a step-up that failed is never replayed by a later sign-in.
                storage::remove(&inner.key("pending"))?;
            }
            result
        })
    }

    /// Whether the session meets `requirement` (default: any sign-in), and for how long.
    #[wasm_bindgen(unchecked_return_type = "SessionStatus")]
    pub fn session(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "StepUpRequirement")] requirement: Option<JsValue>,
    ) -> std::result::Result<JsValue, JsValue> {
        let result = (|| {
            let requirement: Requirement = read_optional(requirement, "requirement")?;
            requirement.check_at("requirement")?;
            self.inner.session(&requirement)
        })();
        result.map_err(|e| js_error(&e))
    }

    /// The weakest held access token that meets `requirement`, or `undefined`.
    #[wasm_bindgen(js_name = accessToken)]
    pub fn access_token(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "StepUpRequirement")] requirement: Option<JsValue>,
    ) -> std::result::Result<Option<String>, JsValue> {
        let result = (|| {
            let requirement: Requirement = read_optional(requirement, "requirement")?;
            requirement.check_at("requirement")?;
            let sets = self.inner.sets()?;
            Ok(tokens::weakest(&sets, &requirement, &self.inner.policy, unix_now())
                .and_then(|s| s.access_token.clone()))
        })();
        result.map_err(|e| js_error(&e))
    }

    /// Renews the tokens of the weakest held sign-in that meets `requirement` (default: any)
    /// with its refresh token, and tells whether the provider came back with a weaker
    /// authentication. `fetch` does this by itself when a token it needs has expired.
    #[wasm_bindgen(unchecked_return_type = "Promise<RefreshResult>")]
    pub fn refresh(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "StepUpRequirement")] requirement: Option<JsValue>,
    ) -> Promise {
        let inner = self.inner.clone();
        run(async move {
            let requirement: Requirement = read_optional(requirement, "requirement")?;
            requirement.check_at("requirement")?;
            let sets = inner.sets()?;
            let old = tokens::refreshable(&sets, &requirement, &inner.policy, unix_now()).cloned();
            // Nothing to renew, or the provider refused the refresh token: only a sign-in helps.
            let refreshed = match old {
                Some(old) => inner.refresh(&old).await?.map(|r| refresh_result(&old, &r)),
                None => None,
            };
            refreshed.ok_or_else(|| step_up_required(&requirement))
        })
    }

    /// `fetch` with the weakest held access token. A `401` step-up challenge is retried once
    /// with a held token that meets it; otherwise it throws `ERR_STEP_UP_REQUIRED`, or with
    /// `{ stepUp: true }` saves the call and signs in for exactly what the API asked.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "ClientFetchOptions")] options: Option<JsValue>,
    ) -> Promise {
        let inner = self.inner.clone();
        run(async move {
            let step_up = read_optional::<FetchOptions>(options, "options")?.0;
            let request = new_request(&input, init.as_ref())?;
            inner.fetch(request, step_up).await.map(JsValue::from)
        })
    }

    /// After a step-up started by `fetch(…, { stepUp: true })` and `handleCallback`: replays the
    /// saved call once and resolves to its `Response`, or `null` when none is waiting. Still
    /// challenged, it throws `ERR_STEP_UP_REQUIRED` and never navigates.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response | null>")]
    pub fn resume(&self) -> Promise {
        let inner = self.inner.clone();
        run(async move { inner.resume().await })
    }

    /// Forgets every token and sign-in under way.
    #[wasm_bindgen(js_name = signOut)]
    pub fn sign_out(&self) -> std::result::Result<(), JsValue> {
        let prefix = self.inner.key("");
        storage::remove_where(|key| key.starts_with(&prefix)).map_err(|e| js_error(&e))
    }
}

/// `client.stepUp`'s `{ returnTo? }`.
#[derive(Default)]
struct ReturnTo(Option<String>);

impl FromJson for ReturnTo {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        Fields::new(value, at, &["returnTo?"])?.str("returnTo").map(ReturnTo)
    }
}

/// `client.fetch`'s `{ stepUp? }`.
#[derive(Default)]
struct FetchOptions(bool);

impl FromJson for FetchOptions {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        Ok(FetchOptions(Fields::new(value, at, &["stepUp?"])?.bool("stepUp")?.unwrap_or_default()))
    }
}

impl Inner {
    fn key(&self, name: &str) -> String {
        format!("stepup:{}:{name}", self.client_id)
    }

    async fn metadata(&self) -> Result<Rc<Metadata>> {
        let url = format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'));
        self.metadata.get(&url, false).await
    }

    fn sets(&self) -> Result<Vec<TokenSet>> {
        let sets = |v: &Value| list(v, "tokens", "an array", TokenSet::from_json);
        Ok(storage::read(&self.key("tokens"), sets)?.unwrap_or_default())
    }

    async fn authorization_url(&self, options: SignInOptions) -> Result<String> {
        let return_to = options.return_to.clone();
        let login_hint = options.login_hint.clone();
        let extra = options.requirement.clone().unwrap_or_default();
        let (acr_values, max_age, prompt) = options.normalized();
        let requirement = Requirement {
            acr: (!acr_values.is_empty()).then_some(AcrList(acr_values)).or(extra.acr),
            amr: extra.amr,
            max_age: max_age.or(extra.max_age),
        };
        requirement.check_at("options")?;
        let asked = (requirement.acr.clone().map(|a| a.0).unwrap_or_default(), requirement.max_age, prompt);
        self.start(requirement, asked, login_hint, return_to).await
    }

    /// A sign-in for what the session lacks to meet `requirement`: [`Decision::ask`], as the
    /// guard asks. When the held tokens already meet it by this policy (the API judged
    /// otherwise), the requirement itself is asked for.
    async fn step_up_url(&self, requirement: Requirement, return_to: Option<String>) -> Result<String> {
        let sets = self.sets()?;
        let held = tokens::strongest(&sets, &self.policy, unix_now());
        let claims = held.map(|s| s.claims.clone()).unwrap_or_default();
        let decision =
            evaluate_step_up(&claims, &requirement, &self.policy, unix_now() as i64, DEFAULT_CLOCK_TOLERANCE);
        let ask = if decision.satisfied {
            Ask {
                acr_values: requirement.acr.clone().map(|a| a.0).unwrap_or_default(),
                max_age: requirement.max_age,
                prompt_login: requirement.max_age.is_some(),
            }
        } else {
            decision.ask()
        };
        let prompt = ask.prompt_login.then(|| "login".to_string());
        self.start(requirement, (ask.acr_values, ask.max_age, prompt), None, return_to).await
    }

    /// Starts a sign-in that will be judged by `requirement`, asking the provider for
    /// `(acr_values, max_age, prompt)`.
    async fn start(
        &self,
        requirement: Requirement,
        (acr_values, max_age, prompt): (Vec<String>, Option<u64>, Option<String>),
        login_hint: Option<String>,
        return_to: Option<String>,
    ) -> Result<String> {
        let metadata = self.metadata().await?;
        let (state, nonce, verifier) = (random_value()?, random_value()?, random_value()?);
        let mut extra_params = std::collections::BTreeMap::new();
        if let Some(resource) = &self.resource {
            extra_params.insert("resource".to_string(), resource.clone());
        }
        let url = build_authorization_url(&AuthorizationRequest {
            authorization_endpoint: metadata.str("authorization_endpoint").unwrap_or_default().to_string(),
            client_id: self.client_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
            state: state.clone(),
            code_challenge: pkce::code_challenge_s256(&verifier)?,
            nonce: Some(nonce.clone()),
            scope: Some(self.scope.clone()),
            acr_values,
            max_age,
            prompt,
            login_hint,
            extra_params,
            ..AuthorizationRequest::default()
        })?;
        let return_to = match return_to {
            Some(r) => r,
            None => location_href()?,
        };
        storage::write(
            &self.key(&format!("tx:{state}")),
            &Transaction { verifier, nonce, requirement, return_to }.to_json(),
        )?;
        Ok(url)
    }

    async fn handle_callback(&self, url: &str) -> Result<JsValue> {
        let query = url.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or_default()).unwrap_or_default();
        let state = crate::url::parse_query(query)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(n, _)| n == "state").map(|(_, v)| v))
            .ok_or_else(|| Error::response("state", "missing"))?;
        let key = self.key(&format!("tx:{state}"));
        // One use only: the transaction goes whatever happens next.
        let tx = storage::read(&key, |v| Transaction::from_json(v, ""))?
            .ok_or_else(|| Error::response("state", "no sign-in under way in this browser for this state"))?;
        storage::remove(&key)?;
        let metadata = self.metadata().await?;
        let expect = ResponseExpectations {
            expected_state: Some(state),
            expected_issuer: self.issuer.clone(),
            require_issuer: metadata.sends_response_iss(),
        };
        let code = validate_authorization_response(url, &expect)?.code;
        let endpoint = token_endpoint(&metadata)?;
        let client = http::ClientAuth { client_id: &self.client_id, secret: None };
        let (id_token, grant) = http::exchange_code(endpoint, &client, &code, &self.redirect_uri, &tx.verifier).await?;
        let options = IdTokenOptions {
            issuer: self.issuer.clone(),
            audience: self.client_id.clone(),
            expected_nonce: Some(tx.nonce),
            max_age: tx.requirement.max_age,
            requirement: Some(tx.requirement),
            policy: Some(self.policy.clone()),
            ..IdTokenOptions::default()
        };
        let claims = self.verify_id_token(&metadata, &id_token, &options).await?;
        let now = unix_now();
        let mut sets = self.sets()?;
        if !crate::claims::same_user(sets.first().map(|s| &s.claims), &claims) {
            return Err(Error::claim_invalid(
                "sub",
                "the provider signed in another user than the one signed in here; sign out first",
            ));
        }
        let set = token_set(claims.clone(), grant, now);
        tokens::keep(&mut sets, set, &self.policy, now);
        storage::write(&self.key("tokens"), &Value::from(sets.iter().map(TokenSet::to_json).collect::<Vec<_>>()))?;
        let result = Object::new();
        set_member(&result, "claims", &to_js(&Value::Object(claims)));
        set_member(&result, "returnTo", &tx.return_to.into());
        Ok(result.into())
    }

    /// `verifyIdToken` with the provider's key set, fetched once more for a `kid` it lacks.
    async fn verify_id_token(
        &self,
        metadata: &Metadata,
        id_token: &str,
        options: &IdTokenOptions,
    ) -> Result<Map<String, Value>> {
        let jwks_uri =
            metadata.str("jwks_uri").ok_or_else(|| Error::FetchFailed("discovery names no jwks_uri".into()))?;
        match verify::id_token(id_token, &*self.keys.get(jwks_uri, false).await?, options).await {
            Err(Error::JwksNoMatchingKey) => {
                verify::id_token(id_token, &*self.keys.get(jwks_uri, true).await?, options).await
            }
            other => other,
        }
    }

    /// Refreshes `old` (OIDC Core 12.2) and stores the outcome in its place. `None`: the
    /// provider refused the refresh token, which is dropped (the set stays while its access
    /// token lasts).
    async fn refresh(&self, old: &TokenSet) -> Result<Option<tokens::Refreshed>> {
        let metadata = self.metadata().await?;
        let endpoint = token_endpoint(&metadata)?;
        let client = http::ClientAuth { client_id: &self.client_id, secret: None };
        let refresh_token = old.refresh_token.as_deref().unwrap_or_default();
        let Some(mut grant) = http::refresh(endpoint, &client, refresh_token, self.resource.as_deref()).await? else {
            self.replace(old, None)?;
            return Ok(None);
        };
        // The refresh token is spent now (rotation) whatever follows: an answer that fails its
        // checks drops it too, rather than leaving every later call to retry a dead token.
        let renewed = self.renewed(old, &metadata, grant.id_token.take(), grant).await;
        self.replace(old, renewed.as_ref().ok().map(|r| r.set.clone()))?;
        renewed.map(Some)
    }

    /// Checks what a refresh of `old` answered (OIDC Core 12.2).
    async fn renewed(
        &self,
        old: &TokenSet,
        metadata: &Metadata,
        id_token: Option<String>,
        grant: http::Grant,
    ) -> Result<tokens::Refreshed> {
        let claims = match id_token {
            Some(id_token) => {
                let options = IdTokenOptions {
                    issuer: self.issuer.clone(),
                    audience: self.client_id.clone(),
                    expected_nonce: old.claims.get("nonce").and_then(Value::as_str).map(str::to_string),
                    refreshed: true,
                    policy: Some(self.policy.clone()),
                    ..IdTokenOptions::default()
                };
                Some(self.verify_id_token(metadata, &id_token, &options).await?)
            }
            None => None,
        };
        tokens::refreshed(old, claims, token_set(Map::new(), grant, unix_now()), &self.policy)
    }

    /// Stores what a refresh of `old` gave. `old`'s refresh token is spent (or was refused),
    /// but its access token still works until it expires, so a downgraded refresh does not
    /// throw away a stronger token still in force (RFC 9470 §2).
    fn replace(&self, old: &TokenSet, new: Option<TokenSet>) -> Result<()> {
        let now = unix_now();
        let mut sets = self.sets()?;
        sets.retain(|s| s != old);
        if old.usable(now) {
            tokens::keep(&mut sets, TokenSet { refresh_token: None, ..old.clone() }, &self.policy, now);
        }
        if let Some(new) = new {
            tokens::keep(&mut sets, new, &self.policy, now);
        }
        storage::write(&self.key("tokens"), &Value::from(sets.iter().map(TokenSet::to_json).collect::<Vec<_>>()))
    }

    /// The access token of the weakest set that meets `requirement`. When only sets whose
    /// access token expired would, the weakest of them is refreshed first, and used only if it
    /// still meets the requirement (a downgraded refresh may not).
    async fn token_for(&self, requirement: &Requirement) -> Result<Option<String>> {
        let sets = self.sets()?;
        if let Some(set) = tokens::weakest(&sets, requirement, &self.policy, unix_now()) {
            return Ok(set.access_token.clone());
        }
        let Some(old) = tokens::refreshable(&sets, requirement, &self.policy, unix_now()) else { return Ok(None) };
        let refreshed = self.refresh(old).await?.map(|r| r.set);
        Ok(refreshed.filter(|set| set.meets(requirement, &self.policy, unix_now())).and_then(|set| set.access_token))
    }

    fn session(&self, requirement: &Requirement) -> Result<JsValue> {
        let sets = self.sets()?;
        let now = unix_now();
        let meeting = tokens::weakest(&sets, requirement, &self.policy, now);
        let shown = meeting.or_else(|| tokens::strongest(&sets, &self.policy, now));
        let claims = shown.map(|s| s.claims.clone()).unwrap_or_default();
        let decision = evaluate_step_up(&claims, requirement, &self.policy, now as i64, DEFAULT_CLOCK_TOLERANCE);
        let mut status = Map::new();
        status.insert("signedIn".into(), shown.is_some().into());
        if shown.is_some() {
            status.insert("claims".into(), Value::Object(claims));
        }
        let satisfied = shown.is_some() && decision.satisfied;
        status.insert("satisfied".into(), satisfied.into());
        let decision = decision.to_json();
        for name in ["reasons", "acrValues", "maxAge"] {
            if let Some(value) = decision.get(name) {
                status.insert(name.into(), value.clone());
            }
        }
        if let Some(remaining) = meeting.and_then(|s| s.remaining(requirement, now)) {
            status.insert("expiresIn".into(), remaining.into());
        }
        Ok(to_js(&Value::Object(status)))
    }

    /// Sends `request` with the weakest token; meets a challenge as `fetch` documents.
    async fn fetch(&self, request: Request, step_up: bool) -> Result<Response> {
        let first = self.token_for(&Requirement::default()).await?;
        let spare = request.clone().map_err(js_failure)?;
        let response = send_with(&request, first.as_deref()).await?;
        let Some(requirement) = challenge_requirement(&response) else { return Ok(response) };
        if let Some(better) = self.token_for(&requirement).await? {
            if Some(&better) != first.as_ref() {
                return send_with(&spare, Some(&better)).await;
            }
        }
        if !step_up {
            return Err(step_up_required(&requirement));
        }
        storage::write(&self.key("pending"), &Pending::from_request(&spare, requirement.clone()).await?.to_json())?;
        let url = self.step_up_url(requirement, None).await?;
        navigate(&url)?;
        // The page is going away; nothing will read this promise's outcome.
        JsFuture::from(Promise::new(&mut |_, _| {})).await.map_err(js_failure)?;
        Err(Error::FetchFailed("navigation did not happen".into()))
    }

    async fn resume(&self) -> Result<JsValue> {
        let key = self.key("pending");
        let Some(pending) = storage::read(&key, |v| Pending::from_json(v, ""))? else { return Ok(JsValue::NULL) };
        storage::remove(&key)?;
        let token =
            self.token_for(&pending.requirement).await?.ok_or_else(|| step_up_required(&pending.requirement))?;
        let response = send_with(&pending.request()?, Some(&token)).await?;
        match challenge_requirement(&response) {
            Some(requirement) => Err(step_up_required(&requirement)),
            None => Ok(response.into()),
        }
    }
}

impl Pending {
    async fn from_request(request: &Request, requirement: Requirement) -> Result<Pending> {
        let mut headers = Vec::new();
        let entries = js_sys::try_iter(&request.headers()).ok().flatten();
        for entry in entries.into_iter().flatten().flatten() {
            let pair = Array::from(&entry);
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                if name != "authorization" {
                    headers.push((name, value));
                }
            }
        }
        let body = match request.method().as_str() {
            "GET" | "HEAD" => None,
            _ => JsFuture::from(request.text().map_err(js_failure)?).await.map_err(js_failure)?.as_string(),
        };
        Ok(Pending { url: request.url(), method: request.method(), headers, body, requirement })
    }

    fn to_json(&self) -> Value {
        let headers: Vec<Value> = self.headers.iter().map(|(n, v)| Value::from(vec![n.as_str(), v.as_str()])).collect();
        Out::new()
            .set("url", self.url.as_str())
            .set("method", self.method.as_str())
            .set("headers", headers)
            .maybe("body", self.body.as_deref())
            .set("requirement", self.requirement.to_json())
            .build()
    }

    fn request(&self) -> Result<Request> {
        let init = Object::new();
        let headers = Headers::new().map_err(js_failure)?;
        for (name, value) in &self.headers {
            headers.append(name, value).map_err(js_failure)?;
        }
        set_member(&init, "method", &self.method.clone().into());
        set_member(&init, "headers", &headers);
        if let Some(body) = &self.body {
            set_member(&init, "body", &body.into());
        }
        new_request(&self.url.clone().into(), Some(&init))
    }
}

/// The set a grant made, standing for `claims`.
/// Where codes and refresh tokens go. Without one, `fetch("")` would post them to the page's own
/// URL, so its absence is an error, not an empty string.
fn token_endpoint(metadata: &Metadata) -> Result<&str> {
    metadata.str("token_endpoint").ok_or_else(|| Error::FetchFailed("discovery names no token_endpoint".into()))
}

fn token_set(claims: Map<String, Value>, grant: http::Grant, now: u64) -> TokenSet {
    TokenSet {
        claims,
        access_token: Some(grant.access_token),
        expires_at: grant.expires_in.map(|s| now + s),
        refresh_token: grant.refresh_token,
    }
}

/// `RefreshResult` for JavaScript.
fn refresh_result(old: &TokenSet, refreshed: &tokens::Refreshed) -> JsValue {
    let mut result = Map::new();
    result.insert("claims".into(), Value::Object(refreshed.set.claims.clone()));
    result.insert("downgraded".into(), refreshed.downgraded.into());
    if refreshed.downgraded {
        let previous: Map<String, Value> =
            ["acr", "amr"].iter().filter_map(|name| Some((name.to_string(), old.claims.get(*name)?.clone()))).collect();
        result.insert("previous".into(), Value::Object(previous));
    }
    to_js(&Value::Object(result))
}

/// The requirement a `401` step-up challenge states, if the response is one.
fn challenge_requirement(response: &Response) -> Option<Requirement> {
    if response.status() != 401 {
        return None;
    }
    let header = response.headers().get("www-authenticate").ok().flatten()?;
    let challenge = parse_step_up_challenge(&header)?;
    let acr = (!challenge.acr_values.is_empty()).then_some(AcrList(challenge.acr_values));
    Some(Requirement { acr, amr: None, max_age: challenge.max_age })
}

fn step_up_required(requirement: &Requirement) -> Error {
    Error::StepUpRequired(Shortfall {
        acr_values: requirement.acr.clone().map(|a| a.0).unwrap_or_default(),
        max_age: requirement.max_age,
    })
}

async fn send_with(request: &Request, token: Option<&str>) -> Result<Response> {
    if let Some(token) = token {
        request.headers().set("authorization", &format!("Bearer {token}")).map_err(js_failure)?;
    }
    let fetch: Function =
        Reflect::get(&js_sys::global(), &"fetch".into()).map_err(js_failure)?.dyn_into().map_err(js_failure)?;
    let promise: Promise =
        fetch.call1(&JsValue::UNDEFINED, request).map_err(js_failure)?.dyn_into().map_err(js_failure)?;
    let response = JsFuture::from(promise).await.map_err(js_failure)?;
    response.dyn_into().map_err(js_failure)
}

fn new_request(input: &JsValue, init: Option<&JsValue>) -> Result<Request> {
    let constructor: Function = Reflect::get(&js_sys::global(), &"Request".into())
        .ok()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| Error::FetchFailed("this runtime has no Request".into()))?;
    let args: Array = [input.clone(), init.cloned().unwrap_or(JsValue::UNDEFINED)].into_iter().collect();
    let request = Reflect::construct(&constructor, &args).map_err(|e| Error::arg_value("input", describe(&e)))?;
    request.dyn_into().map_err(js_failure)
}

fn js_failure(e: JsValue) -> Error {
    Error::FetchFailed(describe(&e))
}

fn describe(e: &JsValue) -> String {
    Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| "failed".into())
}

fn set_member(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &key.into(), value);
}

fn unix_now() -> u64 {
    now(None) as u64
}

fn location() -> Result<JsValue> {
    Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .filter(JsValue::is_object)
        .ok_or_else(|| Error::FetchFailed("no location: the client runs in a browser page".into()))
}

fn location_href() -> Result<String> {
    Reflect::get(&location()?, &"href".into())
        .ok()
        .and_then(|h| h.as_string())
        .ok_or_else(|| Error::FetchFailed("location.href".into()))
}

fn navigate(url: &str) -> Result<JsValue> {
    let location = location()?;
    let assign: Function =
        Reflect::get(&location, &"assign".into()).map_err(js_failure)?.dyn_into().map_err(js_failure)?;
    assign.call1(&location, &url.into()).map_err(js_failure)?;
    Ok(JsValue::UNDEFINED)
}

/// A promise from a core future; errors become StepUpErrors.
fn run(future: impl std::future::Future<Output = Result<JsValue>> + 'static) -> Promise {
    future_to_promise(async move { future.await.map_err(|e| js_error(&e)) })
}

/// `sessionStorage` holding JSON values.
mod storage {
    use super::*;

    fn store() -> Result<JsValue> {
        Reflect::get(&js_sys::global(), &"sessionStorage".into())
            .ok()
            .filter(JsValue::is_object)
            .ok_or_else(|| Error::FetchFailed("no sessionStorage: the client runs in a browser page".into()))
    }

    fn call(method: &str, args: &[JsValue]) -> Result<JsValue> {
        let store = store()?;
        let function: Function =
            Reflect::get(&store, &method.into()).map_err(js_failure)?.dyn_into().map_err(js_failure)?;
        let args: Array = args.iter().cloned().collect();
        function.apply(&store, &args).map_err(js_failure)
    }

    /// The value under `key`; an unreadable one counts as absent (and is removed).
    pub fn read<T>(key: &str, read: impl FnOnce(&Value) -> Result<T>) -> Result<Option<T>> {
        let Some(text) = call("getItem", &[key.into()])?.as_string() else { return Ok(None) };
        match serde_json::from_str(&text).map_err(|_| ()).and_then(|v| read(&v).map_err(|_| ())) {
            Ok(value) => Ok(Some(value)),
            Err(()) => remove(key).map(|_| None),
        }
    }

    pub fn write(key: &str, value: &Value) -> Result<()> {
        call("setItem", &[key.into(), value.to_string().into()]).map(|_| ())
    }

    pub fn remove(key: &str) -> Result<()> {
        call("removeItem", &[key.into()]).map(|_| ())
    }

    pub fn remove_where(matches: impl Fn(&str) -> bool) -> Result<()> {
        let length = Reflect::get(&store()?, &"length".into()).ok().and_then(|l| l.as_f64()).unwrap_or(0.0) as u32;
        let keys: Vec<String> = (0..length).filter_map(|i| call("key", &[i.into()]).ok()?.as_string()).collect();
        keys.iter().filter(|k| matches(k)).try_for_each(|k| remove(k))
    }
}
