//! Token parsing and verification: any text as a token against the test key set, through every
//! step (`prepare`, the signature, the claims, the ID token and access token checks). Nothing may
//! panic or overflow, whatever the header, key choice, payload or claims. A verifier settles a
//! header once for the tokens that share it (`prepare_reusing`): every token prepared through a
//! header settled from its own header segment comes out exactly as `prepare` makes it.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stepup::access_token::{self, AccessTokenOptions};
use stepup::id_token::{self, IdTokenOptions};
use stepup::jwks::KeySet;
use stepup::jws::{self, Alg};
use stepup::{base64url, json};

const TOKENS: &str = include_str!("../../tests/vectors/tokens.json");

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let fixture: serde_json::Value = serde_json::from_str(TOKENS).unwrap();
        KeySet::parse(fixture["jwks"].to_string().as_bytes()).unwrap()
    })
}

/// What preparing settled, to compare two ways of preparing a token.
fn outcome<'a>(
    prepared: &'a Result<jws::Prepared<'_>, stepup::Error>,
) -> Result<(Alg, Option<&'a str>, &'a str, &'a [u8], &'a json::Object), &'a stepup::Error> {
    prepared.as_ref().map(|p| (p.alg(), p.key().kid(), p.signing_input(), p.signature(), p.header()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let algorithms = Alg::parse_list(None).unwrap();
    let prepared = jws::prepare(token, keys(), &algorithms);
    let mut last = None;
    let segment = token.split('.').next().unwrap_or_default();
    let _ = jws::prepare_reusing(format!("{segment}.e30.AAAA"), keys(), &algorithms, &mut last);
    let again = jws::prepare_reusing(token, keys(), &algorithms, &mut last);
    assert_eq!(outcome(&again), outcome(&prepared), "prepared through a settled header");
    let Ok(prepared) = prepared else { return };
    let header = prepared.header().clone();
    let payload = base64url::decode(prepared.payload_b64()).unwrap();
    if let Ok(verified) = jws::verify_signature(prepared) {
        let _ = verified.claims();
    }
    // A mutated token almost never keeps a valid signature, and only a verified token gives its
    // claims; the claims checks are fuzzed on the payload as that would read it.
    let Ok(claims) = json::parse_object(&payload) else { return };
    let now = 1_700_000_000.0;
    let id = IdTokenOptions { issuer: "https://idp.example".into(), audience: "client-1".into(), ..Default::default() };
    let _ = id_token::check(&claims, &header, &id, now);
    let access = AccessTokenOptions {
        issuer: "https://idp.example".into(),
        audience: "https://api.example".into(),
        ..Default::default()
    };
    let _ = access_token::check(&claims, &header, &access, now);
});
