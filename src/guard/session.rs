//! What the guard keeps in cookies (contract section 6): the session (who signed in, how and when)
//! and one transaction per sign-in under way (state, nonce, PKCE verifier, where to return).
//!
//! Each transaction has its own cookie, named after its `state`, so several tabs can sign in at
//! once; at most [`MAX_TRANSACTIONS`] are kept and the oldest are deleted first (G04), so a
//! hundred abandoned tabs cannot grow the `Cookie` header past what the origin accepts.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::config::Config;
use super::cookie::{cookie_pairs, open, read, seal, set_cookie};
use crate::json::Object;
use crate::Result;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-stepup-session";
/// Transaction cookies are this prefix and the first characters of their `state`.
pub const TRANSACTION_PREFIX: &str = "__Host-stepup-tx-";
/// Sign-ins under way at once per browser.
pub const MAX_TRANSACTIONS: usize = 4;
/// How long a sign-in may take (G02: at most 600 seconds).
pub const TRANSACTION_MAX_AGE: u64 = 600;
/// Transaction cookies a sign-in looks at and deletes at most: a request carrying thousands
/// (a cookie bomb) costs neither thousands of MACs nor thousands of `Set-Cookie` lines (G04).
const MAX_EXAMINED: usize = 16;

/// The claims a session keeps from the ID token: enough to judge requirements and to tell the
/// origin who the user is, small enough for a cookie.
const SESSION_CLAIMS: [&str; 5] = ["sub", "acr", "amr", "auth_time", "sid"];

/// The session's claims, from a verified ID token.
pub fn session_claims(id_token: &Object) -> Map<String, Value> {
    SESSION_CLAIMS.iter().filter_map(|&name| Some((name.to_string(), id_token.get(name)?.clone()))).collect()
}

/// The session in a `Cookie` header, if it is intact and unexpired (G03: anything else is no
/// session at all).
pub fn read_session(config: &Config, cookie_header: Option<&str>, now: u64) -> Option<Arc<Map<String, Value>>> {
    let value = read(cookie_header?, SESSION_COOKIE)?;
    config.sessions.open(&config.session_key, SESSION_COOKIE, value, now)
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(config: &Config, claims: &Map<String, Value>, now: u64) -> Result<String> {
    let value = seal(&config.session_key, SESSION_COOKIE, claims, now + config.session_max_age)?;
    Ok(set_cookie(SESSION_COOKIE, &value, config.session_max_age))
}

/// A sign-in under way. Its `Debug` shows no secret (nonce, PKCE verifier, state).
#[derive(Clone, PartialEq, Eq)]
pub struct Transaction {
    /// `state` sent to the provider.
    pub state: String,
    /// `nonce` sent to the provider.
    pub nonce: String,
    /// The PKCE `code_verifier`.
    pub verifier: String,
    /// The path (and query) to return to: the request that needed the sign-in.
    pub return_to: String,
    /// `max_age` sent to the provider, if any.
    pub max_age: Option<u64>,
    /// When the sign-in started.
    pub created: u64,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("state", &"<redacted>")
            .field("nonce", &"<redacted>")
            .field("verifier", &"<redacted>")
            .field("return_to", &self.return_to)
            .field("max_age", &self.max_age)
            .field("created", &self.created)
            .finish()
    }
}

/// The cookie name of the transaction with this `state`.
pub fn transaction_cookie_name(state: &str) -> String {
    let short: String = state.chars().take(16).collect();
    format!("{TRANSACTION_PREFIX}{short}")
}

impl Transaction {
    fn payload(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("state".into(), self.state.clone().into());
        m.insert("nonce".into(), self.nonce.clone().into());
        m.insert("verifier".into(), self.verifier.clone().into());
        m.insert("return_to".into(), self.return_to.clone().into());
        if let Some(max_age) = self.max_age {
            m.insert("max_age".into(), max_age.into());
        }
        m.insert("created".into(), self.created.into());
        m
    }

    fn from_payload(m: &Map<String, Value>) -> Option<Transaction> {
        let text = |name: &str| m.get(name).and_then(Value::as_str).map(str::to_string);
        Some(Transaction {
            state: text("state")?,
            nonce: text("nonce")?,
            verifier: text("verifier")?,
            return_to: text("return_to")?,
            max_age: m.get("max_age").and_then(Value::as_u64),
            created: m.get("created").and_then(Value::as_u64)?,
        })
    }

    /// The `Set-Cookie` values for starting this sign-in: its own cookie, and deletions of the
    /// oldest transactions so that at most [`MAX_TRANSACTIONS`] remain (unreadable ones go too).
    pub fn start(&self, config: &Config, cookie_header: Option<&str>) -> Result<Vec<String>> {
        let name = transaction_cookie_name(&self.state);
        let value = seal(&config.transaction_key, &name, &self.payload(), self.created + TRANSACTION_MAX_AGE)?;
        // (created, position in the header, name). Browsers list older cookies first (RFC 6265
        // §5.4 step 2), which orders transactions started within the same second.
        let mut existing: Vec<(u64, usize, &str)> = cookie_pairs(cookie_header.unwrap_or_default())
            .filter(|(n, _)| n.starts_with(TRANSACTION_PREFIX) && *n != name)
            .take(MAX_EXAMINED)
            .enumerate()
            .map(|(position, (n, v))| {
                let created = open(&config.transaction_key, n, v, self.created)
                    .and_then(|m| Transaction::from_payload(&m))
                    .map_or(0, |t| t.created);
                (created, position, n)
            })
            .collect();
        // Newest first; everything past the newest MAX - 1 is deleted.
        existing.sort_by_key(|&(created, position, _)| std::cmp::Reverse((created, position)));
        let mut cookies: Vec<String> = existing
            .iter()
            .enumerate()
            .filter(|(i, (created, _, _))| *i + 1 >= MAX_TRANSACTIONS || *created == 0)
            .map(|(_, (_, _, n))| set_cookie(n, "", 0))
            .collect();
        cookies.push(set_cookie(&name, &value, TRANSACTION_MAX_AGE));
        Ok(cookies)
    }

    /// The transaction a callback with this `state` belongs to, if its cookie is intact and
    /// unexpired.
    pub fn find(config: &Config, cookie_header: Option<&str>, state: &str, now: u64) -> Option<Transaction> {
        let name = transaction_cookie_name(state);
        let value = read(cookie_header?, &name)?;
        let t = Transaction::from_payload(&open(&config.transaction_key, &name, value, now)?)?;
        (t.state == state).then_some(t)
    }

    /// `Set-Cookie` deleting this transaction's cookie (G02: deleted on callback).
    pub fn clear(&self) -> String {
        set_cookie(&transaction_cookie_name(&self.state), "", 0)
    }
}

#[cfg(test)]
mod tests;
