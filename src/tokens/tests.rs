use super::*;
use crate::acr::{preset, AcrList};
use serde_json::json;

fn set(acr: &str, auth_time: u64, token: &str, expires_at: Option<u64>) -> TokenSet {
    let claims = json!({ "sub": "alice", "acr": acr, "auth_time": auth_time });
    let Value::Object(claims) = claims else { unreachable!() };
    TokenSet {
        claims,
        access_token: Some(token.into()),
        expires_at,
        refresh_token: None,
        id_token: None,
        api: Api::default(),
    }
}

fn acr(values: &[&str]) -> Requirement {
    Requirement { acr: Some(AcrList(values.iter().map(|v| v.to_string()).collect())), ..Requirement::default() }
}

#[test]
fn a_step_up_keeps_the_weaker_set_and_each_call_uses_the_weakest_that_meets_it() {
    let wso2 = preset("wso2").unwrap();
    let mut sets = Vec::new();
    keep(&mut sets, set("LOA1", 1000, "basic", Some(5000)), &wso2, 1000);
    keep(&mut sets, set("LOA2", 1100, "mfa", Some(5000)), &wso2, 1100);
    assert_eq!(sets.len(), 2);
    let pick = |r: &Requirement| weakest(&sets, &Api::default(), r, &wso2, 1200).and_then(|s| s.access_token.clone());
    assert_eq!(pick(&Requirement::default()).as_deref(), Some("basic"));
    assert_eq!(pick(&acr(&["LOA1"])).as_deref(), Some("basic"));
    assert_eq!(pick(&acr(&["LOA2"])).as_deref(), Some("mfa"));
    assert_eq!(pick(&acr(&["LOA3"])), None);
    assert_eq!(strongest(&sets, &wso2, 1200).and_then(|s| s.acr()), Some("LOA2"));
}

#[test]
fn freshness_and_expiry_decide_too() {
    let wso2 = preset("wso2").unwrap();
    let mut sets = Vec::new();
    keep(&mut sets, set("LOA2", 1000, "old-mfa", Some(9000)), &wso2, 1000);
    let fresh = Requirement { max_age: Some(300), ..Requirement::default() };
    assert!(weakest(&sets, &Api::default(), &fresh, &wso2, 1200).is_some());
    assert!(weakest(&sets, &Api::default(), &fresh, &wso2, 1400).is_none(), "older than maxAge + tolerance");
    assert_eq!(sets[0].remaining(&fresh, 1200), Some(130));
    assert_eq!(sets[0].remaining(&Requirement::default(), 1200), Some(7800));
    assert!(weakest(&sets, &Api::default(), &Requirement::default(), &wso2, 9000).is_none(), "expired");
}

#[test]
fn one_set_per_acr_newest_wins_and_at_most_four_are_kept() {
    let janssen = preset("janssen").unwrap();
    let mut sets = Vec::new();
    keep(&mut sets, set("basic", 1000, "a", None), &janssen, 1000);
    keep(&mut sets, set("basic", 1100, "b", None), &janssen, 1100);
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].access_token.as_deref(), Some("b"));
    for (i, acr) in ["otp", "super_gluu", "fido2", "cert"].iter().enumerate() {
        keep(&mut sets, set(acr, 1200 + i as u64, acr, None), &janssen, 1200);
    }
    assert_eq!(sets.len(), MAX_TOKEN_SETS);
    assert!(sets.iter().all(|s| s.acr() != Some("basic")), "the weakest went first");
}

#[test]
fn expired_sets_are_dropped_when_a_new_one_arrives() {
    let fief = preset("fief").unwrap();
    let mut sets = vec![set("1", 1000, "gone", Some(1500))];
    keep(&mut sets, set("0", 1600, "new", Some(9000)), &fief, 1600);
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].access_token.as_deref(), Some("new"));
}

fn claims(value: Value) -> Map<String, Value> {
    let Value::Object(claims) = value else { unreachable!() };
    claims
}

fn renewal() -> TokenSet {
    TokenSet {
        claims: Map::new(),
        access_token: Some("renewed".into()),
        expires_at: Some(9000),
        refresh_token: Some("r2".into()),
        id_token: None,
        api: Api::default(),
    }
}

#[test]
fn expired_sets_with_a_refresh_token_are_kept_for_a_refresh() {
    let fief = preset("fief").unwrap();
    let mut sets = Vec::new();
    let mut strong = set("1", 1000, "strong", Some(1100));
    strong.refresh_token = Some("r1".into());
    keep(&mut sets, strong, &fief, 1000);
    keep(&mut sets, set("0", 1000, "other", Some(1100)), &fief, 1000);
    keep(&mut sets, set("0", 1200, "new", Some(5000)), &fief, 1200);
    assert_eq!(sets.len(), 2, "the expired set without a refresh token went, the refreshable one stayed");
    assert!(
        weakest(&sets, &Api::default(), &acr(&["1"]), &fief, 1200).is_none(),
        "an expired access token meets nothing"
    );
    let due = refreshable(&sets, &Api::default(), &acr(&["1"]), &fief, 1200).and_then(|s| s.refresh_token.as_deref());
    assert_eq!(due, Some("r1"));
    assert!(refreshable(&sets, &Api::default(), &acr(&["2"]), &fief, 1200).is_none());
}

