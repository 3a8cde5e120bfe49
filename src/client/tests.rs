use serde_json::json;

use super::*;
use crate::acr::preset;

const ISS: &str = "https://idp.example";
const DISCOVERY: &str = "https://idp.example/.well-known/openid-configuration";

fn client(extra: Value) -> Client {
    let mut options = json!({ "issuer": ISS, "clientId": "spa", "redirectUri": "https://app.example/cb" });
    for (k, v) in extra.as_object().unwrap() {
        options[k] = v.clone();
    }
    Client::from_json(&options, "").unwrap()
}

fn discovered(extra: Value) -> Client {
    let mut c = client(extra);
    let doc = json!({
        "issuer": ISS,
        "authorization_endpoint": "https://idp.example/auth",
        "token_endpoint": "https://idp.example/token",
        "jwks_uri": "https://idp.example/jwks",
        "authorization_response_iss_parameter_supported": true,
    })
    .to_string();
    assert_eq!(c.document(Document::Metadata, 1000.0, false, false).unwrap(), Need::Fetch(DISCOVERY.into()));
    c.fetched(Document::Metadata, DISCOVERY, Ok((200, doc.as_bytes())), 1000.0).unwrap();
    c
}

fn sign_in(value: Value) -> Result<Plan> {
    client(json!({})).sign_in(SignInOptions::from_json(&value, "")?, Popup::Redirect)
}

fn set(acr: &str, token: &str, expires_at: Option<u64>, refresh: Option<&str>) -> TokenSet {
    let Value::Object(claims) = json!({ "sub": "alice", "acr": acr, "auth_time": 1000, "nonce": "n" }) else {
        unreachable!()
    };
    TokenSet {
        claims,
        access_token: Some(token.into()),
        expires_at,
        refresh_token: refresh.map(str::to_string),
        id_token: None,
        api: Api::default(),
    }
}

fn acr(values: &[&str]) -> Requirement {
    Requirement { acr: Some(AcrList(values.iter().map(|v| v.to_string()).collect())), ..Requirement::default() }
}

fn query(url: &str) -> BTreeMap<String, String> {
    crate::url::parse_query(url.split_once('?').unwrap().1).unwrap().into_iter().collect()
}

fn back(to: &str) -> StepUpOptions {
    StepUpOptions { return_to: Some(to.into()), ..StepUpOptions::default() }
}

fn random() -> [String; 3] {
    ["st".repeat(22), "no".repeat(22), "ve".repeat(22)]
}

#[test]
fn options_are_read_with_their_names_and_the_issuer_checked() {
    let options = |v: Value| Client::from_json(&v, "").err().and_then(|e| e.param().map(str::to_string));
    let good = json!({ "issuer": ISS, "clientId": "spa", "redirectUri": "https://app.example/cb" });
    assert!(Client::from_json(&good, "").is_ok());
    assert_eq!(options(json!({ "issuer": ISS, "clientId": 5, "redirectUri": "r" })).as_deref(), Some("clientId"));
    assert_eq!(
        options(json!({ "issuer": "http://idp.example", "clientId": "c", "redirectUri": "r" })).as_deref(),
        Some("issuer")
    );
    assert_eq!(
        options(json!({ "issuer": ISS, "clientId": "c", "redirectUri": "r", "scopes": "x" })).as_deref(),
        Some("scopes")
    );
    assert_eq!(client(json!({})).key("tokens"), "stepup:spa:tokens");
    assert_eq!(client(json!({})).key(""), "stepup:spa:");
}

#[test]
fn sign_in_spellings_ours_then_auth0_then_lock() {
    let ours = sign_in(json!({ "acrValues": ["LOA2", "LOA1"], "maxAge": 60 })).unwrap();
    let auth0 = sign_in(json!({ "acr_values": "LOA2  LOA1", "max_age": 60 })).unwrap();
    let lock = sign_in(json!({ "auth": { "params": { "acr_values": "LOA2 LOA1", "max_age": 60 } } })).unwrap();
    assert_eq!(ours, auth0);
    assert_eq!(ours, lock);
    assert_eq!(ours.acr_values, ["LOA2", "LOA1"]);
    assert_eq!(ours.max_age, Some(60));
    assert_eq!(ours.requirement, Requirement { max_age: Some(60), ..acr(&["LOA2", "LOA1"]) });
    // Ours wins over auth0.js's, which wins over Lock's.
    let mixed = sign_in(json!({ "acrValues": ["a"], "acr_values": "b", "auth": { "params": { "acr_values": "c", "prompt": "login" } } }))
        .unwrap();
    assert_eq!(mixed.acr_values, ["a"]);
    assert_eq!(mixed.prompt.as_deref(), Some("login"));
    assert_eq!(
        sign_in(json!({ "acr_values": "b", "auth": { "params": { "acr_values": "c" } } })).unwrap().acr_values,
        ["b"]
    );
}

#[test]
fn a_sign_in_is_judged_by_what_it_asked_for_and_its_requirement() {
    let plan = sign_in(json!({ "requirement": { "acr": ["LOA2"], "amr": { "all": ["otp"] }, "maxAge": 30 } })).unwrap();
    assert_eq!(plan.acr_values, ["LOA2"], "the requirement's ACR values are asked for");
    assert_eq!(plan.max_age, Some(30));
    assert!(plan.requirement.amr.is_some());
    let own = sign_in(json!({ "acrValues": ["LOA1"], "requirement": { "acr": ["LOA2"], "maxAge": 30 } })).unwrap();
    assert_eq!(own.requirement.acr, Some(AcrList(vec!["LOA1".into()])), "the values asked for decide");
    assert_eq!(own.requirement.max_age, Some(30));
    let named = |v: Value| sign_in(v).err().and_then(|e| e.param().map(str::to_string));
    assert_eq!(named(json!({ "acrValues": "a" })).as_deref(), Some("acrValues"));
    assert_eq!(
        named(json!({ "auth": { "params": { "acr_values": ["a"] } } })).as_deref(),
        Some("auth.params.acr_values")
    );
    assert_eq!(named(json!({ "requirement": { "amr": ["otp"] } })).as_deref(), Some("requirement.amr"));
    assert_eq!(named(json!({ "acr_values": "a a" })).as_deref(), Some("options.acr[1]"), "checked once normalised");
}

#[test]
fn the_authorization_url_and_its_transaction() {
    let c = discovered(json!({ "resource": "https://api.example", "scope": "openid email" }));
    let plan = sign_in(json!({ "acrValues": ["LOA2"], "maxAge": 60, "loginHint": "alice" })).unwrap();
    let (url, key, tx) = c.start(plan.clone(), random(), || Ok("https://app.example/here".into()), None).unwrap();
    let q = query(&url);
    assert!(url.starts_with("https://idp.example/auth?"));
    assert_eq!(q["state"], "st".repeat(22));
    assert_eq!(q["nonce"], "no".repeat(22));
    assert_eq!(q["code_challenge"], pkce::code_challenge_s256(&"ve".repeat(22)).unwrap());
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["acr_values"], "LOA2");
    assert_eq!(q["max_age"], "60");
    assert_eq!(q["login_hint"], "alice");
    assert_eq!(q["resource"], "https://api.example");
    assert_eq!(q["scope"], "openid email");
    assert_eq!(key, format!("stepup:spa:tx:{}", "st".repeat(22)));
    assert_eq!(
        tx,
        Transaction {
            verifier: "ve".repeat(22),
            nonce: "no".repeat(22),
            requirement: plan.requirement.clone(),
            return_to: "https://app.example/here".into(),
            issuer: Some(ISS.into()),
            sign_out_mark: None,
            api: Api { resource: Some("https://api.example".into()), audience: None },
            user: None,
        }
    );
    // As stored, and read back.
    assert_eq!(stored::<Transaction>(Some(&tx.to_json().to_string())), Some(tx));
    let there = Plan { return_to: Some("/transfer".into()), ..plan.clone() };
    let (_, _, tx) = c.start(there, random(), || Err(Error::FetchFailed("no location".into())), None).unwrap();
    assert_eq!(tx.return_to, "/transfer", "the page is not asked for when returnTo is given");
    assert!(c.start(plan.clone(), random(), || Err(Error::FetchFailed("no location".into())), None).is_err());
    assert!(client(json!({})).start(plan, random(), || Ok(String::new()), None).is_err(), "not before discovery");
}

#[test]
fn a_step_up_asks_for_what_the_session_lacks() {
    let c = client(json!({ "policy": preset("wso2").unwrap().to_json() }));
    let held = [set("LOA1", "basic", Some(5000), None)];
    let plan = c.step_up(acr(&["LOA2"]), StepUpOptions::default(), Popup::Redirect, None, &held, 1100).unwrap();
    assert_eq!(plan.acr_values, ["LOA2"]);
    assert_eq!((plan.max_age, plan.prompt.as_deref()), (None, None));
    let fresh = Requirement { max_age: Some(60), ..acr(&["LOA1"]) };
    let plan = c.step_up(fresh.clone(), back("/back"), Popup::Redirect, None, &held, 1100).unwrap();
    assert_eq!((plan.max_age, plan.prompt.as_deref()), (Some(60), Some("login")), "too old: prompt=login");
    assert_eq!(plan.requirement, fresh);
    assert_eq!(plan.return_to.as_deref(), Some("/back"));
    // Held tokens meet it by this policy, the API judged otherwise: ask for the requirement.
    let plan = c
        .step_up(
            Requirement { max_age: Some(600), ..acr(&["LOA1"]) },
            StepUpOptions::default(),
            Popup::Redirect,
            None,
            &held,
            1100,
        )
        .unwrap();
    assert_eq!(
        (plan.acr_values, plan.max_age, plan.prompt.as_deref()),
        (vec!["LOA1".into()], Some(600), Some("login"))
    );
    let plan = c.step_up(acr(&["LOA1"]), StepUpOptions::default(), Popup::Redirect, None, &held, 1100).unwrap();
    assert_eq!((plan.acr_values, plan.max_age, plan.prompt), (vec!["LOA1".into()], None, None));
}

