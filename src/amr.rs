//! Authentication methods (`amr`, OIDC Core §2; values registered by RFC 8176 §2): requirements
//! on them, and WSO2-style translation of an identity server's method names into `amr` values.
//!
//! `amr` is a JSON array of strings. Anything else (a bare string, `null`, a number, an object)
//! proves nothing, and elements that are not strings are skipped rather than stringified (catalog
//! E09). Elements match exactly and case-sensitively: `"MFA"` is not `"mfa"` (E10); a deployment
//! that wants `otp` to count as `mfa` says so with [`MethodMapping`] or an ACR policy's
//! `amrLevels`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::options::{path, string_map, Fields, FromJson, Out};
use crate::{Error, Result};

/// A requirement on `amr`: JavaScript's `{ all?, any? }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmrRequirement {
    /// Methods that must all be present.
    pub all: Vec<String>,
    /// Methods of which at least one must be present (ignored when empty).
    pub any: Vec<String>,
}

impl AmrRequirement {
    /// True when the requirement names no method at all.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty() && self.any.is_empty()
    }

    /// [`AmrRequirement::check_at`] with parameters named as the object's members (`all[0]`).
    pub fn check(&self) -> Result<()> {
        self.check_at("")
    }

    /// Refuses empty method names, names with whitespace or control characters (they could never
    /// match a registered value, so they are typos) and names listed twice; parameters are named
    /// under `prefix` (`amr` gives `amr.all[0]`, `""` gives `all[0]`).
    pub fn check_at(&self, prefix: &str) -> Result<()> {
        check_methods(&path(prefix, "all"), &self.all)?;
        check_methods(&path(prefix, "any"), &self.any)
    }
}

impl FromJson for AmrRequirement {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["all?", "any?"])?;
        Ok(AmrRequirement { all: o.strings("all")?.unwrap_or_default(), any: o.strings("any")?.unwrap_or_default() })
    }
}

impl AmrRequirement {
    /// The requirement as JavaScript's `{ all?, any? }`.
    pub fn to_json(&self) -> Value {
        Out::new()
            .maybe("all", (!self.all.is_empty()).then(|| self.all.clone()))
            .maybe("any", (!self.any.is_empty()).then(|| self.any.clone()))
            .build()
    }
}

pub(crate) fn check_methods(param: &str, methods: &[String]) -> Result<()> {
    for (i, method) in methods.iter().enumerate() {
        let param = || format!("{param}[{i}]");
        check_method(method).map_err(|why| Error::arg_value(param(), why))?;
        if methods.iter().take(i).any(|m| m == method) {
            return Err(Error::arg_value(param(), format!("{method:?} is listed twice")));
        }
    }
    Ok(())
}

/// A method name that could be an `amr` element: not empty, no whitespace or control characters
/// (it could never match a registered value, so it is a typo).
fn check_method(method: &str) -> std::result::Result<(), &'static str> {
    if method.is_empty() || method.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must be a non-empty method name without spaces");
    }
    Ok(())
}

/// Whether a token's `amr` claim satisfies the requirement: every `all` method present, and at
/// least one `any` method present when `any` is not empty.
///
/// An empty requirement asks for nothing and is satisfied by any token, even one without `amr`
/// (callers that mean "some amr" must say which). A non-empty requirement is never satisfied by
/// an `amr` that is missing or not an array.
pub fn amr_satisfies(amr: Option<&Value>, requirement: &AmrRequirement) -> bool {
    methods_satisfy(amr, &requirement.all, &requirement.any)
}

pub(crate) fn methods_satisfy(amr: Option<&Value>, all: &[String], any: &[String]) -> bool {
    if all.is_empty() && any.is_empty() {
        return true;
    }
    let Some(Value::Array(items)) = amr else {
        return false;
    };
    let has = |method: &String| items.iter().any(|item| item.as_str() == Some(method.as_str()));
    all.iter().all(has) && (any.is_empty() || any.iter().any(has))
}

/// WSO2's `[[authentication_context.method_refs]]` (`seeds/wso2-acr-amr.md`): JavaScript's
/// `{ mapping?: { [method]: amrValue }, excluded?: string[] }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodMapping {
    /// Authenticator name → `amr` value (`method` → `amr_value`).
    pub mapping: BTreeMap<String, String>,
    /// Authenticator names to leave out (`excluded_methods`).
    pub excluded: Vec<String>,
}

impl FromJson for MethodMapping {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["mapping?", "excluded?"])?;
        let mapping = o.with("mapping", |v, at| string_map(v, at, "an object { [method]: amrValue }"))?;
        Ok(MethodMapping {
            mapping: mapping.unwrap_or_default().into_iter().collect(),
            excluded: o.strings("excluded")?.unwrap_or_default(),
        })
    }
}

impl MethodMapping {
    /// True when it maps and excludes nothing.
    pub fn is_empty(&self) -> bool {
        self.mapping.is_empty() && self.excluded.is_empty()
    }

    /// Refuses names that could never be an `amr` element (empty, spaces, control characters),
    /// on either side of the mapping and in `excluded`, named under `prefix`.
    pub fn check_at(&self, prefix: &str) -> Result<()> {
        for (method, value) in &self.mapping {
            let param = || path(prefix, &format!("mapping.{method}"));
            check_method(method).map_err(|why| Error::arg_value(param(), format!("names a method that {why}")))?;
            check_method(value).map_err(|why| Error::arg_value(param(), why))?;
        }
        check_methods(&path(prefix, "excluded"), &self.excluded)
    }

    /// The mapping as JavaScript's `{ mapping, excluded? }`.
    pub fn to_json(&self) -> Value {
        let mapping: serde_json::Map<String, Value> =
            self.mapping.iter().map(|(method, value)| (method.clone(), Value::from(value.as_str()))).collect();
        Out::new()
            .set("mapping", Value::Object(mapping))
            .maybe("excluded", (!self.excluded.is_empty()).then(|| self.excluded.clone()))
            .build()
    }
}

/// Translates an identity server's authenticator names into `amr` values: excluded names are
/// dropped (exclusion is by authenticator name and wins over a mapping), mapped names become their
/// `amr` value, others are kept as they are, and repeats are removed keeping the first occurrence,
/// so `["SMSOTP", "sms"]` with `SMSOTP → sms` gives `["sms"]`.
pub fn map_authentication_methods(methods: &[String], mapping: &MethodMapping) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for method in methods {
        if mapping.excluded.contains(method) {
            continue;
        }
        let value = mapping.mapping.get(method).unwrap_or(method);
        if !out.contains(value) {
            out.push(value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests;
