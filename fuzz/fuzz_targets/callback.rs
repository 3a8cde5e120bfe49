//! The callback URL parser: any string, checked against fixed expectations. Whatever it accepts
//! must carry exactly the expected state and a non-empty code.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stepup::callback::{validate_authorization_response, ResponseExpectations};

fuzz_target!(|url: &str| {
    let expect = ResponseExpectations {
        expected_state: Some("S".into()),
        expected_issuer: "https://idp.example".into(),
        require_issuer: false,
    };
    if let Ok(response) = validate_authorization_response(url, &expect) {
        assert!(!response.code.is_empty());
        let query = url.split('#').next().unwrap().split_once('?').unwrap().1;
        let pairs = stepup::url::parse_query(query).unwrap();
        assert_eq!(pairs.iter().filter(|(n, _)| n == "state").count(), 1);
        assert!(pairs.iter().any(|(n, v)| n == "state" && v == "S"));
    }
});