#[test]
fn the_callback_checks_the_response_exchanges_the_code_and_keeps_the_tokens() {
    let c = discovered(json!({}));
    let plan = sign_in(json!({ "acrValues": ["LOA2"], "maxAge": 60 })).unwrap();
    let (_, key, tx) = c.start(plan, random(), || Ok("https://app.example/here".into()), None).unwrap();
    let state = "st".repeat(22);
    let url = format!("https://app.example/cb?code=abc&state={state}&iss=https%3A%2F%2Fidp.example");
    assert_eq!(c.callback_key(&url).unwrap(), key);
    assert_eq!(c.callback_key("https://app.example/cb?code=abc").unwrap_err().code(), "ERR_AUTH_RESPONSE_INVALID");

    let (endpoint, request) = c.code_request(&url, Some(&tx)).unwrap();
    assert_eq!(endpoint, "https://idp.example/token");
    assert_eq!(
        request.body,
        format!(
            "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier={}&client_id=spa",
            "ve".repeat(22)
        )
    );
    assert!(request.authorization.is_none(), "a public client");
    let replayed = c.code_request(&url, None).unwrap_err();
    assert_eq!((replayed.code(), replayed.param()), ("ERR_AUTH_RESPONSE_INVALID", Some("state")));
    let without_iss = format!("https://app.example/cb?code=abc&state={state}");
    assert_eq!(c.code_request(&without_iss, Some(&tx)).unwrap_err().code(), "ERR_AUTH_RESPONSE_INVALID", "RFC 9207");
    let refused = format!(
        "https://app.example/cb?error=unmet_authentication_requirements&state={state}&iss=https%3A%2F%2Fidp.example"
    );
    assert_eq!(c.code_request(&refused, Some(&tx)).unwrap_err().code(), "ERR_AUTH_RESPONSE_ERROR");

    let answer = json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": "h.p.s", "refresh_token": "rt" })
        .to_string();
    let (id_token, call, new) = c.exchanged(Ok((200, answer.as_bytes())), &tx, 2000).unwrap();
    assert_eq!(id_token, "h.p.s");
    assert_eq!(call.expected_nonce.as_deref(), Some("no".repeat(22).as_str()));
    assert_eq!(call.max_age, Some(60));
    assert_eq!(call.requirement, Some(tx.requirement.clone()));
    assert_eq!(
        (new.access_token.as_deref(), new.expires_at, new.refresh_token.as_deref(), new.id_token.as_deref()),
        (Some("at"), Some(2300), Some("rt"), Some("h.p.s")),
        "the ID token is kept: a sign-out's id_token_hint"
    );
    let no_id = json!({ "access_token": "at", "token_type": "Bearer" }).to_string();
    let e = c.exchanged(Ok((200, no_id.as_bytes())), &tx, 2000).unwrap_err();
    assert_eq!(e.to_string(), "fetch failed: POST https://idp.example/token: no id_token");
    let e = c.exchanged(Err("timed out".into()), &tx, 2000).unwrap_err();
    assert_eq!(e.to_string(), "fetch failed: POST https://idp.example/token: timed out");
    let bad_code = json!({ "error": "invalid_grant" }).to_string();
    assert_eq!(c.exchanged(Ok((400, bad_code.as_bytes())), &tx, 2000).unwrap_err().code(), "ERR_AUTH_RESPONSE_ERROR");

    let claims = set("LOA2", "", None, None).claims;
    // A sign-out made while the sign-in was under way cancels it, whatever the provider answered.
    let e = c.signed_in(new.clone(), claims.clone(), vec![], 2000, true, None).unwrap_err();
    assert_eq!((e.code(), e.param()), ("ERR_AUTH_RESPONSE_INVALID", Some("state")));
    let sets = c
        .signed_in(new.clone(), claims.clone(), vec![set("LOA1", "basic", Some(5000), None)], 2000, false, None)
        .unwrap();
    assert_eq!(sets.len(), 2, "the weaker set stays (RFC 9470 §2)");
    assert_eq!(sets[1].claims, claims);
    assert_eq!(sets[1].access_token.as_deref(), Some("at"));
    let Value::Object(bob) = json!({ "sub": "bob", "acr": "LOA2" }) else { unreachable!() };
    let e = c.signed_in(new, bob, sets, 2000, false, None).unwrap_err();
    assert_eq!((e.code(), e.claim()), ("ERR_JWT_CLAIM_VALIDATION_FAILED", Some("sub")));
    let saved =
        json!({ "url": "https://app.example/api", "method": "GET", "headers": [], "requirement": {}, "signIn": "n" })
            .to_string();
    assert_eq!(c.callback_failed(Some(&saved), true), SavedCall::Remove, "a failed callback clears the saved call");
    assert_eq!(c.callback_failed(None, true), SavedCall::Leave);
}

#[test]
fn only_the_sets_of_this_clients_issuer_are_its_own() {
    // Another Client with the same id for another issuer shares the store: its tokens are
    // neither used, refreshed nor judged here.
    let c = client(json!({}));
    let mut ours = set("LOA1", "ours", Some(5000), Some("rt1"));
    ours.claims.insert("iss".into(), ISS.into());
    let mut theirs = set("LOA2", "theirs", Some(5000), Some("rt2"));
    theirs.claims.insert("iss".into(), "https://other-tenant.example".into());
    let unsigned = set("LOA2", "none", Some(5000), Some("rt3"));
    let text = token_sets_json(&[theirs.clone(), ours.clone(), unsigned]).to_string();
    assert_eq!(c.stored_sets(Some(&text)), vec![ours.clone()]);
    assert_eq!(c.stored_sets(Some(&token_sets_json(&[theirs.clone()]).to_string())), vec![]);
    // What this client stores keeps the other issuer's set as it was (its sign-in, refresh or
    // sign-out is not this one's), and drops the set that names no issuer.
    let mut renewed = set("LOA2", "renewed", Some(9000), Some("rt4"));
    renewed.claims.insert("iss".into(), ISS.into());
    let stored = c.sets_to_store(&[renewed.clone()], Some(&text));
    assert_eq!(token_sets(Some(&stored.to_string())), vec![renewed, theirs]);
}

