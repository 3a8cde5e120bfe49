//! The edge guard's pure core (contract sections 6 and 7): its configuration ([`config`]), which
//! rule a request falls under ([`path`], [`rules`]), what it keeps in cookies ([`cookie`],
//! [`session`]), how it reads credentials ([`bearer`]) and where it sends browsers back
//! ([`redirect`]), the answers it writes ([`flow`]) and its answer to a request as a whole
//! ([`judge`]). The shell (the wasm layer and its JavaScript) only carries that answer out:
//! requests, responses, fetch, WebCrypto.

pub mod bearer;
pub mod config;
pub mod cookie;
pub mod flow;
pub mod judge;
pub mod path;
pub mod redirect;
pub mod rules;
pub mod session;
