//! The edge guard's pure core (contract sections 6 and 7): its configuration ([`config`]), which
//! rule a request falls under ([`path`], [`rules`]), what it keeps in cookies ([`cookie`],
//! [`session`]), how it reads credentials ([`bearer`]) and where it sends browsers back
//! ([`redirect`]), and its answer to a request ([`flow`]). The worker's JavaScript glue (requests,
//! responses, fetch, WebCrypto) lives in the wasm layer.

pub mod bearer;
pub mod config;
pub mod cookie;
pub mod flow;
pub mod path;
pub mod redirect;
pub mod rules;
pub mod session;
