use serde_json::json;

use super::*;
use crate::acr::preset;
use crate::options::FromJson;

const NOW: i64 = 1_700_000_000;

fn s(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn claims(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("claims must be an object"),
    }
}

fn requirement(value: Value) -> Requirement {
    let r = Requirement::from_json(&value, "").unwrap();
    r.check().unwrap();
    r
}

fn evaluate(c: Value, r: Value, policy: &AcrPolicy, tolerance: u64) -> Decision {
    evaluate_step_up(&claims(c), &requirement(r), policy, NOW, tolerance)
}

// ---- requirements ----

#[test]
fn requirements_read_the_javascript_shape() {
    let r = requirement(json!({ "acr": "urn:mfa", "amr": { "any": ["hwk"] }, "maxAge": 300 }));
    assert_eq!(r.acr, Some(AcrList(s(&["urn:mfa"]))));
    assert_eq!(r.amr, Some(AmrRequirement { all: vec![], any: s(&["hwk"]) }));
    assert_eq!(r.max_age, Some(300));
    assert_eq!(requirement(json!({ "acr": ["a", "b"] })).acr, Some(AcrList(s(&["a", "b"]))));
    assert_eq!(requirement(json!({})), Requirement::default());
    for bad in [
        json!({ "acr_values": ["a"] }),
        json!({ "max_age": 5 }),
        json!({ "maxAge": -1 }),
        json!({ "maxAge": 1.5 }),
        json!({ "maxAge": "300" }),
        json!({ "acr": 1 }),
        json!({ "acr": [["a"]] }),
        json!({ "amr": ["mfa"] }),
    ] {
        assert!(Requirement::from_json(&bad.clone(), "").is_err(), "{bad}");
    }
}

#[test]
fn requirements_are_checked() {
    for (bad, param) in [
        (json!({ "acr": [] }), "acr"),
        (json!({ "acr": "" }), "acr[0]"),
        (json!({ "acr": ["a", "urn:mfa "] }), "acr[1]"),
        (json!({ "acr": ["a b"] }), "acr[0]"),
        (json!({ "acr": ["é"] }), "acr[0]"),
        (json!({ "acr": ["a", "a"] }), "acr[1]"),
        (json!({ "amr": {} }), "amr"),
        (json!({ "amr": { "all": [""] } }), "amr.all[0]"),
    ] {
        let r = Requirement::from_json(&bad.clone(), "").unwrap();
        let err = r.check().unwrap_err();
        assert_eq!((err.code(), err.param()), ("ERR_INVALID_ARG_VALUE", Some(param)), "{bad}");
    }
    let r = Requirement::from_json(&json!({ "acr": [] }), "").unwrap();
    assert_eq!(r.check_at("STEPUP_RULES[2]").unwrap_err().param(), Some("STEPUP_RULES[2].acr"));
}

// ---- evaluate_step_up ----

#[test]
fn satisfied_tokens_pass_with_nothing_to_ask() {
    let d = evaluate(
        json!({ "acr": "urn:mfa", "amr": ["pwd", "otp"], "auth_time": NOW - 10 }),
        json!({ "acr": "urn:mfa", "amr": { "all": ["otp"] }, "maxAge": 300 }),
        &AcrPolicy::default(),
        30,
    );
    assert_eq!(d, Decision { satisfied: true, reasons: vec![], acr_values: None, max_age: None });
    assert_eq!(d.to_json(), json!({ "satisfied": true, "reasons": [] }));
    assert!(d.error().is_none());
    // An empty requirement is met by any claims.
    assert!(evaluate(json!({}), json!({}), &AcrPolicy::default(), 0).satisfied);
}

#[test]
fn e06_insufficient_or_missing_acr_asks_for_the_required_values() {
    for c in [json!({ "acr": "urn:pwd" }), json!({})] {
        let d = evaluate(c.clone(), json!({ "acr": ["urn:mfa", "urn:hwk"] }), &AcrPolicy::default(), 30);
        assert_eq!(
            d.to_json(),
            json!({ "satisfied": false, "reasons": ["acr"], "acrValues": ["urn:mfa", "urn:hwk"] }),
            "{c}"
        );
        let err = d.error().unwrap();
        assert_eq!(err.code(), "ERR_ACR_NOT_SATISFIED");
        assert_eq!(err.shortfall().unwrap().acr_values, s(&["urn:mfa", "urn:hwk"]));
    }
    // Fief: a session (0) does not satisfy a password sign-in (1).
    let fief = preset("fief").unwrap();
    assert!(!evaluate(json!({ "acr": "0" }), json!({ "acr": "1" }), &fief, 0).satisfied);
    assert!(evaluate(json!({ "acr": "1" }), json!({ "acr": "0" }), &fief, 0).satisfied);
}

