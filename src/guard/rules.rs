//! The guard's rules (contract section 7, `STEPUP_RULES`): which paths need what. A rule's need is
//! a step-up requirement, or a combination of them: `allOf` (every part) and `anyOf` (the first
//! part that holds, parts in order of preference), so one rule can say "phishing-resistant within
//! five minutes, or multi-factor with a hardware key".
//!
//! When a need falls short, [`Need::evaluate`] also says what to ask the provider for: the
//! first (most preferred) alternative of an `anyOf`; for an `allOf`, the ACR values of its first
//! short part that asks for any, and the smallest `max_age` any short part asks for, because one
//! authorization request can carry only one `acr_values` list and one `max_age`.

use serde_json::{Map, Value};

use super::path::{Pattern, Target};
use crate::acr::AcrPolicy;
use crate::step_up::{evaluate_step_up, Decision, Reason, Requirement};
use crate::{Error, Result};

/// What a rule needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// One requirement.
    One(Requirement),
    /// Every part.
    AllOf(Vec<Need>),
    /// Any part, the first being the one to ask for.
    AnyOf(Vec<Need>),
}

/// One rule: a path pattern, its need, and whether the path is an API (challenges, never
/// redirects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Which paths.
    pub pattern: Pattern,
    /// What they need.
    pub need: Need,
    /// Answer with RFC 9470 challenges even to browsers.
    pub api: bool,
}

/// The rules, first match wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules(pub Vec<Rule>);

/// How many endings of a key [`Rules::find_target`] matches when a path names a PHP script:
/// those that begin at one of its first 64 segments.
pub const CUT_ENDINGS: usize = 64;

impl Rules {
    /// Parses `STEPUP_RULES`, naming the offending member (`STEPUP_RULES[2].anyOf[0].acr[1]`).
    pub fn parse(json: &str, setting: &str) -> Result<Rules> {
        let value: Value = crate::json::parse_value(json.as_bytes())
            .map_err(|e| Error::arg_value(setting, format!("is not JSON: {e}")))?;
        let Value::Array(items) = value else {
            return Err(Error::arg_value(setting, "must be a JSON array of rules"));
        };
        let mut rules = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let at = format!("{setting}[{i}]");
            let Value::Object(mut members) = item else {
                return Err(Error::arg_value(at, "must be an object"));
            };
            let path = match members.remove("path") {
                Some(Value::String(path)) => path,
                _ => return Err(Error::arg_value(format!("{at}.path"), "must be a path pattern string")),
            };
            let pattern = Pattern::parse(&path).map_err(|why| Error::arg_value(format!("{at}.path"), why))?;
            let api = match members.remove("api") {
                None => false,
                Some(Value::Bool(api)) => api,
                Some(_) => return Err(Error::arg_value(format!("{at}.api"), "must be true or false")),
            };
            let need = need(members, &at)?;
            rules.push(Rule { pattern, need, api });
        }
        Ok(Rules(rules))
    }

    /// The rule for a request target's key ([`super::path::Target::key`]), or `None` when no
    /// rule guards it ([`Self::find_target`]).
    pub fn find(&self, key: &str) -> Option<Rule> {
        let mut matched = Vec::new();
        self.first_matches(key, &mut matched);
        Self::together(matched)
    }

    /// The first rule that matches `key` (wins); and, when they are others, the first that
    /// matches it segment by segment as written ([`super::path::Pattern::matches_segments`]) and
    /// the one with the longest path that matches it (nginx picks the longest prefix location):
    /// an earlier rule that matches only through a missing `/` or a string prefix does not
    /// overrule them (`/api*` before `/api-keys/*` for `/api-keys/new`, before `/api-keys*` for
    /// `/api-keys-rotate`), all hold.
    fn first_matches<'a>(&'a self, key: &str, matched: &mut Vec<&'a Rule>) {
        let first = self.0.iter().find(|r| r.pattern.matches(key));
        let written = self.0.iter().find(|r| r.pattern.matches_segments(key));
        // The first of the longest, so a tie keeps the written order.
        let longest = self.0.iter().filter(|r| r.pattern.matches(key)).rev().max_by_key(|r| r.pattern.path_len());
        for rule in [first, written, longest].into_iter().flatten() {
            if !matched.contains(&rule) {
                matched.push(rule);
            }
        }
    }

    /// One rule for all those that matched: all their needs (an API if any is).
    fn together(matched: Vec<&Rule>) -> Option<Rule> {
        match matched.as_slice() {
            [] => None,
            [one] => Some((*one).clone()),
            [first, ..] => Some(Rule {
                pattern: first.pattern.clone(),
                api: matched.iter().any(|r| r.api),
                need: Need::AllOf(matched.iter().map(|r| r.need.clone()).collect()),
            }),
        }
    }

    /// The rule for a target: its key's, and when a script runs with more path after it, the
    /// rules of the script's own path, of its `PATH_INFO` and of the path without the script too
    /// ([`Target::script`], [`Target::path_info`], [`Target::routed`]), and when it names a
    /// directory's index page, the directory's ([`Target::index`]); and those of the target's
    /// other readings ([`Target::readings`]), and of every ending of its key (of the first
    /// [`CUT_ENDINGS`]) and of what follows each segment that names a PHP script
    /// ([`Target::after_scripts`]), against each rule's path and its tails
    /// ([`Pattern::matches_tail`]), when a PHP script is named in it ([`Target::cut_anywhere`]). All the rules that match must hold when they differ
    /// (all needs; an API if any is), since the upstream may route by any of them.
    pub fn find_target(&self, target: &Target) -> Option<Rule> {
        if target.script.is_none() && target.index.is_none() && target.readings.is_empty() && !target.cut_anywhere {
            return self.find(&target.key);
        }
        let keys = [
            Some(&target.key),
            target.script.as_ref(),
            target.path_info.as_ref(),
            target.routed.as_ref(),
            target.index.as_ref(),
        ];
        let mut matched: Vec<&Rule> = Vec::with_capacity(keys.len());
        for key in keys.into_iter().flatten().chain(&target.readings) {
            self.first_matches(key, &mut matched);
        }
        if target.cut_anywhere {
            // What follows such a cut is routed relative to the directory the app is installed
            // in, which rules name (`/shop/admin/*` for Symfony in `/shop` routing
            // `/shopaindex.php/admin/x` as `/admin/x`): every rule whose path, or its path with
            // leading segments dropped, matches an ending holds. The cut falls within the app's
            // own script path (`/public/index.php`), so within its first bytes: endings begin at
            // one of the first `CUT_ENDINGS` segments (a script path of up to twice as many
            // bytes), which bounds the work an 8 KiB target of thousands of segments asks for.
            // The endings are slices: no key is built per ending.
            // And what follows each segment that names a PHP script, wherever it stands
            // (`Target::after_scripts`: Symfony finds its script's path anywhere).
            let endings = target
                .key
                .match_indices('/')
                .skip(1)
                .take(CUT_ENDINGS)
                .map(|(at, _)| target.key.get(at..).unwrap_or_default());
            for ending in endings.chain(target.after_scripts.iter().map(String::as_str)) {
                for rule in &self.0 {
                    if !matched.contains(&rule) && rule.pattern.matches_tail(ending) {
                        matched.push(rule);
                    }
                }
            }
        }
        Self::together(matched)
    }

    /// Every ACR value the rules may ask for, for checking against `acr_values_supported`.
    pub fn acr_values(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        for (i, rule) in self.0.iter().enumerate() {
            rule.need.acr_values(&format!("[{i}]"), &mut out);
        }
        out
    }
}

