//! Wycheproof (C2SP/wycheproof, `testvectors_v1`) through the native verifier. The vectors are
//! read from `../shared/vectors/wycheproof/` beside the project, never copied into it; a missing
//! file fails the test.
//!
//! - `json_web_signature_test.json` and `json_web_key_test.json`: the group's key set through
//!   [`KeySet::parse`], the token through [`jws::prepare`] and [`jws::verify_signature`] — the
//!   signature layer. The payloads (`foo`, `123400`, RFC 7520's quotation) are no JWT claims set,
//!   and Wycheproof does not test claims, so [`jws::finish`] and the claims checks are not called.
//!   tests/js/suites/wycheproof.mjs runs the same cases through pkg in node, workerd and Chromium
//!   and must decide each one as this file does.
//! - The four primitive files: a bare signature over an arbitrary message, which no JWS signing
//!   input (`header.payload`, RFC 7515 §5.2) can carry. The key goes through [`KeySet::parse`] and
//!   the signature through what the fallback does with it ([`fallback`]).
//!
//! Every `valid` case must be accepted and every `invalid` one refused, but for the classes named
//! in [`NAMED`]: deviations by design, each with its reason and the error code that proves it,
//! and the decision on every `acceptable` case. The number of cases per file is pinned.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::{json, Value};
use stepup::base64url;
use stepup::jwks::{Key, KeySet};
use stepup::jws::{self, Alg};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors/wycheproof/");

/// Every algorithm stepup can verify, so that only what stepup never verifies is refused for its
/// `alg`.
const ALGORITHMS: [Alg; 5] = [Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDSA, Alg::Ed25519];

/// A decision: accepted, or refused with stepup's error code.
type Verdict = Result<(), &'static str>;

/// The verdict of a case whose check panicked: always a failure.
const PANIC: &str = "panicked";

/// A class of `valid` cases stepup refuses, or of `acceptable` cases (which it refuses too), named
/// with why. `code` is the refusal's error code: the proof that a case is refused for the reason
/// given and not by accident.
struct Named {
    file: &'static str,
    class: &'static str,
    tc_ids: &'static [u64],
    code: &'static str,
    why: &'static str,
}

const JWS: &str = "json_web_signature_test.json";
const JWK: &str = "json_web_key_test.json";
const ECDSA: &str = "ecdsa_secp256r1_sha256_p1363_test.json";
const ED25519: &str = "ed25519_test.json";
const PKCS1: &str = "rsa_signature_2048_sha256_test.json";
const PSS: &str = "rsa_pss_2048_sha256_mgf1_32_test.json";

/// The cases per file, as the files' `numberOfTests` say; all of them are checked.
const COUNTS: [(&str, usize); 6] = [(JWS, 401), (JWK, 26), (ECDSA, 262), (ED25519, 151), (PKCS1, 259), (PSS, 108)];

/// Every `valid` case stepup refuses and every `acceptable` case, by class. No `invalid` case is
/// accepted. tests/js/suites/wycheproof.mjs holds the same table for the JWS and JWK files.
const NAMED: &[Named] = &[
    // In this copy 367 and 370 (invalid) are byte for byte 357 (valid): no HS256 verifier could
    // meet both; refusing HS256 whole, stepup is not asked to.
    Named {
        file: JWS,
        class: "HS256 (valid)",
        tc_ids: &[1, 348, 352, 357, 358, 359, 372, 373, 376, 377],
        code: "ERR_JWKS_INVALID",
        why: "an HMAC key is a shared secret, which a published key set cannot hold: an `oct` key makes the set \
              invalid and HS* is never allowed (RFC 8725 §3.1). 372/373 also hold `?`, outside base64url \
              (RFC 7515 §2)",
    },
    Named {
        file: JWS,
        class: "RS384, RS512, PS384, PS512, ES512 (valid)",
        tc_ids: &[265, 266, 267, 269, 270, 271, 321, 322, 323, 326, 327, 328, 346, 347, 350, 351],
        code: "ERR_JOSE_ALG_NOT_ALLOWED",
        why: "stepup verifies RS256, PS256, ES256 and EdDSA/Ed25519 only (RFC 7518 §3.1, RFC 8037 §3.1); the alg \
              allow-list is checked before any key is used",
    },
    Named {
        file: JWS,
        class: "emptyPayload (valid)",
        tc_ids: &[259, 264, 268, 272, 320, 325],
        code: "ERR_JWT_MALFORMED",
        why: "a JWT's payload is its claims set, a JSON object (RFC 7519 §7.2 step 10), never empty; refused \
              as malformed before the alg is read",
    },
    Named {
        file: JWK,
        class: "HS256, HS384, HS512 key sets (valid)",
        tc_ids: &[2, 13, 14, 15],
        code: "ERR_JWKS_INVALID",
        why: "a key set of symmetric (`oct`) keys is refused whole: a shared secret is never published in one \
              (RFC 8725 §3.1)",
    },
    Named {
        file: PKCS1,
        class: "MissingNull (acceptable)",
        tc_ids: &[8],
        code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        why: "EMSA-PKCS1-v1_5 is deterministic: the verifier re-encodes DigestInfo with its NULL parameters and \
              compares (RFC 8017 §8.2.2 step 3-4, §9.2 note 1); a legacy encoding without NULL does not match",
    },
];

