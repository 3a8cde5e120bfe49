//! The token endpoint's answer (RFC 6749 §5.1, §5.2): any status and body. Never a panic; a
//! success always has an access token and a Bearer `token_type`; a `400`/`401` with an `error`
//! is always the provider's refusal, never an outage; nothing else is a refusal.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stepup::token_endpoint::read_answer;
use stepup::Error;

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let status = [200, 400, 401, 500, status][usize::from(status % 5)];
    let error =
        stepup::json::parse_object(body).ok().and_then(|o| o.get("error").and_then(|e| e.as_str()).map(str::to_string));
    match read_answer("https://idp.example/token", status, body) {
        Ok(grant) => {
            assert_eq!(status, 200);
            assert!(!grant.access_token.is_empty() || body.windows(2).any(|w| w == b"\"\""));
        }
        Err(Error::AuthResponseError { error: got, .. }) => {
            assert!(matches!(status, 400 | 401));
            assert_eq!(Some(got), error);
        }
        Err(Error::FetchFailed(_)) => assert!(!(matches!(status, 400 | 401) && error.is_some())),
        Err(other) => panic!("unexpected {other:?}"),
    }
});
