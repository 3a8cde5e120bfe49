//! ACR policies (OIDC Core §2 `acr`, §3.1.2.1 `acr_values`): which authentication context class
//! satisfies which, which value to pick, which values to ask for.
//!
//! An `acr` value is an opaque string; only a deployment knows that `"LOA3"` is stronger than
//! `"LOA2"`. An [`AcrPolicy`] writes that knowledge down as a **ladder**, weakest rung first, where
//! one rung may hold several equivalent values. Everything here follows from three rules:
//! - **Matching is exact.** Values are compared byte for byte, case-sensitively: `"URN:MFA"`,
//!   `"urn:mfa "` and `"urn:mfa:weak"` are three strangers to `"urn:mfa"` (catalog E08).
//! - **Only the ladder orders.** A value on the ladder has the rank of its rung; a value off the
//!   ladder matches only itself and is never stronger than anything. With no ladder at all, values
//!   made only of ASCII digits rank as numbers (Fief's `"0"` < `"1"`, Keycloak's `"1"` < `"2"`),
//!   compared by magnitude, never lexically, so `"10"` > `"2"`.
//! - **Comparison follows SAML.** [`Comparison`] is SAML 2.0 core §3.3.2.2.1
//!   `RequestedAuthnContext/@Comparison`, applied to each required value; a token satisfies a
//!   list of required values when it satisfies any one of them, as `acr_values` means
//!   (OIDC Core §3.1.2.1: "in order of preference").
//!
//! A policy may also say that some `amr` combinations prove an ACR ([`AmrLevel`]): Auth0 reports
//! multi-factor sign-ins in `amr` as much as in `acr`. Those derived values are lower bounds, so
//! they count under `minimum` and `better` only.
//!
//! [`preset`] holds ready ladders for the dialects stepup meets, each documented with its source.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use crate::amr::{map_authentication_methods, methods_satisfy, MethodMapping};
use crate::options::{list, path, string_or_strings, strings, Fields, FromJson, Out};
use crate::{Error, Result};

/// The names [`preset`] accepts.
pub const PRESETS: [&str; 7] = ["fief", "auth0", "wso2", "janssen", "eidas", "nist", "phr"];

/// OpenID Provider Authentication Policy Extension (PAPE) 1.0 §4: "the End User authenticates to
/// the OpenID Provider by providing more than one authentication factor". Auth0 asserts it.
pub const PAPE_MULTI_FACTOR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
/// PAPE 1.0 §4: multi-factor where at least one factor is physical (a hardware device or
/// biometric).
pub const PAPE_MULTI_FACTOR_PHYSICAL: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical";
/// PAPE 1.0 §4: no shared secret is given to a party that the relying party might control.
pub const PAPE_PHISHING_RESISTANT: &str = "http://schemas.openid.net/pape/policies/2007/06/phishing-resistant";
/// PAPE 1.0 `openid.pape.auth_policies` value for "no policy was met".
pub const PAPE_NONE: &str = "http://schemas.openid.net/pape/policies/2007/06/none";
/// Janssen's internal ACR (level −1), used when nothing else is configured or can be invoked.
pub const JANSSEN_INTERNAL_ACR: &str = "default_password_auth";

/// How a token's `acr` is compared with one required value (SAML 2.0 core §3.3.2.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Comparison {
    /// The same value, or a value on the same rung (a rung declares its values equivalent).
    Exact,
    /// The same value, or one ranked at least as strong. The default.
    #[default]
    Minimum,
    /// A value ranked strictly stronger; the required value itself does not do.
    Better,
    /// The same value, or one ranked no stronger (the token's value must be ranked).
    Maximum,
}

/// One rung of a ladder: a value, or several values that count as equivalent. In JSON a string or
/// an array of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung(pub Vec<String>);

/// A list of ACR values that JSON may also give as a single string (`acr: "urn:mfa"`). Serialized
/// as an array.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcrList(pub Vec<String>);

/// "A token whose `amr` satisfies `all` and `any` counts as having at least `acr`."
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmrLevel {
    /// The ACR value such a token is taken to have (at least).
    pub acr: String,
    /// Methods that must all be in `amr`.
    pub all: Vec<String>,
    /// Methods of which at least one must be in `amr` (when not empty).
    pub any: Vec<String>,
}