#[test]
fn e07_acr_must_be_a_string() {
    for acr in
        [json!(["urn:mfa"]), json!(2), json!({}), json!(""), json!(null), json!(true), json!({ "value": "urn:mfa" })]
    {
        let d = evaluate(json!({ "acr": acr }), json!({ "acr": "urn:mfa" }), &AcrPolicy::default(), 30);
        assert_eq!(d.reasons, vec![Reason::Acr], "{acr}");
    }
    // Even a number that equals a numeric level is not the string level.
    let d = evaluate(json!({ "acr": 2 }), json!({ "acr": "1" }), &AcrPolicy::default(), 30);
    assert_eq!(d.reasons, vec![Reason::Acr]);
}

#[test]
fn e08_requirements_use_the_policy() {
    let p = AcrPolicy::default();
    assert!(evaluate(json!({ "acr": "10" }), json!({ "acr": "2" }), &p, 0).satisfied);
    assert!(!evaluate(json!({ "acr": "2" }), json!({ "acr": "10" }), &p, 0).satisfied);
    for acr in ["urn:mfa ", "URN:MFA", "urn:mfa:weak"] {
        assert!(!evaluate(json!({ "acr": acr }), json!({ "acr": "urn:mfa" }), &p, 0).satisfied, "{acr}");
    }
    let wso2 = preset("wso2").unwrap();
    assert!(evaluate(json!({ "acr": "LOA3" }), json!({ "acr": "LOA2" }), &wso2, 0).satisfied);
    assert!(!evaluate(json!({ "acr": "LOA1" }), json!({ "acr": "LOA2" }), &wso2, 0).satisfied);
}

#[test]
fn e09_e10_amr_shortfalls() {
    let p = AcrPolicy::default();
    for amr in [json!("mfa"), json!([1]), json!([]), json!(null), json!(["pwd"]), json!(["MFA"]), json!(["pwd", "otp"])]
    {
        let d = evaluate(json!({ "amr": amr }), json!({ "amr": { "all": ["mfa"] } }), &p, 0);
        assert_eq!(d.to_json(), json!({ "satisfied": false, "reasons": ["amr"] }), "{amr}");
        assert_eq!(d.error().unwrap().code(), "ERR_AMR_NOT_SATISFIED");
    }
    // With an acr in the requirement, that is what to ask for, even if only amr fell short.
    let d = evaluate(
        json!({ "acr": "urn:mfa", "amr": ["pwd"] }),
        json!({ "acr": "urn:mfa", "amr": { "any": ["hwk"] } }),
        &p,
        0,
    );
    assert_eq!((d.reasons, d.acr_values), (vec![Reason::Amr], Some(s(&["urn:mfa"]))));
}

#[test]
fn amr_levels_count_for_acr_and_tell_what_to_ask_for() {
    let auth0 = preset("auth0").unwrap();
    let mfa = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
    // amr ["mfa"] proves multi-factor under the auth0 preset.
    assert!(evaluate(json!({ "amr": ["pwd", "mfa"] }), json!({ "acr": mfa }), &auth0, 0).satisfied);
    // Only amr required, falls short: the amrLevels entry with the same methods gives the acr.
    let d = evaluate(json!({ "amr": ["pwd"] }), json!({ "amr": { "any": ["mfa"] } }), &auth0, 0);
    assert_eq!((d.reasons.clone(), d.acr_values), (vec![Reason::Amr], Some(s(&[mfa]))));
    // Different methods: nothing to ask for.
    let d = evaluate(json!({ "amr": ["pwd"] }), json!({ "amr": { "all": ["mfa"] } }), &auth0, 0);
    assert_eq!(d.acr_values, None);
    let d = evaluate(json!({ "amr": ["pwd"] }), json!({ "amr": { "any": ["mfa", "hwk"] } }), &auth0, 0);
    assert_eq!(d.acr_values, None);
    // Same methods in another order still match.
    let p = AcrPolicy::from_json(
        &json!({
            "ladder": ["phr", "phrh"],
            "amrLevels": [{ "acr": "phrh", "all": ["pin", "hwk"] }],
        }),
        "",
    )
    .unwrap();
    let d = evaluate(json!({}), json!({ "amr": { "all": ["hwk", "pin"] } }), &p, 0);
    assert_eq!(d.acr_values, Some(s(&["phrh"])));
}

