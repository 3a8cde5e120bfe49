//! Tabs that agree (README, "The browser `Client`"): a sign-in, step-up or sign-out in one tab is
//! told to the origin's other tabs, whose `onChange` listeners hear it. The shell carries the
//! messages on a `BroadcastChannel` named after the client's storage prefix, or, without one,
//! reads `storage` events of the `"local"` store; this module says what is sent, what a message
//! or a storage event means, and what a tab does about it.

use serde_json::{Map, Value};

use super::{stored, Client, Store};
use crate::options::{Fields, FromJson, Out};
use crate::Result;

/// What changed in a tab.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A sign-in or step-up finished there: new tokens, for the user and level of these claims
    /// (the verified ID token's).
    SignedIn(Map<String, Value>),
    /// A sign-out there: every token is forgotten.
    SignedOut,
}

/// The `stepup` member of a change message.
const CHANGE: &str = "change";

impl Change {
    /// The event `onChange` listeners get: `{ type: "signedIn", claims }` or
    /// `{ type: "signedOut" }`.
    pub fn event(&self) -> Value {
        match self {
            Change::SignedIn(claims) => Out::new().set("type", "signedIn").set("claims", claims.clone()).build(),
            Change::SignedOut => Out::new().set("type", "signedOut").build(),
        }
    }
}

/// Whether `event` (as [`Change::event`] wrote it) is a sign-out: the sign-ins under way here
/// are then cancelled too (README, "The browser `Client`").
pub fn signs_out(event: &Value) -> bool {
    event.get("type").and_then(Value::as_str) == Some("signedOut")
}

/// A change message: the change, and the issuer of the client that sent it.
struct Message {
    change: Change,
    issuer: String,
}

impl FromJson for Message {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["stepup", "type", "claims?", "iss"])?;
        let kind = o.one_of("type", &[("signedIn", true), ("signedOut", false)])?;
        match (o.one_of("stepup", &[(CHANGE, ())])?, kind) {
            (Some(()), Some(true)) => {
                let claims = o.with("claims", |v, at| match v {
                    Value::Object(map) => Ok(map.clone()),
                    _ => Err(crate::Error::arg_type(at, "an object")),
                })?;
                Ok(Message { change: Change::SignedIn(claims.unwrap_or_default()), issuer: o.string("iss")? })
            }
            (Some(()), Some(false)) => Ok(Message { change: Change::SignedOut, issuer: o.string("iss")? }),
            _ => Err(crate::Error::arg_type(at, "a change message")),
        }
    }
}

impl Client {
    /// The message that tells the other tabs of `change` (JSON text), with this client's issuer:
    /// the channel is named after the client id alone, and a client of the same id for another
    /// issuer hears it too.
    pub fn change_message(&self, change: &Change) -> String {
        let mut message = change.event();
        if let Value::Object(map) = &mut message {
            map.insert("stepup".into(), CHANGE.into());
            map.insert("iss".into(), self.issuer.as_str().into());
        }
        message.to_string()
    }

    /// A message another tab sent on the channel (`data`: its text, `None` when not text): the
    /// event for this tab's listeners and the keys this tab removes first
    /// ([`Client::heard_sign_out`] for a sign-out). A sign-out by the client of another issuer
    /// with this client id signs this one out too, as it did in its own tab (a sign-out clears
    /// everything under the client id) and as the origin's sign-out mark, which the two share,
    /// does in a tab that did not hear it; its sign-ins are not this client's. Anything else is
    /// not a change: `None`.
    pub fn changed(&self, data: Option<&str>, store: Store) -> Option<(Value, Vec<String>)> {
        let Message { change, issuer } = stored(data)?;
        let remove = match change {
            Change::SignedOut => self.heard_sign_out(store),
            Change::SignedIn(_) if issuer == self.issuer => Vec::new(),
            Change::SignedIn(_) => return None,
        };
        Some((change.event(), remove))
    }

    /// What a sign-out heard from another tab removes here: the call saved for a step-up, which
    /// this tab keeps in its own `sessionStorage` whatever the store (so it is never replayed
    /// with the tokens of whoever signs in next), and the tokens with the mark they were kept
    /// at, unless the store is `"local"`, which the other tab already cleared for every tab
    /// (clearing it again could remove a sign-in made here since).
    pub fn heard_sign_out(&self, store: Store) -> Vec<String> {
        match store {
            Store::Local => vec![self.key("pending")],
            Store::Session | Store::Memory | Store::Custom => {
                vec![self.key("tokens"), self.key("kept"), self.key("pending")]
            }
        }
    }

    /// A `storage` event of the `"local"` store (tabs without `BroadcastChannel`): the change
    /// it stands for, if any, and the keys this tab removes first. Only the token sets count:
    /// removed, a sign-out ([`Client::heard_sign_out`]); holding a sign-in the old value did not,
    /// a sign-in or step-up, told with its claims. Each sign-in's ID token carries the `nonce`
    /// sent for it (OIDC Core 3.1.3.7), so a `nonce` not held before is a new sign-in; a
    /// refresh's ID token carries the original one or none (OIDC Core 12.2), and is no change.
    pub fn storage_changed(
        &self,
        key: Option<&str>,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Option<(Value, Vec<String>)> {
        if key != Some(self.key("tokens").as_str()) {
            return None;
        }
        let Some(new) = new else {
            return old.map(|_| (Change::SignedOut.event(), self.heard_sign_out(Store::Local)));
        };
        let nonce = |claims: &Map<String, Value>| claims.get("nonce").and_then(Value::as_str).map(str::to_string);
        let known: Vec<String> = self.stored_sets(old).iter().filter_map(|s| nonce(&s.claims)).collect();
        self.stored_sets(Some(new))
            .into_iter()
            .filter(|s| nonce(&s.claims).is_some_and(|n| !known.contains(&n)))
            .max_by_key(|s| s.claims.get("auth_time").and_then(Value::as_u64))
            .map(|s| (Change::SignedIn(s.claims).event(), Vec::new()))
    }
}