/// An ACR policy: JavaScript's `{ ladder, comparison?, amrLevels? }`. The default (no ladder,
/// `minimum`) ranks decimal levels numerically and matches everything else exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcrPolicy {
    /// Rungs from weakest to strongest.
    pub ladder: Vec<Rung>,
    /// How a token's value is compared with each required value.
    pub comparison: Comparison,
    /// ACR values proven by `amr` combinations (lower bounds; see the module docs).
    pub amr_levels: Vec<AmrLevel>,
    /// The identity server's own authenticator names as `amr` values (WSO2's `method_refs`,
    /// [`MethodMapping`]), applied to a token's `amr` before any requirement or `amrLevels`
    /// entry reads it, so rules are written in RFC 8176 names whatever the server calls its
    /// methods.
    pub amr_mapping: MethodMapping,
}

/// Where a value stands. Within one policy every rank has the same kind: rungs when there is a
/// ladder, numbers when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rank<'a> {
    Rung(usize),
    /// Decimal digits without leading zeros (`""` is zero).
    Number(&'a str),
}

fn compare(a: Rank<'_>, b: Rank<'_>) -> Option<Ordering> {
    match (a, b) {
        (Rank::Rung(x), Rank::Rung(y)) => Some(x.cmp(&y)),
        // Without leading zeros a longer number is a larger one; equal lengths compare digit by
        // digit, which is what the byte order of ASCII digits does.
        (Rank::Number(x), Rank::Number(y)) => Some(x.len().cmp(&y.len()).then_with(|| x.cmp(y))),
        _ => None,
    }
}

impl AcrPolicy {
    /// Refuses a policy that cannot mean what its author meant: an empty rung, an empty value or
    /// one that could never be sent in `acr_values`, a value on two rungs (which rank would it
    /// have?), and an `amrLevels` entry that names no method (it would lift every token).
    pub fn check(&self) -> Result<()> {
        self.check_at("policy")
    }

    /// [`AcrPolicy::check`], naming parameters under `prefix` (`""` for none, or e.g.
    /// `STEPUP_ACR_POLICY`).
    pub fn check_at(&self, prefix: &str) -> Result<()> {
        let mut seen: Vec<&str> = Vec::new();
        for (i, rung) in self.ladder.iter().enumerate() {
            let rung_param = path(prefix, &format!("ladder[{i}]"));
            if rung.0.is_empty() {
                return Err(Error::arg_value(rung_param, "an empty rung ranks nothing"));
            }
            for (j, value) in rung.0.iter().enumerate() {
                let param = || match rung.0.len() {
                    1 => rung_param.clone(),
                    _ => format!("{rung_param}[{j}]"),
                };
                check_acr_value(value).map_err(|why| Error::arg_value(param(), why))?;
                if seen.contains(&value.as_str()) {
                    return Err(Error::arg_value(param(), format!("{value:?} is already on the ladder")));
                }
                seen.push(value);
            }
        }
        for (i, level) in self.amr_levels.iter().enumerate() {
            let param = path(prefix, &format!("amrLevels[{i}]"));
            check_acr_value(&level.acr).map_err(|why| Error::arg_value(format!("{param}.acr"), why))?;
            if level.all.is_empty() && level.any.is_empty() {
                return Err(Error::arg_value(param, "must name methods in all or any"));
            }
            for (name, list) in [("all", &level.all), ("any", &level.any)] {
                crate::amr::check_methods(&format!("{param}.{name}"), list)?;
            }
        }
        self.amr_mapping.check_at(&path(prefix, "amrMapping"))
    }

