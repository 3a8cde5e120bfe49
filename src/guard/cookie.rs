//! The guard's cookies (contract section 6; SECURITY G01–G04): integrity-protected values in
//! `__Host-` cookies.
//!
//! A value is `base64url(payload) "." base64url(HMAC-SHA256)`, where the MAC covers the cookie's
//! name and payload under a key derived for one purpose from `STEPUP_SESSION_SECRET`. So a
//! transaction cookie cannot be replayed as a session cookie, a flipped byte or a truncated value
//! is simply no cookie (G03), and the expiry travels inside the MAC. Cookies are signed, not
//! encrypted: they hold nothing an attacker who can already read HttpOnly, Secure cookies could
//! not get elsewhere.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{base64url, json, Error, Result};

/// The longest cookie value the guard writes; browsers keep at least 4096 bytes per cookie
/// (RFC 6265 §6.1), name and attributes included.
pub const MAX_VALUE_LEN: usize = 3800;

/// A MAC key for one purpose.
pub struct CookieKey([u8; 32]);

impl std::fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieKey(..)")
    }
}

impl CookieKey {
    /// Derives the key for `purpose` from the configured secret (at least 32 bytes).
    pub fn derive(secret: &[u8], purpose: &str) -> Result<Self> {
        if secret.len() < 32 {
            return Err(Error::arg_value("STEPUP_SESSION_SECRET", "must be at least 32 bytes"));
        }
        Ok(CookieKey(hmac_sha256(secret, &[b"stepup cookie v1\0", purpose.as_bytes()])?))
    }
}

/// HMAC-SHA256 (RFC 2104) over the concatenation of `parts`. HMAC takes a key of any length
/// (RFC 2104 §2 hashes a longer one first), so the error never happens: the hmac crate's
/// constructor is fallible only because other MACs have fixed key lengths.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 32]> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| Error::arg_value("STEPUP_SESSION_SECRET", "is not a usable HMAC-SHA256 key"))?;
    for part in parts {
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().into())
}

/// Compares two MACs in constant time (only a length difference answers at once, and the
/// length of a MAC is no secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Seals a payload for the cookie `name`, valid until `expires_at` (seconds since the epoch).
pub fn seal(key: &CookieKey, name: &str, payload: &Map<String, Value>, expires_at: u64) -> Result<String> {
    let mut body = payload.clone();
    body.insert("exp".into(), expires_at.into());
    let body = base64url::encode(Value::Object(body).to_string().as_bytes());
    let mac = hmac_sha256(&key.0, &[name.as_bytes(), b"=", body.as_bytes()])?;
    let value = format!("{body}.{}", base64url::encode(&mac));
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::arg_value(name, format!("cookie would be {} bytes, over {MAX_VALUE_LEN}", value.len())));
    }
    Ok(value)
}

/// Opens a cookie value: the payload if the MAC is right and it has not expired, else `None`.
pub fn open(key: &CookieKey, name: &str, value: &str, now: u64) -> Option<Map<String, Value>> {
    let (payload, exp) = authentic(key, name, value)?;
    (now < exp).then_some(payload)
}

/// A cookie value's payload and expiry if its MAC is right, whatever the time.
fn authentic(key: &CookieKey, name: &str, value: &str) -> Option<(Map<String, Value>, u64)> {
    if value.len() > MAX_VALUE_LEN {
        return None;
    }
    let (body, mac) = value.split_once('.')?;
    let expected = hmac_sha256(&key.0, &[name.as_bytes(), b"=", body.as_bytes()]).ok()?;
    if !same(&base64url::decode(mac)?, &expected) {
        return None;
    }
    let mut payload = json::parse_object(&base64url::decode(body)?).ok()?;
    let exp = payload.remove("exp")?.as_u64()?;
    Some((payload, exp))
}

/// How many opened values an [`Opened`] keeps: a browser's session is opened once per isolate,
/// not on every request, and a flood of distinct valid cookies cannot grow memory past this.
pub const OPENED_SIZE: usize = 1024;

/// The values of one cookie (one key, one name) whose MAC was checked, so that the same value
/// again costs neither a MAC nor a JSON parse. Only the time can change what an authentic
/// value means, so the expiry is compared with `now` on every use. A value is found by its
/// payload part (signed, not secret) and counts only if its MAC part equals the one that was
/// checked, compared in constant time as [`open`] compares MACs: a value with a changed payload
/// or MAC is never found and is checked in full. A `Mutex`, not a `RefCell`, so that a
/// configuration stays shareable between threads natively (in wasm there is one thread).
#[derive(Debug, Default)]
pub struct Opened(Mutex<OpenedValues>);

#[derive(Debug, Default)]
struct OpenedValues {
    by_body: HashMap<Arc<str>, OpenedValue>,
    order: VecDeque<Arc<str>>,
}

#[derive(Debug)]
struct OpenedValue {
    mac: Box<str>,
    exp: u64,
    /// Shared with every request that presents the value: not copied per request.
    payload: Arc<Map<String, Value>>,
}

impl Opened {
    /// [`open`], answered from the values opened before when `value` is one of them.
    pub fn open(&self, key: &CookieKey, name: &str, value: &str, now: u64) -> Option<Arc<Map<String, Value>>> {
        let (body, mac) = value.split_once('.')?;
        // A poisoned lock (a panic elsewhere while it was held) only means nothing is kept: the
        // value is then checked in full.
        let kept = self.0.lock().ok().and_then(|values| {
            let seen = values.by_body.get(body)?;
            same(seen.mac.as_bytes(), mac.as_bytes()).then(|| (now < seen.exp).then(|| seen.payload.clone()))
        });
        if let Some(answer) = kept {
            return answer;
        }
        let (payload, exp) = authentic(key, name, value)?;
        if now >= exp {
            return None;
        }
        let payload = Arc::new(payload);
        let Ok(mut values) = self.0.lock() else { return Some(payload) };
        let body: Arc<str> = Arc::from(body);
        let seen = OpenedValue { mac: mac.into(), exp, payload: payload.clone() };
        if values.by_body.insert(body.clone(), seen).is_none() {
            values.order.push_back(body);
            if values.order.len() > OPENED_SIZE {
                if let Some(oldest) = values.order.pop_front() {
                    values.by_body.remove(&oldest);
                }
            }
        }
        Some(payload)
    }
}

/// A `Set-Cookie` value for a `__Host-` cookie: no `Domain`, `Path=/`, `Secure`, `HttpOnly`,
/// `SameSite=Lax` (G01, G02). `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age: u64) -> String {
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

/// The `name=value` pairs of a `Cookie` header, separated by `;` only: browsers accept `,` inside
/// a cookie's value, so `pref=x,__Host-stepup-session=…` is one cookie named `pref` — reading a
/// session out of it would let whoever sets `pref` (a sibling domain, the application) plant
/// one. Two `Cookie` lines, which Fetch `Headers` joins with `, `, therefore carry no session.
pub fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    // Only HTTP's own whitespace is trimmed (RFC 6265 §5.2), so no name reads as the session's
    // after a vertical tab or form feed.
    header.split(';').filter_map(|pair| pair.trim_matches([' ', '\t']).split_once('='))
}

/// The value of cookie `name` in a `Cookie` header. A name sent twice is ambiguous (a sibling
/// domain can plant a second cookie) and reads as absent.
pub fn read<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    let mut found = cookie_pairs(header).filter(|(n, _)| *n == name).map(|(_, v)| v);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests;
