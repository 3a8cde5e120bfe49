//! Options read from JSON data, member by member: the one reader behind every options object a
//! caller passes (JavaScript objects, the guard's settings). Each mistake is an
//! [`Error::arg_type`] or [`Error::arg_value`] naming the member as the caller spells it
//! (`acrValues[1]`, `fallback.internalAcr`, `amr.all[0]`) and saying what it must be in
//! JavaScript's words ("must be an array of strings", "must be a whole number ≥ 0"). Unknown
//! members are refused, so a typo never drops a requirement, and no shape is read as another.
//!
//! Absent and `null` members read as unset, as JavaScript callers write optional options.

use serde_json::{Map, Value};

use crate::{Error, Result};

/// A type read from JSON data by [`Fields`]. `at` names the value itself: `""` for the caller's
/// own argument (its members are then named bare, `acrValues`), else a path (`fallback`,
/// `STEPUP_RULES[2]`) that members are named under.
pub trait FromJson: Sized {
    /// Reads the value, or names the first mistake.
    fn from_json(value: &Value, at: &str) -> Result<Self>;
}

/// `name` under `prefix` (`fallback` and `internalAcr` give `fallback.internalAcr`; no prefix
/// gives `internalAcr`).
pub fn path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Element `i` of the list at `at` (`acrValues[1]`).
fn item(at: &str, i: usize) -> String {
    format!("{at}[{i}]")
}

/// The members of one options object. `keys` lists the members it may have, optional ones marked
/// with a trailing `?`; they also describe the object in the message when it is not one
/// (`an object { useHighestLevel?, internalAcr? }`).
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    at: &'a str,
}

impl<'a> Fields<'a> {
    /// Checks that `value` is an object whose members are all among `keys`.
    pub fn new(value: &'a Value, at: &'a str, keys: &[&str]) -> Result<Self> {
        let Value::Object(map) = value else {
            return Err(Error::arg_type(at, format!("an object {{ {} }}", keys.join(", "))));
        };
        if let Some(unknown) = map.keys().find(|k| !keys.iter().any(|known| known.trim_end_matches('?') == k.as_str()))
        {
            return Err(Error::arg_value(path(at, unknown), "is not a known option"));
        }
        Ok(Fields { map, at })
    }

    /// Refuses `null` for members that state a requirement: elsewhere `null` reads as absent, but
    /// a rule or requirement written `acr: null` would then silently ask for nothing.
    pub fn refuse_null(self, names: &[&str]) -> Result<Self> {
        match names.iter().find(|name| self.map.get(**name).is_some_and(Value::is_null)) {
            Some(name) => Err(Error::arg_type(self.at(name), "given (leave it out to ask for nothing), not null")),
            None => Ok(self),
        }
    }

    /// The member's path, as the caller spells it.
    pub fn at(&self, name: &str) -> String {
        path(self.at, name)
    }

    /// The member, unless absent or `null`.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A member that must be given.
    pub fn required(&self, name: &str) -> Result<&'a Value> {
        self.get(name).ok_or_else(|| Error::arg_type(self.at(name), "present"))
    }

    /// An optional member read by `read` (given the value and its path).
    pub fn with<T>(&self, name: &str, read: impl FnOnce(&Value, &str) -> Result<T>) -> Result<Option<T>> {
        self.get(name).map(|v| read(v, &self.at(name))).transpose()
    }

    /// An optional nested options object.
    pub fn object<T: FromJson>(&self, name: &str) -> Result<Option<T>> {
        self.with(name, T::from_json)
    }

    /// An optional string.
    pub fn str(&self, name: &str) -> Result<Option<String>> {
        self.with(name, string)
    }

    /// A required string.
    pub fn string(&self, name: &str) -> Result<String> {
        string(self.required(name)?, &self.at(name))
    }

    /// An optional array of strings.
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        self.with(name, strings)
    }

    /// An optional whole number ≥ 0 (seconds, counts).
    pub fn whole(&self, name: &str) -> Result<Option<u64>> {
        self.with(name, whole)
    }

    /// An optional finite number.
    pub fn number(&self, name: &str) -> Result<Option<f64>> {
        self.with(name, |v, at| v.as_f64().ok_or_else(|| Error::arg_type(at, "a finite number")))
    }

    /// An optional `true` or `false`.
    pub fn bool(&self, name: &str) -> Result<Option<bool>> {
        self.with(name, |v, at| v.as_bool().ok_or_else(|| Error::arg_type(at, "true or false")))
    }

    /// An optional string from a fixed set, read as its meaning.
    pub fn one_of<T: Copy>(&self, name: &str, choices: &[(&str, T)]) -> Result<Option<T>> {
        self.with(name, |v, at| one_of(v, at, choices))
    }
}

/// A string.
pub fn string(value: &Value, at: &str) -> Result<String> {
    value.as_str().map(str::to_string).ok_or_else(|| Error::arg_type(at, "a string"))
}

/// An array whose elements are read by `read` (given each element and its path `at[i]`).
pub fn list<T>(value: &Value, at: &str, what: &str, read: impl Fn(&Value, &str) -> Result<T>) -> Result<Vec<T>> {
    let Value::Array(items) = value else { return Err(Error::arg_type(at, what)) };
    items.iter().enumerate().map(|(i, v)| read(v, &item(at, i))).collect()
}

/// An array of strings.
pub fn strings(value: &Value, at: &str) -> Result<Vec<String>> {
    list(value, at, "an array of strings", string)
}

/// A string or an array of strings, read as a list (`acr: "urn:mfa"` is `acr: ["urn:mfa"]`).
pub fn string_or_strings(value: &Value, at: &str) -> Result<Vec<String>> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        _ => list(value, at, "a string or an array of strings", string),
    }
}

/// A whole number ≥ 0. A number that is negative or has a fraction has the right type and the
/// wrong value.
pub fn whole(value: &Value, at: &str) -> Result<u64> {
    match value {
        Value::Number(n) => n.as_u64().ok_or_else(|| Error::arg_value(at, "must be a whole number ≥ 0")),
        _ => Err(Error::arg_type(at, "a whole number ≥ 0")),
    }
}

/// A string from a fixed set, read as its meaning.
pub fn one_of<T: Copy>(value: &Value, at: &str, choices: &[(&str, T)]) -> Result<T> {
    let names = || choices.iter().map(|(name, _)| format!("{name:?}")).collect::<Vec<_>>().join(", ");
    let Some(text) = value.as_str() else { return Err(Error::arg_type(at, format!("one of {}", names()))) };
    choices
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, meaning)| *meaning)
        .ok_or_else(|| Error::arg_value(at, format!("must be one of {}", names())))
}

/// An object whose members are all strings (`extraParams`, a method mapping).
pub fn string_map(value: &Value, at: &str, what: &str) -> Result<Vec<(String, String)>> {
    let Value::Object(map) = value else { return Err(Error::arg_type(at, what)) };
    map.iter().map(|(k, v)| Ok((k.clone(), string(v, &path(at, k))?))).collect()
}

/// Builds a JSON object for a result, leaving out members that are `None`.
#[derive(Default)]
pub struct Out(Map<String, Value>);

impl Out {
    /// A new, empty object.
    pub fn new() -> Self {
        Out::default()
    }

    /// Sets a member.
    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.insert(name.to_string(), value.into());
        self
    }

    /// Sets a member when there is a value.
    pub fn maybe(self, name: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(value) => self.set(name, value),
            None => self,
        }
    }

    /// The object.
    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

#[cfg(test)]
mod tests;
