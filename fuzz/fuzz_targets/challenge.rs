//! The `WWW-Authenticate` parsers: any text. A step-up challenge read back is one stepup could
//! have written: rebuilt from what was read, it parses to the same request (catalog E17-E19).
#![no_main]
use libfuzzer_sys::fuzz_target;
use stepup::step_up::{build_step_up_challenge, parse_step_up_challenge, parse_www_authenticate, ChallengeParams};

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    let _ = parse_www_authenticate(header);
    let Some(challenge) = parse_step_up_challenge(header) else { return };
    let params = ChallengeParams {
        acr_values: challenge.acr_values.clone(),
        max_age: challenge.max_age,
        ..ChallengeParams::default()
    };
    // Building may refuse what a peer sent (a quote inside an ACR value); it must never panic,
    // and what it writes must read back to the same values.
    if let Ok(rebuilt) = build_step_up_challenge(&params) {
        let again = parse_step_up_challenge(&rebuilt).expect("stepup reads what it writes");
        assert_eq!(again.acr_values, challenge.acr_values);
        assert_eq!(again.max_age, challenge.max_age);
    }
});
