//! The guard's session and transaction cookies in a `Cookie` header (SECURITY G02-G04):
//! arbitrary headers, `state`s and times, and cookies stepup wrote mixed into them.
//!
//! - An arbitrary header holds no session and no transaction.
//! - A session stepup wrote reads back, among any other cookies, until it expires; sent twice it
//!   is no session.
//! - A transaction reads back under its own `state` only (not under another `state` sharing its
//!   cookie name) and only for `TRANSACTION_MAX_AGE` seconds.
//! - Starting a sign-in leaves at most `MAX_TRANSACTIONS` transactions, each of the others fully
//!   readable, and deletes only transaction cookies the browser sent.
#![no_main]
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use stepup::guard::config::Config;
use stepup::guard::cookie::open;
use stepup::guard::session::{
    read_session, session_cookie, transaction_cookie_name, Transaction, MAX_TRANSACTIONS, SESSION_COOKIE,
    TRANSACTION_MAX_AGE, TRANSACTION_PREFIX,
};

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let env: BTreeMap<String, String> = [
            ("STEPUP_ISSUER", "https://idp.example"),
            ("STEPUP_CLIENT_ID", "edge"),
            ("STEPUP_SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
            ("STEPUP_RULES", "[]"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Config::from_env(&env).expect("a valid configuration")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

/// The `name=value` part of a `Set-Cookie`.
fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap_or_default()
}

/// What the guard's clock can read: seconds since the epoch, well within u64.
fn clock(u: &mut Unstructured) -> Result<u64> {
    u.int_in_range(0..=1u64 << 40)
}

/// A `state` as the guard makes them (base64url), sometimes sharing a prefix with `like`.
fn state(u: &mut Unstructured, like: Option<&str>) -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = match like {
        Some(like) if u.arbitrary()? => like.chars().take(u.int_in_range(0..=20)?).collect(),
        _ => String::new(),
    };
    for _ in 0..u.int_in_range(usize::from(s.is_empty())..=44)? {
        s.push(char::from(*u.choose(ALPHABET)?));
    }
    Ok(s)
}

fn transaction(u: &mut Unstructured, created: u64, like: Option<&str>) -> Result<Transaction> {
    Ok(Transaction {
        state: state(u, like)?,
        nonce: u.arbitrary()?,
        verifier: u.arbitrary()?,
        return_to: u.arbitrary()?,
        max_age: u.arbitrary()?,
        created,
    })
}

fn run(u: &mut Unstructured) -> Result<()> {
    let config = config();
    let now = clock(u)?;

    // Arbitrary headers and states: nothing to find.
    let header: String = u.arbitrary()?;
    let any_state: String = u.arbitrary()?;
    assert_eq!(read_session(config, Some(&header), now), None, "{header:?}");
    assert_eq!(Transaction::find(config, Some(&header), &any_state, now), None, "{header:?}");

    // Other cookies the browser sends, none of them stepup's.
    let others: Vec<String> = u.arbitrary()?;
    let mut pairs: Vec<String> = others
        .iter()
        .map(|s| s.trim_matches([';', ' ']).to_string())
        .filter(|s| !s.contains(';') && !s.trim().starts_with("__Host-stepup-"))
        .collect();

    // A session: read back among them until it expires, and not when sent twice.
    let mut claims = Map::new();
    claims.insert("sub".into(), Value::from(u.arbitrary::<String>()?));
    claims.insert("acr".into(), Value::from(u.arbitrary::<String>()?));
    claims.insert("auth_time".into(), Value::from(u.arbitrary::<u32>()?));
    if let Ok(set) = session_cookie(config, &claims, now) {
        let mut with = pairs.clone();
        with.insert(u.choose_index(with.len() + 1)?, pair(&set).to_string());
        let header = with.join("; ");
        let during = now + u.int_in_range(0..=config.session_max_age - 1)?;
        assert_eq!(read_session(config, Some(&header), during).as_deref(), Some(&claims), "{header:?}");
        assert_eq!(read_session(config, Some(&header), now + config.session_max_age), None, "expired");
        let twice = format!("{header}; {SESSION_COOKIE}={}", u.arbitrary::<String>()?.replace(';', ""));
        assert_eq!(read_session(config, Some(&twice), during), None, "{twice:?}");
    }

    // Transactions already under way, written by stepup, some damaged, in any order.
    let started = now.saturating_sub(u.int_in_range(0..=2 * TRANSACTION_MAX_AGE)?);
    let mut previous: Vec<Transaction> = Vec::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let created = u.int_in_range(started..=now)?;
        let like = previous.last().map(|t: &Transaction| t.state.clone());
        let t = transaction(u, created, like.as_deref())?;
        let Ok(set) = t.start(config, None) else { continue };
        let Some(last) = set.last() else { panic!("start wrote nothing") };
        let mut written = pair(last).to_string();
        if u.ratio(1, 5)? {
            written.pop();
        }
        pairs.insert(u.choose_index(pairs.len() + 1)?, written);
        previous.push(t);
    }
    if u.ratio(1, 6)? {
        let junk: String = u.arbitrary()?;
        pairs.push(format!("{TRANSACTION_PREFIX}{}", junk.replace(';', "")));
    }
    let header = pairs.join(if u.arbitrary()? { "; " } else { ";" });

    // A new sign-in.
    let t = transaction(u, now, previous.first().map(|t| t.state.as_str()))?;
    let Ok(set) = t.start(config, Some(&header)) else { return Ok(()) };
    let name = transaction_cookie_name(&t.state);
    let (own, deletions) = set.split_last().expect("start writes its own cookie");
    assert!(own.starts_with(&format!("{name}=")) && own.ends_with(&format!("Max-Age={TRANSACTION_MAX_AGE}")), "{own}");
    let sent: Vec<(&str, &str)> = header.split(';').filter_map(|p| p.trim().split_once('=')).collect();
    let mut deleted = BTreeSet::new();
    for d in deletions {
        let (n, rest) = pair(d).split_once('=').expect("name=value");
        assert!(rest.is_empty() && d.ends_with("Max-Age=0"), "{d}");
        assert!(n.starts_with(TRANSACTION_PREFIX) && n != name, "{d} deletes what it may not");
        assert!(sent.iter().any(|(s, _)| *s == n), "{d} deletes a cookie the browser did not send");
        deleted.insert(n);
    }
    let kept: BTreeSet<&str> = sent
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| n.starts_with(TRANSACTION_PREFIX) && *n != name && !deleted.contains(n))
        .collect();
    assert!(kept.len() < MAX_TRANSACTIONS, "{} transactions kept besides the new one", kept.len());
    for n in &kept {
        for (_, v) in sent.iter().filter(|(s, _)| s == n) {
            assert!(open(&config.transaction_key, n, v, now).is_some(), "unreadable {n} kept");
        }
    }

    // The new transaction reads back under its state alone, for TRANSACTION_MAX_AGE seconds.
    let back = pair(own);
    let during = now + u.int_in_range(0..=TRANSACTION_MAX_AGE - 1)?;
    assert_eq!(Transaction::find(config, Some(back), &t.state, during), Some(t.clone()));
    assert_eq!(Transaction::find(config, Some(back), &t.state, now + TRANSACTION_MAX_AGE), None, "expired");
    let other = state(u, Some(&t.state))?;
    if other != t.state {
        assert_eq!(Transaction::find(config, Some(back), &other, during), None, "found under {other:?}");
    }
    assert_eq!(Transaction::find(config, Some(&format!("{back}; {back}")), &t.state, during), None, "sent twice");
    assert_eq!(pair(&t.clear()), format!("{name}="));
    Ok(())
}