#[test]
fn stored_state_that_does_not_read_counts_as_absent() {
    let sets = vec![set("LOA1", "basic", Some(5000), Some("rt"))];
    let text = token_sets_json(&sets).to_string();
    assert_eq!(token_sets(Some(&text)), sets);
    for bad in ["{", "{}", "[1]", r#"[{"claims": 5}]"#, "null"] {
        assert_eq!(token_sets(Some(bad)), vec![], "{bad}");
    }
    assert_eq!(token_sets(None), vec![]);
    assert_eq!(stored::<Transaction>(Some(r#"{"verifier": "v"}"#)), None);
    assert_eq!(stored::<Pending>(Some("[]")), None);
}

#[test]
fn each_call_uses_the_weakest_token_and_refreshes_an_expired_one() {
    let c = client(json!({ "policy": preset("wso2").unwrap().to_json() }));
    let sets = vec![set("LOA1", "basic", Some(5000), Some("rt1")), set("LOA2", "mfa", Some(1500), Some("rt2"))];
    assert_eq!(c.token_for(&Requirement::default(), &sets, 1100), TokenFor::Use("basic".into()));
    assert_eq!(c.token_for(&acr(&["LOA2"]), &sets, 1100), TokenFor::Use("mfa".into()));
    assert_eq!(c.access_token(&acr(&["LOA2"]), &sets, 1100).as_deref(), Some("mfa"));
    assert_eq!(c.token_for(&acr(&["LOA2"]), &sets, 2000), TokenFor::Refresh(sets[1].clone()), "expired: refresh");
    assert_eq!(c.access_token(&acr(&["LOA2"]), &sets, 2000), None, "accessToken never refreshes");
    assert_eq!(c.token_for(&acr(&["LOA3"]), &sets, 1100), TokenFor::None);
    assert_eq!(c.refreshable(&acr(&["LOA2"]), &sets, 1100).unwrap(), sets[1]);
    let e = c.refreshable(&acr(&["LOA3"]), &sets, 1100).unwrap_err();
    assert_eq!(
        (e.code(), e.shortfall().map(|s| s.acr_values.clone())),
        ("ERR_STEP_UP_REQUIRED", Some(vec!["LOA3".into()]))
    );
}

#[test]
fn a_refresh_is_read_checked_and_stored() {
    let c = discovered(json!({ "resource": "https://api.example", "policy": preset("fief").unwrap().to_json() }));
    let api = Api { resource: Some("https://api.example".into()), audience: None };
    let old = TokenSet { api: api.clone(), ..set("1", "a1", Some(1500), Some("rt")) };
    let (endpoint, request) = c.refresh_request(&old).unwrap();
    assert_eq!(endpoint, "https://idp.example/token");
    assert_eq!(
        request.body,
        "grant_type=refresh_token&refresh_token=rt&resource=https%3A%2F%2Fapi.example&client_id=spa"
    );

    let refused = json!({ "error": "invalid_grant" }).to_string();
    assert_eq!(c.refresh_answer(&old, Ok((400, refused.as_bytes())), 1100).unwrap(), Renewal::Refused);
    let sets = c.replace(&old, None, vec![old.clone()], 1100);
    assert_eq!(sets, Some(vec![TokenSet { refresh_token: None, ..old.clone() }]), "the refused token is dropped");
    assert_eq!(c.replace(&old, None, vec![old.clone()], 1600), Some(vec![]), "and an expired set with it");
    let down = json!({ "error": "temporarily_unavailable" }).to_string();
    assert_eq!(c.refresh_answer(&old, Ok((503, down.as_bytes())), 1100).unwrap_err().code(), "ERR_FETCH_FAILED");

    let answer =
        json!({ "access_token": "a0", "token_type": "Bearer", "expires_in": 300, "id_token": "h.p.s" }).to_string();
    let Renewal::Renewed(renewal) = c.refresh_answer(&old, Ok((200, answer.as_bytes())), 1100).unwrap() else {
        panic!("renewed")
    };
    let Renewed { id_token, call, set: renewed } = *renewal;
    assert_eq!(id_token.as_deref(), Some("h.p.s"));
    assert_eq!(call.expected_nonce.as_deref(), Some("n"), "the original nonce (OIDC Core 12.2)");
    assert!(c.id_token_options(true).refreshed && !c.id_token_options(false).refreshed);

    // Fief's refresh comes back at acr "0": downgraded, the level 1 token kept while it lasts.
    let mut claims = old.claims.clone();
    claims.insert("acr".into(), "0".into());
    let (sets, result) = c.refreshed(&old, Some(claims), renewed.clone(), vec![old.clone()], 1100);
    let sets = sets.unwrap();
    assert_eq!(
        result.unwrap(),
        json!({ "claims": { "sub": "alice", "acr": "0", "auth_time": 1000, "nonce": "n" }, "downgraded": true, "previous": { "acr": "1" } })
    );
    assert_eq!(sets.len(), 2);
    assert_eq!(
        sets.iter().filter_map(|s| s.refresh_token.as_deref()).collect::<Vec<_>>(),
        ["rt"],
        "kept on the new set"
    );
    assert_eq!(c.token_for(&Requirement::default(), &sets, 1100), TokenFor::Use("a0".into()));
    assert_eq!(c.token_for(&acr(&["1"]), &sets, 1100), TokenFor::Use("a1".into()));

    // A failed check spends the refresh token all the same.
    let mut other = old.claims.clone();
    other.insert("sub".into(), "bob".into());
    let (sets, result) = c.refreshed(&old, Some(other), renewed.clone(), vec![old.clone()], 1100);
    assert_eq!(result.unwrap_err().claim(), Some("sub"));
    assert!(sets.unwrap().iter().all(|s| s.refresh_token.is_none()));
    // No ID token: the claims stay, nothing downgraded.
    let (_, result) = c.refreshed(&old, None, renewed.clone(), vec![old.clone()], 1100);
    assert_eq!(result.unwrap()["downgraded"], false);

    // Signed out while the refresh was under way (here, or in another tab): its answer, good or
    // refused, signs nobody back in.
    let (sets, result) = c.refreshed(&old, None, renewed, vec![], 1100);
    assert_eq!(sets, None, "nothing to store");
    assert_eq!(result.unwrap_err().code(), "ERR_STEP_UP_REQUIRED");
    assert_eq!(c.replace(&old, None, vec![], 1100), None, "a refused refresh does not bring the old set back");
}

#[test]
fn the_session_status() {
    let c = client(json!({ "policy": preset("wso2").unwrap().to_json() }));
    assert_eq!(
        c.session(&Requirement::default(), &[], 1100),
        json!({ "signedIn": false, "satisfied": false, "reasons": [] })
    );
    let sets = [set("LOA1", "basic", Some(5000), None)];
    let status = c.session(&Requirement { max_age: Some(300), ..acr(&["LOA1"]) }, &sets, 1100);
    assert_eq!((status["signedIn"].clone(), status["satisfied"].clone()), (json!(true), json!(true)));
    assert_eq!(status["expiresIn"], 230, "auth_time + maxAge + tolerance");
    let status = c.session(&acr(&["LOA2"]), &sets, 1100);
    assert_eq!(status["satisfied"], false);
    assert_eq!(status["acrValues"], json!(["LOA2"]));
    assert_eq!(status["claims"]["acr"], "LOA1", "the strongest held");
    assert!(status.get("expiresIn").is_none());
}

/// Found by the eighth outside attack on the client: a refresh the provider refuses drops its
/// user's sets without a sign-out, so bob could sign in while alice's call was under way, and
/// her challenged call was retried with his token; a call made with no one signed in was
/// retried with the token of whoever signed in meanwhile.
#[test]
fn x33_a_challenged_call_is_retried_only_with_a_token_of_the_user_who_made_it() {
    let requirement = acr(&["LOA2"]);
    let alice = [set("1", "a", None, None)];
    let bob = |token: &str| {
        let mut s = set("2", token, None, None);
        s.claims.insert("sub".into(), "bob".into());
        s
    };
    let now = [bob("b")];
    assert_eq!(
        retry(&requirement, Some("a"), Some("b"), true, &alice, &now),
        Ok(false),
        "stepped up for alice instead"
    );
    let e = retry(&requirement, Some("a"), Some("b"), false, &alice, &now).unwrap_err();
    assert_eq!(e.code(), "ERR_STEP_UP_REQUIRED");
    // Made with no one signed in: no one's call, retried as no one, and its challenge asks for
    // nothing (the ninth attack: it was stepped up for whoever signed in meanwhile).
    assert_eq!(retry(&requirement, None, Some("b"), true, &[], &now), Ok(false));
    let c = client(json!({}));
    let header = r#"Bearer error="insufficient_user_authentication", acr_values="LOA2""#;
    let api = "https://app.example/api";
    assert_eq!(c.challenged(401, Some(header), api, Some(api), false, Some(&[])), None);
    assert!(c.challenged(401, Some(header), api, Some(api), false, Some(&alice)).is_some());
    // A call's own token is its user's only (the ninth attack: after a refused refresh, the
    // first token of alice's call was bob's).
    let mixed = [bob("b"), set("1", "c", None, None)];
    let theirs: Vec<_> = callers_sets(&mixed, &alice).filter_map(|s| s.access_token.as_deref()).collect();
    assert_eq!(theirs, ["c"]);
    assert_eq!(callers_sets(&mixed, &[]).count(), 0);
    // alice's own stronger set, held beside bob's, still counts; a token that is in no held set
    // does not.
    let both = [bob("b"), set("2", "c", None, None)];
    assert_eq!(retry(&requirement, Some("a"), Some("c"), false, &alice, &both), Ok(true));
    assert_eq!(retry(&requirement, Some("a"), Some("z"), true, &alice, &both), Ok(false));
}

#[test]
fn a_challenge_is_a_requirement_met_once() {
    let header = r#"Bearer error="insufficient_user_authentication", acr_values="LOA2 LOA3", max_age="60""#;
    let requirement = challenge(401, Some(header)).unwrap().requirement;
    assert_eq!(requirement, Requirement { max_age: Some(60), ..acr(&["LOA2", "LOA3"]) });
    assert_eq!(challenge(403, Some(header)).map(|c| c.requirement), Some(requirement.clone()));
    assert_eq!(challenge(400, Some(header)), None);
    assert_eq!(challenge(200, Some(header)), None);
    assert_eq!(challenge(401, None), None);
    assert_eq!(challenge(401, Some(r#"Bearer error="invalid_token""#)), None);

    // alice made the call with "a" and holds "b", which meets the challenge.
    let alice = [set("1", "a", None, None), set("2", "b", None, None)];
    assert_eq!(retry(&requirement, Some("a"), Some("b"), false, &alice, &alice), Ok(true));
    assert_eq!(
        retry(&requirement, Some("a"), Some("a"), true, &alice, &alice),
        Ok(false),
        "the refused token is not sent again"
    );
    assert_eq!(retry(&requirement, Some("a"), None, true, &alice, &alice), Ok(false));
    let e = retry(&requirement, Some("a"), None, false, &alice, &alice).unwrap_err();
    assert_eq!(e.code(), "ERR_STEP_UP_REQUIRED");
    assert_eq!(
        e.shortfall().map(|s| (s.acr_values.clone(), s.max_age)),
        Some((vec!["LOA2".into(), "LOA3".into()], Some(60)))
    );
}

#[test]
fn a_saved_call_keeps_no_token_and_no_body_where_fetch_allows_none() {
    let tx = |nonce: &str| Transaction {
        verifier: "v".into(),
        nonce: nonce.into(),
        requirement: acr(&["LOA2"]),
        return_to: "/".into(),
        issuer: None,
        sign_out_mark: None,
        api: Api::default(),
        user: None,
    };
    let headers =
        vec![("content-type".into(), "application/json".into()), ("Authorization".into(), "Bearer old".into())];
    let post = Pending::new(
        "https://api.example/t".into(),
        "POST".into(),
        headers.clone(),
        vec![],
        "{}".into(),
        acr(&["LOA2"]),
        &tx("n1"),
    )
    .unwrap();
    assert_eq!(post.headers, vec![("content-type".to_string(), "application/json".to_string())]);
    assert_eq!(post.body.as_deref(), Some("{}"));
    assert_eq!(stored::<Pending>(Some(&post.to_json().to_string())), Some(post.clone()));
    let get = Pending::new(
        "https://api.example/t".into(),
        "GET".into(),
        headers,
        vec![],
        String::new(),
        acr(&["LOA2"]),
        &tx("n1"),
    )
    .unwrap();
    assert_eq!(get.body, None);
    assert!(get.to_json().get("body").is_none());

    // Replayed only after its own sign-in: saved not ready; the sign-in started for it makes it
    // ready; another sign-in (its own abandoned at the provider) drops it.
    assert!(!post.ready);
    let ready = post.clone().after_sign_in(&tx("n1")).expect("its own sign-in");
    assert!(ready.ready);
    assert_eq!(stored::<Pending>(Some(&ready.to_json().to_string())), Some(ready));
    assert_eq!(post.after_sign_in(&tx("n2")), None, "another sign-in drops it");
}

#[test]
fn documents_are_fetched_once_kept_through_failures_and_refetched_once_per_cooldown() {
    let mut c = discovered(json!({}));
    assert_eq!(c.document(Document::Metadata, 1100.0, false, false).unwrap(), Need::Held);
    assert_eq!(c.document(Document::Metadata, 1100.0, false, true).unwrap(), Need::Held, "fresh: no waiting");
    // Stale (the max age is 600 s): fetched again; a failure keeps the held one.
    assert_eq!(c.document(Document::Metadata, 1700.0, false, false).unwrap(), Need::Fetch(DISCOVERY.into()));
    let e = c.fetched(Document::Metadata, DISCOVERY, Ok((500, b"")), 1700.0).unwrap_err();
    assert_eq!(e.to_string(), format!("fetch failed: GET {DISCOVERY}: status 500"));
    assert_eq!(c.document(Document::Metadata, 1701.0, false, false).unwrap(), Need::Held, "inside the cooldown");
    assert!(c.held(Document::Metadata).is_ok());

    // The key set: at the jwks_uri; nothing held and the fetch failed: the failure, until the
    // cooldown passes.
    let jwks = "https://idp.example/jwks";
    assert_eq!(c.document(Document::Keys, 1100.0, false, false).unwrap(), Need::Fetch(jwks.into()));
    assert_eq!(c.document(Document::Keys, 1100.0, false, true).unwrap(), Need::Wait);
    let e = c.fetched(Document::Keys, jwks, Err("network down".into()), 1100.0).unwrap_err();
    assert_eq!(e.to_string(), format!("fetch failed: GET {jwks}: network down"));
    assert_eq!(c.document(Document::Keys, 1110.0, false, false).unwrap_err(), e);
    let e = c.fetched(Document::Keys, jwks, Ok((200, b"{}")), 1100.0).unwrap_err();
    assert!(e.to_string().starts_with(&format!("fetch failed: GET {jwks}: ")), "{e}");
    assert!(c.keys().is_err());

    let undiscovered = client(json!({})).document(Document::Keys, 0.0, false, false).unwrap_err();
    assert_eq!(undiscovered.code(), "ERR_FETCH_FAILED", "no key set before discovery");
    let wrong = json!({ "issuer": "https://other.example", "authorization_endpoint": "https://idp.example/a", "jwks_uri": "https://idp.example/j" });
    let mut c = client(json!({}));
    c.document(Document::Metadata, 0.0, false, false).unwrap();
    let e = c.fetched(Document::Metadata, DISCOVERY, Ok((200, wrong.to_string().as_bytes())), 0.0).unwrap_err();
    assert_eq!(e.code(), "ERR_FETCH_FAILED", "another issuer's document is the provider's fault");
}

fn claims_challenge(request: Value) -> String {
    use base64ct::{Base64, Encoding};
    let encoded = Base64::encode_string(request.to_string().as_bytes());
    format!(
        r#"Bearer realm="", authorization_uri="https://login.example/authorize", error="insufficient_claims", claims="{encoded}""#
    )
}

#[test]
fn vendor_challenges_401_or_403_and_an_entra_claims_request_goes_back_as_claims() {
    // Okta answers 403 with its own error code.
    let okta = r#"Bearer error="insufficient_authentication_context", error_description="needs a fresh sign-in", max_age="0", acr_values="LOA2""#;
    let c = challenge(403, Some(okta)).unwrap();
    assert_eq!(c, Challenged { requirement: Requirement { max_age: Some(0), ..acr(&["LOA2"]) }, claims: None });
    // Entra: access_token.acrs gives the requirement; the whole request is sent back.
    let both = json!({
        "access_token": { "acrs": { "essential": true, "value": "LOA2" } },
        "id_token": { "acr": { "essential": true, "values": ["LOA2"] } },
    });
    let c = challenge(401, Some(&claims_challenge(both.clone()))).unwrap();
    assert_eq!(c.requirement, acr(&["LOA2"]));
    assert_eq!(c.claims.as_ref().map(|m| Value::Object(m.clone())), Some(both.clone()));
    // Only an essential id_token.acr request: its values are the requirement.
    let id_only = json!({ "id_token": { "acr": { "essential": true, "values": ["LOA3", "LOA2"] } } });
    assert_eq!(challenge(401, Some(&claims_challenge(id_only))).unwrap().requirement, acr(&["LOA3", "LOA2"]));
    let voluntary = json!({ "id_token": { "acr": { "values": ["LOA3"] } } });
    assert_eq!(challenge(401, Some(&claims_challenge(voluntary))).unwrap().requirement, Requirement::default());
    // Auth0's mfa_required in a Bearer challenge: PAPE multi-factor.
    let auth0 = r#"Bearer error="mfa_required""#;
    assert_eq!(challenge(403, Some(auth0)).unwrap().requirement, acr(&[crate::acr::PAPE_MULTI_FACTOR]));

    // The step-up sends the claims request back (OIDC Core 5.5), with the ACR values asked.
    let c = discovered(json!({}));
    let Challenged { requirement, claims } = challenge(401, Some(&claims_challenge(both.clone()))).unwrap();
    let plan = c
        .step_up(
            requirement,
            StepUpOptions::default(),
            Popup::Redirect,
            claims,
            &[set("LOA1", "basic", Some(5000), None)],
            1100,
        )
        .unwrap();
    let plan = stored::<Plan>(Some(&plan.to_json().to_string())).unwrap();
    let (url, _, tx) = c.start(plan, random(), || Ok("https://app.example/here".into()), None).unwrap();
    let q = query(&url);
    assert_eq!(serde_json::from_str::<Value>(&q["claims"]).unwrap(), both);
    assert_eq!(q["acr_values"], "LOA2");
    assert_eq!(tx.requirement, acr(&["LOA2"]), "the new tokens are judged by it");
}

#[test]
fn auth0_mfa_required_at_the_token_endpoint_is_a_step_up_for_the_policys_multi_factor_acr() {
    let mfa = json!({ "error": "mfa_required", "error_description": "Multifactor authentication required", "mfa_token": "m" })
        .to_string();
    let c = discovered(json!({ "policy": preset("auth0").unwrap().to_json() }));
    assert_eq!(c.mfa_acr(), crate::acr::PAPE_MULTI_FACTOR);
    let tx = Transaction {
        verifier: "v".into(),
        nonce: "n".into(),
        requirement: acr(&["LOA1"]),
        return_to: "/".into(),
        issuer: None,
        sign_out_mark: None,
        api: Api::default(),
        user: None,
    };
    for e in [
        c.exchanged(Ok((403, mfa.as_bytes())), &tx, 2000).unwrap_err(),
        c.refresh_answer(&set("LOA1", "a", Some(1000), Some("rt")), Ok((403, mfa.as_bytes())), 2000).unwrap_err(),
    ] {
        assert_eq!(e.code(), "ERR_STEP_UP_REQUIRED", "never ERR_FETCH_FAILED");
        assert_eq!(e.shortfall().unwrap().acr_values, [crate::acr::PAPE_MULTI_FACTOR]);
    }
    // The rule: the acr of the policy's first amrLevels entry naming mfa.
    let own = json!({ "ladder": ["basic", "strong"], "amrLevels": [{ "acr": "basic", "any": ["pwd"] }, { "acr": "strong", "all": ["pwd", "mfa"] }] });
    let c = discovered(json!({ "policy": own }));
    assert_eq!(c.mfa_acr(), "strong");
    let e = c.exchanged(Ok((403, mfa.as_bytes())), &tx, 2000).unwrap_err();
    assert_eq!(e.shortfall().unwrap().acr_values, ["strong"]);
    assert_eq!(discovered(json!({})).mfa_acr(), crate::acr::PAPE_MULTI_FACTOR, "no such entry: PAPE multi-factor");
    // Another 403 stays the provider failing.
    let e = c.exchanged(Ok((403, br#"{"error":"access_denied"}"#)), &tx, 2000).unwrap_err();
    assert_eq!(e.code(), "ERR_FETCH_FAILED");
}

#[test]
fn a_sign_out_ends_the_providers_session_with_the_held_id_token_and_a_state() {
    let mut c = client(json!({ "postLogoutRedirectUri": "https://app.example/bye" }));
    let doc = json!({
        "issuer": ISS,
        "authorization_endpoint": "https://idp.example/auth",
        "token_endpoint": "https://idp.example/token",
        "jwks_uri": "https://idp.example/jwks",
        "end_session_endpoint": "https://idp.example/session/end",
    })
    .to_string();
    c.fetched(Document::Metadata, DISCOVERY, Ok((200, doc.as_bytes())), 1000.0).unwrap();
    let mut basic = set("LOA1", "basic", Some(5000), None);
    basic.id_token = Some("id.basic.s".into());
    let mut strong = set("LOA2", "strong", Some(5000), None);
    strong.id_token = Some("id.strong.s".into());
    let sets = [basic, strong];
    let (url, out) = c.sign_out(None, &sets, "xyz".into(), || Ok("https://app.example/here".into()), 1100).unwrap();
    assert!(url.starts_with("https://idp.example/session/end?"));
    assert_eq!(
        query(&url),
        BTreeMap::from([
            ("id_token_hint".to_string(), "id.strong.s".to_string()),
            ("client_id".into(), "spa".into()),
            ("post_logout_redirect_uri".into(), "https://app.example/bye".into()),
            ("state".into(), "xyz".into()),
        ])
    );
    assert_eq!(out, SignOut { state: "xyz".into(), return_to: "https://app.example/here".into() });
    assert_eq!(c.sign_out_key(), "stepup:spa:signout");
    // Nothing held: no hint; postLogoutRedirectUri defaults to redirectUri.
    let d = discovered(json!({}));
    let e = d.sign_out(None, &[], "s".into(), || Ok("/".into()), 1100).unwrap_err();
    assert_eq!((e.code(), e.param()), ("ERR_INVALID_ARG_VALUE", Some("endSession")), "no end_session_endpoint");
    let (url, _) =
        c.sign_out(Some("/x".into()), &[], "s".into(), || Err(Error::FetchFailed("no page".into())), 1).unwrap();
    assert!(!query(&url).contains_key("id_token_hint"));

    // The return: the state must be the stored one, once.
    let stored_out = stored::<SignOut>(Some(&out.to_json().to_string()));
    assert_eq!(
        c.signed_out("https://app.example/bye?state=xyz", stored_out.as_ref()).unwrap(),
        "https://app.example/here"
    );
    for (url, saved) in [
        ("https://app.example/bye?state=other", stored_out.as_ref()),
        ("https://app.example/bye", stored_out.as_ref()),
        ("https://app.example/bye?state=xyz", None),
    ] {
        let e = c.signed_out(url, saved).unwrap_err();
        assert_eq!((e.code(), e.param()), ("ERR_AUTH_RESPONSE_INVALID", Some("state")), "{url}");
    }
    let opts = |v: Value| SignOutOptions::from_json(&v, "options").map(|o| (o.end_session, o.return_to));
    assert_eq!(opts(json!({ "endSession": true })).unwrap(), (true, None));
    assert_eq!(opts(json!({ "endSession": "yes" })).unwrap_err().param(), Some("options.endSession"));
}

#[test]
fn a_refresh_without_an_id_token_keeps_the_sign_ins_for_the_hint() {
    let c = discovered(json!({}));
    let mut old = set("LOA1", "a", Some(1000), Some("rt"));
    old.id_token = Some("id.old.s".into());
    let answer = json!({ "access_token": "a2", "token_type": "Bearer", "expires_in": 300 }).to_string();
    let Renewal::Renewed(renewed) = c.refresh_answer(&old, Ok((200, answer.as_bytes())), 2000).unwrap() else {
        panic!("renewed")
    };
    let (sets, _) = c.refreshed(&old, None, renewed.set, vec![old.clone()], 2000);
    let sets = sets.unwrap();
    assert_eq!(
        sets.iter().find(|s| s.access_token.as_deref() == Some("a2")).unwrap().id_token.as_deref(),
        Some("id.old.s")
    );
}

#[test]
fn options_users_already_write_reach_the_authorization_request() {
    let c = discovered(
        json!({ "audience": "https://api.example", "organization": "org_1", "extraParams": { "screen_hint": "signup", "ui": "x" } }),
    );
    let plan = sign_in(json!({
        "acrValues": ["LOA2"],
        "essentialAcr": true,
        "claims": { "userinfo": { "email": null } },
        "connection": "github",
        "organization": "org_2",
        "extraParams": { "ui": "y" },
    }))
    .unwrap();
    let plan = stored::<Plan>(Some(&plan.to_json().to_string())).unwrap();
    let (url, _, _) = c.start(plan, random(), || Ok("/".into()), None).unwrap();
    let q = query(&url);
    assert_eq!(q["audience"], "https://api.example");
    assert_eq!(q["organization"], "org_2", "the sign-in's own wins");
    assert_eq!(q["connection"], "github");
    assert_eq!((q["screen_hint"].as_str(), q["ui"].as_str()), ("signup", "y"));
    assert_eq!(
        serde_json::from_str::<Value>(&q["claims"]).unwrap(),
        json!({ "userinfo": { "email": null }, "id_token": { "acr": { "essential": true, "values": ["LOA2"] } } })
    );
    // extraParams never replaces what stepup sets, nor an option of its own: refused, named.
    let named = |v: Value| sign_in(v).err().map(|e| (e.code(), e.param().map(str::to_string)));
    for name in ["state", "acr_values", "claims", "resource", "audience", "nonce", "code_challenge"] {
        assert_eq!(
            named(json!({ "extraParams": { name: "x" } })),
            Some(("ERR_INVALID_ARG_VALUE", Some(format!("extraParams.{name}")))),
        );
    }
    let made = |v: Value| Client::from_json(&v, "").err().map(|e| (e.code(), e.param().map(str::to_string)));
    let base = |extra: Value| {
        let mut o = json!({ "issuer": ISS, "clientId": "spa", "redirectUri": "https://app.example/cb" });
        o.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        o
    };
    assert_eq!(
        made(base(json!({ "extraParams": { "scope": "x" } }))),
        Some(("ERR_INVALID_ARG_VALUE", Some("extraParams.scope".into())))
    );
    assert_eq!(
        made(base(json!({ "extraParams": { "a": 5 } }))),
        Some(("ERR_INVALID_ARG_TYPE", Some("extraParams.a".into())))
    );
    assert_eq!(made(base(json!({ "audience": 5 }))), Some(("ERR_INVALID_ARG_TYPE", Some("audience".into()))));
    assert_eq!(named(json!({ "essentialAcr": true })), Some(("ERR_INVALID_ARG_VALUE", Some("essentialAcr".into()))));
    assert_eq!(named(json!({ "claims": [] })), Some(("ERR_INVALID_ARG_TYPE", Some("claims".into()))));
}

#[test]
fn discovery_at_another_url_or_given() {
    let url = "https://idp.example/jans-auth/.well-known/openid-configuration";
    let mut c = client(json!({ "discoveryUrl": url }));
    assert_eq!(c.document(Document::Metadata, 1000.0, false, false).unwrap(), Need::Fetch(url.into()));
    let other = json!({ "issuer": "https://other.example", "authorization_endpoint": "https://idp.example/auth", "jwks_uri": "https://idp.example/jwks" }).to_string();
    assert_eq!(
        c.fetched(Document::Metadata, url, Ok((200, other.as_bytes())), 1000.0).unwrap_err().code(),
        "ERR_FETCH_FAILED",
        "the issuer must still be ours"
    );
    let doc = json!({ "issuer": ISS, "authorization_endpoint": "https://idp.example/auth", "jwks_uri": "https://idp.example/jwks", "response_types_supported": ["code"], "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"] });
    let mut given = client(json!({ "metadata": doc }));
    assert_eq!(given.document(Document::Metadata, 1000.0, false, false).unwrap(), Need::Held, "never fetched");
    assert_eq!(given.document(Document::Metadata, 1e9, true, false).unwrap(), Need::Held);
    assert_eq!(
        given.document(Document::Keys, 1000.0, false, false).unwrap(),
        Need::Fetch("https://idp.example/jwks".into())
    );
    let bad = Client::from_json(&json!({ "issuer": ISS, "clientId": "c", "redirectUri": "r", "metadata": { "issuer": "https://other.example" } }), "").err().unwrap();
    assert_eq!(bad.param(), Some("metadata"));
    let bad = Client::from_json(
        &json!({ "issuer": ISS, "clientId": "c", "redirectUri": "r", "discoveryUrl": "http://idp.example/x" }),
        "",
    )
    .err()
    .unwrap();
    assert_eq!(bad.param(), Some("discoveryUrl"));
}

#[test]
fn the_store_option() {
    assert_eq!(store(StoreOption::Absent).unwrap(), Store::Session);
    assert_eq!(store(StoreOption::Name("local")).unwrap(), Store::Local);
    assert_eq!(store(StoreOption::Name("memory")).unwrap(), Store::Memory);
    assert_eq!(store(StoreOption::Name("session")).unwrap(), Store::Session);
    assert_eq!(store(StoreOption::Methods).unwrap(), Store::Custom);
    let e = store(StoreOption::Name("cookie")).unwrap_err();
    assert_eq!((e.code(), e.param()), ("ERR_INVALID_ARG_VALUE", Some("store")));
    let e = store(StoreOption::Other("a number")).unwrap_err();
    assert_eq!((e.code(), e.param()), ("ERR_INVALID_ARG_TYPE", Some("store")));
}

#[test]
fn a_refresh_another_tab_made_is_used_not_repeated() {
    let c = discovered(json!({}));
    let old = set("LOA1", "a", Some(1000), Some("rt1"));
    assert_eq!(c.refreshed_elsewhere(&old, std::slice::from_ref(&old), 2000), None, "still stored: refresh");
    let mut renewed = set("LOA1", "a2", Some(2300), Some("rt2"));
    renewed.claims.insert("iat".into(), 2000.into());
    let result = c.refreshed_elsewhere(&old, &[renewed.clone()], 2000).unwrap().unwrap();
    assert_eq!(result["claims"], Value::Object(renewed.claims));
    assert_eq!(result["downgraded"], false);
    assert_eq!(c.refreshed_elsewhere(&set("LOA1", "a", Some(1000), None), &[], 2000), None, "nothing to spend");
    // A provider that does not rotate: the same refresh token, in a new set.
    let same_token = set("LOA1", "a3", Some(2300), Some("rt1"));
    assert!(c.refreshed_elsewhere(&old, &[same_token], 2000).unwrap().is_ok());
    // Nothing of that user left: signed out meanwhile, and only a sign-in helps.
    let e = c.refreshed_elsewhere(&old, &[], 2000).unwrap().unwrap_err();
    assert_eq!(e.code(), "ERR_STEP_UP_REQUIRED");
}

#[test]
fn return_to_stays_on_the_pages_origin() {
    let here = || Ok("https://app.example/page?x=1".to_string());
    assert_eq!(returning_to(None, here).unwrap(), "https://app.example/page?x=1");
    for fine in ["/next", "/a/b?c=d#e", "https://app.example/other", "HTTPS://APP.example/x"] {
        assert_eq!(returning_to(Some(fine.to_string()), here).unwrap(), fine, "{fine}");
    }
    for bad in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/\tevil.example",
        "javascript:alert(document.domain)",
        "https://app.example@evil.example/",
        "http://app.example/",
        "next",
        "",
    ] {
        let err = returning_to(Some(bad.to_string()), here).unwrap_err();
        assert_eq!(err.param(), Some("returnTo"), "{bad:?}");
    }
}

fn popup_plan(value: Value, popup: Popup) -> Result<Plan> {
    client(json!({})).sign_in(SignInOptions::from_json(&value, "")?, popup)
}

#[test]
fn the_popup_option_and_its_timeout() {
    assert_eq!(popup(PopupOption::Absent).unwrap(), Popup::Redirect);
    assert_eq!(popup(PopupOption::Open).unwrap(), Popup::Open);
    assert_eq!(popup(PopupOption::Window).unwrap(), Popup::Given);
    let e = popup(PopupOption::Other("a string")).unwrap_err();
    assert_eq!((e.code(), e.param()), ("ERR_INVALID_ARG_TYPE", Some("popup")));
    assert!(e.to_string().contains("a window the page opened (got a string)"), "{e}");

    let plan = popup_plan(json!({ "acrValues": ["LOA2"] }), Popup::Open).unwrap();
    assert_eq!(plan.popup_timeout_ms, Some(60_000), "auth0-spa-js's default, 60 s");
    let plan = popup_plan(json!({ "timeoutInSeconds": 1.5 }), Popup::Given).unwrap();
    assert_eq!(plan.popup_timeout_ms, Some(1500));
    assert_eq!(stored::<Plan>(Some(&plan.to_json().to_string())), Some(plan), "kept as JSON between calls");
    assert_eq!(popup_plan(json!({}), Popup::Redirect).unwrap().popup_timeout_ms, None);
    let named =
        |value: Value, popup: Popup| popup_plan(value, popup).err().map(|e| (e.code(), e.param().map(str::to_string)));
    let timeout = Some(("ERR_INVALID_ARG_VALUE", Some("timeoutInSeconds".to_string())));
    assert_eq!(named(json!({ "timeoutInSeconds": 5 }), Popup::Redirect), timeout, "only a popup waits");
    assert_eq!(named(json!({ "timeoutInSeconds": 0 }), Popup::Open), timeout);
    assert_eq!(
        named(json!({ "timeoutInSeconds": 86_401 }), Popup::Open),
        timeout,
        "a browser timer would fire at once"
    );
    assert_eq!(
        named(json!({ "timeoutInSeconds": "5" }), Popup::Open),
        Some(("ERR_INVALID_ARG_TYPE", Some("timeoutInSeconds".to_string())))
    );
    assert_eq!(
        named(json!({ "returnTo": "/x" }), Popup::Open),
        Some(("ERR_INVALID_ARG_VALUE", Some("returnTo".to_string()))),
        "a popup leaves the page where it is"
    );

    // fetch: `stepUp: "popup"`, and a timeout only with it.
    let fetch = |v: Value| FetchOptions::from_json(&v, "").map(|o| (o.step_up, o.step_up().1));
    assert_eq!(fetch(json!({ "stepUp": "popup" })).unwrap(), (StepUp::Popup, Popup::Open));
    assert_eq!(fetch(json!({ "stepUp": true })).unwrap(), (StepUp::Redirect, Popup::Redirect));
    assert_eq!(fetch(json!({})).unwrap(), (StepUp::No, Popup::Redirect));
    assert_eq!(fetch(json!({ "stepUp": "popup", "timeoutInSeconds": 2 })).unwrap().0, StepUp::Popup);
    assert_eq!(fetch(json!({ "stepUp": true, "timeoutInSeconds": 2 })).unwrap_err().param(), Some("timeoutInSeconds"));
    assert_eq!(fetch(json!({ "stepUp": "window" })).unwrap_err().code(), "ERR_INVALID_ARG_VALUE");
    assert_eq!(fetch(json!({ "stepUp": 1 })).unwrap_err().code(), "ERR_INVALID_ARG_TYPE");
}

#[test]
fn a_popup_sign_in_marks_its_state_and_holds_its_transaction() {
    let c = discovered(json!({}));
    let plan = popup_plan(json!({ "acrValues": ["LOA2"] }), Popup::Open).unwrap();
    let (url, signing_in) =
        c.start_popup(plan.clone(), random(), || Ok("https://app.example/here".into()), None).unwrap();
    let q = query(&url);
    assert_eq!(q["state"], format!("popup.{}", "st".repeat(22)));
    assert_eq!(q["redirect_uri"], "https://app.example/cb", "the registered redirect URI, unchanged");
    assert_eq!(signing_in.state, q["state"]);
    assert_eq!((signing_in.tx.nonce.as_str(), signing_in.timeout_ms), (q["nonce"].as_str(), 60_000));
    let redirect = sign_in(json!({})).unwrap();
    assert!(c.start_popup(redirect, random(), || Ok(String::new()), None).is_err(), "only a popup's plan");
}

#[test]
fn the_popup_page_hands_the_response_to_its_opener_only() {
    let c = discovered(json!({}));
    let popup_response = "https://app.example/cb?code=c&state=popup.abc&iss=https%3A%2F%2Fidp.example";
    let message = c.popup_callback(popup_response, true).unwrap().unwrap();
    let sent: Value = serde_json::from_str(&message).unwrap();
    assert_eq!(sent, json!({ "stepup": "authorization_response", "url": popup_response }));
    // A redirect's callback is not a popup's.
    assert_eq!(c.popup_callback("https://app.example/cb?code=c&state=abc", true).unwrap(), None);
    assert_eq!(c.popup_callback("https://app.example/cb", false).unwrap(), None);
    // No page of this origin to hand it to: said, not dropped.
    let e = c.popup_callback(popup_response, false).unwrap_err();
    assert_eq!((e.code(), e.param()), ("ERR_AUTH_RESPONSE_INVALID", Some("state")));
}

#[test]
fn the_opener_accepts_only_its_popups_answer_with_the_state_bound_to_it() {
    let c = discovered(json!({}));
    let plan = popup_plan(json!({}), Popup::Open).unwrap();
    let (_, signing_in) = c.start_popup(plan, random(), || Ok("https://app.example/here".into()), None).unwrap();
    let response = format!("https://app.example/cb?code=c&state={}&iss=https%3A%2F%2Fidp.example", signing_in.state);
    let answer = c.popup_callback(&response, true).unwrap().unwrap();
    let hear = |origin: &str, from_popup: bool, data: Option<&str>| {
        c.popup_message(&signing_in.state, origin, from_popup, data)
    };

    assert_eq!(hear("https://app.example", true, Some(&answer)).unwrap(), Heard::Response(response.clone()));
    // Default ports as browsers write origins.
    let c443 = discovered(json!({ "redirectUri": "https://App.Example:443/cb" }));
    assert_eq!(
        c443.popup_message(&signing_in.state, "https://app.example", true, Some(&answer)).unwrap(),
        Heard::Response(response.clone())
    );
    // Another window, another origin, another kind of message: not the answer, waited past.
    assert_eq!(hear("https://app.example", false, Some(&answer)).unwrap(), Heard::Ignore);
    assert_eq!(hear("https://idp.example", true, Some(&answer)).unwrap(), Heard::Ignore);
    assert_eq!(hear("https://app.example:8443", true, Some(&answer)).unwrap(), Heard::Ignore);
    for other in [None, Some("not json"), Some("{\"type\":\"authorization_response\"}"), Some("[1]")] {
        assert_eq!(hear("https://app.example", true, other).unwrap(), Heard::Ignore, "{other:?}");
    }
    // The popup came back with a response that is not this sign-in's.
    let forged = c.popup_callback("https://app.example/cb?code=c&state=popup.other", true).unwrap().unwrap();
    let e = hear("https://app.example", true, Some(&forged)).unwrap_err();
    assert_eq!((e.code(), e.param()), ("ERR_AUTH_RESPONSE_INVALID", Some("state")));
    let elsewhere = answer.replace("/cb?", "/elsewhere?");
    assert_eq!(hear("https://app.example", true, Some(&elsewhere)).unwrap_err().param(), Some("url"));
    let no_url = "{\"stepup\":\"authorization_response\"}";
    assert_eq!(hear("https://app.example", true, Some(no_url)).unwrap_err().param(), Some("url"));
    // The accepted response goes through the callback's checks as a redirect's does.
    let (endpoint, request) = c.code_request(&response, Some(&signing_in.tx)).unwrap();
    assert_eq!(endpoint, "https://idp.example/token");
    assert!(request.body.contains(&format!("code_verifier={}", "ve".repeat(22))));
}

#[test]
fn a_popup_that_gives_no_answer_is_a_step_up_still_required_with_its_reason() {
    let mut plan = popup_plan(json!({ "acrValues": ["LOA2"], "maxAge": 60 }), Popup::Open).unwrap();
    for (failure, reason) in [
        (PopupFailure::Blocked, "popup_blocked"),
        (PopupFailure::Closed, "popup_closed"),
        (PopupFailure::TimedOut, "popup_timeout"),
    ] {
        let failed = popup_failed(&plan, failure);
        assert_eq!(failed.reason, reason);
        assert_eq!(failed.error.code(), "ERR_STEP_UP_REQUIRED");
        let shortfall = failed.error.shortfall().unwrap();
        assert_eq!((shortfall.acr_values.as_slice(), shortfall.max_age), (["LOA2".to_string()].as_slice(), Some(60)));
        assert!(failed.message.ends_with("(acr_values: LOA2) (max_age: 60)"), "{}", failed.message);
    }
    plan.acr_values.clear();
    plan.max_age = None;
    assert_eq!(
        popup_failed(&plan, PopupFailure::Closed).message,
        "the sign-in popup was closed before the sign-in finished"
    );
}

#[test]
fn x13_x19_tabs_hear_each_others_sign_ins_and_sign_outs() {
    let c = client(json!({}));
    let claims = set("LOA2", "t", None, None).claims;
    let signed_in = c.change_message(&Change::SignedIn(claims.clone()));
    let signed_out = c.change_message(&Change::SignedOut);
    let heard = c.changed(Some(&signed_in), Store::Session).unwrap();
    assert_eq!(heard, (json!({ "type": "signedIn", "claims": claims }), vec![]));
    // A sign-out there signs this tab out too, unless the shared store is already cleared.
    let out = json!({ "type": "signedOut" });
    for store in [Store::Session, Store::Memory, Store::Custom] {
        assert_eq!(
            c.changed(Some(&signed_out), store).unwrap(),
            (
                out.clone(),
                vec!["stepup:spa:tokens".to_string(), "stepup:spa:kept".to_string(), "stepup:spa:pending".to_string()]
            )
        );
    }
    // X13: the call this tab saved for a step-up goes whatever the store, so it is never
    // replayed with the tokens of whoever signs in next.
    assert_eq!(
        c.changed(Some(&signed_out), Store::Local).unwrap(),
        (out.clone(), vec!["stepup:spa:pending".to_string()])
    );
    for other in
        [None, Some("{}"), Some("{\"type\":\"signedOut\"}"), Some("{\"stepup\":\"change\",\"type\":\"x\"}"), Some("[]")]
    {
        assert_eq!(c.changed(other, Store::Session), None, "{other:?}");
    }
    // A client of the same id for another issuer shares the channel: its sign-ins are not ours,
    // but its sign-out signs this client out too (X19), as it did in its own tab.
    let tenant = client(json!({ "issuer": "https://tenant.example" }));
    assert_eq!(
        c.changed(Some(&tenant.change_message(&Change::SignedOut)), Store::Session),
        c.changed(Some(&signed_out), Store::Session)
    );
    assert_eq!(c.changed(Some(&tenant.change_message(&Change::SignedIn(claims.clone()))), Store::Session), None);

    // Storage events of the "local" store, without BroadcastChannel.
    let sets = |s: &[TokenSet]| token_sets_json(s).to_string();
    // Each sign-in's ID token has its own nonce; a refresh's keeps it or has none.
    let with = |acr: &str, token: &str, nonce: Option<&str>| {
        let mut s = set(acr, token, None, None);
        s.claims.insert("iss".into(), ISS.into());
        s.claims.remove("nonce");
        if let Some(nonce) = nonce {
            s.claims.insert("nonce".into(), nonce.into());
        }
        s
    };
    let old = with("LOA1", "a", Some("n1"));
    let refreshed = with("LOA1", "b", Some("n1"));
    let refreshed_without_nonce = with("0", "b", None);
    // A step-up within the provider's session keeps its auth_time: the nonce tells it apart.
    let stepped = with("LOA2", "c", Some("n2"));
    let key = Some("stepup:spa:tokens");
    let before = sets(std::slice::from_ref(&old));
    let step_up = sets(&[old.clone(), stepped.clone()]);
    assert_eq!(
        c.storage_changed(key, Some(&before), Some(&step_up)),
        Some((json!({ "type": "signedIn", "claims": stepped.claims }), vec![]))
    );
    assert_eq!(
        c.storage_changed(key, None, Some(&before)),
        Some((json!({ "type": "signedIn", "claims": old.claims }), vec![])),
        "a first sign-in"
    );
    assert_eq!(c.storage_changed(key, Some(&before), Some(&sets(&[refreshed]))), None, "a refresh is no change");
    assert_eq!(c.storage_changed(key, Some(&before), Some(&sets(&[refreshed_without_nonce]))), None);
    assert_eq!(c.storage_changed(key, Some(&before), None), Some((out, vec!["stepup:spa:pending".to_string()])));
    assert_eq!(c.storage_changed(key, None, None), None);
    assert_eq!(c.storage_changed(Some("stepup:spa:pending"), Some("x"), None), None, "only the tokens count");
    assert_eq!(c.storage_changed(Some("stepup:other:tokens"), Some(&before), None), None);
    let mut theirs = with("LOA2", "d", Some("n3"));
    theirs.claims.insert("iss".into(), "https://tenant.example".into());
    assert_eq!(
        c.storage_changed(key, Some(&before), Some(&sets(&[old.clone(), theirs]))),
        None,
        "another issuer's sign-in is not ours"
    );
}

#[test]
fn x01_tokens_go_only_to_the_pages_origin_resources_and_api_origins() {
    let page = Some("https://app.example/account?x=1");
    let plain = client(json!({}));
    assert_eq!(plain.token_may_go("https://app.example/api/x", page), Ok(()));
    assert_eq!(
        plain.token_may_go("https://APP.example:443/api", page),
        Ok(()),
        "the same origin, as fetch() writes it"
    );
    for elsewhere in [
        "https://api.example/x",
        "http://app.example/api",
        "https://app.example:8443/api",
        "https://user@app.example/api",
        "https://app.example.evil/api",
        "data:text/plain,x",
    ] {
        let refused = plain.token_may_go(elsewhere, page).unwrap_err();
        assert_eq!((refused.code(), refused.param()), ("ERR_INVALID_ARG_VALUE", Some("input")), "{elsewhere}");
    }
    // Without a page (a server rendering the app), only the named origins.
    assert!(plain.token_may_go("https://app.example/api/x", None).is_err());
    let named = client(json!({
        "resource": "https://api.example/v1",
        "audience": "https://other.example/",
        "apiOrigins": ["https://third.example", "http://localhost:8080", "http://127.0.0.1:9000", "https://xn--bcher-kva.example", "http://[::1]:8080"],
    }));
    for allowed in [
        "https://api.example/x",
        "https://third.example/",
        "http://localhost:8080/z",
        "http://127.0.0.1:9000/",
        "https://xn--bcher-kva.example/",
        "http://[::1]:8080/",
    ] {
        assert_eq!(named.token_may_go(allowed, None), Ok(()), "{allowed}");
    }
    // Auth0's `audience` names an API, which need not be where it is: only `apiOrigins` says so.
    assert!(named.token_may_go("https://other.example/y", None).is_err());
}

#[test]
fn x01_api_origins_are_origins_as_browsers_write_them() {
    for (bad, at) in [
        (json!(["https://api.example/"]), "apiOrigins[0]"),
        (json!(["https://api.example", "HTTPS://API.example"]), "apiOrigins[1]"),
        (json!(["https://api.example:443"]), "apiOrigins[0]"),
        (json!(["api.example"]), "apiOrigins[0]"),
        (json!(["*"]), "apiOrigins[0]"),
        // What the URL parser would write otherwise: never equal to a call's origin.
        (json!(["http://127.1"]), "apiOrigins[0]"),
        (json!(["http://0x7f.0.0.1"]), "apiOrigins[0]"),
        (json!(["http://127.0.0.01"]), "apiOrigins[0]"),
        (json!(["http://256.0.0.1"]), "apiOrigins[0]"),
        (json!(["https://bücher.example"]), "apiOrigins[0]"),
        (json!(["https://a%41.example"]), "apiOrigins[0]"),
        (json!(["https://app.example\t"]), "apiOrigins[0]"),
        (json!(["https://app.example."]), "apiOrigins[0]"),
        (json!(["https://*"]), "apiOrigins[0]"),
        (json!(["http://[::1]:8080", "http://[::1]:08080"]), "apiOrigins[1]"),
        (json!(["http://localhost:99999"]), "apiOrigins[0]"),
    ] {
        let options =
            json!({ "issuer": ISS, "clientId": "spa", "redirectUri": "https://app.example/cb", "apiOrigins": bad });
        let Err(e) = Client::from_json(&options, "") else { panic!("{bad} was taken") };
        assert_eq!((e.code(), e.param()), ("ERR_INVALID_ARG_VALUE", Some(at)), "{bad}");
    }
    let options = json!({ "issuer": ISS, "clientId": "spa", "redirectUri": "https://app.example/cb", "apiOrigins": "https://a.example" });
    let Err(e) = Client::from_json(&options, "") else { panic!() };
    assert_eq!(e.code(), "ERR_INVALID_ARG_TYPE");
}

#[test]
fn x02_a_saved_call_is_replayed_only_to_an_origin_that_gets_tokens_and_as_fetch_can_send_it() {
    let c = client(json!({}));
    let page = Some("https://app.example/");
    // The sets of the sign-in made for the call (its nonce, "n").
    let held = [set("LOA2", "t", None, None)];
    let saved = |url: &str, method: &str, headers: Value| {
        json!({ "url": url, "method": method, "headers": headers, "body": "{}", "requirement": {}, "signIn": "n", "ready": true })
            .to_string()
    };
    let good =
        saved("https://app.example/api", "POST", json!([["content-type", "application/json"], ["x-name", "José"]]));
    let replayed = |saved: &str, sets: &[TokenSet]| match c.to_replay(Some(saved), page, sets) {
        SavedCall::Use(p) => Some(p),
        SavedCall::Remove => None,
        SavedCall::Leave => panic!("a call that names no issuer is any client's: {saved}"),
    };
    assert_eq!(replayed(&good, &held).map(|p| p.url), Some("https://app.example/api".to_string()));
    for bad in [
        saved("https://evil.example/api", "POST", json!([])),
        saved("https://app.example/api", "PO ST", json!([])),
        saved("https://app.example/api", "", json!([])),
        saved("https://app.example/api", "POST", json!([["bad name", "x"]])),
        saved("https://app.example/api", "POST", json!([["x", "a\r\nb"]])),
        saved("https://app.example/api", "POST", json!([["", "x"]])),
        saved("https://app.example/api", "POST", json!([["x-note", "price €5"]])),
        saved("https://app.example/api", "TRACE", json!([])),
        saved("https://app.example/api", "connect", json!([])),
        // A body (even an empty one) with GET or HEAD.
        saved("https://app.example/api", "get", json!([])),
        saved("https://app.example/api", "HEAD", json!([])),
    ] {
        assert!(replayed(&bad, &held).is_none(), "{bad}");
    }
    // Not ready: its sign-in has not completed.
    let waiting = good.replace(r#""ready":true"#, r#""ready":false"#);
    assert!(replayed(&waiting, &held).is_none());
    // X13: replayed only while the tokens of the sign-in made for it are held: not with none
    // (signed out since), nor with another sign-in's (whoever signed in next).
    assert!(replayed(&good, &[]).is_none());
    let mut next = set("LOA2", "t2", None, None);
    next.claims.insert("nonce".into(), "another".into());
    assert!(replayed(&good, &[next]).is_none());
    // Nothing saved, nothing to do; an unreadable one goes.
    assert_eq!(c.to_replay(None, page, &held), SavedCall::Leave);
    assert_eq!(c.to_replay(Some("{"), page, &held), SavedCall::Remove);
}

#[test]
fn x21_a_call_saved_by_another_client_of_the_client_id_is_left_for_it() {
    // Two clients of one client id keep their saved call under one key: another issuer's, or
    // the same issuer's for another API.
    let mine = client(json!({}));
    let other_issuer = client(json!({ "issuer": "https://other.example" }));
    let other_api = client(json!({ "resource": "https://api.example/" }));
    let page = Some("https://app.example/");
    // The transaction of a sign-in `c` started, as `Client::start` stores it.
    let sign_in = |c: &Client, nonce: &str| Transaction {
        verifier: "v".repeat(43),
        nonce: nonce.into(),
        requirement: acr(&["LOA2"]),
        return_to: "/".into(),
        issuer: Some(c.issuer.clone()),
        sign_out_mark: None,
        api: c.api.clone(),
        user: None,
    };
    let tx = sign_in(&mine, "n");
    let call =
        Pending::new("https://app.example/api".into(), "POST".into(), vec![], vec![], "{}".into(), acr(&["LOA2"]), &tx)
            .unwrap();
    let saved = call.to_json().to_string();
    let held = [set("LOA2", "t", None, None)];
    for other in [&other_issuer, &other_api] {
        assert!(!other.owns_call(&call));
        // Neither its sign-in's completion nor its resume() drops or replays the call.
        assert_eq!(other.after_sign_in(Some(&saved), &sign_in(other, "n")), SavedCall::Leave);
        assert_eq!(other.to_replay(Some(&saved), page, &held), SavedCall::Leave);
    }
    // Its own client makes it ready and replays it.
    let SavedCall::Use(ready) = mine.after_sign_in(Some(&saved), &tx) else { panic!("its own sign-in") };
    let ready = ready.to_json().to_string();
    assert!(
        matches!(mine.to_replay(Some(&ready), page, &held), SavedCall::Use(p) if p.url == "https://app.example/api")
    );
    // Its own next sign-in, not the one made for it, drops it.
    assert_eq!(mine.after_sign_in(Some(&saved), &sign_in(&mine, "n2")), SavedCall::Remove);
}

#[test]
fn x08_a_huge_expires_in_is_a_token_that_lasts_not_one_that_wrapped_around() {
    let c = discovered(json!({}));
    let (_, _, tx) =
        c.start(sign_in(json!({})).unwrap(), random(), || Ok("https://app.example/".into()), None).unwrap();
    for expires_in in [json!(18_446_744_073_709_551_615u64), json!("18446744073709551615")] {
        let answer =
            json!({ "access_token": "at", "token_type": "Bearer", "id_token": "x.y.z", "expires_in": expires_in })
                .to_string();
        let (_, _, set) = c.exchanged(Ok((200, answer.as_bytes())), &tx, 2000).unwrap();
        assert_eq!(set.expires_at, Some(9_007_199_254_740_991));
    }
}

#[test]
fn x05_keys_of_clients_whose_ids_share_a_beginning_never_meet() {
    let key = |id: &str, name: &str| {
        let options = json!({ "issuer": ISS, "clientId": id, "redirectUri": "https://app.example/cb" });
        Client::from_json(&options, "").unwrap().key(name)
    };
    assert_eq!(key("spa", "tokens"), "stepup:spa:tokens", "an id without `:` or `%` keeps its keys");
    assert_eq!(key("spa:tx", "tokens"), "stepup:spa%3Atx:tokens");
    assert_eq!(key("100%", ""), "stepup:100%25:");
    // `spa`'s prefix (what its sign-out removes) covers none of `spa:x`'s keys, and a callback's
    // `state` (`tx:<state>`) cannot name another client's tokens.
    assert!(!key("spa:x", "tokens").starts_with(&key("spa", "")));
    assert_ne!(key("spa", "tx:tokens"), key("spa:tx", "tokens"));
    assert_ne!(key("a%3Ab", "tokens"), key("a:b", "tokens"));
}

#[test]
fn x06_a_callback_is_completed_only_by_a_client_of_the_issuer_the_sign_in_went_to() {
    let c = discovered(json!({}));
    let (url, _, tx) =
        c.start(sign_in(json!({})).unwrap(), random(), || Ok("https://app.example/".into()), None).unwrap();
    let state = query(&url)["state"].clone();
    let response = format!("https://app.example/cb?code=c&state={state}&iss=https%3A%2F%2Fidp.example");
    assert!(c.code_request(&response, Some(&tx)).is_ok());
    let other = Transaction { issuer: Some("https://other.example".into()), ..tx.clone() };
    let e = c.code_request(&response, Some(&other)).unwrap_err();
    assert_eq!((e.code(), e.param()), ("ERR_AUTH_RESPONSE_INVALID", Some("state")));
    // What the shell asks before it takes a transaction: only another issuer's is refused.
    assert_eq!(c.owns(Some(&other)), Err(e));
    assert_eq!((c.owns(Some(&tx)), c.owns(None)), (Ok(()), Ok(())));
    // One stored before transactions named their issuer is read, and completed as before.
    let older = Transaction { issuer: None, ..tx.clone() };
    let stored_older = older.to_json().to_string();
    assert!(!stored_older.contains("issuer"));
    assert_eq!(stored::<Transaction>(Some(&stored_older)), Some(older.clone()));
    assert!(c.code_request(&response, Some(&older)).is_ok());
}

#[test]
fn x07_claims_too_deep_to_be_read_back_are_refused_and_what_is_stored_stays_readable() {
    let c = discovered(json!({}));
    let nested = |levels: usize| {
        let mut v = json!(1);
        for _ in 0..levels {
            v = json!([v]);
        }
        v
    };
    let other =
        json!([{ "claims": { "iss": "https://other.example", "sub": "bob" }, "accessToken": "theirs" }]).to_string();
    assert_eq!(token_sets(Some(&other)).len(), 1);
    for depth in [tokens::MAX_CLAIMS_DEPTH, tokens::MAX_CLAIMS_DEPTH + 1, 127] {
        let Value::Object(claims) = json!({ "iss": ISS, "sub": "alice", "acr": "LOA1", "deep": nested(depth - 1) })
        else {
            unreachable!()
        };
        assert_eq!(crate::json::depth(&Value::Object(claims.clone())), depth);
        // The claims as a verified token hands them over: they parse.
        assert!(crate::json::parse_object(Value::Object(claims.clone()).to_string().as_bytes()).is_ok());
        let kept = c.signed_in(set("LOA1", "at", None, None), claims, vec![], 2000, false, None);
        if depth <= tokens::MAX_CLAIMS_DEPTH {
            let stored = c.sets_to_store(&kept.unwrap(), Some(&other)).to_string();
            assert_eq!(token_sets(Some(&stored)).len(), 2, "both issuers' sets read back at depth {depth}");
        } else {
            let e = kept.unwrap_err();
            assert_eq!((e.code(), e.claim()), ("ERR_JWT_CLAIM_VALIDATION_FAILED", Some("claims")), "depth {depth}");
            assert!(e.to_string().contains(r#""deep" nests more than 125"#), "{e}");
        }
    }
}

#[test]
fn x03_x04_a_sign_out_marked_since_a_sign_in_started_cancels_it_and_drops_tokens_kept_before() {
    let c = discovered(json!({}));
    let mark = || Some("m1".to_string());
    let (_, _, tx) =
        c.start(sign_in(json!({})).unwrap(), random(), || Ok("https://app.example/".into()), mark()).unwrap();
    assert_eq!(tx.sign_out_mark.as_deref(), Some("m1"));
    assert_eq!(stored::<Transaction>(Some(&tx.to_json().to_string())), Some(tx.clone()), "kept with the transaction");
    assert!(!tx.cancelled_by(Some("m1")));
    assert!(tx.cancelled_by(Some("m2")), "another tab signed out meanwhile");
    assert!(tx.cancelled_by(Some("")), "the mark was cleared (an app cleared localStorage): not the one it started at");
    // Where the browser keeps no mark, or kept none then, only the page's own count speaks.
    assert!(!tx.cancelled_by(None));
    let unmarked = Transaction { sign_out_mark: None, ..tx };
    assert!(!unmarked.cancelled_by(Some("m2")));
    // Tokens kept at another mark than the mark now were signed out in a tab this one did not hear.
    assert!(signed_out_elsewhere(Some("m1"), Some("m2")));
    assert!(signed_out_elsewhere(Some("m1"), Some("")), "the mark was cleared");
    assert!(signed_out_elsewhere(None, Some("m2")), "kept without a mark, and a sign-out marked since");
    assert!(!signed_out_elsewhere(Some("m2"), Some("m2")));
    assert!(!signed_out_elsewhere(None, Some("")), "no sign-out was ever marked");
    assert!(!signed_out_elsewhere(Some("m1"), None), "no mark where the browser keeps none");
}

#[test]
fn a_heard_change_says_whether_it_signs_out() {
    assert!(signs_out(&Change::SignedOut.event()));
    let Value::Object(claims) = json!({ "sub": "alice" }) else { unreachable!() };
    assert!(!signs_out(&Change::SignedIn(claims).event()));
}

#[test]
fn x12_a_token_is_sent_only_to_the_api_its_sign_in_asked_for() {
    // Three clients of one id and issuer sharing the store, each for another API.
    let a = discovered(json!({ "resource": "https://a.example/" }));
    let b = discovered(json!({ "resource": "https://b.example/" }));
    let d = discovered(json!({ "audience": "public-api" }));
    let (_, _, tx) =
        a.start(sign_in(json!({})).unwrap(), random(), || Ok("https://app.example/".into()), None).unwrap();
    assert_eq!(tx.api, Api { resource: Some("https://a.example/".into()), audience: None });
    assert_eq!(stored::<Transaction>(Some(&tx.to_json().to_string())).map(|t| t.api), Some(tx.api.clone()));
    let answer =
        json!({ "access_token": "for-a", "token_type": "Bearer", "expires_in": 600, "id_token": "h.p.s" }).to_string();
    let (_, _, set) = a.exchanged(Ok((200, answer.as_bytes())), &tx, 1000).unwrap();
    assert_eq!(set.api, tx.api, "the set is for the API its sign-in asked for");
    let Value::Object(claims) = json!({ "iss": ISS, "sub": "alice", "acr": "1", "auth_time": 1000 }) else {
        unreachable!()
    };
    let sets = a.signed_in(set, claims, Vec::new(), 1000, false, None).unwrap();
    let any = Requirement::default();
    assert_eq!(a.token_for(&any, &sets, 1100), TokenFor::Use("for-a".into()));
    for other in [&b, &d] {
        assert_eq!(other.token_for(&any, &sets, 1100), TokenFor::None, "another API's token is never sent");
        assert_eq!(other.access_token(&any, &sets, 1100), None);
        assert!(other.refreshable(&any, &sets, 1100).is_err());
        // The user is signed in all the same: the ID token is the client's, whatever the API.
        assert_eq!(other.session(&any, &sets, 1100)["signedIn"], true);
        assert!(other.session(&any, &sets, 1100).get("expiresIn").is_none());
    }
    // A sign-in's own audience is the API of the tokens it brings; else the client's.
    let (_, _, own) =
        d.start(sign_in(json!({ "audience": "admin-api" })).unwrap(), random(), || Ok("/".into()), None).unwrap();
    assert_eq!(own.api, Api { resource: None, audience: Some("admin-api".into()) });
    let (_, _, default) = d.start(sign_in(json!({})).unwrap(), random(), || Ok("/".into()), None).unwrap();
    assert_eq!(default.api, Api { resource: None, audience: Some("public-api".into()) });
}

#[test]
fn x15_only_an_answer_from_an_origin_that_gets_tokens_asks_for_a_step_up() {
    let c = client(json!({ "apiOrigins": ["https://api.example"] }));
    let page = Some("https://app.example/page");
    let rfc9470 = r#"Bearer error="insufficient_user_authentication", acr_values="LOA2""#;
    for answered_at in ["https://app.example/api/x", "https://api.example/v1"] {
        assert_eq!(
            c.challenged(401, Some(rfc9470), answered_at, page, false, None).map(|c| c.requirement),
            Some(acr(&["LOA2"])),
            "{answered_at}"
        );
    }
    // The API redirected the call elsewhere, and that origin answered with a challenge: it may
    // not choose what the user signs in with, nor have the call saved.
    for answered_at in ["https://evil.example/challenge", "http://app.example/api", "https://app.example:8443/"] {
        assert_eq!(c.challenged(401, Some(rfc9470), answered_at, page, false, None), None, "{answered_at}");
    }
}

/// Found by the fourth outside attack on the client: alice's call was answered with a challenge
/// after she signed out, and the step-up (or a retry with a held token) carried it out as bob,
/// who signed in next.
#[test]
fn x24_a_call_answered_after_a_sign_out_asks_for_nothing() {
    let c = client(json!({}));
    let page = Some("https://app.example/page");
    let api = "https://app.example/api/transfer";
    for (status, header) in [
        (401, r#"Bearer error="insufficient_user_authentication", acr_values="LOA2""#),
        (403, r#"Bearer error="insufficient_authentication_context", acr_values="LOA2""#),
        (401, r#"Bearer error="insufficient_user_authentication", max_age="0""#),
    ] {
        assert!(c.challenged(status, Some(header), api, page, false, None).is_some(), "{header}");
        assert_eq!(c.challenged(status, Some(header), api, page, true, None), None, "{header}");
    }
}

#[test]
fn x16_a_body_saved_for_resume_is_its_text_or_refused() {
    assert_eq!(Pending::body(br#"{"to":"carol"}"#.to_vec()).unwrap(), r#"{"to":"carol"}"#);
    assert_eq!(Pending::body("José".as_bytes().to_vec()).unwrap(), "José");
    assert_eq!(Pending::body(Vec::new()).unwrap(), "");
    // Bytes that are not UTF-8 would come back as other bytes (U+FFFD): refused, never changed.
    for bytes in [vec![0xff, 0x00, 0x80, 0x41], vec![0xc3], vec![0xed, 0xa0, 0x80]] {
        let e = Pending::body(bytes.clone()).unwrap_err();
        assert_eq!((e.code(), e.param()), ("ERR_INVALID_ARG_VALUE", Some("init.body")), "{bytes:?}");
    }
}

/// Found by the fourth outside attack on the client: `extraParams` took a request object and a
/// response mode, which replace every parameter stepup sets (RFC 9101 §6.3) or where the answer
/// comes back.
#[test]
fn x25_extra_params_carry_no_request_object_nor_response_mode() {
    // In any case and with whitespace around, as ASP.NET's query collection reads them (the fifth
    // attack on the client).
    for name in [
        "request",
        "request_uri",
        "response_mode",
        "Request",
        "REQUEST_URI",
        "Response_Mode",
        "request ",
        " Prompt",
        "ACR_VALUES",
        "Audience",
        // As PHP fills `$_GET` (the sixth attack on the client).
        "request.uri",
        "request uri",
        "request[uri",
        "max.age",
        "response.mode",
        "prompt[]",
        "request[x]",
        // A NUL ends a name for PHP; Rack 2 strips brackets around it (the seventh attack).
        "request\u{0}",
        "max_age\u{0}x",
        "]prompt",
        "prompt]",
        "[max_age]",
        // As Node's `qs` reads a leading bracketed key, whatever follows (the eighth attack).
        "[request_uri]x",
        "[response_mode]x",
        "[prompt]]x",
        "[state]x",
        "[Redirect_Uri][y]",
    ] {
        let options = json!({ "issuer": ISS, "clientId": "spa", "redirectUri": "https://app.example/cb", "extraParams": { name: "x" } });
        let Err(e) = Client::from_json(&options, "") else { panic!("{name} was taken") };
        assert_eq!(
            (e.code(), e.param()),
            ("ERR_INVALID_ARG_VALUE", Some(format!("extraParams.{name}").as_str())),
            "{name}"
        );
    }
}

/// Found by the fourth outside attack on the client: React's StrictMode runs an effect twice, so
/// `handleCallback()` ran twice at once; the second found no transaction, failed, and removed the
/// call the first was completing the step-up for.
#[test]
fn x26_a_callback_that_took_no_transaction_leaves_the_saved_call() {
    let c = client(json!({}));
    let saved =
        json!({ "url": "https://app.example/api", "method": "GET", "headers": [], "requirement": {}, "signIn": "n" })
            .to_string();
    assert_eq!(c.callback_failed(Some(&saved), false), SavedCall::Leave);
    assert_eq!(c.callback_failed(Some(&saved), true), SavedCall::Remove);
    // Another client's call (one client id, another issuer) is left for it either way.
    let other = saved.replace(r#""signIn":"n""#, r#""signIn":"n","issuer":"https://other.example""#);
    assert_eq!(c.callback_failed(Some(&other), true), SavedCall::Leave);
}

/// Found by the fourth outside attack on the client: `resume()` rebuilt the call from its URL,
/// method, headers and body, so a call made with `credentials: "omit"` and `redirect: "error"`
/// was replayed with the page's cookies and followed a redirect.
#[test]
fn x27_a_saved_call_keeps_how_fetch_sends_it() {
    let tx = Transaction {
        verifier: "v".repeat(43),
        nonce: "n".into(),
        requirement: acr(&["LOA2"]),
        return_to: "/".into(),
        issuer: None,
        sign_out_mark: None,
        api: Api::default(),
        user: None,
    };
    let pairs = |list: &[(&str, &str)]| list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect::<Vec<_>>();
    let save = |modes: &[(&str, &str)]| {
        Pending::new(
            "https://app.example/api".into(),
            "POST".into(),
            vec![],
            pairs(modes),
            "{}".into(),
            acr(&["LOA2"]),
            &tx,
        )
    };
    let modes = [
        ("credentials", "omit"),
        ("redirect", "error"),
        ("mode", "same-origin"),
        ("cache", "only-if-cached"),
        ("referrer", "https://app.example/page?x=1"),
        ("referrerPolicy", ""),
        ("integrity", "sha256-abc="),
    ];
    let call = save(&modes).unwrap();
    let read = stored::<Pending>(Some(&call.to_json().to_string())).expect("read back");
    assert_eq!(read.modes, pairs(&modes));
    // A mode no call can be sent again with is refused before the step-up starts, named.
    for (name, value) in [
        ("mode", "no-cors"),
        ("mode", "navigate"),
        ("redirect", "never"),
        ("credentials", ""),
        ("referrer", "javascript:x"),
        ("referrer", "https://user@app.example/"),
        ("referrer", "https://app.example/a b"),
    ] {
        let e = save(&[(name, value)]).unwrap_err();
        assert_eq!((e.code(), e.param()), ("ERR_INVALID_ARG_VALUE", Some(format!("init.{name}").as_str())), "{value}");
    }
    // Fetch takes only-if-cached with same-origin only.
    assert!(save(&[("mode", "cors"), ("cache", "only-if-cached")]).is_err());
    // What another script wrote reads as no call, never as one the replay throws on.
    let c = client(json!({}));
    let mut written = call.to_json();
    written["ready"] = true.into();
    written["modes"] = json!([["mode", "no-cors"]]);
    let held = [set("LOA2", "t", None, None)];
    assert_eq!(c.to_replay(Some(&written.to_string()), Some("https://app.example/"), &held), SavedCall::Remove);
}

/// Found by the fifth outside attack on the client: with the `"memory"` store the page that
/// comes back from a step-up holds no tokens, so another user's sign-in there completed alice's
/// step-up and her saved call was replayed as bob.
#[test]
fn x30_a_step_up_is_completed_only_by_the_user_who_stepped_up() {
    let c = discovered(json!({}));
    let held = [set("LOA1", "t", None, None)];
    let plan = c.step_up(acr(&["LOA2"]), StepUpOptions::default(), Popup::Redirect, None, &held, 1100).unwrap();
    assert_eq!(plan.user.as_deref(), Some("alice"));
    let (_, _, tx) = c.start(plan, random(), || Ok("/".into()), None).unwrap();
    let tx = stored::<Transaction>(Some(&tx.to_json().to_string())).expect("read back");
    assert_eq!(tx.user.as_deref(), Some("alice"));
    let claims = |sub: &str| {
        let Value::Object(m) = json!({ "sub": sub, "acr": "LOA2" }) else { unreachable!() };
        m
    };
    // Nothing held any more (the memory store after the page left): still only alice.
    let e =
        c.signed_in(set("LOA2", "t2", None, None), claims("bob"), vec![], 2000, false, tx.user.as_deref()).unwrap_err();
    assert_eq!((e.code(), e.claim()), ("ERR_JWT_CLAIM_VALIDATION_FAILED", Some("sub")));
    assert!(c
        .signed_in(set("LOA2", "t2", None, None), claims("alice"), vec![], 2000, false, tx.user.as_deref())
        .is_ok());
    // A set whose access token expired while the call was under way is the user's all the same
    // (the sixth attack: such a step-up recorded no user).
    let expired = [set("LOA1", "t", Some(1000), None)];
    let plan = c.step_up(acr(&["LOA2"]), StepUpOptions::default(), Popup::Redirect, None, &expired, 1100).unwrap();
    assert_eq!(plan.user.as_deref(), Some("alice"));
    // A call's step-up is the user's whose sets were held when it was made, even when none is
    // held any more (a refresh refused in another call dropped them: the seventh attack).
    let plan =
        c.step_up(acr(&["LOA2"]), StepUpOptions::default(), Popup::Redirect, None, &[], 1100).unwrap().for_call(&held);
    assert_eq!(plan.user.as_deref(), Some("alice"));
    // A sign-in (not a step-up) names no user: whoever signs in, when no one is signed in here.
    let plan = c.sign_in(SignInOptions::default(), Popup::Redirect).unwrap();
    assert_eq!(plan.user, None);
}