/// Freshness on `auth_time` (catalog E01–E05-like boundaries): with maxAge 300 and tolerance 30,
/// an authentication exactly 330 seconds old passes and 331 fails; one 30 seconds in the future
/// passes and 31 fails.
#[test]
fn e02_e04_e05_max_age_boundaries() {
    let p = AcrPolicy::default();
    let table: [(Value, u64, bool); 16] = [
        (json!(NOW - 10), 30, true),
        (json!(NOW - 330), 30, true),
        (json!(NOW - 331), 30, false),
        (json!(NOW - 300), 0, true),
        (json!(NOW - 301), 0, false),
        (json!(NOW), 0, true),
        (json!(NOW + 30), 30, true),
        (json!(NOW + 31), 30, false),
        (json!(NOW + 1), 0, false),
        (json!((NOW - 330) as f64 - 0.5), 30, false),
        (json!((NOW - 330) as f64 + 0.5), 30, true),
        (json!(NOW as f64 + 30.5), 30, false),
        (json!(u64::MAX), 30, false),
        (json!(i64::MIN), 30, false),
        (json!(-1), 30, false),
        (json!(1e300), 30, false),
    ];
    for (auth_time, tolerance, fresh) in table {
        let d = evaluate(json!({ "auth_time": auth_time }), json!({ "maxAge": 300 }), &p, tolerance);
        assert_eq!(d.satisfied, fresh, "auth_time {auth_time} tolerance {tolerance}");
        if !fresh {
            assert_eq!(d.to_json(), json!({ "satisfied": false, "reasons": ["max_age"], "maxAge": 300 }));
            assert_eq!(d.error().unwrap().code(), "ERR_AUTH_TIME_TOO_OLD");
        }
    }
    // E05: a max_age=0 step-up answered with a reused session is not fresh; only the tolerance
    // is forgiven.
    for (auth_time, fresh) in [(NOW - 600, false), (NOW - 30, true), (NOW - 31, false)] {
        let d = evaluate(json!({ "auth_time": auth_time }), json!({ "maxAge": 0 }), &p, 30);
        assert_eq!((d.satisfied, d.max_age), (fresh, (!fresh).then_some(0)), "{auth_time}");
    }
    // Huge maxAge and tolerance do not overflow.
    let d = evaluate_step_up(
        &claims(json!({ "auth_time": 0 })),
        &Requirement { max_age: Some(u64::MAX), ..Default::default() },
        &p,
        i64::MAX,
        u64::MAX,
    );
    assert!(d.satisfied);
    let d = evaluate_step_up(
        &claims(json!({ "auth_time": i64::MAX })),
        &Requirement { max_age: Some(0), ..Default::default() },
        &p,
        i64::MIN,
        0,
    );
    assert!(!d.satisfied);
}

#[test]
fn e01_e03_auth_time_must_be_a_number_and_iat_never_counts() {
    let p = AcrPolicy::default();
    for auth_time in
        [json!(null), json!("1"), json!(format!("{}", NOW)), json!(true), json!([]), json!({}), json!([NOW])]
    {
        let d = evaluate(json!({ "auth_time": auth_time, "iat": NOW }), json!({ "maxAge": 300 }), &p, 30);
        assert_eq!(d.reasons, vec![Reason::MaxAge], "{auth_time}");
    }
    // Missing auth_time, fresh iat: still a shortfall.
    let d = evaluate(json!({ "iat": NOW }), json!({ "maxAge": 300 }), &p, 30);
    assert_eq!((d.reasons, d.max_age), (vec![Reason::MaxAge], Some(300)));
    // Old auth_time, fresh iat (a refreshed token): stale.
    let d = evaluate(json!({ "iat": NOW, "auth_time": NOW - 3600 }), json!({ "maxAge": 300 }), &p, 30);
    assert!(!d.satisfied);
}

#[test]
fn every_shortfall_is_reported_in_order() {
    let d = evaluate(
        json!({ "acr": "urn:pwd", "amr": ["pwd"], "auth_time": NOW - 1000 }),
        json!({ "acr": ["urn:mfa"], "amr": { "all": ["otp"] }, "maxAge": 60 }),
        &AcrPolicy::default(),
        30,
    );
    assert_eq!(
        d.to_json(),
        json!({ "satisfied": false, "reasons": ["acr", "amr", "max_age"], "acrValues": ["urn:mfa"], "maxAge": 60 })
    );
    assert_eq!(d.error().unwrap().code(), "ERR_ACR_NOT_SATISFIED");
    assert_eq!(d.error().unwrap().shortfall().unwrap().max_age, Some(60));
    // Only freshness short: acr values are not asked for again.
    let d = evaluate(
        json!({ "acr": "urn:mfa", "auth_time": NOW - 1000 }),
        json!({ "acr": "urn:mfa", "maxAge": 60 }),
        &AcrPolicy::default(),
        30,
    );
    assert_eq!((d.acr_values.clone(), d.max_age), (None, Some(60)));
    assert_eq!(d.to_json(), json!({ "satisfied": false, "reasons": ["max_age"], "maxAge": 60 }));
}

// ---- build_step_up_challenge ----

fn params(value: Value) -> ChallengeParams {
    ChallengeParams::from_json(&value, "").unwrap()
}

#[test]
fn e17_rfc9470_section_3_examples_byte_for_byte() {
    assert_eq!(
        build_step_up_challenge(&params(json!({ "acrValues": ["myACR"] }))).unwrap(),
        r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR""#
    );
    assert_eq!(
        build_step_up_challenge(&params(json!({ "maxAge": 5 }))).unwrap(),
        r#"Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5""#
    );
}

