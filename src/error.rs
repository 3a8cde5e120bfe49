//! The one error type of stepup (contract section 3).
//!
//! Every failure has a stable `code()`; JavaScript callers branch on the same strings. Caller
//! mistakes (`InvalidArgType`, `InvalidArgValue`) are kept apart from bad peer input the way
//! rustls keeps `ApiMisuse` apart: the wasm layer turns them into `TypeError`s, everything else
//! into a `StepUpError`.

use std::fmt;

/// Every code an [`Error`] can carry, in the contract's order. Pinned by a test and exported to
/// TypeScript as the `StepUpErrorCode` union.
pub const ERROR_CODES: [&str; 21] = [
    "ERR_JWT_MALFORMED",
    "ERR_JWT_TOO_LARGE",
    "ERR_JOSE_NOT_SUPPORTED",
    "ERR_JOSE_ALG_NOT_ALLOWED",
    "ERR_JWKS_INVALID",
    "ERR_JWKS_NO_MATCHING_KEY",
    "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
    "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    "ERR_JWT_EXPIRED",
    "ERR_JWT_CLAIM_VALIDATION_FAILED",
    "ERR_ACR_NOT_SATISFIED",
    "ERR_AMR_NOT_SATISFIED",
    "ERR_AUTH_TIME_TOO_OLD",
    "ERR_AUTH_RESPONSE_INVALID",
    "ERR_AUTH_RESPONSE_ERROR",
    "ERR_ISSUER_MISMATCH",
    "ERR_FETCH_FAILED",
    "ERR_INVALID_ARG_TYPE",
    "ERR_INVALID_ARG_VALUE",
    "ERR_CRYPTO_UNAVAILABLE",
    "ERR_STEP_UP_REQUIRED",
];

/// What a caller must ask the identity provider for when a step-up requirement is not met
/// (RFC 9470 §3): the ACR values in order of preference and the maximum authentication age.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shortfall {
    /// ACR values to send as `acr_values`, strongest acceptable first as configured.
    pub acr_values: Vec<String>,
    /// Seconds to send as `max_age`.
    pub max_age: Option<u64>,
}

/// A stepup failure. Marked `#[non_exhaustive]`: new failure kinds may be added without a major
/// version, so match on [`Error::code`] or keep a wildcard arm.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not a well-formed compact JWS/JWT (segments, base64url, JSON object, UTF-8, duplicates).
    JwtMalformed(String),
    /// The token is longer than the configured cap; nothing was decoded.
    JwtTooLarge {
        /// The token's length in bytes.
        size: usize,
        /// The cap in force.
        limit: usize,
    },
    /// A JOSE feature stepup deliberately refuses (JWE, `crit`, `b64:false`, `cty`).
    JoseNotSupported(String),
    /// The `alg` is not in the allow-list or does not fit the key.
    JoseAlgNotAllowed(String),
    /// The key set, or one key in it, is unusable.
    JwksInvalid(String),
    /// No key in the set fits the token's `kid`, `alg`, `use` and `key_ops`.
    JwksNoMatchingKey,
    /// The token names no `kid` and several keys fit, or a `kid` is not unique.
    JwksMultipleMatchingKeys,
    /// The signature does not verify.
    SignatureVerificationFailed,
    /// `exp` has passed (beyond the clock tolerance).
    JwtExpired,
    /// A claim is missing, has the wrong type or the wrong value.
    ClaimValidationFailed {
        /// The claim at fault (`iss`, `aud`, `nonce`, ...).
        claim: &'static str,
        /// Why, in lower case.
        reason: String,
    },
    /// The token's `acr` does not satisfy the requirement.
    AcrNotSatisfied(Shortfall),
    /// The token's `amr` does not satisfy the requirement.
    AmrNotSatisfied(Shortfall),
    /// The authentication is older than the requirement's `maxAge`.
    AuthTimeTooOld(Shortfall),
    /// An API answered with a step-up challenge (RFC 9470) that no token held meets: only a new
    /// sign-in asking for the shortfall can.
    StepUpRequired(Shortfall),
    /// The authorization response (callback) is not acceptable.
    AuthResponseInvalid {
        /// The response parameter at fault (`state`, `code`, `iss`, ...).
        param: String,
        /// Why, in lower case.
        reason: String,
    },
    /// The authorization response carried `error=` (RFC 6749 §4.1.2.1).
    AuthResponseError {
        /// The `error` code, e.g. `unmet_authentication_requirements`.
        error: String,
        /// The `error_description`, if any, as sent (untrusted text: escape before display).
        description: Option<String>,
    },
    /// A discovery `issuer` or an RFC 9207 `iss` parameter is not the expected issuer.
    IssuerMismatch {
        /// The issuer the caller expects.
        expected: String,
        /// The issuer that was presented.
        actual: String,
    },
    /// A discovery, JWKS or token endpoint could not be reached or answered badly.
    FetchFailed(String),
    /// Caller mistake: an argument or option has the wrong type or is missing.
    InvalidArgType {
        /// The argument or option, as the caller spells it (`params.clientId`).
        param: String,
        /// What was expected, e.g. `a string`.
        expected: String,
    },
    /// Caller mistake: an argument or option has an unacceptable value.
    InvalidArgValue {
        /// The argument or option, as the caller spells it.
        param: String,
        /// Why, in lower case.
        reason: String,
    },
    /// The platform has no cryptographically secure random source (or no WebCrypto where it is
    /// required); stepup never falls back to a weaker one.
    CryptoUnavailable(String),
}