    /// A token's `amr` in the names requirements are written in: `amrMapping` applied to an
    /// array (its non-string elements prove nothing and are dropped, as [`crate::amr`] skips
    /// them); anything else, or a policy without a mapping, as sent.
    pub fn token_amr<'a>(&self, amr: Option<&'a Value>) -> Option<Cow<'a, Value>> {
        match amr {
            Some(Value::Array(items)) if !self.amr_mapping.is_empty() => {
                let names: Vec<String> = items.iter().filter_map(Value::as_str).map(str::to_string).collect();
                Some(Cow::Owned(Value::from(map_authentication_methods(&names, &self.amr_mapping))))
            }
            other => other.map(Cow::Borrowed),
        }
    }

    fn rank<'a>(&self, value: &'a str) -> Option<Rank<'a>> {
        if self.ladder.is_empty() {
            let numeric = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
            numeric.then(|| Rank::Number(value.trim_start_matches('0')))
        } else {
            self.ladder.iter().position(|rung| rung.0.iter().any(|v| v == value)).map(Rank::Rung)
        }
    }

    /// Orders two values by this policy: `None` when either is unranked (they are then only
    /// ever equal to themselves).
    pub fn compare(&self, a: &str, b: &str) -> Option<Ordering> {
        compare(self.rank(a)?, self.rank(b)?)
    }

    /// Whether the value `actual` satisfies the one value `required` under this policy's
    /// comparison.
    pub fn satisfies_value(&self, actual: &str, required: &str) -> bool {
        let same = actual == required;
        let order = self.compare(actual, required);
        match self.comparison {
            // Numbers have no rungs, so with no ladder "exact" is textual equality only.
            Comparison::Exact => same || (!self.ladder.is_empty() && order == Some(Ordering::Equal)),
            Comparison::Minimum => same || matches!(order, Some(Ordering::Greater | Ordering::Equal)),
            Comparison::Better => order == Some(Ordering::Greater),
            Comparison::Maximum => same || matches!(order, Some(Ordering::Less | Ordering::Equal)),
        }
    }

    /// The ACR values a token's `amr` proves through `amrLevels`, in the policy's order.
    pub fn derived_acrs<'a>(&'a self, amr: Option<&Value>) -> Vec<&'a str> {
        self.amr_levels.iter().filter(|l| methods_satisfy(amr, &l.all, &l.any)).map(|l| l.acr.as_str()).collect()
    }

    /// Whether a token with this `acr` and `amr` satisfies any of `required`. The asserted `acr`
    /// counts under every comparison; values derived from `amr` are lower bounds ("at least"), so
    /// they count under `minimum` and `better` only, since they cannot show that an
    /// authentication was exactly, or at most, something.
    pub fn token_satisfies(&self, acr: Option<&str>, amr: Option<&Value>, required: &[String]) -> bool {
        if acr_satisfies(acr, required, self) {
            return true;
        }
        if !matches!(self.comparison, Comparison::Minimum | Comparison::Better) {
            return false;
        }
        self.derived_acrs(amr).into_iter().any(|derived| required.iter().any(|r| self.satisfies_value(derived, r)))
    }
}

/// Whether the token's `acr` satisfies any one of `required` (OIDC `acr_values` are alternatives).
/// A missing or empty `acr` satisfies nothing, and an empty `required` is never satisfied.
pub fn acr_satisfies(actual: Option<&str>, required: &[String], policy: &AcrPolicy) -> bool {
    match actual {
        Some(actual) if !actual.is_empty() => required.iter().any(|r| policy.satisfies_value(actual, r)),
        _ => false,
    }
}

/// WSO2's `selectAcrFrom` as WSO2 Identity Server runs it. The seed describes it as evaluating "the
/// best/strongest ACR from the received and configured ACR lists"; WSO2 has no ranking of ACR
/// values, so its "best" is the configured order (`SelectAcrFromFunction.selectBestOutcome`): the
/// first of the `configured` values that the request asked for. `None` when the request asked for
/// none of them, or for nothing. For a choice by strength, see [`select_strongest_acr`].
pub fn select_acr_from(requested: &[String], configured: &[String]) -> Option<String> {
    configured.iter().find(|value| requested.contains(value)).cloned()
}

/// stepup's ranked counterpart of WSO2's `selectAcrFrom` ([`select_acr_from`]): among the values
/// in both lists, the strongest by the policy. Ties go to the first in `supported` order; unranked
/// values only count when no common value is ranked, and then the first common value in
/// `supported` order wins. `None` when the lists share nothing.
pub fn select_strongest_acr(requested: &[String], supported: &[String], policy: &AcrPolicy) -> Option<String> {
    let common: Vec<&String> = supported.iter().filter(|s| requested.contains(s)).collect();
    strongest_ranked(&common, policy).or_else(|| common.first().copied()).cloned()
}