/// Reads a need: `allOf` or `anyOf` (a list of needs), or one requirement's members.
fn need(mut members: Map<String, Value>, at: &str) -> Result<Need> {
    let all_of = members.remove("allOf");
    let any_of = members.remove("anyOf");
    let (name, list) = match (all_of, any_of) {
        (Some(_), Some(_)) => return Err(Error::arg_value(at, "may have allOf or anyOf, not both")),
        (Some(list), None) => ("allOf", list),
        (None, Some(list)) => ("anyOf", list),
        (None, None) => {
            let requirement = <Requirement as crate::options::FromJson>::from_json(&Value::Object(members), at)?;
            requirement.check_at(at)?;
            return Ok(Need::One(requirement));
        }
    };
    if !members.is_empty() {
        return Err(Error::arg_value(at, format!("may combine requirements with {name} or state one, not both")));
    }
    let Value::Array(items) = list else {
        return Err(Error::arg_value(format!("{at}.{name}"), "must be a list of requirements"));
    };
    if items.is_empty() {
        return Err(Error::arg_value(format!("{at}.{name}"), "must list at least one requirement"));
    }
    let parts = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let part_at = format!("{at}.{name}[{i}]");
            match item {
                Value::Object(members) => need(members, &part_at),
                _ => Err(Error::arg_value(part_at, "must be an object")),
            }
        })
        .collect::<Result<Vec<Need>>>()?;
    Ok(if name == "allOf" { Need::AllOf(parts) } else { Need::AnyOf(parts) })
}

impl Need {
    fn acr_values<'a>(&'a self, at: &str, out: &mut Vec<(String, &'a str)>) {
        match self {
            Need::One(r) => {
                for (i, value) in r.acr.iter().flat_map(|l| l.0.iter()).enumerate() {
                    out.push((format!("{at}.acr[{i}]"), value.as_str()));
                }
            }
            Need::AllOf(parts) | Need::AnyOf(parts) => {
                let name = if matches!(self, Need::AllOf(_)) { "allOf" } else { "anyOf" };
                for (i, part) in parts.iter().enumerate() {
                    part.acr_values(&format!("{at}.{name}[{i}]"), out);
                }
            }
        }
    }

    /// Whether the claims meet the need at `now`, and if not what to ask for.
    pub fn evaluate(&self, claims: &Map<String, Value>, policy: &AcrPolicy, now: i64, tolerance: u64) -> Decision {
        match self {
            Need::One(r) => evaluate_step_up(claims, r, policy, now, tolerance),
            Need::AnyOf(parts) => {
                let mut first: Option<Decision> = None;
                for part in parts {
                    let decision = part.evaluate(claims, policy, now, tolerance);
                    if decision.satisfied {
                        return decision;
                    }
                    first.get_or_insert(decision);
                }
                first.unwrap_or_default()
            }
            Need::AllOf(parts) => {
                let mut out = Decision { satisfied: true, ..Decision::default() };
                for decision in parts.iter().map(|p| p.evaluate(claims, policy, now, tolerance)) {
                    if decision.satisfied {
                        continue;
                    }
                    out.satisfied = false;
                    for reason in decision.reasons {
                        if !out.reasons.contains(&reason) {
                            out.reasons.push(reason);
                        }
                    }
                    if out.acr_values.is_none() {
                        out.acr_values = decision.acr_values;
                    }
                    out.max_age = match (out.max_age, decision.max_age) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                out.reasons.sort_by_key(|r| match r {
                    Reason::Acr => 0,
                    Reason::Amr => 1,
                    Reason::MaxAge => 2,
                });
                out
            }
        }
    }
}

#[cfg(test)]
mod tests;
