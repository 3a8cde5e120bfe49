//! # stepup
//!
//! Step-up authentication with OpenID Connect ACR/AMR for single-page apps and edge workers: a
//! sensitive action must be done by a user who signed in strongly enough (`acr`, `amr`) and
//! recently enough (`auth_time`). stepup builds the sign-in request that asks for it, checks the
//! answer, and tells what to ask for next when it falls short (RFC 9470).
//!
//! ## Design choices
//! - **A pure core.** Everything outside `src/wasm/` does no I/O and reads no clock or random
//!   source: `now`, key sets, metadata and random bytes are arguments. The same core runs natively
//!   (`cargo test`), in browsers, in node and in edge workers.
//! - **One module per protocol step**, named after it: [`pkce`] (RFC 7636), [`authorize`] (the
//!   authorization request, OIDC Core 3.1.2.1), [`callback`] (the authorization response,
//!   RFC 6749 §4.1.2 and RFC 9207), [`discovery`] (OIDC Discovery 1.0 §4), with [`url`] and
//!   [`json`] holding the strict parsing they share, and [`options`] the one reader of a
//!   caller's options.
//! - **Parse, don't validate.** Inputs from a peer are parsed into typed values once, strictly:
//!   duplicate JSON members, repeated response parameters, padding in base64url and endpoints that
//!   could downgrade to plain HTTP are refused rather than interpreted.
//! - **One error type** ([`Error`]) with stable codes shared with JavaScript; caller mistakes are
//!   kept apart from bad peer input.
//!
//! ## Security model
//! stepup trusts its configuration (issuer, client id, endpoints, key sets handed to it) and
//! nothing that arrives with a request: callback parameters, tokens and discovery documents are
//! checked against that configuration before anything is derived from them. There is no weak
//! fallback: without a platform CSPRNG the wasm layer fails rather than generating guessable
//! `state`, `nonce` or PKCE values.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Panics cannot happen (hardening, issue 8): nothing outside the tests unwraps, indexes or slices
// in a way that can panic on what a peer sends. `tests/lint/no-panics.sh` checks the same by text.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::string_slice
    )
)]

pub mod access_token;
pub mod acr;
pub mod amr;
pub mod authorize;
pub mod base64url;
pub mod callback;
pub mod claims;
#[cfg(feature = "client")]
pub mod client;
pub mod discovery;
pub mod error;
#[cfg(feature = "guard")]
pub mod guard;
pub mod id_token;
pub mod introspection;
pub mod json;
pub mod jwks;
pub mod jws;
pub mod options;
pub mod pkce;
pub mod refresh;
mod secret;
pub mod step_up;
pub mod token_endpoint;
pub mod tokens;
pub mod url;
pub mod verifier;
pub mod verify;

pub use error::{Error, Result, Shortfall, ERROR_CODES};

/// The JavaScript bindings (wasm32 only). Public so the browser tests can call the exports as
/// Rust functions; JavaScript users see them through `pkg/stepup.js`.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm;
