use super::*;

#[test]
fn endpoints_that_are_accepted() {
    for ok in [
        "https://idp.example/authorize",
        "https://idp.example",
        "HTTPS://IdP.Example:8443/a/b?x=1&y=%20",
        "http://localhost:3000/auth",
        "http://127.0.0.1/auth",
        "http://[::1]:9/auth",
        "https://[2001:db8::1]/auth",
    ] {
        Endpoint::parse(ok, "e").unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    let e = Endpoint::parse("https://idp.example/a?x=1", "e").unwrap();
    assert_eq!(e.base, "https://idp.example/a");
    assert_eq!(e.query.as_deref(), Some("x=1"));
}

#[test]
fn endpoints_that_are_refused() {
    for bad in [
        "",
        "idp.example/authorize",
        "//idp.example/authorize",
        "ftp://idp.example/",
        "http://idp.example/authorize",
        "http://localhost.evil.example/",
        "http://127.0.0.1.evil.example/",
        "https://user:pw@idp.example/",
        "https://idp.example/authorize#frag",
        "https://idp.example/a b",
        "https://idp.example/\u{e9}",
        "https://idp.example\\@evil.example/",
        "https://idp.example/\r\nx",
        "https:///path",
        "https://:443/",
        "https://idp.example:0/",
        "https://idp.example:65536/",
        "https://idp.example:/",
        "https://[]/",
        "https://[zz]/",
        "javascript:alert(1)",
    ] {
        let err = Endpoint::parse(bad, "authorizationEndpoint").unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{bad:?}");
        assert_eq!(err.param(), Some("authorizationEndpoint"));
    }
}

#[test]
fn percent_encoding_is_exactly_once() {
    assert_eq!(percent_encode("a b&c=d#e+f%g/h?é~._-"), "a%20b%26c%3Dd%23e%2Bf%25g%2Fh%3F%C3%A9~._-");
    let mut q = String::from("https://x/?");
    append_query(&mut q, &[("acr_values", "urn:a urn:b"), ("x", "%20")]);
    assert_eq!(q, "https://x/?acr_values=urn%3Aa%20urn%3Ab&x=%2520");
}

#[test]
fn query_parsing_is_strict() {
    assert_eq!(
        parse_query("a=1&b=x+y%20z&c&&d=%C3%A9").unwrap(),
        vec![("a".into(), "1".into()), ("b".into(), "x y z".into()), ("c".into(), "".into()), ("d".into(), "é".into())]
    );
    for bad in ["a=%", "a=%2", "a=%zz", "a=%+1", "a=%C0%AF", "a=%FF", "%G0=1"] {
        assert!(parse_query(bad).is_err(), "{bad}");
    }
}
