use serde_json::json;

use super::*;
use crate::options::FromJson;

fn s(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn req(all: &[&str], any: &[&str]) -> AmrRequirement {
    AmrRequirement { all: s(all), any: s(any) }
}

#[test]
fn e09_amr_that_is_not_an_array_of_strings_satisfies_nothing() {
    let mfa = req(&["mfa"], &[]);
    let any_mfa = req(&[], &["mfa"]);
    for amr in [
        json!("mfa"),
        json!([1]),
        json!([]),
        json!(null),
        json!({ "0": "mfa" }),
        json!(true),
        json!(["mfa,otp"]),
        json!([["mfa"]]),
        json!([{ "mfa": true }]),
    ] {
        assert!(!amr_satisfies(Some(&amr), &mfa), "{amr}");
        assert!(!amr_satisfies(Some(&amr), &any_mfa), "{amr}");
    }
    assert!(!amr_satisfies(None, &mfa));
    // Non-string elements are skipped, not fatal.
    assert!(amr_satisfies(Some(&json!([1, null, "mfa"])), &mfa));
}

#[test]
fn e10_amr_elements_match_exactly() {
    let mfa = req(&["mfa"], &[]);
    for amr in [json!(["pwd"]), json!(["MFA"]), json!(["pwd", "otp"]), json!(["mfa "]), json!([" mfa"])] {
        assert!(!amr_satisfies(Some(&amr), &mfa), "{amr}");
    }
    assert!(amr_satisfies(Some(&json!(["pwd", "mfa"])), &mfa));
    // With an explicit mapping otp counts as mfa.
    let mapping =
        MethodMapping { mapping: [("otp".to_string(), "mfa".to_string())].into(), ..MethodMapping::default() };
    let mapped = map_authentication_methods(&s(&["pwd", "otp"]), &mapping);
    assert!(amr_satisfies(Some(&json!(mapped)), &mfa));
}

#[test]
fn all_and_any_combine() {
    let amr = json!(["pwd", "otp", "hwk"]);
    let table: [(&[&str], &[&str], bool); 10] = [
        (&["pwd"], &[], true),
        (&["pwd", "otp"], &[], true),
        (&["pwd", "sms"], &[], false),
        (&[], &["sms", "otp"], true),
        (&[], &["sms", "face"], false),
        (&["pwd"], &["sms", "hwk"], true),
        (&["pwd"], &["sms"], false),
        (&["face"], &["otp"], false),
        (&[], &[], true),
        (&["pwd", "otp", "hwk"], &["hwk"], true),
    ];
    for (all, any, expected) in table {
        assert_eq!(amr_satisfies(Some(&amr), &req(all, any)), expected, "{all:?} {any:?}");
    }
}

#[test]
fn empty_requirement_is_satisfied_by_anything() {
    let empty = AmrRequirement::default();
    assert!(empty.is_empty());
    for amr in [None, Some(json!(null)), Some(json!("x")), Some(json!([]))] {
        assert!(amr_satisfies(amr.as_ref(), &empty), "{amr:?}");
    }
}

#[test]
fn requirements_are_checked_and_read_strictly() {
    let r = AmrRequirement::from_json(&json!({ "any": ["mfa"] }), "").unwrap();
    assert_eq!(r, req(&[], &["mfa"]));
    r.check_at("amr").unwrap();
    for (bad, param) in [
        (req(&[""], &[]), "amr.all[0]"),
        (req(&[], &["otp", "mfa "]), "amr.any[1]"),
        (req(&["a b"], &[]), "amr.all[0]"),
        (req(&["pwd", "pwd"], &[]), "amr.all[1]"),
    ] {
        let err = bad.check_at("amr").unwrap_err();
        assert_eq!((err.code(), err.param()), ("ERR_INVALID_ARG_VALUE", Some(param)), "{bad:?}");
    }
    for bad in [json!({ "one": ["mfa"] }), json!({ "all": "mfa" }), json!({ "any": [1] })] {
        assert!(AmrRequirement::from_json(&bad.clone(), "").is_err(), "{bad}");
    }
}

#[test]
fn wso2_method_refs_translate_exclude_and_dedupe() {
    // seeds/wso2-acr-amr.md: SMSOTP → sms, EmailOTP → otp, BasicAuthenticator excluded.
    let mapping = MethodMapping::from_json(
        &json!({
            "mapping": { "SMSOTP": "sms", "EmailOTP": "otp" },
            "excluded": ["BasicAuthenticator", "AuthenticationMethodToBeIgnored"],
        }),
        "",
    )
    .unwrap();
    let table: [(&[&str], &[&str]); 7] = [
        (&["BasicAuthenticator", "SMSOTP"], &["sms"]),
        (&["EmailOTP", "SMSOTP", "DemoFingerprintAuthenticator"], &["otp", "sms", "DemoFingerprintAuthenticator"]),
        (&["SMSOTP", "sms", "SMSOTP"], &["sms"]),
        (&["otp", "EmailOTP"], &["otp"]),
        (&["AuthenticationMethodToBeIgnored"], &[]),
        (&["smsotp"], &["smsotp"]), // names are case-sensitive
        (&[], &[]),
    ];
    for (methods, expected) in table {
        assert_eq!(map_authentication_methods(&s(methods), &mapping), s(expected), "{methods:?}");
    }
    // Exclusion is by authenticator name and wins over a mapping.
    let both = MethodMapping { mapping: [("X".to_string(), "otp".to_string())].into(), excluded: s(&["X"]) };
    assert_eq!(map_authentication_methods(&s(&["X", "pwd"]), &both), s(&["pwd"]));
    assert!(MethodMapping::from_json(&json!({ "map": {} }), "").is_err());
    assert!(MethodMapping::from_json(&json!({ "mapping": { "a": 1 } }), "").is_err());
}