fn strongest_ranked<'a>(values: &[&'a String], policy: &AcrPolicy) -> Option<&'a String> {
    let mut best: Option<(&String, Rank<'_>)> = None;
    for value in values {
        if let Some(rank) = policy.rank(value) {
            // Only a strictly stronger value replaces the best, so the first of equals stays.
            if best.is_none_or(|(_, b)| compare(rank, b) == Some(Ordering::Greater)) {
                best = Some((value, rank));
            }
        }
    }
    best.map(|(value, _)| value)
}

/// The last stages of [`resolve_acr_values`]; JavaScript's `fallback: { useHighestLevel?,
/// internalAcr? }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcrFallback {
    /// Janssen's `useHighestLevelScriptIfAcrScriptNotFound`: pick the strongest ranked
    /// `supported` value by the policy.
    pub use_highest_level: bool,
    /// The value used when nothing else applies (default Janssen's `default_password_auth`).
    pub internal_acr: String,
}

fn internal_acr() -> String {
    JANSSEN_INTERNAL_ACR.to_string()
}

impl Default for AcrFallback {
    fn default() -> Self {
        AcrFallback { use_highest_level: false, internal_acr: internal_acr() }
    }
}

/// The inputs of [`resolve_acr_values`]: JavaScript's `{ requested?, clientDefault?,
/// serverDefault?, supported?, fallback? }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcrResolution {
    /// `acr_values` of the request, in order of preference.
    pub requested: Vec<String>,
    /// The client's registered `default_acr_values` (OIDC Registration §2).
    pub client_default: Vec<String>,
    /// The server's default ACR (one value or several).
    pub server_default: Option<AcrList>,
    /// `acr_values_supported`; when given, every stage keeps only these values.
    pub supported: Option<Vec<String>>,
    /// The highest-level and internal stages; absent, resolution ends after the server default.
    pub fallback: Option<AcrFallback>,
}

impl AcrResolution {
    /// Refuses values that could never be sent in `acr_values` (empty, spaces, non-ASCII).
    pub fn check(&self) -> Result<()> {
        let server = self.server_default.as_ref().map(|l| l.0.as_slice()).unwrap_or_default();
        let supported = self.supported.as_deref().unwrap_or_default();
        for (name, list) in [
            ("requested", self.requested.as_slice()),
            ("clientDefault", self.client_default.as_slice()),
            ("serverDefault", server),
            ("supported", supported),
        ] {
            for (i, value) in list.iter().enumerate() {
                check_acr_value(value).map_err(|why| Error::arg_value(format!("{name}[{i}]"), why))?;
            }
        }
        if let Some(fallback) = &self.fallback {
            check_acr_value(&fallback.internal_acr).map_err(|why| Error::arg_value("fallback.internalAcr", why))?;
        }
        Ok(())
    }
}

/// The ACR values an authorization server applies, in Janssen's order of precedence
/// (`seeds/janssen-acr.md`, "ACR Precedence"):
/// 1. the request's `acr_values`;
/// 2. the client's `default_acr_values`;
/// 3. the server's default ACR;
/// 4. with `fallback.useHighestLevel`, the strongest ranked `supported` value by the policy;
/// 5. with any `fallback`, `fallback.internalAcr` (Janssen's `default_password_auth`, level −1).
///
/// When `supported` is given each of stages 1–3 keeps only supported values (in its own order,
/// without repeats), and a stage left empty falls through to the next, the way Janssen moves on
/// when a requested script is not enabled. The internal ACR is not filtered: Janssen never lists
/// it, yet it is always available. Janssen's prose checks the highest-level script before the
/// server default while its flowchart has no such step; stepup puts it after, so a configured
/// server default is never overridden by a guess. Without `fallback`, nothing applies and the
/// result is empty (let the provider decide).
pub fn resolve_acr_values(resolution: &AcrResolution, policy: &AcrPolicy) -> Vec<String> {
    let supported = resolution.supported.as_deref();
    let keep = |values: &[String]| -> Vec<String> {
        let mut kept: Vec<String> = Vec::new();
        for value in values {
            let allowed = supported.is_none_or(|s| s.contains(value));
            if allowed && !kept.contains(value) {
                kept.push(value.clone());
            }
        }
        kept
    };
    let server = resolution.server_default.as_ref().map(|l| l.0.as_slice()).unwrap_or_default();
    for stage in [resolution.requested.as_slice(), resolution.client_default.as_slice(), server] {
        let kept = keep(stage);
        if !kept.is_empty() {
            return kept;
        }
    }
    let Some(fallback) = &resolution.fallback else {
        return Vec::new();
    };
    if fallback.use_highest_level {
        let candidates: Vec<&String> = supported.unwrap_or_default().iter().collect();
        if let Some(best) = strongest_ranked(&candidates, policy) {
            return vec![best.clone()];
        }
    }
    vec![fallback.internal_acr.clone()]
}

