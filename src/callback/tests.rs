use super::*;

const ISS: &str = "https://idp.example";

fn expect(state: Option<&str>) -> ResponseExpectations {
    ResponseExpectations {
        expected_state: state.map(str::to_string),
        expected_issuer: ISS.into(),
        require_issuer: false,
    }
}

fn check(url: &str) -> Result<AuthorizationResponse> {
    validate_authorization_response(url, &expect(Some("S")))
}

#[test]
fn a_good_response_yields_the_code() {
    let r = check("https://app.example/cb?code=a%2Bb&state=S&iss=https%3A%2F%2Fidp.example").unwrap();
    assert_eq!(r, AuthorizationResponse { code: "a+b".into(), iss: Some(ISS.into()) });
    let r = check("?state=S&code=c#ignored=1").unwrap();
    assert_eq!(r.code, "c");
    assert_eq!(r.iss, None);
}

fn assert_invalid(url: &str, param: &str) {
    let err = check(url).unwrap_err();
    assert_eq!((err.code(), err.param()), ("ERR_AUTH_RESPONSE_INVALID", Some(param)), "{url}: {err}");
}

#[test]
fn f02_f03_state_wrong_or_missing() {
    assert_invalid("/cb?code=c&state=S1", "state");
    assert_invalid("/cb?code=c&state=", "state");
    assert_invalid("/cb?code=c", "state");
}

#[test]
fn f04_unexpected_state() {
    let err = validate_authorization_response("/cb?code=c&state=S", &expect(None)).unwrap_err();
    assert_eq!(err.param(), Some("state"));
    validate_authorization_response("/cb?code=c", &expect(None)).unwrap();
}

#[test]
fn f05_every_parameter_once() {
    assert_invalid("/cb?code=a&state=S&state=S", "state");
    assert_invalid("/cb?code=a&code=b&state=S", "code");
    assert_invalid("/cb?iss=A&iss=B&code=a&state=S", "iss");
    assert_invalid("/cb?code=a&state=S&x=1&x=2", "x");
}

#[test]
fn f08_required_iss_missing() {
    let mut e = expect(Some("S"));
    e.require_issuer = true;
    let err = validate_authorization_response("/cb?code=c&state=S", &e).unwrap_err();
    assert_eq!(err.param(), Some("iss"));
    assert_eq!(err.code(), "ERR_AUTH_RESPONSE_INVALID");
}

#[test]
fn f09_f10_wrong_iss_is_a_mismatch_checked_before_anything_else() {
    for url in [
        "/cb?code=c&state=S&iss=https%3A%2F%2Fidp.example1",
        "/cb?code=c&state=S&iss=https%3A%2F%2Fidp.example%2F",
        "/cb?error=access_denied&state=WRONG&iss=https%3A%2F%2Fother.example",
    ] {
        assert_eq!(check(url).unwrap_err().code(), "ERR_ISSUER_MISMATCH", "{url}");
    }
}

#[test]
fn f11_f12_other_flows_are_refused() {
    assert_invalid("/cb?code=c&state=S&id_token=x", "id_token");
    assert_invalid("/cb?state=S&access_token=x&token_type=bearer", "access_token");
    assert_invalid("/cb?state=S&token=x", "token");
    assert_invalid("/cb?state=S&response=eyJ", "response");
}

#[test]
fn f13_errors_are_reported_only_after_state_matches() {
    let err = check("/cb?error=unmet_authentication_requirements&error_description=%3Cscript%3E&state=S").unwrap_err();
    assert_eq!(
        err,
        Error::AuthResponseError {
            error: "unmet_authentication_requirements".into(),
            description: Some("<script>".into())
        }
    );
    assert_invalid("/cb?error=access_denied&state=X", "state");
}

#[test]
fn code_missing_empty_or_badly_encoded() {
    assert_invalid("/cb?state=S", "code");
    assert_invalid("/cb?state=S&code=", "code");
    assert_invalid("/cb?state=S&code=%zz", "query");
    assert_invalid("/cb?state=S&code=%C0%AF", "query");
}

#[test]
fn a_hostile_query_is_linear() {
    let url = format!("/cb?{}code=c&state=S", "a=1&".repeat(200_000).replace("a=1", "a"));
    // 200 000 identical names: refused as a repeated parameter, quickly.
    assert_invalid(&url, "a");
}

#[test]
fn debug_output_leaves_the_state_and_the_code_out() {
    let shown = format!("{:?}", expect(Some("state-Zq3vW9xK")));
    assert!(!shown.contains("state-Zq3vW9xK") && shown.contains("expected_state: Some(<redacted>)"), "{shown}");
    assert!(shown.contains(ISS), "{shown}");
    let response = check("?code=code-Hk2mP7rT&state=S&iss=https%3A%2F%2Fidp.example").unwrap();
    let shown = format!("{response:?}");
    assert!(!shown.contains("code-Hk2mP7rT") && shown.contains("code: <redacted>"), "{shown}");
    assert!(shown.contains(ISS), "{shown}");
}