#[test]
fn challenges_put_realm_first_and_values_in_order() {
    let header = build_step_up_challenge(&params(json!({
        "realm": "api",
        "acrValues": ["urn:mfa", "urn:hwk"],
        "maxAge": 300,
        "errorDescription": "Step up, please",
    })))
    .unwrap();
    assert_eq!(
        header,
        r#"Bearer realm="api", error="insufficient_user_authentication", error_description="Step up, please", acr_values="urn:mfa urn:hwk", max_age="300""#
    );
    let parsed = parse_step_up_challenge(&header).unwrap();
    assert_eq!(parsed.realm.as_deref(), Some("api"));
    assert_eq!(parsed.acr_values, s(&["urn:mfa", "urn:hwk"]));
    assert_eq!(parsed.max_age, Some(300));
    assert_eq!(parsed.error_description.as_deref(), Some("Step up, please"));
    // An empty realm (Entra sends realm="") is allowed.
    assert!(build_step_up_challenge(&params(json!({ "realm": "", "maxAge": 0 })))
        .unwrap()
        .starts_with(r#"Bearer realm="", "#));
}

#[test]
fn e19_header_injection_is_refused() {
    let cases = [
        (json!({ "acrValues": ["urn:mfa\", realm=\"evil"] }), "acrValues[0]"),
        (json!({ "acrValues": ["ok", "urn:mfa\r\nSet-Cookie: x=1"] }), "acrValues[1]"),
        (json!({ "acrValues": ["urn:mfa\n"] }), "acrValues[0]"),
        (json!({ "acrValues": ["urn:é"] }), "acrValues[0]"),
        (json!({ "acrValues": ["urn\\mfa"] }), "acrValues[0]"),
        (json!({ "acrValues": ["urn:mfa urn:hwk"] }), "acrValues[0]"),
        (json!({ "acrValues": ["\t"] }), "acrValues[0]"),
        (json!({ "acrValues": [""] }), "acrValues[0]"),
        (json!({ "acrValues": ["a", "a"] }), "acrValues[1]"),
        (json!({ "maxAge": 5, "errorDescription": "bad\" , realm=\"evil" }), "errorDescription"),
        (json!({ "maxAge": 5, "errorDescription": "line\r\nbreak" }), "errorDescription"),
        (json!({ "maxAge": 5, "errorDescription": "café" }), "errorDescription"),
        (json!({ "maxAge": 5, "errorDescription": "back\\slash" }), "errorDescription"),
        (json!({ "maxAge": 5, "errorDescription": "nul\u{0}" }), "errorDescription"),
        (json!({ "maxAge": 5, "errorDescription": "del\u{7f}" }), "errorDescription"),
        (json!({ "maxAge": 5, "errorDescription": "" }), "errorDescription"),
        (json!({ "maxAge": 5, "realm": "evil\"" }), "realm"),
        (json!({ "maxAge": 5, "realm": "a\nb" }), "realm"),
        (json!({ "maxAge": 5, "realm": "é" }), "realm"),
        (json!({}), "acrValues"),
        (json!({ "errorDescription": "x" }), "acrValues"),
    ];
    for (bad, param) in cases {
        let err = build_step_up_challenge(&params(bad.clone())).unwrap_err();
        assert_eq!((err.code(), err.param()), ("ERR_INVALID_ARG_VALUE", Some(param)), "{bad}");
    }
}

#[test]
fn e19_commas_and_equals_stay_inside_their_quoted_string() {
    let acr = "http://idmanagement.gov/ns/assurance/aal/2?phishing_resistant=true";
    let header = build_step_up_challenge(&params(json!({
        "acrValues": [acr, "a,b=c"],
        "errorDescription": "x, realm=evil, max_age=0",
        "realm": "r, error=invalid_token",
    })))
    .unwrap();
    assert!(!header.contains('\r') && !header.contains('\n'));
    let all = parse_www_authenticate(&header).unwrap();
    assert_eq!(all.len(), 1);
    let names: Vec<&str> = all[0].params.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["realm", "error", "error_description", "acr_values"]);
    let parsed = parse_step_up_challenge(&header).unwrap();
    assert_eq!(parsed.acr_values, s(&[acr, "a,b=c"]));
    assert_eq!(parsed.realm.as_deref(), Some("r, error=invalid_token"));
    assert_eq!(parsed.max_age, None);
}

#[test]
fn challenge_params_refuse_unknown_fields() {
    for bad in [json!({ "acr_values": ["a"] }), json!({ "maxAge": "5" }), json!({ "scope": "x", "maxAge": 5 })] {
        assert!(ChallengeParams::from_json(&bad.clone(), "").is_err(), "{bad}");
    }
}

// ---- parse_www_authenticate ----

type Expected<'a> = &'a [(&'a str, &'a [(&'a str, &'a str)], Option<&'a str>)];

fn assert_parses(header: &str, expected: Option<Expected<'_>>) {
    let got = parse_www_authenticate(header);
    let want = expected.map(|challenges| {
        challenges
            .iter()
            .map(|(scheme, params, token68)| AuthChallenge {
                scheme: scheme.to_string(),
                params: params.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
                token68: token68.map(str::to_string),
            })
            .collect::<Vec<_>>()
    });
    assert_eq!(got, want, "{header:?}");
}

/// RFC 9110 §11.6.1 grammar cases, after the WWW-Authenticate vectors panva/oauth4webapi runs
/// (`test/www_authenticate.test.ts`, themselves adapted from Julian Reschke's test cases).
#[test]
fn www_authenticate_grammar() {
    // Malformed.
    for bad in [
        "Scheme, realm=\"foo\"",
        "Scheme realm=\\f\\o\\o",
        "Scheme realm=\"basic",
        "error=\"invalid_token\"",
        "  error=\"invalid_token\", error_description=\"no scheme\"",
        "Bearer error=\"ok\", ???",
        "Bearer error=\"bad\\escape\\\"",
        "Negotiate abc== ???",
        "Negotiate abc123==, realm=\"ignored\"",
        "Bearer error\"invalid_token\"",
        "Bearer realm=\"unclosed",
        "Bearer error=\"a\", error=\"b\"",
        "Bearer ERROR=\"a\", error=\"b\"",
        "Bearer\"x\"",
        "Bearer realm=\"a\"b",
        "Bearer realm=\"a\u{1}\"",
        "Bearer realm=\"a\u{7f}\"",
        "Bearer realm=\"a\\\u{1}\"",
        "Bearer realm=a b",
        "Bearer a=b c=d",
        "Bearer realm=\"x\"\r\n",
        "Bearer =x",
        "Bear\u{e9}r realm=x",
    ] {
        assert_parses(bad, None);
    }
    // Well formed.
    assert_parses("", Some(&[]));
    assert_parses(" , ,", Some(&[]));
    assert_parses("Scheme realm=\"foo\"", Some(&[("scheme", &[("realm", "foo")], None)]));
    assert_parses("SCHEME REALM=\"foo\"", Some(&[("scheme", &[("realm", "foo")], None)]));
    assert_parses("Scheme realm=foo", Some(&[("scheme", &[("realm", "foo")], None)]));
    assert_parses("Scheme realm='foo'", Some(&[("scheme", &[("realm", "'foo'")], None)]));
    assert_parses("Scheme realm=\"foo%20bar\"", Some(&[("scheme", &[("realm", "foo%20bar")], None)]));
    assert_parses("Scheme , realm=\"foo\"", Some(&[("scheme", &[("realm", "foo")], None)]));
    assert_parses("Scheme realm = \"foo\"", Some(&[("scheme", &[("realm", "foo")], None)]));
    assert_parses("Scheme realm=\"\\\"foo\\\"\"", Some(&[("scheme", &[("realm", "\"foo\"")], None)]));
    assert_parses(
        "Scheme realm=\"foo\", bar=\"xyz\",, a=b,,,c=d",
        Some(&[("scheme", &[("realm", "foo"), ("bar", "xyz"), ("a", "b"), ("c", "d")], None)]),
    );
    assert_parses(",Scheme realm=\"basic\"", Some(&[("scheme", &[("realm", "basic")], None)]));
    assert_parses(
        "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Scheme realm=\"simple\" ",
        Some(&[
            ("newauth", &[("realm", "apps"), ("type", "1"), ("title", "Login to \"apps\"")], None),
            ("scheme", &[("realm", "simple")], None),
        ]),
    );
    assert_parses(
        "Scheme foo=\"realm=nottherealm\", realm=\"basic\"",
        Some(&[("scheme", &[("foo", "realm=nottherealm"), ("realm", "basic")], None)]),
    );
    assert_parses("NTLS Y2hhbGxlbmdl", Some(&[("ntls", &[], Some("Y2hhbGxlbmdl"))]));
    assert_parses(
        "NTLS Y2hhbGxlbmdlIGRhdGE=, Scheme realm=\"foobar\"",
        Some(&[("ntls", &[], Some("Y2hhbGxlbmdlIGRhdGE=")), ("scheme", &[("realm", "foobar")], None)]),
    );
    assert_parses("Negotiate a/b+c==", Some(&[("negotiate", &[], Some("a/b+c=="))]));
    assert_parses("Bearer error=", Some(&[("bearer", &[], Some("error="))]));
    assert_parses("Bearer realm= ,", Some(&[("bearer", &[], Some("realm="))]));
    assert_parses(
        "Bearer   realm =   \"something\"   ,error=\"bad_token\" ,  error_description = \" spaced \"",
        Some(&[("bearer", &[("realm", "something"), ("error", "bad_token"), ("error_description", " spaced ")], None)]),
    );
    assert_parses(
        "Bearer error_description=\"bad \\\\ token\"",
        Some(&[("bearer", &[("error_description", "bad \\ token")], None)]),
    );
    assert_parses(
        "Bearer ERROR=\"token\", Scope=\"read\"",
        Some(&[("bearer", &[("error", "token"), ("scope", "read")], None)]),
    );
    assert_parses("Bearer realm=\"foo\",", Some(&[("bearer", &[("realm", "foo")], None)]));
    assert_parses(
        "Bearer realm=\"foo\", Digest blah==, Basic realm=\"bar\"",
        Some(&[
            ("bearer", &[("realm", "foo")], None),
            ("digest", &[], Some("blah==")),
            ("basic", &[("realm", "bar")], None),
        ]),
    );
    // A scheme alone is a challenge (RFC 6750 §3: no token, no error code).
    assert_parses("Bearer", Some(&[("bearer", &[], None)]));
    assert_parses("Scheme, DPoP algs=\"ES256\"", Some(&[("scheme", &[], None), ("dpop", &[("algs", "ES256")], None)]));
    assert_parses("Basic, Bearer", Some(&[("basic", &[], None), ("bearer", &[], None)]));
    // `%` is a tchar: a scheme alone, not garbage (oauth4webapi refuses schemes without params).
    assert_parses("%%%%%%%", Some(&[("%%%%%%%", &[], None)]));
    // Tabs are whitespace; UTF-8 is obs-text inside quotes.
    assert_parses("Bearer\trealm=\t\"caf\u{e9}\"", Some(&[("bearer", &[("realm", "caf\u{e9}")], None)]));
    assert_parses("Bearer realm=\"\\\u{e9}\"", Some(&[("bearer", &[("realm", "\u{e9}")], None)]));
}

// ---- parse_step_up_challenge ----

fn parsed(header: &str) -> Option<Value> {
    parse_step_up_challenge(header).map(|c| c.to_json())
}

#[test]
fn e17_rfc9470_challenges_round_trip() {
    assert_eq!(
        parsed(
            r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR""#
        ),
        Some(json!({
            "kind": "rfc9470", "scheme": "Bearer", "error": "insufficient_user_authentication",
            "errorDescription": "A different authentication level is required", "acrValues": ["myACR"],
        }))
    );
    for header in [
        r#"Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5""#,
        r#"Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age=5"#,
        "bearer ERROR=insufficient_user_authentication,MAX_AGE=5,error_description=\"More recent authentication is required\"",
    ] {
        assert_eq!(
            parsed(header),
            Some(json!({
                "kind": "rfc9470", "scheme": "Bearer", "error": "insufficient_user_authentication",
                "errorDescription": "More recent authentication is required", "acrValues": [], "maxAge": 5,
            })),
            "{header}"
        );
    }
}

#[test]
fn several_challenges_and_schemes() {
    let c = parse_step_up_challenge(
        r#"DPoP algs="ES256", Bearer error="insufficient_user_authentication", acr_values="x""#,
    )
    .unwrap();
    assert_eq!((c.scheme.as_str(), c.acr_values), ("Bearer", s(&["x"])));
    let c = parse_step_up_challenge(r#"Basic realm="x", Bearer realm="api", error="insufficient_user_authentication", acr_values="a  b a", max_age=0"#).unwrap();
    assert_eq!((c.realm.as_deref(), c.acr_values, c.max_age), (Some("api"), s(&["a", "b"]), Some(0)));
    let c =
        parse_step_up_challenge(r#"DPoP error="insufficient_user_authentication", max_age="60", algs="ES256 PS256""#)
            .unwrap();
    assert_eq!((c.scheme.as_str(), c.max_age), ("DPoP", Some(60)));
    // The first step-up challenge wins.
    let c = parse_step_up_challenge(r#"Bearer error="invalid_token", Bearer error="insufficient_user_authentication", acr_values="second", Bearer error="insufficient_user_authentication", acr_values="third""#).unwrap();
    assert_eq!(c.acr_values, s(&["second"]));
    // Not Bearer or DPoP: not a step-up challenge.
    assert_eq!(parsed(r#"Basic error="insufficient_user_authentication", acr_values="x""#), None);
    assert_eq!(parsed(r#"Newauth error="insufficient_user_authentication""#), None);
}

#[test]
fn other_errors_and_garbage_are_not_step_up_challenges() {
    for header in [
        "",
        "Bearer",
        r#"Bearer realm="example""#,
        r#"Bearer error="invalid_token", error_description="The access token expired""#,
        r#"Bearer error="insufficient_scope", scope="admin""#,
        r#"Bearer error="INSUFFICIENT_USER_AUTHENTICATION", acr_values="x""#,
        r#"Bearer error="insufficient_user_authentication ", acr_values="x""#,
        r#"Bearer error_description="insufficient_user_authentication""#,
        "insufficient_user_authentication",
        "Bearer error=\"insufficient_user_authentication\", acr_values=\"x",
        "Bearer error=\"insufficient_user_authentication\", acr_values=\"x\" junk",
        "Bearer error=\"insufficient_user_authentication\", error=\"insufficient_user_authentication\"",
        // Values stepup cannot use as they are.
        r#"Bearer error="insufficient_user_authentication", max_age="-5""#,
        r#"Bearer error="insufficient_user_authentication", max_age="5s""#,
        r#"Bearer error="insufficient_user_authentication", max_age="""#,
        r#"Bearer error="insufficient_user_authentication", max_age="1.5""#,
        r#"Bearer error="insufficient_user_authentication", max_age=99999999999999999999999"#,
        "Bearer error=\"insufficient_user_authentication\", acr_values=\"a\tb\"",
        "Bearer error=\"insufficient_user_authentication\", acr_values=\"caf\u{e9}\"",
        "\u{0}\u{ffff}\u{10ffff}",
        "Bearer error=\"insufficient_user_authentication\"\u{0}",
    ] {
        assert_eq!(parsed(header), None, "{header:?}");
    }
}

#[test]
fn okta_insufficient_authentication_context() {
    // Okta's MyAccount API (as documented, and as okta-auth-js tests it).
    assert_eq!(
        parsed(
            r#"Bearer realm="IdpMyAccountAPI", error="insufficient_authentication_context", error_description="The access token requires additional assurance to access the resource", max_age=900"#
        ),
        Some(json!({
            "kind": "okta", "scheme": "Bearer", "error": "insufficient_authentication_context",
            "errorDescription": "The access token requires additional assurance to access the resource",
            "acrValues": [], "maxAge": 900, "realm": "IdpMyAccountAPI",
        }))
    );
    let c = parse_step_up_challenge(r#"Bearer realm="IdpMyAccountAPI", error="insufficient_authentication_context", error_description="The access token requires additional assurance to access the resource", max_age=900, acr_values="urn:okta:loa:2fa:any:ifpossible""#).unwrap();
    assert_eq!(
        (c.kind, c.acr_values, c.max_age),
        (ChallengeKind::Okta, s(&["urn:okta:loa:2fa:any:ifpossible"]), Some(900))
    );
}

#[test]
fn entra_claims_challenges() {
    // Microsoft's documented example: {"access_token":{"acrs":{"essential":true,"value":"cp1"}}}.
    let header = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ==""#;
    assert_eq!(
        parsed(header),
        Some(json!({
            "kind": "entra", "scheme": "Bearer", "error": "insufficient_claims", "acrValues": ["cp1"], "realm": "",
            "claims": "eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ==",
            "claimsRequest": { "access_token": { "acrs": { "essential": true, "value": "cp1" } } },
        }))
    );
    // `values` as a list; unpadded 'c1' request is refused (base64 must be padded and canonical).
    let c = parse_step_up_challenge(r#"Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlcyI6WyJjMSIsImMyIl19fX0=""#).unwrap();
    assert_eq!(c.acr_values, s(&["c1", "c2"]));
    let c = parse_step_up_challenge(r#"Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiYzEifX19""#).unwrap();
    assert_eq!(c.acr_values, s(&["c1"]));
    // Continuous access evaluation: a claims request without acrs.
    let c = parse_step_up_challenge(r#"Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwMjA0MjMzNCJ9fX0=""#).unwrap();
    assert!(c.acr_values.is_empty());
    assert_eq!(c.claims_request.unwrap()["access_token"]["nbf"]["value"], "1602042334");
    for bad in [
        r#"Bearer error="insufficient_claims""#,
        r#"Bearer error="insufficient_claims", claims="not base64!""#,
        r#"Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoxfX19""#, // value 1
        r#"Bearer error="insufficient_claims", claims="WzFd""#, // [1]
        r#"Bearer error="insufficient_claims", claims="eyJhIjoxLCJhIjoyfQ==""#, // duplicate member
        r#"Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ""#, // padding dropped
        r#"Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ-=""#,
    ] {
        assert_eq!(parsed(bad), None, "{bad}");
    }
}

#[test]
fn auth0_mfa_required() {
    let c = parse_step_up_challenge(
        r#"Bearer error="mfa_required", error_description="Multifactor authentication required""#,
    )
    .unwrap();
    assert_eq!(c.kind, ChallengeKind::Auth0);
    assert_eq!(c.acr_values, s(&[PAPE_MULTI_FACTOR]));
    let c = parse_step_up_challenge(r#"Bearer error="mfa_required", acr_values="urn:custom""#).unwrap();
    assert_eq!(c.acr_values, s(&["urn:custom"]));
}

/// A small deterministic generator, so the hostile-input tests need no dependency.
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn hostile_input_never_panics() {
    let seeds = [
        r#"Bearer realm="api", error="insufficient_user_authentication", error_description="x \"y\"", acr_values="a b", max_age=5"#,
        r#"DPoP algs="ES256", Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ==""#,
        "Negotiate abc==, Basic realm=\"x\", Bearer error=mfa_required",
    ];
    let alphabet: &[u8] = b" \t,=\"\\aBe/+~r\x00\x7f\xc3\xa9";
    let mut seed = 42;
    for header in seeds {
        // Every prefix and every suffix.
        for i in 0..=header.len() {
            if header.is_char_boundary(i) {
                let _ = parse_step_up_challenge(&header[..i]);
                let _ = parse_step_up_challenge(&header[i..]);
            }
        }
        // Random byte edits.
        for _ in 0..3000 {
            let mut bytes = header.as_bytes().to_vec();
            for _ in 0..1 + lcg(&mut seed) % 4 {
                let at = (lcg(&mut seed) as usize) % (bytes.len() + 1);
                let b = alphabet[(lcg(&mut seed) as usize) % alphabet.len()];
                match lcg(&mut seed) % 3 {
                    0 if at < bytes.len() => bytes[at] = b,
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, b),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_step_up_challenge(&text);
        }
    }
}

#[test]
fn huge_input_is_handled_in_linear_time() {
    let started = std::time::Instant::now();
    let n = 200_000;
    let cases = [
        format!("Bearer realm=\"{}", "a".repeat(n * 5)),
        format!("Bearer {}", "a=b, ".repeat(n)),
        format!("Bearer {}", "a".repeat(n * 5)),
        ",".repeat(n * 5),
        format!("{} Bearer error=\"insufficient_user_authentication\"", "Basic, ".repeat(n)),
        format!("Bearer realm=\"{}\"", "\\\"".repeat(n * 2)),
        "B".repeat(n * 5) + "=",
        format!("Bearer error=\"insufficient_user_authentication\", acr_values=\"{}\"", "x ".repeat(n * 2)),
        "Negotiate ".to_string() + &"=".repeat(n * 5),
    ];
    for header in &cases {
        let _ = parse_step_up_challenge(header);
    }
    // Each input is about a megabyte; a quadratic parser would take minutes.
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    let many =
        format!("{}Bearer error=\"insufficient_user_authentication\", max_age=1", "Basic realm=\"x\", ".repeat(n));
    assert_eq!(parse_step_up_challenge(&many).unwrap().max_age, Some(1));
}

/// Every combination of shortfalls, with and without ACR values to name them: what the guard's
/// redirect, its challenge and the browser client ask for (one decision, `Decision::ask`).
#[test]
fn what_to_ask_for_each_combination_of_shortfalls() {
    use Reason::{Acr, Amr, MaxAge};
    let named = Some(vec!["LOA2".to_string()]);
    let ask = |reasons: Vec<Reason>, acr_values: Option<Vec<String>>, max_age: Option<u64>| {
        Decision { satisfied: reasons.is_empty(), reasons, acr_values, max_age }.ask()
    };
    let want = |acr: &[&str], max_age: Option<u64>, prompt_login: bool| Ask {
        acr_values: acr.iter().map(|s| s.to_string()).collect(),
        max_age,
        prompt_login,
        description: match (acr.is_empty(), max_age, prompt_login) {
            (true, None, false) => "",
            (false, _, _) => ACR_DESCRIPTION,
            (true, Some(0), true) => AMR_DESCRIPTION,
            _ => MAX_AGE_DESCRIPTION,
        },
    };
    // (what fell short, ACR values named, max_age named) → what is asked
    let cases = [
        (vec![], None, None, want(&[], None, false)),
        (vec![Acr], named.clone(), None, want(&["LOA2"], None, false)),
        (vec![Amr], named.clone(), None, want(&["LOA2"], None, false)),
        (vec![Amr], None, None, want(&[], Some(0), true)),
        (vec![MaxAge], None, Some(300), want(&[], Some(300), true)),
        (vec![Acr, Amr], named.clone(), None, want(&["LOA2"], None, false)),
        (vec![Acr, MaxAge], named.clone(), Some(300), want(&["LOA2"], Some(300), true)),
        (vec![Amr, MaxAge], named.clone(), Some(300), want(&["LOA2"], Some(300), true)),
        (vec![Amr, MaxAge], None, Some(300), want(&[], Some(0), true)),
        (vec![Acr, Amr, MaxAge], named.clone(), Some(300), want(&["LOA2"], Some(300), true)),
    ];
    for (reasons, acr_values, max_age, expected) in cases {
        assert_eq!(ask(reasons.clone(), acr_values, max_age), expected, "{reasons:?}");
    }
}

/// The same through `evaluate_step_up`: an `amr` shortfall the Auth0 preset names (`mfa` is
/// its multi-factor ACR) asks for that ACR; one no policy names asks for a new sign-in.
#[test]
fn what_to_ask_for_an_amr_shortfall_follows_the_policy() {
    let auth0 = crate::acr::preset("auth0").unwrap();
    let d = evaluate(json!({"amr":["pwd"]}), json!({"amr":{"any":["mfa"]}}), &auth0, 0);
    assert_eq!(d.ask().acr_values, [crate::acr::PAPE_MULTI_FACTOR]);
    assert!(!d.ask().prompt_login);
    let d = evaluate(json!({"amr":["pwd"]}), json!({"amr":{"all":["hwk"]}}), &auth0, 0);
    assert_eq!(d.ask(), Ask { acr_values: vec![], max_age: Some(0), prompt_login: true, description: AMR_DESCRIPTION });
}

#[test]
fn x08_a_challenges_max_age_is_a_number_javascript_holds_exactly() {
    let challenge = |max_age: &str| {
        parse_step_up_challenge(&format!(
            r#"Bearer error="insufficient_user_authentication", acr_values="a", max_age="{max_age}""#
        ))
    };
    assert_eq!(challenge("9007199254740991").unwrap().max_age, Some(9_007_199_254_740_991));
    for past in ["9007199254740992", "9007199254740993", "18446744073709551615", "18446744073709551616"] {
        assert_eq!(challenge(past), None, "{past}");
    }
}