/// An ACR value must be sendable in the space-separated `acr_values` parameter and in an RFC 9470
/// challenge: non-empty visible ASCII.
pub(crate) fn check_acr_value(value: &str) -> std::result::Result<(), &'static str> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be non-empty visible ASCII without spaces");
    }
    Ok(())
}

fn rungs(values: &[&[&str]]) -> Vec<Rung> {
    values.iter().map(|rung| Rung(rung.iter().map(|v| v.to_string()).collect())).collect()
}

fn on_ladder(ladder: &[&[&str]]) -> AcrPolicy {
    AcrPolicy { ladder: rungs(ladder), ..AcrPolicy::default() }
}

const SAML_PASSWORD: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";
const SAML_PPT: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
const SAML_KERBEROS: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos";
const SAML_KERBEROS_WSO2: &str = "urn:oasis:names:tc:SAML:2.0:classes:Kerberos";
const SAML_TLS_CLIENT: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient";
const SAML_X509: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:X509";
const WINDOWS: &str = "urn:federation:authentication:windows";

/// WSO2 Identity Server's `amr` holds the names of the authenticators that ran
/// (`seeds/wso2-acr-amr.md`: `"amr": ["DemoFaceIdAuthenticator", "BasicAuthenticator", …]`) until a
/// deployment maps them with `[[authentication_context.method_refs]]`. The `wso2` preset maps the
/// ones its documentation names, as its example does (`SMSOTP` → `sms`, `EmailOTP` → `otp`), plus
/// the username/password authenticator (`pwd`, RFC 8176 §2) and the TOTP authenticator (`totp`,
/// a one-time code: `otp`). Names it does not list stay as they are and match only themselves.
pub const WSO2_AUTHENTICATORS: [(&str, &str); 4] =
    [("BasicAuthenticator", "pwd"), ("SMSOTP", "sms"), ("EmailOTP", "otp"), ("totp", "otp")];

