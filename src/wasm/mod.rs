//! The JavaScript face of stepup: the only code that names wasm-bindgen, reads the platform
//! clock or CSPRNG, or calls WebCrypto. Each export parses its JS arguments into core types
//! ([`convert`]), calls the core, and turns results and errors back into JS values in one place.

#[cfg(feature = "client")]
pub mod client;
mod convert;
pub mod engine;
pub mod errors;
#[cfg(feature = "guard")]
mod flight;
#[cfg(feature = "guard")]
pub mod guard;
#[cfg(feature = "guard")]
mod http;
#[cfg(feature = "guard")]
mod provider;
pub mod request;
pub mod verifier;
#[cfg(feature = "guard")]
pub mod verify;
mod webcrypto;

/// `currentTime` when the caller gave one, else the platform clock, in seconds since the epoch.
fn now(current_time: Option<f64>) -> f64 {
    current_time.unwrap_or_else(|| js_sys::Date::now() / 1000.0)
}