impl Error {
    /// The stable code of contract section 3.
    pub fn code(&self) -> &'static str {
        match self {
            Error::JwtMalformed(_) => "ERR_JWT_MALFORMED",
            Error::JwtTooLarge { .. } => "ERR_JWT_TOO_LARGE",
            Error::JoseNotSupported(_) => "ERR_JOSE_NOT_SUPPORTED",
            Error::JoseAlgNotAllowed(_) => "ERR_JOSE_ALG_NOT_ALLOWED",
            Error::JwksInvalid(_) => "ERR_JWKS_INVALID",
            Error::JwksNoMatchingKey => "ERR_JWKS_NO_MATCHING_KEY",
            Error::JwksMultipleMatchingKeys => "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
            Error::SignatureVerificationFailed => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            Error::JwtExpired => "ERR_JWT_EXPIRED",
            Error::ClaimValidationFailed { .. } => "ERR_JWT_CLAIM_VALIDATION_FAILED",
            Error::AcrNotSatisfied(_) => "ERR_ACR_NOT_SATISFIED",
            Error::AmrNotSatisfied(_) => "ERR_AMR_NOT_SATISFIED",
            Error::AuthTimeTooOld(_) => "ERR_AUTH_TIME_TOO_OLD",
            Error::AuthResponseInvalid { .. } => "ERR_AUTH_RESPONSE_INVALID",
            Error::AuthResponseError { .. } => "ERR_AUTH_RESPONSE_ERROR",
            Error::IssuerMismatch { .. } => "ERR_ISSUER_MISMATCH",
            Error::FetchFailed(_) => "ERR_FETCH_FAILED",
            Error::InvalidArgType { .. } => "ERR_INVALID_ARG_TYPE",
            Error::InvalidArgValue { .. } => "ERR_INVALID_ARG_VALUE",
            Error::CryptoUnavailable(_) => "ERR_CRYPTO_UNAVAILABLE",
            Error::StepUpRequired(_) => "ERR_STEP_UP_REQUIRED",
        }
    }

    /// True for caller mistakes, which JavaScript sees as `TypeError`s.
    pub fn is_caller_mistake(&self) -> bool {
        matches!(self, Error::InvalidArgType { .. } | Error::InvalidArgValue { .. })
    }

    /// The claim at fault, for `ERR_JWT_CLAIM_VALIDATION_FAILED`.
    pub fn claim(&self) -> Option<&str> {
        match self {
            Error::ClaimValidationFailed { claim, .. } => Some(claim),
            _ => None,
        }
    }

    /// The parameter or option at fault, for callback errors and caller mistakes.
    pub fn param(&self) -> Option<&str> {
        match self {
            Error::AuthResponseInvalid { param, .. }
            | Error::InvalidArgType { param, .. }
            | Error::InvalidArgValue { param, .. } => Some(param),
            Error::IssuerMismatch { .. } => Some("iss"),
            _ => None,
        }
    }

    /// What to ask the identity provider for, for the step-up errors.
    pub fn shortfall(&self) -> Option<&Shortfall> {
        match self {
            Error::AcrNotSatisfied(s)
            | Error::AmrNotSatisfied(s)
            | Error::AuthTimeTooOld(s)
            | Error::StepUpRequired(s) => Some(s),
            _ => None,
        }
    }

    /// Shorthand for a caller passing the wrong type.
    pub fn arg_type(param: impl Into<String>, expected: impl Into<String>) -> Self {
        Error::InvalidArgType { param: param.into(), expected: expected.into() }
    }

    /// Shorthand for a caller passing a bad value.
    pub fn arg_value(param: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgValue { param: param.into(), reason: reason.into() }
    }

    /// Shorthand for a bad callback parameter.
    pub fn response(param: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::AuthResponseInvalid { param: param.into(), reason: reason.into() }
    }

    /// Shorthand for a bad claim.
    pub fn claim_invalid(claim: &'static str, reason: impl Into<String>) -> Self {
        Error::ClaimValidationFailed { claim, reason: reason.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::JwtMalformed(why) => write!(f, "malformed token: {why}"),
            Error::JwtTooLarge { size, limit } => {
                write!(f, "token is {size} bytes, over the {limit}-byte limit")
            }
            Error::JoseNotSupported(what) => write!(f, "not supported: {what}"),
            Error::JoseAlgNotAllowed(why) => write!(f, "algorithm not allowed: {why}"),
            Error::JwksInvalid(why) => write!(f, "invalid key set: {why}"),
            Error::JwksNoMatchingKey => f.write_str("no key in the key set matches the token"),
            Error::JwksMultipleMatchingKeys => {
                f.write_str("several keys in the key set match the token and it names no kid")
            }
            Error::SignatureVerificationFailed => f.write_str("signature verification failed"),
            Error::JwtExpired => f.write_str("token has expired (\"exp\" claim)"),
            Error::ClaimValidationFailed { claim, reason } => {
                write!(f, "\"{claim}\" claim: {reason}")
            }
            Error::AcrNotSatisfied(s) => {
                write!(f, "authentication context class is not sufficient (need one of: {})", s.acr_values.join(" "))
            }
            Error::AmrNotSatisfied(_) => f.write_str("authentication methods do not satisfy the requirement"),
            Error::AuthTimeTooOld(s) => match s.max_age {
                Some(max_age) => write!(f, "authentication is older than {max_age} seconds"),
                None => f.write_str("authentication is too old"),
            },
            Error::StepUpRequired(s) => {
                f.write_str("the API requires a step-up sign-in")?;
                if !s.acr_values.is_empty() {
                    write!(f, " (acr_values: {})", s.acr_values.join(" "))?;
                }
                match s.max_age {
                    Some(max_age) => write!(f, " (max_age: {max_age})"),
                    None => Ok(()),
                }
            }
            Error::AuthResponseInvalid { param, reason } => {
                write!(f, "authorization response \"{param}\" parameter: {reason}")
            }
            Error::AuthResponseError { error, .. } => {
                write!(f, "authorization server answered with error \"{error}\"")
            }
            Error::IssuerMismatch { expected, actual } => {
                write!(f, "issuer mismatch: expected \"{expected}\", got \"{actual}\"")
            }
            Error::FetchFailed(why) => write!(f, "fetch failed: {why}"),
            Error::InvalidArgType { param, expected } => {
                write!(f, "\"{param}\" must be {expected}")
            }
            Error::InvalidArgValue { param, reason } => write!(f, "\"{param}\": {reason}"),
            Error::CryptoUnavailable(what) => write!(f, "{what} is not available"),
        }
    }
}

impl std::error::Error for Error {}

/// The result type of every fallible stepup function.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
