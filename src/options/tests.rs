use serde_json::{json, Value};

use super::*;
use crate::acr::{AcrPolicy, AcrResolution};
use crate::amr::AmrRequirement;
use crate::step_up::{ChallengeParams, Requirement};

/// The message a JavaScript caller sees for `value` read as `T` at the top of an argument.
fn message<T: FromJson>(value: Value) -> String {
    match T::from_json(&value, "") {
        Ok(_) => panic!("{value} was accepted"),
        Err(e) => e.to_string(),
    }
}

/// Words of Rust's types or serde's messages, which a JavaScript caller should never read.
const RUST_WORDS: [&str; 21] = [
    "sequence",
    "map",
    "struct",
    "variant",
    "u8",
    "u16",
    "u32",
    "u64",
    "i8",
    "i16",
    "i32",
    "i64",
    "f32",
    "f64",
    "usize",
    "invalid type",
    "expected",
    "Option<",
    "Vec<",
    "bool",
    "integer",
];

fn assert_javascript_words(message: &str) {
    for word in RUST_WORDS {
        assert!(!message.contains(word), "{message:?} says {word:?}");
    }
}

#[test]
fn each_mistake_names_the_path_in_javascript_words() {
    let cases: Vec<(String, &str)> = vec![
        (message::<ChallengeParams>(json!({ "acrValues": ["a", 5] })), r#""acrValues[1]" must be a string"#),
        (message::<ChallengeParams>(json!({ "acrValues": 5 })), r#""acrValues" must be an array of strings"#),
        (message::<ChallengeParams>(json!({ "maxAge": -1 })), r#""maxAge": must be a whole number ≥ 0"#),
        (message::<ChallengeParams>(json!({ "maxAge": 1.5 })), r#""maxAge": must be a whole number ≥ 0"#),
        (message::<ChallengeParams>(json!({ "maxAge": "300" })), r#""maxAge" must be a whole number ≥ 0"#),
        (
            message::<AcrResolution>(json!({ "fallback": true })),
            r#""fallback" must be an object { useHighestLevel?, internalAcr? }"#,
        ),
        (
            message::<AcrResolution>(json!({ "fallback": { "internalAcr": 1 } })),
            r#""fallback.internalAcr" must be a string"#,
        ),
        (
            message::<AcrResolution>(json!({ "fallback": { "useHighestLevel": "yes" } })),
            r#""fallback.useHighestLevel" must be true or false"#,
        ),
        (
            message::<AcrResolution>(json!({ "serverDefault": 5 })),
            r#""serverDefault" must be a string or an array of strings"#,
        ),
        (message::<Requirement>(json!({ "amr": { "all": [1] } })), r#""amr.all[0]" must be a string"#),
        (message::<Requirement>(json!({ "acr": 5 })), r#""acr" must be a string or an array of strings"#),
        (
            message::<AcrPolicy>(json!({ "comparison": "atleast" })),
            r#""comparison": must be one of "exact", "minimum", "better", "maximum""#,
        ),
        (
            message::<AcrPolicy>(json!({ "comparison": 1 })),
            r#""comparison" must be one of "exact", "minimum", "better", "maximum""#,
        ),
        (message::<AcrPolicy>(json!({ "ladder": [1] })), r#""ladder[0]" must be a string or an array of strings"#),
        (message::<AcrPolicy>(json!({ "ladder": [["a", 1]] })), r#""ladder[0][1]" must be a string"#),
        (message::<AcrPolicy>(json!({ "amrLevels": [{ "all": ["otp"] }] })), r#""amrLevels[0].acr" must be present"#),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
        assert_javascript_words(&got);
    }
}

#[test]
fn unknown_keys_are_refused_at_their_path() {
    assert_eq!(message::<Requirement>(json!({ "maxage": 5 })), r#""maxage": is not a known option"#);
    assert_eq!(message::<Requirement>(json!({ "amr": { "one": ["otp"] } })), r#""amr.one": is not a known option"#);
    assert_eq!(
        message::<AcrResolution>(json!({ "fallback": { "internal": "x" } })),
        r#""fallback.internal": is not a known option"#
    );
    let e = Requirement::from_json(&json!({ "acr": "a", "x": 1 }), "STEPUP_RULES[2]").unwrap_err();
    assert_eq!((e.code(), e.param()), ("ERR_INVALID_ARG_VALUE", Some("STEPUP_RULES[2].x")));
}

#[test]
fn no_shape_is_read_as_another() {
    // `amr` is `{ all?, any? }`: a list of lists is a mistake, not `{ all: [...] }`.
    assert_eq!(message::<Requirement>(json!({ "amr": [["otp"]] })), r#""amr" must be an object { all?, any? }"#);
    assert_eq!(message::<Requirement>(json!({ "amr": ["otp"] })), r#""amr" must be an object { all?, any? }"#);
    assert_eq!(message::<AmrRequirement>(json!(["otp"])), r#""" must be an object { all?, any? }"#);
    // A string where a list of strings is meant is not a one-element list (only `acr` says so).
    assert_eq!(message::<ChallengeParams>(json!({ "acrValues": "a" })), r#""acrValues" must be an array of strings"#);
    // Numbers are never strings, nor strings numbers or booleans.
    assert_eq!(message::<AcrResolution>(json!({ "requested": [1] })), r#""requested[0]" must be a string"#);
    assert_eq!(
        message::<AcrResolution>(json!({ "fallback": { "useHighestLevel": 1 } })),
        r#""fallback.useHighestLevel" must be true or false"#
    );
}

#[test]
fn absent_members_are_unset_and_a_requirement_stated_null_is_refused() {
    let r = Requirement::from_json(&json!({}), "").unwrap();
    assert_eq!(r, Requirement::default());
    // `acr: null` in a rule would otherwise silently ask for nothing.
    for member in ["acr", "amr", "maxAge"] {
        let m = message::<Requirement>(json!({ member: null }));
        assert!(m.contains(&format!("\"{member}\"")) && m.contains("not null"), "{m}");
        assert_javascript_words(&m);
    }
    let r = Requirement::from_json(&json!({ "acr": "urn:mfa", "amr": { "any": ["otp"] }, "maxAge": 300 }), "").unwrap();
    assert_eq!(r.to_json(), json!({ "acr": ["urn:mfa"], "amr": { "any": ["otp"] }, "maxAge": 300 }));
}

#[test]
fn one_of_reads_the_meaning() {
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Mode {
        AtLeast,
        Exact,
    }
    let choices = [("atLeast", Mode::AtLeast), ("exact", Mode::Exact)];
    assert_eq!(one_of(&json!("exact"), "mode", &choices).unwrap(), Mode::Exact);
    assert_eq!(one_of(&json!("atLeast"), "mode", &choices).unwrap(), Mode::AtLeast);
    let e = one_of(&json!("atleast"), "mode", &choices).unwrap_err();
    assert_eq!(e.to_string(), r#""mode": must be one of "atLeast", "exact""#);
    assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE");
    let e = one_of(&json!(5), "mode", &choices).unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().as_str()),
        ("ERR_INVALID_ARG_TYPE", r#""mode" must be one of "atLeast", "exact""#)
    );
}

#[test]
fn required_members_must_be_present() {
    let e = crate::callback::ResponseExpectations::from_json(&json!({}), "expectations").unwrap_err();
    assert_eq!(e.to_string(), r#""expectations.expectedIssuer" must be present"#);
}

#[test]
fn results_are_built_without_unset_members() {
    let value = Out::new().set("a", 1).maybe("b", None::<u64>).maybe("c", Some("x")).build();
    assert_eq!(value, json!({ "a": 1, "c": "x" }));
}
