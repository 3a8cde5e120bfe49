use serde_json::json;

use super::*;
use crate::options::FromJson;

fn s(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn policy(value: serde_json::Value) -> AcrPolicy {
    let policy = AcrPolicy::from_json(&value, "").unwrap();
    policy.check().unwrap();
    policy
}

fn sat(actual: Option<&str>, required: &[&str], policy: &AcrPolicy) -> bool {
    acr_satisfies(actual, &s(required), policy)
}

/// Every rung satisfies itself and every rung below it, and nothing above it (minimum).
fn assert_ordered(name: &str, ladder: &[&[&str]]) {
    let p = preset(name).unwrap();
    p.check().unwrap();
    let flat: Vec<&[&str]> = ladder.to_vec();
    assert_eq!(p.ladder, rungs(ladder), "{name}");
    for (i, lower) in flat.iter().enumerate() {
        for (j, upper) in flat.iter().enumerate() {
            for a in upper.iter() {
                for r in lower.iter() {
                    assert_eq!(sat(Some(a), &[r], &p), j >= i, "{name}: {a} for {r}");
                }
            }
        }
    }
}

#[test]
fn every_preset_is_valid_and_ordered() {
    assert_ordered("fief", &[&["0"], &["1"]]);
    assert_ordered("auth0", &[&[PAPE_NONE], &[PAPE_MULTI_FACTOR], &[PAPE_MULTI_FACTOR_PHYSICAL]]);
    assert_ordered(
        "wso2",
        &[
            &["urn:oasis:names:tc:SAML:2.0:ac:classes:Password", "LOA1"],
            &["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport", "LOA2"],
            &[
                "urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos",
                "urn:oasis:names:tc:SAML:2.0:classes:Kerberos",
                "urn:federation:authentication:windows",
            ],
            &[
                "urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient",
                "urn:oasis:names:tc:SAML:2.0:ac:classes:X509",
                "LOA3",
            ],
        ],
    );
    assert_ordered(
        "janssen",
        &[
            &["default_password_auth"],
            &["basic"],
            &["basic_lock"],
            &["cert"],
            &["otp", "yubicloud"],
            &["smpp"],
            &["duo", "twilio_sms"],
            &["super_gluu"],
            &["fido2"],
        ],
    );
    assert_ordered(
        "eidas",
        &[
            &["http://eidas.europa.eu/LoA/low"],
            &["http://eidas.europa.eu/LoA/substantial"],
            &["http://eidas.europa.eu/LoA/high"],
        ],
    );
    assert_ordered(
        "nist",
        &[
            &["http://idmanagement.gov/ns/assurance/aal/1"],
            &["http://idmanagement.gov/ns/assurance/aal/2"],
            &["http://idmanagement.gov/ns/assurance/aal/3"],
        ],
    );
    assert_ordered("phr", &[&["phr"], &["phrh"]]);
    for name in PRESETS {
        let p = preset(name).unwrap();
        assert_eq!(p.comparison, Comparison::Minimum, "{name}");
        // A preset survives the JSON round trip a JavaScript caller puts it through.
        let back = AcrPolicy::from_json(&p.to_json(), "").unwrap();
        assert_eq!(back, p, "{name}");
    }
}

#[test]
fn unknown_preset_is_a_caller_mistake() {
    for name in ["", "FIEF", "okta", "fief "] {
        let err = preset(name).unwrap_err();
        assert_eq!((err.code(), err.param()), ("ERR_INVALID_ARG_VALUE", Some("name")), "{name:?}");
    }
}

#[test]
fn off_ladder_variants_match_only_themselves() {
    // login.gov's phishing-resistant AAL2 must not be met by a plain AAL2 (or AAL3) token.
    let nist = preset("nist").unwrap();
    let pr = "http://idmanagement.gov/ns/assurance/aal/2?phishing_resistant=true";
    assert!(!sat(Some("http://idmanagement.gov/ns/assurance/aal/2"), &[pr], &nist));
    assert!(!sat(Some("http://idmanagement.gov/ns/assurance/aal/3"), &[pr], &nist));
    assert!(sat(Some(pr), &[pr], &nist));
    assert!(!sat(Some(pr), &["http://idmanagement.gov/ns/assurance/aal/1"], &nist));
    // PAPE phishing-resistant is independent of the factor count.
    let auth0 = preset("auth0").unwrap();
    assert!(!sat(Some(PAPE_PHISHING_RESISTANT), &[PAPE_MULTI_FACTOR], &auth0));
    assert!(!sat(Some(PAPE_MULTI_FACTOR_PHYSICAL), &[PAPE_PHISHING_RESISTANT], &auth0));
    // Fief levels it does not know yet are not assumed stronger.
    assert!(!sat(Some("2"), &["1"], &preset("fief").unwrap()));
}

#[test]
fn e08_numeric_levels_rank_by_magnitude_never_lexically() {
    let p = AcrPolicy::default();
    for (actual, required, expected) in [
        ("10", "2", true),
        ("2", "10", false),
        ("1", "0", true),
        ("0", "1", false),
        ("3", "3", true),
        ("100", "99", true),
        ("99", "100", false),
        ("010", "9", true), // leading zeros do not make a number larger or smaller
        ("9", "010", false),
        ("00", "0", true),
        ("18446744073709551616000", "18446744073709551615", true), // beyond u64
        ("-1", "0", false),                                        // not digits: exact only
        ("1.5", "1", false),
        (" 2", "1", false),
        ("2 ", "1", false),
        ("２", "1", false), // fullwidth digit
        ("", "0", false),
    ] {
        assert_eq!(sat(Some(actual), &[required], &p), expected, "{actual:?} for {required:?}");
    }
}

#[test]
fn e08_acr_matching_is_exact() {
    for p in [AcrPolicy::default(), policy(json!({ "ladder": ["urn:pwd", "urn:mfa"] }))] {
        for actual in ["urn:mfa ", " urn:mfa", "URN:MFA", "urn:MFA", "urn:mfa:weak", "urn:mf", "urn:mfa\0"] {
            assert!(!sat(Some(actual), &["urn:mfa"], &p), "{actual:?}");
        }
        assert!(sat(Some("urn:mfa"), &["urn:mfa"], &p));
    }
}

#[test]
fn e06_missing_or_empty_acr_satisfies_nothing() {
    let p = AcrPolicy::default();
    assert!(!sat(None, &["0"], &p));
    assert!(!sat(Some(""), &[""], &p));
    assert!(!sat(Some("urn:mfa"), &[], &p));
    let on_ladder = policy(json!({ "ladder": ["a", "b"], "comparison": "maximum" }));
    assert!(!sat(None, &["b"], &on_ladder));
}

#[test]
fn any_required_value_is_enough() {
    let p = policy(json!({ "ladder": ["a", "b", "c"], "comparison": "exact" }));
    assert!(sat(Some("b"), &["c", "b"], &p));
    assert!(!sat(Some("b"), &["a", "c"], &p));
}

/// SAML 2.0 core §3.3.2.2.1 for every comparison, on `a` < `[b, b2]` < `c` with `x`, `y` off the
/// ladder.
#[test]
fn saml_comparison_truth_tables() {
    let table: [(&str, &str, [bool; 4]); 16] = [
        //                 exact  minimum better maximum
        ("a", "a", [true, true, false, true]),
        ("b", "a", [false, true, true, false]),
        ("c", "a", [false, true, true, false]),
        ("a", "b", [false, false, false, true]),
        ("b", "b", [true, true, false, true]),
        ("b2", "b", [true, true, false, true]), // same rung
        ("c", "b", [false, true, true, false]),
        ("a", "c", [false, false, false, true]),
        ("b2", "c", [false, false, false, true]),
        ("c", "c", [true, true, false, true]),
        ("x", "x", [true, true, false, true]), // off the ladder: only itself
        ("x", "a", [false, false, false, false]),
        ("c", "x", [false, false, false, false]),
        ("x", "y", [false, false, false, false]),
        ("A", "a", [false, false, false, false]),
        ("1", "0", [false, false, false, false]), // digits are not numbers when a ladder exists
    ];
    for (i, comparison) in ["exact", "minimum", "better", "maximum"].into_iter().enumerate() {
        let p = policy(json!({ "ladder": ["a", ["b", "b2"], "c"], "comparison": comparison }));
        for (actual, required, expected) in table {
            assert_eq!(sat(Some(actual), &[required], &p), expected[i], "{comparison}: {actual} for {required}");
        }
    }
}

#[test]
fn numeric_exact_is_textual_and_numeric_maximum_works() {
    let exact = policy(json!({ "comparison": "exact" }));
    assert!(sat(Some("1"), &["1"], &exact));
    assert!(!sat(Some("01"), &["1"], &exact));
    let maximum = policy(json!({ "comparison": "maximum" }));
    assert!(sat(Some("2"), &["10"], &maximum));
    assert!(!sat(Some("10"), &["2"], &maximum));
    assert!(!sat(Some("abc"), &["10"], &maximum));
    assert!(sat(Some("abc"), &["abc"], &maximum));
    let better = policy(json!({ "comparison": "better" }));
    assert!(sat(Some("10"), &["9"], &better));
    assert!(!sat(Some("9"), &["9"], &better));
    assert!(!sat(Some("09"), &["9"], &better));
}

#[test]
fn compare_orders_ranked_values_only() {
    let p = preset("eidas").unwrap();
    let high = "http://eidas.europa.eu/LoA/high";
    assert_eq!(p.compare(high, "http://eidas.europa.eu/LoA/low"), Some(Ordering::Greater));
    assert_eq!(p.compare(high, "other"), None);
    assert_eq!(AcrPolicy::default().compare("10", "9"), Some(Ordering::Greater));
}

#[test]
fn policies_read_from_json_and_refuse_unknown_fields() {
    let p = policy(json!({ "ladder": ["a", ["b", "c"]], "comparison": "better" }));
    assert_eq!(p.ladder, vec![Rung(s(&["a"])), Rung(s(&["b", "c"]))]);
    assert_eq!(p.comparison, Comparison::Better);
    assert_eq!(policy(json!({})), AcrPolicy::default());
    assert_eq!(p.to_json(), json!({ "ladder": ["a", ["b", "c"]], "comparison": "better" }));
    for bad in [
        json!({ "ladder": ["a"], "comparision": "exact" }),
        json!({ "comparison": "Minimum" }),
        json!({ "comparison": "at-least" }),
        json!({ "ladder": "a" }),
        json!({ "ladder": [1] }),
        json!({ "ladder": [["a", 2]] }),
        json!({ "ladder": [null] }),
        json!({ "amrLevels": [{ "acr": "a", "all": ["x"], "extra": 1 }] }),
        json!("fief"),
    ] {
        assert!(AcrPolicy::from_json(&bad.clone(), "").is_err(), "{bad}");
    }
}

#[test]
fn check_refuses_ambiguous_ladders() {
    for (bad, param) in [
        (json!({ "ladder": ["a", []] }), "policy.ladder[1]"),
        (json!({ "ladder": [""] }), "policy.ladder[0]"),
        (json!({ "ladder": ["a", ["b", ""]] }), "policy.ladder[1][1]"),
        (json!({ "ladder": ["a", "b", "a"] }), "policy.ladder[2]"),
        (json!({ "ladder": ["a", ["b", "a"]] }), "policy.ladder[1][1]"),
        (json!({ "ladder": [["a", "a"]] }), "policy.ladder[0][1]"),
        (json!({ "ladder": ["urn:mfa "] }), "policy.ladder[0]"),
        (json!({ "ladder": ["a b"] }), "policy.ladder[0]"),
        (json!({ "ladder": ["é"] }), "policy.ladder[0]"),
        (json!({ "amrLevels": [{ "acr": "a" }] }), "policy.amrLevels[0]"),
        (json!({ "amrLevels": [{ "acr": "", "any": ["mfa"] }] }), "policy.amrLevels[0].acr"),
        (json!({ "amrLevels": [{ "acr": "a", "any": [""] }] }), "policy.amrLevels[0].any[0]"),
        (json!({ "amrLevels": [{ "acr": "a", "all": ["x", "x"] }] }), "policy.amrLevels[0].all[1]"),
    ] {
        let p = AcrPolicy::from_json(&bad.clone(), "").unwrap();
        let err = p.check().unwrap_err();
        assert_eq!((err.code(), err.param()), ("ERR_INVALID_ARG_VALUE", Some(param)), "{bad}");
    }
    let err = policy(json!({})).check_at("STEPUP_ACR_POLICY");
    assert!(err.is_ok());
    let p = AcrPolicy::from_json(&json!({ "ladder": [[]] }), "").unwrap();
    assert_eq!(p.check_at("STEPUP_ACR_POLICY").unwrap_err().param(), Some("STEPUP_ACR_POLICY.ladder[0]"));
}

#[test]
fn amr_levels_lift_tokens_under_minimum_and_better_only() {
    let auth0 = preset("auth0").unwrap();
    let mfa = [PAPE_MULTI_FACTOR.to_string()];
    assert!(auth0.token_satisfies(None, Some(&json!(["pwd", "mfa"])), &mfa));
    assert!(auth0.token_satisfies(Some(PAPE_NONE), Some(&json!(["mfa"])), &mfa));
    assert!(auth0.token_satisfies(Some(PAPE_MULTI_FACTOR), None, &mfa));
    for amr in [json!(["pwd"]), json!(["MFA"]), json!("mfa"), json!([]), json!(null), json!({ "mfa": true })] {
        assert!(!auth0.token_satisfies(None, Some(&amr), &mfa), "{amr}");
    }
    assert!(!auth0.token_satisfies(None, None, &mfa));
    // A derived value is a lower bound: not above multi-factor-physical.
    assert!(!auth0.token_satisfies(None, Some(&json!(["mfa"])), &[PAPE_MULTI_FACTOR_PHYSICAL.into()]));
    assert_eq!(auth0.derived_acrs(Some(&json!(["mfa"]))), vec![PAPE_MULTI_FACTOR]);

    let levels = json!([{ "acr": "phrh", "all": ["hwk", "pin"] }]);
    let minimum = policy(json!({ "ladder": ["phr", "phrh"], "amrLevels": levels }));
    assert!(minimum.token_satisfies(Some("pwd"), Some(&json!(["pin", "hwk"])), &s(&["phr"])));
    assert!(!minimum.token_satisfies(Some("pwd"), Some(&json!(["hwk"])), &s(&["phr"])));
    let better = policy(json!({ "ladder": ["phr", "phrh"], "comparison": "better", "amrLevels": levels }));
    assert!(better.token_satisfies(None, Some(&json!(["hwk", "pin"])), &s(&["phr"])));
    assert!(!better.token_satisfies(None, Some(&json!(["hwk", "pin"])), &s(&["phrh"])));
    for comparison in ["exact", "maximum"] {
        let p = policy(json!({ "ladder": ["phr", "phrh"], "comparison": comparison, "amrLevels": levels }));
        assert!(!p.token_satisfies(None, Some(&json!(["hwk", "pin"])), &s(&["phrh"])), "{comparison}");
        assert!(p.token_satisfies(Some("phrh"), None, &s(&["phrh"])), "{comparison}");
    }
}

#[test]
fn select_acr_from_goes_by_configured_order_where_select_strongest_acr_ranks() {
    // WSO2's SelectAcrFromFunction keeps the lowest configured index among the requested values.
    let wso2 = preset("wso2").unwrap();
    let (requested, configured) = (s(&["LOA3", "LOA1"]), s(&["LOA1", "LOA2", "LOA3"]));
    assert_eq!(select_acr_from(&requested, &configured).as_deref(), Some("LOA1"));
    assert_eq!(select_strongest_acr(&requested, &configured, &wso2).as_deref(), Some("LOA3"));
    assert_eq!(select_acr_from(&[], &configured), None, "nothing requested selects nothing");
}

#[test]
fn select_strongest_acr_follows_wso2_select_acr_from() {
    let wso2 = preset("wso2").unwrap();
    // seeds/wso2-acr-amr.md: the SAML request asks for windows, pwd, LOA2; the script supports
    // Kerberos (WSO2 spelling), Password and windows; windows is returned.
    let requested = s(&["urn:federation:authentication:windows", "pwd", "LOA2"]);
    let supported = s(&[
        "urn:oasis:names:tc:SAML:2.0:classes:Kerberos",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
        "urn:federation:authentication:windows",
    ]);
    assert_eq!(
        select_strongest_acr(&requested, &supported, &wso2).as_deref(),
        Some("urn:federation:authentication:windows")
    );
    let cases: [(&[&str], &[&str], Option<&str>); 9] = [
        // The strongest wins whatever the order of either list.
        (&["LOA1", "LOA3", "LOA2"], &["LOA1", "LOA2", "LOA3"], Some("LOA3")),
        (&["LOA3", "LOA1"], &["LOA3", "LOA1"], Some("LOA3")),
        // Ties go to the first in supported order.
        (
            &["urn:federation:authentication:windows", "urn:oasis:names:tc:SAML:2.0:classes:Kerberos"],
            &["urn:oasis:names:tc:SAML:2.0:classes:Kerberos", "urn:federation:authentication:windows"],
            Some("urn:oasis:names:tc:SAML:2.0:classes:Kerberos"),
        ),
        (
            &["LOA2", "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"],
            &["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport", "LOA2"],
            Some("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"),
        ),
        // A ranked common value beats an unranked one listed first.
        (&["pwd", "LOA1"], &["pwd", "LOA1"], Some("LOA1")),
        // Only unranked values in common: the first in supported order.
        (&["pwd", "custom"], &["custom", "pwd"], Some("custom")),
        // Nothing in common.
        (&["LOA3"], &["LOA1", "LOA2"], None),
        (&[], &["LOA1"], None),
        (&["LOA1"], &[], None),
    ];
    for (requested, supported, expected) in cases {
        assert_eq!(
            select_strongest_acr(&s(requested), &s(supported), &wso2).as_deref(),
            expected,
            "{requested:?} / {supported:?}"
        );
    }
    // Numeric without a ladder.
    let p = AcrPolicy::default();
    assert_eq!(select_strongest_acr(&s(&["2", "10", "x"]), &s(&["x", "2", "10"]), &p).as_deref(), Some("10"));
}

fn resolve(value: serde_json::Value, policy: &AcrPolicy) -> Vec<String> {
    let r = AcrResolution::from_json(&value, "").unwrap();
    r.check().unwrap();
    resolve_acr_values(&r, policy)
}

#[test]
fn resolve_acr_values_follows_janssen_precedence() {
    let p = preset("janssen").unwrap();
    let all = json!({
        "requested": ["otp", "basic"],
        "clientDefault": ["fido2"],
        "serverDefault": "super_gluu",
        "fallback": { "useHighestLevel": true },
    });
    // 1. The request wins, in its own order.
    assert_eq!(resolve(all.clone(), &p), s(&["otp", "basic"]));
    // 2. Then the client's default_acr_values.
    assert_eq!(
        resolve(json!({ "requested": [], "clientDefault": ["fido2", "otp"], "serverDefault": "basic" }), &p),
        s(&["fido2", "otp"])
    );
    // 3. Then the server default (one value or a list).
    assert_eq!(resolve(json!({ "serverDefault": "basic" }), &p), s(&["basic"]));
    assert_eq!(resolve(json!({ "serverDefault": ["basic", "otp"] }), &p), s(&["basic", "otp"]));
    // 4. Then the strongest supported value, when asked for.
    assert_eq!(
        resolve(json!({ "supported": ["basic", "fido2", "otp"], "fallback": { "useHighestLevel": true } }), &p),
        s(&["fido2"])
    );
    // 5. Then the internal ACR.
    assert_eq!(resolve(json!({ "fallback": {} }), &p), s(&["default_password_auth"]));
    assert_eq!(
        resolve(json!({ "supported": ["basic"], "fallback": { "useHighestLevel": false } }), &p),
        s(&["default_password_auth"])
    );
    assert_eq!(
        resolve(json!({ "fallback": { "internalAcr": "simple_password_auth" } }), &p),
        s(&["simple_password_auth"])
    );
    // Without a fallback nothing applies.
    assert_eq!(resolve(json!({}), &p), Vec::<String>::new());
}

#[test]
fn resolve_acr_values_filters_each_stage_by_supported() {
    let p = preset("janssen").unwrap();
    let supported = json!(["basic", "otp", "super_gluu"]);
    // Unsupported requested values are dropped, the rest keep their order.
    assert_eq!(
        resolve(json!({ "requested": ["fido2", "otp", "basic", "otp"], "supported": supported }), &p),
        s(&["otp", "basic"])
    );
    // A stage left empty falls through to the next one.
    assert_eq!(
        resolve(json!({ "requested": ["fido2"], "clientDefault": ["cert", "otp"], "supported": supported }), &p),
        s(&["otp"])
    );
    assert_eq!(
        resolve(
            json!({ "requested": ["fido2"], "clientDefault": ["cert"], "serverDefault": "super_gluu", "supported": supported }),
            &p
        ),
        s(&["super_gluu"])
    );
    assert_eq!(
        resolve(
            json!({ "requested": ["fido2"], "serverDefault": "cert", "supported": supported, "fallback": { "useHighestLevel": true } }),
            &p
        ),
        s(&["super_gluu"])
    );
    // The highest level only considers ranked values; unranked ones fall through to internal.
    assert_eq!(
        resolve(json!({ "supported": ["custom_script"], "fallback": { "useHighestLevel": true } }), &p),
        s(&["default_password_auth"])
    );
    // An empty supported list filters everything out.
    assert_eq!(
        resolve(json!({ "requested": ["otp"], "supported": [], "fallback": {} }), &p),
        s(&["default_password_auth"])
    );
    // Without supported nothing is filtered, only repeats.
    assert_eq!(resolve(json!({ "requested": ["x", "x", "y"] }), &p), s(&["x", "y"]));
}

#[test]
fn resolution_options_are_checked() {
    for (bad, param) in [
        (json!({ "requested": [""] }), "requested[0]"),
        (json!({ "clientDefault": ["a", "b c"] }), "clientDefault[1]"),
        (json!({ "serverDefault": "é" }), "serverDefault[0]"),
        (json!({ "supported": ["a\n"] }), "supported[0]"),
        (json!({ "fallback": { "internalAcr": "" } }), "fallback.internalAcr"),
    ] {
        let r = AcrResolution::from_json(&bad.clone(), "").unwrap();
        let err = r.check().unwrap_err();
        assert_eq!((err.code(), err.param()), ("ERR_INVALID_ARG_VALUE", Some(param)), "{bad}");
    }
    for bad in [
        json!({ "request": ["a"] }),
        json!({ "fallback": { "useHighest": true } }),
        json!({ "fallback": true }),
        json!({ "requested": "a" }),
    ] {
        assert!(AcrResolution::from_json(&bad.clone(), "").is_err(), "{bad}");
    }
}

#[test]
fn acr_lists_read_one_or_many() {
    let one = AcrList::from_json(&json!("a"), "").unwrap();
    let many = AcrList::from_json(&json!(["a", "b"]), "").unwrap();
    assert_eq!((one.0, many.0.clone()), (s(&["a"]), s(&["a", "b"])));
    for bad in [json!(1), json!(null), json!([1]), json!({})] {
        assert!(AcrList::from_json(&bad.clone(), "").is_err(), "{bad}");
    }
}
