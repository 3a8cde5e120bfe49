//! A fake OP for tests: fixed keys (tests/vectors/keys/test-keys.json, generated once with node)
//! and jwt-compact's signing side, so tests mint a valid token and then mutate it (SECURITY §6.1).
//! Shared by the unit tests (through `#[path]`) and tests/catalog_tokens.rs.
#![allow(dead_code)]

use jwt_compact::alg::{Ed25519, Es256, Rsa, RsaPrivateKey};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{Algorithm, AlgorithmSignature};
use serde_json::{json, Map, Value};

use base64ct::{Base64UrlUnpadded, Encoding};

/// Unpadded base64url (the crate's own module is not reachable from both test kinds).
pub fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes unpadded base64url.
pub fn unb64(text: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(text).expect("base64url")
}

pub const ISS: &str = "https://idp.example";
pub const CLIENT: &str = "client-1";
pub const API: &str = "https://api.example";
pub const NONCE: &str = "n-0S6_WzA2Mj";
pub const NOW: i64 = 1_795_348_751;

/// Every fixed test key, private members included.
pub fn all_keys() -> Map<String, Value> {
    let text = include_str!("../vectors/keys/test-keys.json");
    let file: Value = serde_json::from_str(text).expect("test keys");
    file["keys"].as_object().expect("keys").clone()
}

/// One private JWK by name (`rsa1`, `ec1`, `ed1`, ...).
pub fn private_jwk(name: &str) -> Value {
    all_keys().get(name).unwrap_or_else(|| panic!("no test key {name}")).clone()
}

/// The public members of a test key, with `kid` and any further members.
pub fn public_jwk(name: &str, extra: Value) -> Value {
    let mut jwk = private_jwk(name);
    let members = jwk.as_object_mut().expect("object");
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        members.remove(private);
    }
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            members.insert(k, v);
        }
    }
    jwk
}

/// A JWKS text from entries.
pub fn jwks(entries: Vec<Value>) -> String {
    json!({ "keys": entries }).to_string()
}

/// The default key set: `k1` (rsa1, RS256), `k-ps` (rsa2, PS256), `k-es` (ec1), `k-ed` (ed1).
pub fn default_jwks() -> String {
    jwks(vec![
        public_jwk("rsa1", json!({"kid": "k1", "use": "sig", "alg": "RS256"})),
        public_jwk("rsa2", json!({"kid": "k-ps", "use": "sig", "alg": "PS256"})),
        public_jwk("ec1", json!({"kid": "k-es", "use": "sig", "alg": "ES256"})),
        public_jwk("ed1", json!({"kid": "k-ed", "use": "sig"})),
    ])
}

/// Signs `input` with the named key for a JOSE algorithm name (RS*/PS*/ES256/EdDSA).
pub fn sign_input(alg: &str, key: &str, input: &[u8]) -> Vec<u8> {
    let jwk: JsonWebKey<'static> = serde_json::from_value(private_jwk(key)).expect("jwk");
    match alg {
        "ES256" => {
            let sk = <Es256 as Algorithm>::SigningKey::try_from(&jwk).expect("p-256 key");
            Es256.sign(&sk, input).as_bytes().into_owned()
        }
        "EdDSA" | "Ed25519" => {
            let sk = <Ed25519 as Algorithm>::SigningKey::try_from(&jwk).expect("ed25519 key");
            Ed25519.sign(&sk, input).as_bytes().into_owned()
        }
        rsa_name => {
            let sk = RsaPrivateKey::try_from(&jwk).expect("rsa key");
            let alg: Rsa = rsa_name.parse().expect("rsa alg");
            alg.sign(&sk, input).as_bytes().into_owned()
        }
    }
}

/// `b64(header).b64(payload).b64(signature)` over raw header and payload bytes, signed with
/// `sign_alg` (which may differ from the header's `alg`).
pub fn sign_raw(sign_alg: &str, key: &str, header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let signature = sign_input(sign_alg, key, input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

/// Signs header and claims JSON values; the header's `alg` decides the signature algorithm.
pub fn sign(key: &str, header: &Value, claims: &Value) -> String {
    let alg = header["alg"].as_str().expect("alg").to_string();
    sign_raw(&alg, key, header.to_string().as_bytes(), claims.to_string().as_bytes())
}

/// The catalog's valid ID token claims (SECURITY §2).
pub fn id_claims() -> Value {
    json!({
        "iss": ISS, "sub": "u1", "aud": CLIENT, "exp": NOW + 300, "iat": NOW,
        "nonce": NONCE, "auth_time": NOW - 10, "acr": "urn:mfa", "amr": ["pwd", "otp"]
    })
}

/// Valid RFC 9068 access token claims.
pub fn at_claims() -> Value {
    json!({
        "iss": ISS, "sub": "u1", "aud": API, "exp": NOW + 300, "iat": NOW,
        "client_id": CLIENT, "jti": "at-1", "acr": "urn:mfa", "auth_time": NOW - 10
    })
}

/// `claims` with members replaced (`null` in `changes` removes the member).
pub fn with(mut claims: Value, changes: Value) -> Value {
    let members = claims.as_object_mut().expect("object");
    for (k, v) in changes.as_object().expect("changes").clone() {
        if v.is_null() {
            members.remove(&k);
        } else {
            members.insert(k, v);
        }
    }
    claims
}

/// A valid ID token by `k1` with the claims changed.
pub fn id_token(changes: Value) -> String {
    sign("rsa1", &json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}), &with(id_claims(), changes))
}

/// The signature segment of a token, decoded.
pub fn signature_of(token: &str) -> Vec<u8> {
    unb64(token.rsplit('.').next().unwrap_or_default())
}

/// The token with its signature replaced.
pub fn with_signature(token: &str, signature: &[u8]) -> String {
    let (input, _) = token.rsplit_once('.').expect("token");
    format!("{input}.{}", b64(signature))
}
