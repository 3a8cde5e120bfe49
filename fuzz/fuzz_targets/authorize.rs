//! The authorization URL builder: any JSON as parameters. Whatever it builds keeps
//! response_type=code and PKCE S256, and carries each reserved parameter at most once.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stepup::authorize::{build_authorization_url, AuthorizationRequest, RESERVED_PARAMS};
use stepup::options::FromJson;

fuzz_target!(|data: &[u8]| {
    // Read as a caller's options are: strict JSON, then member by member.
    let Ok(value) = stepup::json::parse_value(data) else { return };
    let Ok(request) = AuthorizationRequest::from_json(&value, "request") else { return };
    let Ok(url) = build_authorization_url(&request) else { return };
    let pairs = stepup::url::parse_query(url.split_once('?').unwrap().1).unwrap();
    for name in RESERVED_PARAMS {
        assert!(pairs.iter().filter(|(n, _)| n == name).count() <= 1, "{name} twice in {url}");
    }
    assert!(pairs.iter().any(|(n, v)| n == "response_type" && v == "code"));
    assert!(pairs.iter().any(|(n, v)| n == "code_challenge_method" && v == "S256"));
});
