use serde_json::json;

use super::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn hmac_rfc4231_vectors() {
    // Test case 1 and 2 of RFC 4231 §4.
    assert_eq!(
        hex(&hmac_sha256(&[0x0b; 20], &[b"Hi There"]).unwrap()),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    assert_eq!(
        hex(&hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]).unwrap()),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    // Test case 6: a key longer than the block.
    assert_eq!(
        hex(&hmac_sha256(&[0xaa; 131], &[b"Test Using Larger Than Block-Size Key - Hash Key First"]).unwrap()),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

fn key(purpose: &str) -> CookieKey {
    CookieKey::derive(&[7u8; 32], purpose).unwrap()
}

fn payload() -> Map<String, serde_json::Value> {
    json!({"sub": "alice", "acr": "LOA2", "amr": ["pwd", "otp"]}).as_object().unwrap().clone()
}

#[test]
fn seal_and_open_round_trip_until_expiry() {
    let k = key("session");
    let v = seal(&k, "__Host-s", &payload(), 1000).unwrap();
    assert_eq!(open(&k, "__Host-s", &v, 999), Some(payload()));
    assert_eq!(open(&k, "__Host-s", &v, 1000), None);
}

#[test]
fn g03_tampered_truncated_foreign_or_old_key_cookies_read_as_absent() {
    let k = key("session");
    let v = seal(&k, "__Host-s", &payload(), 1000).unwrap();
    let mut flipped = v.clone().into_bytes();
    for i in 0..flipped.len() {
        let original = flipped[i];
        flipped[i] ^= 1;
        if let Ok(s) = std::str::from_utf8(&flipped) {
            assert_eq!(open(&k, "__Host-s", s, 1), None, "byte {i}");
        }
        flipped[i] = original;
    }
    for cut in [1, 10, v.len() / 2, v.len() - 1] {
        assert_eq!(open(&k, "__Host-s", &v[..cut], 1), None);
    }
    assert_eq!(open(&key("transaction"), "__Host-s", &v, 1), None, "another purpose");
    assert_eq!(open(&k, "__Host-t", &v, 1), None, "another cookie name");
    let old = CookieKey::derive(&[8u8; 32], "session").unwrap();
    assert_eq!(open(&old, "__Host-s", &v, 1), None, "another secret");
    for junk in ["", ".", "a.b", "..", "x".repeat(5000).as_str()] {
        assert_eq!(open(&k, "__Host-s", junk, 1), None);
    }
}

#[test]
fn short_secrets_are_refused() {
    assert_eq!(CookieKey::derive(&[1; 31], "x").unwrap_err().param(), Some("STEPUP_SESSION_SECRET"));
}

#[test]
fn oversized_payloads_are_refused() {
    let big = json!({"x": "y".repeat(4000)}).as_object().unwrap().clone();
    assert!(seal(&key("s"), "__Host-s", &big, 1).is_err());
}

#[test]
fn g01_set_cookie_attributes() {
    let h = set_cookie("__Host-stepup", "v", 600);
    assert_eq!(h, "__Host-stepup=v; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600");
    assert!(!h.to_ascii_lowercase().contains("domain"));
}

#[test]
fn reading_the_cookie_header() {
    assert_eq!(read("a=1; __Host-s=xyz; b=2", "__Host-s"), Some("xyz"));
    assert_eq!(read("a=1;b=2", "__Host-s"), None);
    assert_eq!(read("__Host-s=1; __Host-s=2", "__Host-s"), None, "planted duplicate");
    assert_eq!(read("x__Host-s=1", "__Host-s"), None);
}

/// How many values an `Opened` keeps.
fn kept(opened: &Opened) -> usize {
    opened.0.lock().unwrap().by_body.len()
}

/// A sealed value for `name` with `sub` in it, valid until `exp`.
fn sealed(key: &CookieKey, name: &str, sub: &str, exp: u64) -> String {
    seal(key, name, json!({ "sub": sub }).as_object().unwrap(), exp).unwrap()
}

#[test]
fn opened_values_answer_as_open_does_and_are_kept_once() {
    let (key, opened) = (key("session"), Opened::default());
    let value = sealed(&key, "s", "u1", 2000);
    for now in [1000, 1001, 1999] {
        assert_eq!(opened.open(&key, "s", &value, now).as_deref(), open(&key, "s", &value, now).as_ref());
        assert!(opened.open(&key, "s", &value, now).is_some());
    }
    assert_eq!(kept(&opened), 1);
}

#[test]
fn opened_values_have_their_expiry_checked_on_every_use() {
    let (key, opened) = (key("session"), Opened::default());
    let value = sealed(&key, "s", "u1", 2000);
    assert!(opened.open(&key, "s", &value, 1000).is_some());
    assert_eq!(opened.open(&key, "s", &value, 2000), None, "expired while kept");
    assert_eq!(opened.open(&key, "s", &value, 5000), None);
    // An expired value is never kept.
    let old = sealed(&key, "s", "u2", 900);
    assert_eq!(opened.open(&key, "s", &old, 1000), None);
    assert_eq!(kept(&opened), 1);
}

#[test]
fn g03_a_changed_value_is_never_found_among_the_opened() {
    let (key, opened) = (key("session"), Opened::default());
    let value = sealed(&key, "s", "u1", 2000);
    assert!(opened.open(&key, "s", &value, 1000).is_some());
    let (body, mac) = value.split_once('.').unwrap();
    // The same payload with a flipped, truncated, extended or missing MAC.
    let mut flipped = mac.as_bytes().to_vec();
    flipped[3] ^= 1;
    let flipped = format!("{body}.{}", String::from_utf8(flipped).unwrap());
    let truncated = format!("{body}.{}", &mac[..mac.len() - 1]);
    for changed in [flipped, truncated, format!("{value}A"), format!("{body}."), body.to_string()] {
        assert_eq!(opened.open(&key, "s", &changed, 1000), None, "{changed}");
    }
    // The same payload sealed for another cookie name, or under another key: its MAC differs.
    let other_name = sealed(&key, "t", "u1", 2000);
    let other_key = sealed(&self::key("transaction"), "s", "u1", 2000);
    for foreign in [other_name, other_key] {
        assert_eq!(foreign.split_once('.').unwrap().0, body, "the same payload");
        assert_eq!(opened.open(&key, "s", &foreign, 1000), None);
    }
    // A changed payload with the kept MAC.
    let other_body = sealed(&key, "s", "u2", 2000);
    let spliced = format!("{}.{mac}", other_body.split_once('.').unwrap().0);
    assert_eq!(opened.open(&key, "s", &spliced, 1000), None);
    assert_eq!(kept(&opened), 1, "nothing that failed is kept");
}

#[test]
fn opened_values_are_bounded_and_the_oldest_go_first() {
    let (key, opened) = (key("session"), Opened::default());
    let values: Vec<String> = (0..OPENED_SIZE + 10).map(|i| sealed(&key, "s", &format!("u{i}"), 2000)).collect();
    for value in &values {
        assert!(opened.open(&key, "s", value, 1000).is_some());
    }
    assert_eq!(kept(&opened), OPENED_SIZE);
    let opened_values = opened.0.lock().unwrap();
    assert!(!opened_values.by_body.contains_key(values[0].split_once('.').unwrap().0), "the oldest went first");
    assert!(opened_values.by_body.contains_key(values[OPENED_SIZE + 9].split_once('.').unwrap().0));
    drop(opened_values);
    // One that went is opened again in full.
    assert!(opened.open(&key, "s", &values[0], 1000).is_some());
    assert_eq!(kept(&opened), OPENED_SIZE);
}