/// A ready policy (all with `comparison: "minimum"`):
///
/// - **`fief`**: `"0"` < `"1"`. Fief (`seeds/fief-acr.md`): level 0 is a session or refresh
///   token, level 1 a password sign-in. Levels Fief may add later are off this ladder, so they
///   match only themselves until the preset learns them (fail closed, not "assume stronger").
/// - **`auth0`**: PAPE `none` < `multi-factor` < `multi-factor-physical` (PAPE 1.0 §4 defines the
///   policies, and `none` is its "no policy met" value), with `amrLevels`
///   `[{ acr: multi-factor, any: ["mfa"] }]` because Auth0 documents checking `amr` for `mfa`
///   beside `acr` (`seeds/auth0-step-up.md`). `phishing-resistant` is deliberately off the ladder:
///   PAPE defines it independently of the factor count, so it matches only itself.
/// - **`wso2`**: the SAML 2.0 authentication context classes in WSO2's table
///   (`seeds/wso2-acr-amr.md`) with WSO2's sample `LOA1`–`LOA3`:
///   `[Password, LOA1]` < `[PasswordProtectedTransport, LOA2]` <
///   `[Kerberos, urn:oasis:names:tc:SAML:2.0:classes:Kerberos, windows]` <
///   `[TLSClient, X509, LOA3]`. Reasoning: a password sent in the clear is weakest, the same
///   password over a protected channel next; Kerberos and Integrated Windows Authentication never
///   send the password to the relying service; client certificates prove a private key. LOAn is
///   placed after NIST SP 800-63-2 (level 1 any password, level 2 single factor resisting
///   eavesdropping, level 3 a cryptographic or second factor). WSO2's page spells Kerberos without
///   `ac:`; the spelling of the SAML 2.0 Authentication Context spec is on the same rung. WSO2 itself defines no
///   order; deployments that mean something else by LOAn should write their own ladder.
///   Its `amrMapping` turns the authenticator names WSO2 puts in `amr` ([`WSO2_AUTHENTICATORS`])
///   into RFC 8176 names.
/// - **`janssen`**: the person-authentication scripts shipped with Janssen, by the `jansLevel`
///   they are installed with (`jans-linux-setup` `templates/scripts.ldif`), equal levels on one
///   rung: `default_password_auth` (−1, internal, `seeds/janssen-acr.md`) < `basic` (10) <
///   `basic_lock` (20) < `cert` (30) < `[otp, yubicloud]` (40) < `smpp` (45) <
///   `[duo, twilio_sms]` (50) < `super_gluu` (60) < `fido2` (70). Administrators change levels and
///   add scripts, so real deployments should build their own ladder from their own levels.
/// - **`eidas`**: `http://eidas.europa.eu/LoA/low` < `…/substantial` < `…/high` (eIDAS
///   Regulation 910/2014 Art. 8 assurance levels, URIs of the eIDAS SAML attribute profile).
/// - **`nist`**: login.gov's NIST SP 800-63-3 AAL URIs `http://idmanagement.gov/ns/assurance/aal/1`
///   < `…/aal/2` < `…/aal/3`. login.gov's variants `aal/2?phishing_resistant=true`,
///   `aal/2?hspd12=true` and `aal/3?hspd12=true` are left off the ladder on purpose: beside
///   `aal/2` they would let a plain AAL2 token satisfy a phishing-resistant requirement, so they
///   match only themselves.
/// - **`phr`**: OpenID Extended Authentication Profile (EAP) ACR Values 1.0: `phr`
///   (phishing-resistant) < `phrh` (phishing-resistant and hardware-protected).
///
/// An unknown name is `ERR_INVALID_ARG_VALUE` for `name`.
pub fn preset(name: &str) -> Result<AcrPolicy> {
    let policy = match name {
        "fief" => on_ladder(&[&["0"], &["1"]]),
        "auth0" => AcrPolicy {
            amr_levels: vec![AmrLevel {
                acr: PAPE_MULTI_FACTOR.to_string(),
                all: Vec::new(),
                any: vec!["mfa".to_string()],
            }],
            ..on_ladder(&[&[PAPE_NONE], &[PAPE_MULTI_FACTOR], &[PAPE_MULTI_FACTOR_PHYSICAL]])
        },
        "wso2" => AcrPolicy {
            amr_mapping: MethodMapping {
                mapping: WSO2_AUTHENTICATORS.iter().map(|(name, amr)| (name.to_string(), amr.to_string())).collect(),
                excluded: Vec::new(),
            },
            ..on_ladder(&[
                &[SAML_PASSWORD, "LOA1"],
                &[SAML_PPT, "LOA2"],
                &[SAML_KERBEROS, SAML_KERBEROS_WSO2, WINDOWS],
                &[SAML_TLS_CLIENT, SAML_X509, "LOA3"],
            ])
        },
        "janssen" => on_ladder(&[
            &[JANSSEN_INTERNAL_ACR],
            &["basic"],
            &["basic_lock"],
            &["cert"],
            &["otp", "yubicloud"],
            &["smpp"],
            &["duo", "twilio_sms"],
            &["super_gluu"],
            &["fido2"],
        ]),
        "eidas" => on_ladder(&[
            &["http://eidas.europa.eu/LoA/low"],
            &["http://eidas.europa.eu/LoA/substantial"],
            &["http://eidas.europa.eu/LoA/high"],
        ]),
        "nist" => on_ladder(&[
            &["http://idmanagement.gov/ns/assurance/aal/1"],
            &["http://idmanagement.gov/ns/assurance/aal/2"],
            &["http://idmanagement.gov/ns/assurance/aal/3"],
        ]),
        "phr" => on_ladder(&[&["phr"], &["phrh"]]),
        _ => return Err(Error::arg_value("name", format!("unknown preset (one of: {})", PRESETS.join(", ")))),
    };
    Ok(policy)
}

