//! The edge guard's pure core (contract section 6): which rule a request falls under
//! ([`path`]), and, as the guard grows, the cookies and the decision for a request. The worker's
//! JavaScript glue (requests, responses, fetch, WebCrypto) lives in the wasm layer.

pub mod bearer;
pub mod cookie;
pub mod path;
pub mod redirect;
