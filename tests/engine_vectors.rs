#![cfg(not(target_arch = "wasm32"))]
//! The ACR/AMR and step-up vectors (tests/vectors/acr.json, step_up.json, challenge.json) through
//! the native core. The files are data in the JavaScript shapes of CONTRACT.md section 4, so the
//! same cases can run through the wasm package.

use serde_json::Value;
use stepup::acr::{
    acr_satisfies, preset, resolve_acr_values, select_acr_from, select_strongest_acr, AcrPolicy, AcrResolution,
};
use stepup::amr::{amr_satisfies, map_authentication_methods, AmrRequirement, MethodMapping};
use stepup::options::FromJson;
use stepup::step_up::{
    build_step_up_challenge, evaluate_step_up, parse_step_up_challenge, ChallengeParams, Requirement,
};
use stepup::Error;

fn section(file: &str, name: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(file).unwrap();
    let cases = all[name].as_array().unwrap_or_else(|| panic!("no section {name}")).clone();
    assert!(!cases.is_empty(), "{name} is empty");
    cases
}

const ACR: &str = include_str!("vectors/acr.json");
const STEP_UP: &str = include_str!("vectors/step_up.json");
const CHALLENGE: &str = include_str!("vectors/challenge.json");

fn name(v: &Value) -> &str {
    v["name"].as_str().expect("every case has a name")
}

/// Compares an error with a vector's `{ code, param? }`.
fn assert_error(name: &str, err: &Error, want: &Value) {
    assert_eq!(err.code(), want["code"], "{name}: {err}");
    if let Some(param) = want.get("param") {
        assert_eq!(err.param(), param.as_str(), "{name}: {err}");
    }
}

/// Reads a caller's option object as the binding does. A shape error (unknown key, wrong type)
/// is the vector's expected error.
fn read<T: FromJson>(name: &str, value: &Value, error: Option<&Value>) -> Option<T> {
    match T::from_json(value, "") {
        Ok(t) => Some(t),
        Err(e) => {
            let code = error.and_then(|e| e["code"].as_str()).unwrap_or_else(|| panic!("{name}: {e}"));
            assert_eq!(e.code(), code, "{name}: {e}");
            None
        }
    }
}

/// The case's policy: `acrPolicy(preset)`, or `policy` (checked), or the default. `Err` carries a
/// policy error the case may expect.
fn policy_of(v: &Value) -> Option<Result<AcrPolicy, Error>> {
    if let Some(name) = v.get("preset") {
        return Some(preset(name.as_str().unwrap()));
    }
    let Some(value) = v.get("policy") else {
        return Some(Ok(AcrPolicy::default()));
    };
    let policy: AcrPolicy = read(name(v), value, v.get("error"))?;
    Some(policy.check().map(|_| policy))
}

/// Runs `f` with the case's policy, or checks the policy error the case expects.
fn with_policy(v: &Value, f: impl FnOnce(&AcrPolicy)) {
    match policy_of(v) {
        None => {}
        Some(Ok(policy)) => {
            assert!(v.get("error").is_none() || v.get("expected").is_some(), "{}: expected an error", name(v));
            f(&policy)
        }
        Some(Err(err)) => assert_error(name(v), &err, &v["error"]),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().map(|i| i.as_str().unwrap().to_string()).collect(),
        other => panic!("not a string list: {other}"),
    }
}

#[test]
fn preset_vectors() {
    for v in section(ACR, "presets") {
        match preset(v["preset"].as_str().unwrap()) {
            Ok(policy) => {
                assert!(v.get("error").is_none(), "{}: expected an error", name(&v));
                assert_eq!(policy.to_json(), v["policy"], "{}", name(&v));
                // The pinned JSON reads back into the same policy.
                let back = AcrPolicy::from_json(&v["policy"].clone(), "").unwrap();
                assert_eq!(back, policy, "{}", name(&v));
            }
            Err(err) => assert_error(name(&v), &err, &v["error"]),
        }
    }
}