#[test]
fn a_refresh_reporting_a_weaker_authentication_is_a_downgrade() {
    let fief = preset("fief").unwrap();
    let old = set("1", 1000, "strong", Some(1100));
    let back = |acr: &str| {
        refreshed(&old, Some(claims(json!({ "sub": "alice", "acr": acr, "auth_time": 1000 }))), renewal(), &fief)
            .unwrap()
    };
    let fief_refresh = back("0");
    assert!(fief_refresh.downgraded);
    assert_eq!(fief_refresh.set.acr(), Some("0"), "the set now counts at the level reported");
    assert_eq!(fief_refresh.set.access_token.as_deref(), Some("renewed"));
    assert!(!back("1").downgraded);
    assert!(back("unheard-of").downgraded, "a value the ladder cannot rank is not known to be as strong");
    let no_acr = refreshed(&old, Some(claims(json!({ "sub": "alice", "auth_time": 1000 }))), renewal(), &fief).unwrap();
    assert!(no_acr.downgraded);
}

#[test]
fn a_refresh_losing_an_amr_method_is_a_downgrade() {
    let auth0 = preset("auth0").unwrap();
    let mut old = set("x", 1000, "strong", None);
    old.claims.insert("amr".into(), json!(["pwd", "mfa"]));
    let back = |amr: Value| {
        refreshed(
            &old,
            Some(claims(json!({ "sub": "alice", "acr": "x", "auth_time": 1000, "amr": amr }))),
            renewal(),
            &auth0,
        )
        .unwrap()
    };
    assert!(back(json!(["pwd"])).downgraded);
    assert!(!back(json!(["mfa", "pwd"])).downgraded);
}

#[test]
fn amr_methods_compare_in_the_policys_names() {
    // WSO2 names the authenticators; the wso2 preset reads them as RFC 8176 names, so a refresh
    // that reports the same methods under either spelling loses nothing, and one that drops the
    // one-time code does.
    let wso2 = preset("wso2").unwrap();
    let mut old = set("LOA2", 1000, "strong", None);
    old.claims.insert("amr".into(), json!(["BasicAuthenticator", "totp"]));
    let back = |amr: Value, policy: &AcrPolicy| {
        let claims = claims(json!({ "sub": "alice", "acr": "LOA2", "auth_time": 1000, "amr": amr }));
        refreshed(&old, Some(claims), renewal(), policy).unwrap().downgraded
    };
    assert!(!back(json!(["pwd", "otp"]), &wso2));
    assert!(back(json!(["BasicAuthenticator"]), &wso2));
    assert!(back(json!(["pwd", "otp"]), &AcrPolicy::default()), "without a mapping the names differ");
}

#[test]
fn a_refresh_without_an_id_token_keeps_the_claims() {
    let fief = preset("fief").unwrap();
    let old = set("1", 1000, "strong", Some(1100));
    let result = refreshed(&old, None, renewal(), &fief).unwrap();
    assert_eq!((result.set.claims, result.downgraded), (old.claims, false));
}

#[test]
fn d27_a_refresh_never_changes_the_user_or_the_authentication_time() {
    let fief = preset("fief").unwrap();
    let old = set("1", 1000, "strong", Some(1100));
    let try_with = |value: Value| refreshed(&old, Some(claims(value)), renewal(), &fief).map_err(|e| e.code());
    assert_eq!(
        try_with(json!({ "sub": "mallory", "acr": "1", "auth_time": 1000 })),
        Err("ERR_JWT_CLAIM_VALIDATION_FAILED")
    );
    assert_eq!(
        try_with(json!({ "sub": "alice", "acr": "1", "auth_time": 1050 })),
        Err("ERR_JWT_CLAIM_VALIDATION_FAILED"),
        "no freshness gained by a refresh"
    );
    assert_eq!(
        try_with(json!({ "sub": "alice", "acr": "1", "auth_time": 1000.0 })).map(|r| r.downgraded),
        Ok(false),
        "the same time, written as a decimal"
    );
    let timeless = TokenSet { claims: claims(json!({ "sub": "alice", "acr": "1" })), ..old.clone() };
    let gained =
        refreshed(&timeless, Some(claims(json!({ "sub": "alice", "acr": "1", "auth_time": 1050 }))), renewal(), &fief);
    assert_eq!(
        gained.map_err(|e| e.code()).err(),
        Some("ERR_JWT_CLAIM_VALIDATION_FAILED"),
        "no time of authentication gained by a refresh"
    );
}

