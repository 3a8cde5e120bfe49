//! Sealed cookie values and the `Cookie` header (SECURITY G03): arbitrary values, names and
//! headers, and payloads sealed by stepup and then damaged.
//!
//! - Nothing the fuzzer writes opens: without the key, no value is a cookie.
//! - A sealed cookie opens to the payload it sealed, until it expires, under its own name and key
//!   only; any one-byte change, insertion, deletion or truncation makes it no cookie at all.
//! - `read` finds a cookie among any other cookies, and a name sent twice reads as absent.
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use stepup::guard::cookie::{open, read, seal, CookieKey, MAX_VALUE_LEN};

const NAME: &str = "__Host-stepup-session";

fn key(purpose: &str) -> CookieKey {
    CookieKey::derive(&[7u8; 32], purpose).expect("a 32-byte secret")
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured) -> Result<()> {
    let session = key("session");
    let now: u64 = u.int_in_range(0..=1u64 << 40)?;

    // Arbitrary values never open; arbitrary headers are read consistently.
    let value: String = u.arbitrary()?;
    assert_eq!(open(&session, NAME, &value, now), None, "forged {value:?}");
    let header: String = u.arbitrary()?;
    let name: String = if u.arbitrary()? { NAME.to_string() } else { u.arbitrary()? };
    check_read(&header, &name);

    // A payload stepup seals.
    let payload = payload(u)?;
    let expires_at = now + u.int_in_range(0..=100_000u64)?;
    let Ok(sealed) = seal(&session, NAME, &payload, expires_at) else { return Ok(()) };
    assert!(sealed.len() <= MAX_VALUE_LEN);
    assert!(sealed.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{sealed:?}");
    let mut expected = payload.clone();
    expected.remove("exp");
    assert_eq!(open(&session, NAME, &sealed, now), (now < expires_at).then(|| expected.clone()));
    let later = expires_at + u.int_in_range(0..=1000u64)?;
    assert_eq!(open(&session, NAME, &sealed, later), None, "expired");
    let alive = expires_at.saturating_sub(1).min(now);
    assert_eq!(open(&key("transaction"), NAME, &sealed, alive), None, "another purpose");
    assert_eq!(open(&session, "__Host-stepup-tx-x", &sealed, alive), None, "another name");

    // Damaged: one byte changed, inserted or removed, or the value cut short.
    let mut bytes = sealed.clone().into_bytes();
    let i = u.choose_index(bytes.len())?;
    match u.int_in_range(0..=3)? {
        0 => {
            let b: u8 = u.arbitrary()?;
            if b == bytes[i] {
                return Ok(());
            }
            bytes[i] = b;
        }
        1 => bytes.insert(i + usize::from(u.arbitrary::<bool>()?), u.arbitrary()?),
        2 => {
            bytes.remove(i);
        }
        _ => bytes.truncate(i),
    }
    if let Ok(damaged) = String::from_utf8(bytes) {
        assert_eq!(open(&session, NAME, &damaged, alive), None, "{damaged:?} opened");
    }

    // Among other cookies: found when its name is there once, absent when twice.
    let others: Vec<String> = u.arbitrary()?;
    let others: Vec<&str> =
        others.iter().map(|s| s.trim_matches(|c| c == ';' || c == ' ')).filter(|s| !s.contains(';')).collect();
    let position = u.choose_index(others.len() + 1)?;
    let mut pairs: Vec<String> = others.iter().map(|s| s.to_string()).collect();
    pairs.insert(position, format!("{NAME}={sealed}"));
    let header = pairs.join(if u.arbitrary()? { "; " } else { ";" });
    let twice = others.iter().any(|p| p.trim().split_once('=').is_some_and(|(n, _)| n == NAME));
    let found = read(&header, NAME);
    if twice {
        assert_eq!(found, None, "{header:?}: a cookie sent twice is ambiguous");
    } else {
        assert_eq!(found, Some(sealed.as_str()), "{header:?}");
        assert_eq!(open(&session, NAME, found.unwrap_or_default(), now), (now < expires_at).then_some(expected));
    }
    Ok(())
}

/// `read` returns a value of the header, and a second cookie of the same name hides both.
fn check_read(header: &str, name: &str) {
    let Some(value) = read(header, name) else { return };
    let start = value.as_ptr() as usize - header.as_ptr() as usize;
    assert!(start <= header.len() && header.get(start..start + value.len()) == Some(value));
    assert!(!value.contains(';'));
    let plain = !name.is_empty() && name == name.trim() && !name.contains([';', '=']);
    if plain {
        assert_eq!(read(&format!("{header}; {name}=x"), name), None, "{header:?} + {name}");
        assert_eq!(read(&format!("{name}=x;{header}"), name), None, "{name} + {header:?}");
    }
}

/// A payload such as the guard seals: strings, integers, booleans, null and lists of strings
/// (no floats: JSON text keeps them only to the nearest representable value).
fn payload(u: &mut Unstructured) -> Result<Map<String, Value>> {
    let mut m = Map::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let name: String = if u.ratio(1, 8)? { "exp".into() } else { u.arbitrary()? };
        let value = match u.int_in_range(0..=5)? {
            0 => Value::from(u.arbitrary::<String>()?),
            1 => Value::from(u.arbitrary::<u64>()?),
            2 => Value::from(u.arbitrary::<i64>()?),
            3 => Value::from(u.arbitrary::<bool>()?),
            4 => Value::Null,
            _ => Value::from(u.arbitrary::<Vec<String>>()?),
        };
        m.insert(name, value);
    }
    Ok(m)
}