#[test]
fn acr_satisfies_vectors() {
    for v in section(ACR, "acrSatisfies") {
        with_policy(&v, |policy| {
            // A claim that is not a string is never an ACR (E07).
            let actual = v["actual"].as_str();
            let got = acr_satisfies(actual, &strings(&v["required"]), policy);
            assert_eq!(Value::Bool(got), v["expected"], "{}", name(&v));
        });
    }
}

#[test]
fn select_strongest_acr_vectors() {
    for v in section(ACR, "selectStrongestAcr") {
        with_policy(&v, |policy| {
            let got = select_strongest_acr(&strings(&v["requested"]), &strings(&v["supported"]), policy);
            assert_eq!(got.map_or(Value::Null, Value::String), v["expected"], "{}", name(&v));
        });
    }
}

#[test]
fn select_acr_from_vectors() {
    for v in section(ACR, "selectAcrFrom") {
        let got = select_acr_from(&strings(&v["requested"]), &strings(&v["configured"]));
        assert_eq!(got.map_or(Value::Null, Value::String), v["expected"], "{}", name(&v));
    }
}

#[test]
fn resolve_acr_values_vectors() {
    for v in section(ACR, "resolveAcrValues") {
        let Some(options) = read::<AcrResolution>(name(&v), &v["options"], v.get("error")) else {
            continue;
        };
        if let Err(err) = options.check() {
            assert_error(name(&v), &err, &v["error"]);
            continue;
        }
        with_policy(&v, |policy| {
            let got = resolve_acr_values(&options, policy);
            assert_eq!(got, strings(&v["expected"]), "{}", name(&v));
        });
    }
}

#[test]
fn amr_satisfies_vectors() {
    for v in section(ACR, "amrSatisfies") {
        let requirement = AmrRequirement::from_json(&v["requirement"].clone(), "").unwrap();
        let got = amr_satisfies(v.get("amr"), &requirement);
        assert_eq!(Value::Bool(got), v["expected"], "{}", name(&v));
    }
}

#[test]
fn map_authentication_methods_vectors() {
    for v in section(ACR, "mapAuthenticationMethods") {
        let mapping = MethodMapping::from_json(&v["mapping"].clone(), "").unwrap();
        let got = map_authentication_methods(&strings(&v["methods"]), &mapping);
        assert_eq!(got, strings(&v["expected"]), "{}", name(&v));
    }
}

#[test]
fn evaluate_step_up_vectors() {
    for v in section(STEP_UP, "evaluateStepUp") {
        let Some(requirement) = read::<Requirement>(name(&v), &v["requirement"], v.get("error")) else {
            continue;
        };
        if let Err(err) = requirement.check() {
            assert_error(name(&v), &err, &v["error"]);
            continue;
        }
        let claims = v["claims"].as_object().unwrap();
        let now = v["currentTime"].as_i64().unwrap();
        let tolerance = v["clockTolerance"].as_u64().unwrap();
        with_policy(&v, |policy| {
            let decision = evaluate_step_up(claims, &requirement, policy, now, tolerance);
            assert_eq!(decision.to_json(), v["expected"], "{}", name(&v));
        });
    }
}

#[test]
fn build_step_up_challenge_vectors() {
    for v in section(CHALLENGE, "build") {
        let Some(params) = read::<ChallengeParams>(name(&v), &v["params"], v.get("error")) else {
            continue;
        };
        match build_step_up_challenge(&params) {
            Ok(header) => {
                assert!(v.get("error").is_none(), "{}: expected an error, got {header}", name(&v));
                assert_eq!(header, v["header"], "{}", name(&v));
                // E17: the header round-trips through the strict parser to exactly its params.
                let parsed = parse_step_up_challenge(&header).map(|c| c.to_json());
                assert_eq!(parsed.as_ref(), Some(&v["parsed"]), "{}", name(&v));
            }
            Err(err) => assert_error(name(&v), &err, &v["error"]),
        }
    }
}

#[test]
fn parse_step_up_challenge_vectors() {
    for v in section(CHALLENGE, "parse") {
        let header = v["header"].as_str().unwrap();
        let got = parse_step_up_challenge(header).map(|c| c.to_json());
        assert_eq!(got.unwrap_or(Value::Null), v["expected"], "{}", name(&v));
    }
}
