use super::*;

/// One value of every variant, so that adding a variant without a code fails to compile here
/// (the match in `code()` is exhaustive) and a changed string fails the pin below.
fn one_of_each() -> Vec<Error> {
    vec![
        Error::JwtMalformed("x".into()),
        Error::JwtTooLarge { size: 2, limit: 1 },
        Error::JoseNotSupported("crit".into()),
        Error::JoseAlgNotAllowed("none".into()),
        Error::JwksInvalid("x".into()),
        Error::JwksNoMatchingKey,
        Error::JwksMultipleMatchingKeys,
        Error::SignatureVerificationFailed,
        Error::JwtExpired,
        Error::claim_invalid("iss", "x"),
        Error::AcrNotSatisfied(Shortfall::default()),
        Error::AmrNotSatisfied(Shortfall::default()),
        Error::AuthTimeTooOld(Shortfall::default()),
        Error::response("state", "x"),
        Error::AuthResponseError { error: "access_denied".into(), description: None },
        Error::IssuerMismatch { expected: "a".into(), actual: "b".into() },
        Error::FetchFailed("x".into()),
        Error::arg_type("p", "a string"),
        Error::arg_value("p", "x"),
        Error::CryptoUnavailable("crypto.getRandomValues".into()),
        Error::StepUpRequired(Shortfall { acr_values: vec!["LOA2".into()], max_age: Some(60) }),
    ]
}

#[test]
fn every_code_is_pinned_to_the_contract() {
    let codes: Vec<&str> = one_of_each().iter().map(Error::code).collect();
    assert_eq!(codes, ERROR_CODES);
    assert_eq!(
        ERROR_CODES,
        [
            "ERR_JWT_MALFORMED",
            "ERR_JWT_TOO_LARGE",
            "ERR_JOSE_NOT_SUPPORTED",
            "ERR_JOSE_ALG_NOT_ALLOWED",
            "ERR_JWKS_INVALID",
            "ERR_JWKS_NO_MATCHING_KEY",
            "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
            "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            "ERR_JWT_EXPIRED",
            "ERR_JWT_CLAIM_VALIDATION_FAILED",
            "ERR_ACR_NOT_SATISFIED",
            "ERR_AMR_NOT_SATISFIED",
            "ERR_AUTH_TIME_TOO_OLD",
            "ERR_AUTH_RESPONSE_INVALID",
            "ERR_AUTH_RESPONSE_ERROR",
            "ERR_ISSUER_MISMATCH",
            "ERR_FETCH_FAILED",
            "ERR_INVALID_ARG_TYPE",
            "ERR_INVALID_ARG_VALUE",
            "ERR_CRYPTO_UNAVAILABLE",
            "ERR_STEP_UP_REQUIRED",
        ]
    );
}

#[test]
fn messages_are_lower_case() {
    for e in one_of_each() {
        let msg = e.to_string();
        let first = msg.chars().next().unwrap_or('x');
        assert!(!first.is_uppercase(), "{msg}");
    }
}

#[test]
fn only_arg_errors_are_caller_mistakes() {
    let mistakes: Vec<&str> = one_of_each().iter().filter(|e| e.is_caller_mistake()).map(Error::code).collect();
    assert_eq!(mistakes, ["ERR_INVALID_ARG_TYPE", "ERR_INVALID_ARG_VALUE"]);
}

#[test]
fn claim_param_and_shortfall_accessors() {
    assert_eq!(Error::claim_invalid("aud", "x").claim(), Some("aud"));
    assert_eq!(Error::response("state", "x").param(), Some("state"));
    assert_eq!(Error::arg_value("clientId", "x").param(), Some("clientId"));
    let s = Shortfall { acr_values: vec!["1".into()], max_age: Some(5) };
    assert_eq!(Error::AuthTimeTooOld(s.clone()).shortfall(), Some(&s));
    assert_eq!(Error::JwtExpired.shortfall(), None);
}