/// The comparisons by their JSON names, for reading.
const COMPARISONS: [(&str, Comparison); 4] = [
    ("exact", Comparison::Exact),
    ("minimum", Comparison::Minimum),
    ("better", Comparison::Better),
    ("maximum", Comparison::Maximum),
];

impl Comparison {
    /// The JSON name (`"minimum"`).
    pub fn name(self) -> &'static str {
        match self {
            Comparison::Exact => "exact",
            Comparison::Minimum => "minimum",
            Comparison::Better => "better",
            Comparison::Maximum => "maximum",
        }
    }
}

impl FromJson for AcrPolicy {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["ladder?", "comparison?", "amrLevels?", "amrMapping?"])?;
        let rung = |v: &Value, at: &str| string_or_strings(v, at).map(Rung);
        let level = |v: &Value, at: &str| AmrLevel::from_json(v, at);
        Ok(AcrPolicy {
            ladder: o
                .with("ladder", |v, at| list(v, at, "an array of rungs (strings or arrays of strings)", rung))?
                .unwrap_or_default(),
            comparison: o.one_of("comparison", &COMPARISONS)?.unwrap_or_default(),
            amr_levels: o
                .with("amrLevels", |v, at| list(v, at, "an array of objects { acr, all?, any? }", level))?
                .unwrap_or_default(),
            amr_mapping: o.object("amrMapping")?.unwrap_or_default(),
        })
    }
}

impl AcrPolicy {
    /// The policy as JavaScript's `{ ladder, comparison, amrLevels?, amrMapping? }`, a one-value
    /// rung as a string.
    pub fn to_json(&self) -> Value {
        let rung = |r: &Rung| match r.0.as_slice() {
            [one] => Value::from(one.as_str()),
            many => Value::from(many.to_vec()),
        };
        let levels: Vec<Value> = self
            .amr_levels
            .iter()
            .map(|l| {
                Out::new()
                    .set("acr", l.acr.as_str())
                    .maybe("all", (!l.all.is_empty()).then(|| l.all.clone()))
                    .maybe("any", (!l.any.is_empty()).then(|| l.any.clone()))
                    .build()
            })
            .collect();
        Out::new()
            .set("ladder", self.ladder.iter().map(rung).collect::<Vec<_>>())
            .set("comparison", self.comparison.name())
            .maybe("amrLevels", (!levels.is_empty()).then_some(levels))
            .maybe("amrMapping", (!self.amr_mapping.is_empty()).then(|| self.amr_mapping.to_json()))
            .build()
    }
}

impl FromJson for AmrLevel {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["acr", "all?", "any?"])?;
        Ok(AmrLevel {
            acr: o.string("acr")?,
            all: o.strings("all")?.unwrap_or_default(),
            any: o.strings("any")?.unwrap_or_default(),
        })
    }
}

impl FromJson for AcrList {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        string_or_strings(value, at).map(AcrList)
    }
}

impl FromJson for AcrFallback {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["useHighestLevel?", "internalAcr?"])?;
        Ok(AcrFallback {
            use_highest_level: o.bool("useHighestLevel")?.unwrap_or_default(),
            internal_acr: o.str("internalAcr")?.unwrap_or_else(internal_acr),
        })
    }
}

impl FromJson for AcrResolution {
    fn from_json(value: &Value, at: &str) -> Result<Self> {
        let o = Fields::new(value, at, &["requested?", "clientDefault?", "serverDefault?", "supported?", "fallback?"])?;
        Ok(AcrResolution {
            requested: o.strings("requested")?.unwrap_or_default(),
            client_default: o.strings("clientDefault")?.unwrap_or_default(),
            server_default: o.object("serverDefault")?,
            supported: o.with("supported", strings)?,
            fallback: o.object("fallback")?,
        })
    }
}

impl From<Vec<String>> for AcrList {
    fn from(values: Vec<String>) -> Self {
        AcrList(values)
    }
}

#[cfg(test)]
mod tests;
