use std::collections::BTreeMap;

use serde_json::json;

use super::*;

fn config() -> Config {
    let env: BTreeMap<String, String> = [
        ("STEPUP_ISSUER", "https://idp.example"),
        ("STEPUP_CLIENT_ID", "edge"),
        ("STEPUP_SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("STEPUP_RULES", "[]"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Config::from_env(&env).unwrap()
}

fn transaction(state: &str, created: u64) -> Transaction {
    Transaction {
        state: state.into(),
        nonce: "n".into(),
        verifier: "v".into(),
        return_to: "/admin?x=1".into(),
        max_age: Some(300),
        created,
    }
}

/// The `name=value` part of a `Set-Cookie`.
fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[test]
fn sessions_keep_only_the_claims_that_matter_and_round_trip() {
    let config = config();
    let id_token = json!({"sub":"u1","acr":"2","amr":["pwd","otp"],"auth_time":100,"email":"a@b","nonce":"n"});
    let claims = session_claims(id_token.as_object().unwrap());
    assert_eq!(Value::Object(claims.clone()), json!({"sub":"u1","acr":"2","amr":["pwd","otp"],"auth_time":100}));
    let set = session_cookie(&config, &claims, 1000).unwrap();
    assert!(
        set.starts_with("__Host-stepup-session=")
            && set.ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=28800")
    );
    let header = format!("a=b; {}", pair(&set));
    assert_eq!(read_session(&config, Some(&header), 1001).as_deref(), Some(&claims));
    assert_eq!(read_session(&config, Some(&header), 1000 + 28800), None, "expired");
}

#[test]
fn g03_tampered_or_foreign_cookies_are_no_session() {
    let config = config();
    let claims = session_claims(json!({"sub":"u1"}).as_object().unwrap());
    let good = pair(&session_cookie(&config, &claims, 1000).unwrap()).to_string();
    let mut flipped = good.clone().into_bytes();
    let i = flipped.len() - 5;
    flipped[i] ^= 1;
    let truncated = &good[..good.len() - 3];
    let t = transaction("s1", 1000);
    let tx = pair(&t.start(&config, None).unwrap()[0]).to_string();
    let (_, tx_value) = tx.split_once('=').unwrap();
    let replayed = format!("{SESSION_COOKIE}={tx_value}");
    for header in
        [String::from_utf8_lossy(&flipped).to_string(), truncated.to_string(), replayed, format!("{good}; {good}")]
    {
        assert_eq!(read_session(&config, Some(&header), 1001), None, "{header}");
    }
}

#[test]
fn g02_transactions_are_found_by_state_and_cleared() {
    let config = config();
    let t = transaction("state-abcdefghijklmnop", 1000);
    let cookies = t.start(&config, None).unwrap();
    assert_eq!(cookies.len(), 1);
    assert!(cookies[0].starts_with("__Host-stepup-tx-state-abcdefghij="));
    assert!(cookies[0].ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600"));
    let header = pair(&cookies[0]).to_string();
    assert_eq!(Transaction::find(&config, Some(&header), &t.state, 1100), Some(t.clone()));
    assert_eq!(
        Transaction::find(&config, Some(&header), "state-abcdefghijklmnoX", 1100),
        None,
        "other state, same prefix"
    );
    assert_eq!(Transaction::find(&config, Some(&header), &t.state, 1600), None, "expired");
    assert!(t.clear().ends_with("Max-Age=0"));
}

#[test]
fn g04_many_tabs_keep_at_most_four_transactions() {
    let config = config();
    // Tabs a second apart, and all within one second (then the header's order tells the age).
    for step in [1, 0] {
        let mut jar: Vec<String> = Vec::new();
        for i in 0..50u64 {
            let header = jar.join("; ");
            let t = transaction(&format!("state{i:02}"), 1000 + i * step);
            for set in t.start(&config, Some(&header)).unwrap() {
                let (name, _) = pair(&set).split_once('=').unwrap();
                jar.retain(|c| !c.starts_with(&format!("{name}=")));
                if !set.ends_with("Max-Age=0") {
                    jar.push(pair(&set).to_string());
                }
            }
            assert!(jar.len() <= MAX_TRANSACTIONS, "{} cookies after {i} tabs", jar.len());
        }
        // The newest survive.
        let header = jar.join("; ");
        assert!(Transaction::find(&config, Some(&header), "state49", 1100).is_some(), "step {step}");
        assert!(Transaction::find(&config, Some(&header), "state46", 1100).is_some(), "step {step}");
        assert!(Transaction::find(&config, Some(&header), "state45", 1100).is_none(), "step {step}");
    }
}

#[test]
fn debug_shows_no_transaction_secret() {
    let t = Transaction {
        state: "st4te".into(),
        nonce: "n0nce".into(),
        verifier: "ver1fier".into(),
        return_to: "/x".into(),
        max_age: None,
        created: 1,
    };
    let shown = format!("{t:?}");
    assert!(!shown.contains("st4te") && !shown.contains("n0nce") && !shown.contains("ver1fier"), "{shown}");
}