/// A file's text, or a failure that says where the vectors were expected.
fn load(file: &str) -> Value {
    let path = format!("{VECTORS}{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the Wycheproof vectors are missing: cannot read {path} ({e}). They live in \
             ../shared/vectors/wycheproof/ beside the project (see the README.md there)"
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex {text:?}");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

fn code(e: stepup::Error) -> &'static str {
    e.code()
}

/// A whole token: key set, then the signature layer of the native verifier.
fn verify_token(jwks: &Value, token: &str) -> Verdict {
    let keys = KeySet::parse(jwks.to_string().as_bytes()).map_err(code)?;
    let prepared = jws::prepare(token, &keys, &ALGORITHMS).map_err(code)?;
    jws::verify_signature(prepared).map(|_| ()).map_err(code)
}

/// What the native fallback decides of a bare signature by `key`: the production check a JWS
/// signature goes through, over an arbitrary message.
fn fallback(alg: Alg, key: &Key, message: &[u8], signature: &[u8]) -> Verdict {
    assert!(alg.fits(key), "{alg:?} cannot use {:?}", key.kind());
    jws::verify_message(alg, key, message, signature).map_err(code)
}

/// One case's outcome: its id, Wycheproof's `result` and comment, and stepup's verdict.
struct Outcome {
    tc_id: u64,
    result: String,
    comment: String,
    verdict: Verdict,
}

/// Runs `decide` on every case of every group, turning a panic into a failed outcome.
fn run(file: &str, decide: impl Fn(&Value, &Value) -> Verdict) -> Vec<Outcome> {
    let vectors = load(file);
    let groups = vectors["testGroups"].as_array().expect("testGroups");
    let mut outcomes = Vec::new();
    for group in groups {
        for case in group["tests"].as_array().expect("tests") {
            let verdict = catch_unwind(AssertUnwindSafe(|| decide(group, case))).unwrap_or(Err(PANIC));
            outcomes.push(Outcome {
                tc_id: case["tcId"].as_u64().expect("tcId"),
                result: case["result"].as_str().expect("result").into(),
                comment: case["comment"].as_str().unwrap_or_default().into(),
                verdict,
            });
        }
    }
    assert_eq!(Some(outcomes.len() as u64), vectors["numberOfTests"].as_u64(), "{file}: numberOfTests");
    outcomes
}

/// What a case must get.
#[derive(Debug, PartialEq)]
enum Expect {
    Accepted,
    Refused,
    RefusedWith(&'static str),
}

/// Checks every outcome against its expectation and the count, and that every named case exists
/// and is worth naming; reports all failures at once, by tcId.
fn check(file: &str, outcomes: &[Outcome]) {
    let expected_count = COUNTS.iter().find(|(f, _)| *f == file).map(|(_, n)| *n).expect("count");
    assert_eq!(outcomes.len(), expected_count, "{file}: the number of cases checked");
    let named: BTreeMap<u64, &Named> =
        NAMED.iter().filter(|n| n.file == file).flat_map(|n| n.tc_ids.iter().map(move |id| (*id, n))).collect();
    let mut failures = Vec::new();
    for o in outcomes {
        let expected = match (named.get(&o.tc_id), o.result.as_str()) {
            (Some(n), "valid" | "acceptable") => Expect::RefusedWith(n.code),
            (None, "valid") => Expect::Accepted,
            (None, "invalid") => Expect::Refused,
            (Some(n), result) => {
                failures.push(format!("{}: {result}, so nothing to name in {:?}", o.tc_id, n.class));
                continue;
            }
            (None, result) => {
                failures.push(format!("{}: {result} but not named in NAMED", o.tc_id));
                continue;
            }
        };
        let ok = match (&expected, o.verdict) {
            (_, Err(PANIC)) => false,
            (Expect::Accepted, verdict) => verdict.is_ok(),
            (Expect::Refused, verdict) => verdict.is_err(),
            (Expect::RefusedWith(code), verdict) => verdict == Err(code),
        };
        if !ok {
            let why = named.get(&o.tc_id).map(|n| format!(" [{}: {}]", n.class, n.why)).unwrap_or_default();
            failures.push(format!(
                "{} {} ({}): expected {expected:?}, got {:?}{why}",
                o.tc_id, o.comment, o.result, o.verdict
            ));
        }
    }
    for id in named.keys().filter(|id| !outcomes.iter().any(|o| o.tc_id == **id)) {
        failures.push(format!("{id}: named but not in {file}"));
    }
    assert!(failures.is_empty(), "{file}: {} failures:\n{}", failures.len(), failures.join("\n"));
}

/// The group's key set: its public keys, or the only key material it has (`oct` keys, which a
/// MAC verifies with).
fn group_keys(group: &Value, single: bool) -> Value {
    let keys = group.get("public").unwrap_or(&group["private"]).clone();
    if single {
        json!({ "keys": [keys] })
    } else {
        keys
    }
}

fn token(case: &Value) -> &str {
    case["jws"].as_str().expect("a compact token or JSON serialization text")
}

#[test]
fn json_web_signature() {
    let outcomes = run(JWS, |group, case| verify_token(&group_keys(group, true), token(case)));
    check(JWS, &outcomes);
}

#[test]
fn json_web_key() {
    let outcomes = run(JWK, |group, case| verify_token(&group_keys(group, false), token(case)));
    check(JWK, &outcomes);
}

/// A primitive file: the group's public key as a one-key JWKS through [`KeySet::parse`], then
/// every case's message and signature through [`fallback`].
fn primitive(file: &str, alg: Alg, jwk: impl Fn(&Value) -> Value) {
    let outcomes = run(file, |group, case| {
        let text = json!({ "keys": [jwk(&group["publicKey"])] }).to_string();
        let keys = KeySet::parse(text.as_bytes()).map_err(code)?;
        let [key] = keys.keys() else { panic!("one usable key in {text}") };
        let (message, signature) = (hex(case["msg"].as_str().expect("msg")), hex(case["sig"].as_str().expect("sig")));
        fallback(alg, key, &message, &signature)
    });
    check(file, &outcomes);
}

/// RSA public key (RFC 7518 §6.3.1) from the modulus and exponent, without the sign octet DER
/// puts before a modulus whose top bit is set (RFC 7518 §6.3.1.1).
fn rsa_jwk(key: &Value) -> Value {
    let unsigned = |name: &str| {
        let bytes = hex(key[name].as_str().expect("hex"));
        let start = bytes.iter().position(|b| *b != 0).expect("non-zero");
        base64url::encode(&bytes[start..])
    };
    json!({"kty": "RSA", "n": unsigned("modulus"), "e": unsigned("publicExponent")})
}

#[test]
fn ecdsa_p256_sha256_p1363() {
    // The uncompressed point 04 ‖ x ‖ y (SEC 1 §2.3.3) as an EC JWK (RFC 7518 §6.2.1).
    primitive(ECDSA, Alg::Es256, |key| {
        let point = hex(key["uncompressed"].as_str().expect("point"));
        assert_eq!((point.len(), point[0]), (65, 4), "an uncompressed P-256 point");
        json!({"kty": "EC", "crv": "P-256", "x": base64url::encode(&point[1..33]), "y": base64url::encode(&point[33..])})
    });
}

#[test]
fn ed25519() {
    // RFC 8037 §2: the 32-byte public key is `x`.
    primitive(
        ED25519,
        Alg::EdDSA,
        |key| json!({"kty": "OKP", "crv": "Ed25519", "x": base64url::encode(&hex(key["pk"].as_str().expect("pk")))}),
    );
}

#[test]
fn rsa_pkcs1_2048_sha256() {
    primitive(PKCS1, Alg::Rs256, rsa_jwk);
}

#[test]
fn rsa_pss_2048_sha256_mgf1_32() {
    primitive(PSS, Alg::Ps256, rsa_jwk);
}
