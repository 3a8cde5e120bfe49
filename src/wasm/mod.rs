//! The JavaScript face of stepup: the only code that names wasm-bindgen, reads the platform
//! clock or CSPRNG, or calls WebCrypto. Each export parses its JS arguments into core types
//! ([`convert`]), calls the core, and turns results and errors back into JS values in one place.

mod convert;
pub mod errors;
pub mod request;