#[test]
fn debug_output_leaves_the_tokens_out() {
    let set =
        TokenSet { refresh_token: Some("refresh-Hk2mP7rT".into()), ..set("urn:mfa", 1_000, "access-Zq3vW9xK", None) };
    let refreshed = Refreshed { set: set.clone(), downgraded: false };
    for shown in [format!("{set:?}"), format!("{refreshed:?}")] {
        assert!(!shown.contains("access-Zq3vW9xK") && !shown.contains("refresh-Hk2mP7rT"), "{shown}");
        assert!(shown.contains("access_token: Some(<redacted>)") && shown.contains("urn:mfa"), "{shown}");
    }
}

#[test]
fn a_refresh_whose_claims_could_not_be_read_back_is_refused() {
    let fief = preset("fief").unwrap();
    let old = set("1", 1000, "strong", Some(1100));
    let mut deep = json!(1);
    for _ in 0..MAX_CLAIMS_DEPTH {
        deep = json!([deep]);
    }
    let e = refreshed(&old, Some(claims(json!({ "sub": "alice", "auth_time": 1000, "deep": deep }))), renewal(), &fief)
        .unwrap_err();
    assert_eq!(e.claim(), Some("claims"));
}

#[test]
fn x12_a_set_serves_only_the_api_it_was_issued_for_and_each_api_keeps_its_own() {
    let wso2 = preset("wso2").unwrap();
    let payments = Api { resource: Some("https://payments.example/".into()), audience: None };
    let admin = Api { resource: None, audience: Some("https://admin-api".into()) };
    let for_api =
        |api: &Api, acr: &str, token: &str| TokenSet { api: api.clone(), ..set(acr, 1000, token, Some(5000)) };
    let mut sets = Vec::new();
    keep(&mut sets, for_api(&payments, "LOA1", "payments-basic"), &wso2, 1000);
    keep(&mut sets, for_api(&admin, "LOA1", "admin-basic"), &wso2, 1000);
    assert_eq!(sets.len(), 2, "a set for another API at the same level replaces nothing");
    let pick = |sets: &[TokenSet], api: &Api| {
        weakest(sets, api, &Requirement::default(), &wso2, 1100).and_then(|s| s.access_token.clone())
    };
    assert_eq!(pick(&sets, &payments).as_deref(), Some("payments-basic"));
    assert_eq!(pick(&sets, &admin).as_deref(), Some("admin-basic"));
    assert_eq!(pick(&sets, &Api::default()), None, "no set was issued for no API");
    // The bound holds per API: a fifth level for payments drops payments' weakest, not admin's.
    for (i, acr) in ["LOA2", "LOA3", "LOA4", "LOA5"].iter().enumerate() {
        keep(&mut sets, TokenSet { api: payments.clone(), ..set(acr, 1001 + i as u64, acr, Some(5000)) }, &wso2, 1010);
    }
    assert_eq!(sets.iter().filter(|s| s.api == payments).count(), MAX_TOKEN_SETS);
    assert_eq!(pick(&sets, &admin).as_deref(), Some("admin-basic"), "another API's set stays");
    // A refresh is chosen only among the API's own sets, and renews the grant for that API.
    let mut old = for_api(&admin, "LOA1", "admin-old");
    old.refresh_token = Some("r1".into());
    old.expires_at = Some(900);
    let held = vec![old.clone()];
    assert!(refreshable(&held, &payments, &Requirement::default(), &wso2, 1000).is_none());
    assert!(refreshable(&held, &admin, &Requirement::default(), &wso2, 1000).is_some());
    let renewed = refreshed(&old, None, renewal(), &wso2).unwrap();
    assert_eq!(renewed.set.api, admin);
    // As stored and read back.
    let stored = for_api(&payments, "LOA1", "t");
    assert_eq!(TokenSet::from_json(&stored.to_json(), "").unwrap(), stored);
    assert_eq!(stored.to_json()["resource"], "https://payments.example/");
}

#[test]
fn x13_a_refresh_keeps_the_sign_ins_nonce_when_its_id_token_carries_none() {
    let wso2 = preset("wso2").unwrap();
    let mut old = set("LOA2", 1000, "a", Some(900));
    old.claims.insert("nonce".into(), "n-of-the-sign-in".into());
    old.refresh_token = Some("r1".into());
    let Value::Object(claims) = json!({ "sub": "alice", "acr": "LOA2", "auth_time": 1000 }) else { unreachable!() };
    let renewed = refreshed(&old, Some(claims), renewal(), &wso2).unwrap();
    assert_eq!(renewed.set.claims.get("nonce"), Some(&Value::from("n-of-the-sign-in")));
}
