use super::*;
use crate::acr::{preset, AcrList};
use serde_json::json;

fn set(acr: &str, auth_time: u64, token: &str, expires_at: Option<u64>) -> TokenSet {
    let claims = json!({ "sub": "alice", "acr": acr, "auth_time": auth_time });
    let Value::Object(claims) = claims else { unreachable!() };
    TokenSet { claims, access_token: Some(token.into()), expires_at }
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
    let pick = |r: &Requirement| weakest(&sets, r, &wso2, 1200).and_then(|s| s.access_token.clone());
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
    assert!(weakest(&sets, &fresh, &wso2, 1200).is_some());
    assert!(weakest(&sets, &fresh, &wso2, 1400).is_none(), "older than maxAge + tolerance");
    assert_eq!(sets[0].remaining(&fresh, 1200), Some(130));
    assert_eq!(sets[0].remaining(&Requirement::default(), 1200), Some(7800));
    assert!(weakest(&sets, &Requirement::default(), &wso2, 9000).is_none(), "expired");
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
