//! SECURITY.md sections A–E as table-driven tests named by catalog ID, through the native
//! verifier (prepare → jwt-compact → finish → claims checks). Tokens are minted with fixed keys
//! and then mutated (SECURITY §6.1); tests/vectors/tokens.json (made by jose and raw WebCrypto)
//! runs here too, so the JavaScript and Rust answers are pinned to the same expectations.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/mint.rs"]
mod mint;

use mint::*;
use serde_json::{json, Value};
use stepup::access_token::AccessTokenOptions;
use stepup::claims::DEFAULT_CLOCK_TOLERANCE;
use stepup::id_token::IdTokenOptions;
use stepup::jwks::KeySet;
use stepup::options::FromJson;
use stepup::verify::{verify_access_token, verify_id_token};
use stepup::{jws, Error};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Id,
    Access,
}

#[derive(Debug, Clone)]
enum Expect {
    Accept,
    Code(&'static str),
    Claim(&'static str),
}
use Expect::{Accept, Claim, Code};

struct Row {
    id: &'static str,
    what: String,
    kind: Kind,
    token: String,
    jwks: Option<String>,
    opts: Value,
    expect: Expect,
}

fn row(id: &'static str, what: impl Into<String>, token: String, expect: Expect) -> Row {
    Row { id, what: what.into(), kind: Kind::Id, token, jwks: None, opts: json!({}), expect }
}

impl Row {
    fn jwks(mut self, jwks: String) -> Row {
        self.jwks = Some(jwks);
        self
    }
    fn opts(mut self, opts: Value) -> Row {
        self.opts = opts;
        self
    }
    fn access(mut self) -> Row {
        self.kind = Kind::Access;
        self
    }
}

fn merged(base: Value, extra: &Value) -> Value {
    let mut base = base;
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(&k);
        } else {
            base[k] = v;
        }
    }
    base
}

fn verify(kind: Kind, token: &str, jwks: &str, extra: &Value) -> Result<serde_json::Map<String, Value>, Error> {
    let keys = KeySet::parse(jwks.as_bytes())?;
    match kind {
        Kind::Id => {
            let base = json!({"issuer": ISS, "audience": CLIENT, "expectedNonce": NONCE, "currentTime": NOW});
            let opts = IdTokenOptions::from_json(&merged(base, extra), "").expect("options");
            let now = opts.current_time.unwrap_or(NOW as f64);
            verify_id_token(token, &keys, &opts, now)
        }
        Kind::Access => {
            let base = json!({"issuer": ISS, "audience": API, "currentTime": NOW});
            let opts = AccessTokenOptions::from_json(&merged(base, extra), "").expect("options");
            let now = opts.current_time.unwrap_or(NOW as f64);
            verify_access_token(token, &keys, &opts, now)
        }
    }
}

/// Runs every row and reports all failures at once, by ID.
fn run(rows: Vec<Row>) {
    let default = default_jwks();
    let mut failures = Vec::new();
    let count = rows.len();
    for r in rows {
        let got = verify(r.kind, &r.token, r.jwks.as_deref().unwrap_or(&default), &r.opts);
        let ok = match (&r.expect, &got) {
            (Accept, Ok(_)) => true,
            (Code(code), Err(e)) => e.code() == *code,
            (Claim(claim), Err(e)) => e.code() == "ERR_JWT_CLAIM_VALIDATION_FAILED" && e.claim() == Some(claim),
            _ => false,
        };
        if !ok {
            let got =
                got.map(|_| "accepted".to_string()).unwrap_or_else(|e| format!("{} {:?}: {e}", e.code(), e.claim()));
            failures.push(format!("{} {}: expected {:?}, got {got}", r.id, r.what, r.expect));
        }
    }
    assert!(failures.is_empty(), "{} of {count} rows failed:\n{}", failures.len(), failures.join("\n"));
}

fn header(alg: &str, kid: &str) -> Value {
    json!({"alg": alg, "kid": kid, "typ": "JWT"})
}

fn valid() -> String {
    id_token(json!({}))
}

fn segments(token: &str) -> (String, String, String) {
    let parts: Vec<&str> = token.split('.').collect();
    (parts[0].into(), parts[1].into(), parts[2].into())
}

/// Signs raw header and payload bytes with rsa1 (RS256).
fn raw(header: &str, payload: &[u8]) -> String {
    sign_raw("RS256", "rsa1", header.as_bytes(), payload)
}

const H1: &str = r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#;

#[test]
fn catalog_a_jose_parsing_and_structure() {
    let t = valid();
    let (h, p, s) = segments(&t);
    let claims = id_claims().to_string();
    let mut rows = vec![
        row("A01", "empty string", String::new(), Code("ERR_JWT_MALFORMED")),
        row("A02", "h.p", format!("{h}.{p}"), Code("ERR_JWT_MALFORMED")),
        row("A02", "p.s", format!("{p}.{s}"), Code("ERR_JWT_MALFORMED")),
        row("A02", "p", p.clone(), Code("ERR_JWT_MALFORMED")),
        row("A03", "h.p.s.x", format!("{t}.x"), Code("ERR_JWT_MALFORMED")),
        row("A03", "h.p.s.", format!("{t}."), Code("ERR_JWT_MALFORMED")),
        row("A04", "five-segment JWE", format!("{h}.a.b.c.d"), Code("ERR_JOSE_NOT_SUPPORTED")),
        row(
            "A05",
            "JSON serialization",
            json!({"payload": p, "signatures": [{"protected": h, "signature": s}]}).to_string(),
            Code("ERR_JWT_MALFORMED"),
        ),
        row("A06", ".p.s", format!(".{p}.{s}"), Code("ERR_JWT_MALFORMED")),
        row("A06", "h..s", format!("{h}..{s}"), Code("ERR_JWT_MALFORMED")),
        row("A06", ".p.", format!(".{p}."), Code("ERR_JWT_MALFORMED")),
        row("A07", "RS256 empty signature", format!("{h}.{p}."), Code("ERR_JWT_MALFORMED")),
        row(
            "A07",
            "ES256 empty signature",
            format!("{}.{p}.", b64(br#"{"alg":"ES256","kid":"k-es"}"#)),
            Code("ERR_JWT_MALFORMED"),
        ),
        row(
            "A07",
            "HS256 empty signature",
            format!("{}.{p}.", b64(br#"{"alg":"HS256"}"#)),
            Code("ERR_JOSE_ALG_NOT_ALLOWED"),
        ),
        row("A11", "claims {", raw(H1, b"{"), Code("ERR_JWT_MALFORMED")),
        row("A11", "trailing garbage", raw(H1, br#"{"sub":"x"} x"#), Code("ERR_JWT_MALFORMED")),
        row("A12", "overlong UTF-8", raw(H1, b"{\"sub\":\"a\xC0\xAFb\"}"), Code("ERR_JWT_MALFORMED")),
        row("A13", "lone surrogate", raw(H1, br#"{"sub":"\ud800"}"#), Code("ERR_JWT_MALFORMED")),
        row("A17", "leading space", format!(" {t}"), Code("ERR_JWT_MALFORMED")),
        row("A17", "trailing newline", format!("{t}\n"), Code("ERR_JWT_MALFORMED")),
        row("A17", "Bearer prefix", format!("Bearer {t}"), Code("ERR_JWT_MALFORMED")),
        row(
            "A18",
            "header with whitespace",
            raw("{ \"kid\" : \"k1\",\n\t\"alg\" : \"RS256\" }", claims.as_bytes()),
            Accept,
        ),
        row(
            "A19",
            "alg none then RS256",
            raw(r#"{"alg":"none","alg":"RS256","kid":"k1"}"#, claims.as_bytes()),
            Code("ERR_JWT_MALFORMED"),
        ),
        row(
            "A19",
            "kid twice",
            raw(r#"{"alg":"RS256","kid":"a","kid":"k1"}"#, claims.as_bytes()),
            Code("ERR_JWT_MALFORMED"),
        ),
        row(
            "A21",
            "crit urn:x",
            sign("rsa1", &json!({"alg":"RS256","kid":"k1","crit":["urn:x"],"urn:x":true}), &id_claims()),
            Code("ERR_JOSE_NOT_SUPPORTED"),
        ),
        row(
            "A21",
            "crit exp",
            sign("rsa1", &json!({"alg":"RS256","kid":"k1","crit":["exp"],"exp":1}), &id_claims()),
            Code("ERR_JOSE_NOT_SUPPORTED"),
        ),
        row(
            "A22",
            "b64 false",
            sign("rsa1", &json!({"alg":"RS256","kid":"k1","b64":false,"crit":["b64"]}), &id_claims()),
            Code("ERR_JOSE_NOT_SUPPORTED"),
        ),
        row(
            "A24",
            "zip",
            sign("rsa1", &json!({"alg":"RS256","kid":"k1","zip":"DEF"}), &id_claims()),
            Code("ERR_JOSE_NOT_SUPPORTED"),
        ),
        row(
            "A25",
            "embedded attacker jwk, real kid",
            sign("ec2", &json!({"alg":"ES256","kid":"k-es","jwk": public_jwk("ec2", json!({}))}), &id_claims()),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ),
        row(
            "A25",
            "embedded attacker jwk, no kid",
            sign("ec2", &json!({"alg":"ES256","jwk": public_jwk("ec2", json!({}))}), &id_claims()),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ),
        row(
            "A26",
            "x5c with the real kid",
            sign("rsa2", &json!({"alg":"RS256","kid":"k1","x5c":["MIIB"]}), &id_claims()),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ),
        row(
            "A27",
            "kid 0",
            sign("rsa1", &json!({"alg":"RS256","kid":0}), &id_claims()),
            Code("ERR_JWKS_NO_MATCHING_KEY"),
        ),
        row(
            "A27",
            "kid null",
            sign("rsa1", &json!({"alg":"RS256","kid":null}), &id_claims()),
            Code("ERR_JWKS_NO_MATCHING_KEY"),
        ),
        row(
            "A27",
            "kid {}",
            sign("rsa1", &json!({"alg":"RS256","kid":{}}), &id_claims()),
            Code("ERR_JWKS_NO_MATCHING_KEY"),
        ),
        row("A29", "8 MiB token", format!("{h}.{}.{s}", "A".repeat(8 << 20)), Code("ERR_JWT_TOO_LARGE")),
        row("A29", "64 KiB header", format!("{}.{p}.{s}", "e".repeat(64 << 10)), Code("ERR_JWT_TOO_LARGE")),
        row("A29", "10000-element aud", id_token(json!({"aud": vec![CLIENT; 10_000]})), Code("ERR_JWT_TOO_LARGE")),
        row(
            "A30",
            "claims nested 3000 deep",
            raw(H1, format!("{{\"a\":{}{}}}", "[".repeat(3000), "]".repeat(3000)).as_bytes()),
            Code("ERR_JWT_MALFORMED"),
        ),
        row(
            "A31",
            "__proto__ and constructor are data",
            id_token(json!({"__proto__": {"admin": true}, "constructor": {"prototype": 1}})),
            Accept,
        ),
        row(
            "A31",
            "__proto__ header member",
            sign("rsa1", &json!({"alg":"RS256","kid":"k1","__proto__":{"alg":"none"}}), &id_claims()),
            Accept,
        ),
    ];
    for (what, header) in [("\"HS256\"", "\"HS256\""), ("[]", "[]"), ("null", "null"), ("1", "1"), ("{", "{")] {
        rows.push(row("A08", format!("header {what}"), raw(header, claims.as_bytes()), Code("ERR_JWT_MALFORMED")));
    }
    for (what, alg) in
        [("missing", Value::Null), ("array", json!(["RS256"])), ("number", json!(1)), ("empty", json!(""))]
    {
        let mut h = json!({"kid": "k1"});
        if !alg.is_null() {
            h["alg"] = alg;
        }
        rows.push(row(
            "A09",
            format!("alg {what}"),
            sign_raw("RS256", "rsa1", h.to_string().as_bytes(), claims.as_bytes()),
            Code("ERR_JOSE_ALG_NOT_ALLOWED"),
        ));
    }
    for payload in ["0", "1", "-1", "true", "false", "null", "[]", "\"\""] {
        rows.push(row("A10", format!("claims {payload}"), raw(H1, payload.as_bytes()), Code("ERR_JWT_MALFORMED")));
    }
    for c in ['+', '/', '?', '#', ' ', '\t'] {
        for (i, name) in ["header", "payload", "signature"].iter().enumerate() {
            let mut parts = [h.clone(), p.clone(), s.clone()];
            parts[i].insert(4, c);
            rows.push(row("A14", format!("{c:?} in the {name}"), parts.join("."), Code("ERR_JWT_MALFORMED")));
        }
    }
    for (i, name) in ["header", "payload", "signature"].iter().enumerate() {
        let mut parts = [h.clone(), p.clone(), s.clone()];
        parts[i].push_str(if parts[i].len() % 4 == 2 { "==" } else { "=" });
        rows.push(row("A15", format!("padding on the {name}"), parts.join("."), Code("ERR_JWT_MALFORMED")));
    }
    // A16: a signature over the raw string with payload "AB" (unused bits set) and a valid
    // token whose signature's last character has a low bit flipped.
    let input = format!("{h}.AB");
    let sig = sign_input("RS256", "rsa1", input.as_bytes());
    rows.push(row("A16", "payload AB signed as is", format!("{input}.{}", b64(&sig)), Code("ERR_JWT_MALFORMED")));
    let mut flipped = t.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = match flipped[last] {
        b'A' => b'B',
        b'Q' => b'R',
        b'g' => b'h',
        b'w' => b'x',
        c => c ^ 1,
    };
    rows.push(row("A16", "signature low bit flipped", String::from_utf8(flipped).unwrap(), Code("ERR_JWT_MALFORMED")));
    for (id, what, claims) in [
        ("A20", "sub twice", r#""sub":"alice","sub":"admin""#),
        ("A20", "aud twice", r#""aud":"evil","aud":"client-1""#),
        ("A20", "exp twice", r#""exp":1,"exp":9999999999"#),
        ("A20", "acr twice", r#""acr":"urn:pwd","acr":"urn:mfa""#),
    ] {
        let text = format!(r#"{{"iss":"{ISS}","iat":{NOW},"nonce":"{NONCE}",{claims},"sub2":"x","aud2":"y"}}"#);
        rows.push(row(id, what, raw(H1, text.as_bytes()), Code("ERR_JWT_MALFORMED")));
    }
    for (what, crit) in
        [("[]", json!([])), ("\"b64\"", json!("b64")), ("[null]", json!([null])), ("[a,a]", json!(["a", "a"]))]
    {
        rows.push(row(
            "A23",
            format!("crit {what}"),
            sign("rsa1", &json!({"alg":"RS256","kid":"k1","crit":crit}), &id_claims()),
            Code("ERR_JOSE_NOT_SUPPORTED"),
        ));
    }
    for cty in ["JWT", "CBOR", "txt"] {
        rows.push(row(
            "A24",
            format!("cty {cty}"),
            sign("rsa1", &json!({"alg":"RS256","kid":"k1","cty":cty}), &id_claims()),
            Code("ERR_JOSE_NOT_SUPPORTED"),
        ));
    }
    for (member, value) in [
        ("jku", json!("https://evil.example/jwks")),
        ("x5u", json!("https://evil.example/cert")),
        ("x5c", json!(["MIIB"])),
    ] {
        let mut h = json!({"alg": "RS256", "kid": "attacker"});
        h[member] = value;
        rows.push(row(
            "A26",
            format!("{member} with an unknown kid"),
            sign("rsa2", &h, &id_claims()),
            Code("ERR_JWKS_NO_MATCHING_KEY"),
        ));
    }
    for kid in
        ["../../../../dev/null", "' OR '1'='1", "\u{0}", "__proto__", "constructor", &"k".repeat(8 << 10), "K1", "k1 "]
    {
        rows.push(row(
            "A28",
            format!("kid {:?}", kid.get(..20).unwrap_or(kid)),
            sign("rsa1", &header("RS256", kid), &id_claims()),
            Code("ERR_JWKS_NO_MATCHING_KEY"),
        ));
    }
    run(rows);
}

#[test]
fn catalog_a29_a30_limits_are_checked_first() {
    let keys = KeySet::parse(default_jwks().as_bytes()).unwrap();
    // A29: the cap applies to the raw string before any decoding: even garbage is "too large".
    let huge = "!".repeat(jws::DEFAULT_MAX_TOKEN_LENGTH + 1);
    let err = jws::prepare(&huge, &keys, &jws::DEFAULT_ALGORITHMS).unwrap_err();
    assert_eq!(err, Error::JwtTooLarge { size: huge.len(), limit: jws::DEFAULT_MAX_TOKEN_LENGTH });
    // A30: with the cap lifted, 100 000-deep nesting is refused by the JSON depth limit, not a
    // stack overflow.
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let token = raw(H1, deep.as_bytes());
    let limits = jws::Limits { max_token_length: usize::MAX };
    let prepared = jws::prepare_with(&token, &keys, &jws::DEFAULT_ALGORITHMS, &limits).unwrap();
    let verified = jws::verify_signature(prepared).unwrap();
    assert_eq!(verified.claims().unwrap_err().code(), "ERR_JWT_MALFORMED");
    let deep_jwks = format!("{{\"keys\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(KeySet::parse(deep_jwks.as_bytes()).unwrap_err().code(), "ERR_JWKS_INVALID");
}

/// P-256 group order n, big-endian.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa,
    0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Big-endian a − b for equal-length numbers (a ≥ b).
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = a[i] as i16 - b[i] as i16 - borrow;
        borrow = if d < 0 {
            d += 256;
            1
        } else {
            0
        };
        out[i] = d as u8;
    }
    out
}

/// Little-endian a + b (32 bytes, overflow dropped).
fn add_le(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = a[i] as u16 + b[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

/// Ed25519 group order L, little-endian.
const ED25519_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// DER `SEQUENCE { INTEGER r, INTEGER s }` of a raw P-256 signature (B12).
fn der(signature: &[u8]) -> Vec<u8> {
    let int = |x: &[u8]| {
        let x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
        let mut v = if x.first().is_some_and(|b| b & 0x80 != 0) { vec![0] } else { vec![] };
        v.extend(x);
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let body = [int(&signature[..32]), int(&signature[32..])].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

fn rsa_pss_token(salt_len: usize) -> String {
    use rsa::traits::PublicKeyParts;
    use rsa::{BigUint, Pss, RsaPrivateKey};
    use sha2::{Digest, Sha256};
    let jwk = private_jwk("rsa2");
    let big = |m: &str| BigUint::from_bytes_be(&unb64(jwk[m].as_str().unwrap()));
    let key = RsaPrivateKey::from_components(big("n"), big("e"), big("d"), vec![big("p"), big("q")]).unwrap();
    assert_eq!(key.size(), 256);
    let input = format!("{}.{}", b64(br#"{"alg":"PS256","kid":"k-ps"}"#), b64(id_claims().to_string().as_bytes()));
    let digest = Sha256::digest(input.as_bytes());
    let sig = key.sign_with_rng(&mut rsa::rand_core::OsRng, Pss::new_with_salt::<Sha256>(salt_len), &digest).unwrap();
    format!("{input}.{}", b64(&sig))
}

/// B19: a Bleichenbacher-2006 forgery for e = 3: `00 01 FF 00 DigestInfo‖hash‖garbage` whose
/// integer cube root is the "signature" (it cubes to the right prefix without reduction).
fn e3_forgery(input: &str) -> Vec<u8> {
    use rsa::BigUint;
    use sha2::{Digest, Sha256};
    let digest_info: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
        0x20,
    ];
    let mut block = vec![0x00, 0x01, 0xff, 0x00];
    block.extend(digest_info);
    block.extend(Sha256::digest(input.as_bytes()));
    let prefix_len = block.len();
    block.resize(256, 0xff);
    let root = BigUint::from_bytes_be(&block).cbrt();
    let cube = &root * &root * &root;
    let cube = cube.to_bytes_be();
    // The forged block has the right prefix (leading zero dropped by to_bytes_be).
    assert_eq!(&cube[..prefix_len - 1], &block[1..prefix_len]);
    let mut sig = root.to_bytes_be();
    while sig.len() < 256 {
        sig.insert(0, 0);
    }
    sig
}

#[test]
fn catalog_b_algorithms_and_signatures() {
    let t = valid();
    let (h, p, _) = segments(&t);
    let claims = id_claims();
    let es = sign("ec1", &header("ES256", "k-es"), &claims);
    let ed = sign("ed1", &header("EdDSA", "k-ed"), &claims);
    let ps = sign("rsa2", &header("PS256", "k-ps"), &claims);
    let xor = |token: &str| with_signature(token, &signature_of(token).iter().map(|b| b ^ 0x5a).collect::<Vec<_>>());
    let flip = |token: &str| {
        let mut sig = signature_of(token);
        sig[17] ^= 0x04;
        with_signature(token, &sig)
    };
    let es_sig = signature_of(&es);
    let mut rows = vec![
        row(
            "B02",
            "alg none, signature kept",
            format!("{}.{p}.{}", b64(br#"{"alg":"none"}"#), segments(&t).2),
            Code("ERR_JOSE_ALG_NOT_ALLOWED"),
        ),
        row(
            "B03",
            "HS256 with n as the secret",
            hs256(&unb64(private_jwk("rsa1")["n"].as_str().unwrap())),
            Code("ERR_JOSE_ALG_NOT_ALLOWED"),
        ),
        row(
            "B03",
            "HS256 with the JWK JSON as the secret",
            hs256(public_jwk("rsa1", json!({"kid":"k1"})).to_string().as_bytes()),
            Code("ERR_JOSE_ALG_NOT_ALLOWED"),
        ),
        row("B04", "RS256 token, PS256 registered", t.clone(), Code("ERR_JOSE_ALG_NOT_ALLOWED"))
            .opts(json!({"algorithms": ["PS256"]})),
        row("B04", "RS512 token", sign("rsa1", &header("RS512", "k1"), &claims), Code("ERR_JOSE_ALG_NOT_ALLOWED")),
        row("B04", "PS384 token", sign("rsa2", &header("PS384", "k-ps"), &claims), Code("ERR_JOSE_ALG_NOT_ALLOWED")),
        row("B06", "ES256 token, metadata says RS256", es.clone(), Code("ERR_JOSE_ALG_NOT_ALLOWED"))
            .opts(json!({"algorithms": ["RS256"]})),
        row("B07", "RS256 XOR 0x5A", xor(&t), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row("B07", "PS256 XOR 0x5A", xor(&ps), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row("B07", "ES256 XOR 0x5A", xor(&es), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row("B07", "EdDSA XOR 0x5A", xor(&ed), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row("B07", "RS256 one bit", flip(&t), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row("B07", "ES256 one bit", flip(&es), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row("B07", "EdDSA one bit", flip(&ed), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row(
            "B08",
            "kid renamed Xid",
            format!("{}.{p}.{}", b64(br#"{"alg":"RS256","Xid":"k1","typ":"JWT"}"#), segments(&t).2),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ),
        row(
            "B08",
            "payload changed",
            format!(
                "{h}.{}.{}",
                b64(with(claims.clone(), json!({"sub": "admin"})).to_string().as_bytes()),
                segments(&t).2
            ),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ),
        row(
            "B09",
            "HS256 truncated tag",
            {
                let t = hs256(b"0123456789abcdef0123456789abcdef");
                t[..t.len() - 3].to_string()
            },
            Code("ERR_JOSE_ALG_NOT_ALLOWED"),
        ),
        row("B10", "ES256 r = s = 0", with_signature(&es, &[0u8; 64]), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row("B12", "ES256 as DER", with_signature(&es, &der(&es_sig)), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row(
            "B12",
            "ES256 65 bytes",
            with_signature(&es, &[es_sig.clone(), vec![0]].concat()),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ),
        row("B12", "ES256 63 bytes", with_signature(&es, &es_sig[..63]), Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")),
        row(
            "B13",
            "ES256 high s (n - s) verifies",
            with_signature(&es, &[&es_sig[..32], &sub_be(&P256_N, &es_sig[32..])].concat()),
            Accept,
        ),
        row(
            "B14",
            "EdDSA S + L",
            {
                let sig = signature_of(&ed);
                with_signature(&ed, &[&sig[..32], &add_le(&sig[32..], &ED25519_L)[..]].concat())
            },
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ),
        row(
            "B16",
            "SHA-512 DigestInfo under RS256",
            with_signature(&t, &sign_input("RS512", "rsa1", format!("{h}.{p}").as_bytes())),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ),
        row(
            "B16",
            "PSS signature under RS256",
            with_signature(&t, &sign_input("PS256", "rsa1", format!("{h}.{p}").as_bytes())),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ),
        row("B17", "PSS salt 32 (control)", rsa_pss_token(32), Accept),
        row("B26", "EdDSA by default", ed.clone(), Accept),
        row(
            "B26",
            "Ed25519 not configured",
            sign("ed1", &header("Ed25519", "k-ed"), &claims),
            Code("ERR_JOSE_ALG_NOT_ALLOWED"),
        ),
        row("B26", "Ed25519 configured", sign("ed1", &header("Ed25519", "k-ed"), &claims), Accept)
            .opts(json!({"algorithms": ["Ed25519"]})),
        row("B26", "EdDSA when only Ed25519 is configured", ed.clone(), Code("ERR_JOSE_ALG_NOT_ALLOWED"))
            .opts(json!({"algorithms": ["Ed25519"]})),
        row(
            "B26",
            "Ed25519 token, key alg EdDSA",
            sign("ed1", &header("Ed25519", "k-ed"), &claims),
            Code("ERR_JWKS_NO_MATCHING_KEY"),
        )
        .opts(json!({"algorithms": ["Ed25519"]}))
        .jwks(jwks(vec![public_jwk("ed1", json!({"kid": "k-ed", "alg": "EdDSA"}))])),
    ];
    for alg in ["none", "NONE", "None", "nOnE"] {
        let token = format!("{}.{p}.", b64(json!({"alg": alg}).to_string().as_bytes()));
        rows.push(row("B01", format!("alg {alg}, empty signature"), token, Code("ERR_JOSE_ALG_NOT_ALLOWED")));
        let token = format!("{}.{p}.AAAA", b64(json!({"alg": alg}).to_string().as_bytes()));
        rows.push(row("B01", format!("alg {alg}, junk signature"), token, Code("ERR_JOSE_ALG_NOT_ALLOWED")));
    }
    for alg in ["rs256", "Rs256", "RS256 "] {
        rows.push(row(
            "B05",
            format!("alg {alg:?}"),
            sign_raw(
                "RS256",
                "rsa1",
                json!({"alg": alg, "kid": "k1"}).to_string().as_bytes(),
                claims.to_string().as_bytes(),
            ),
            Code("ERR_JOSE_ALG_NOT_ALLOWED"),
        ));
    }
    // B11: r, s ∈ {0, 1, n − 1, n} and all-ones (≥ n).
    let one = {
        let mut v = [0u8; 32];
        v[31] = 1;
        v
    };
    let n_minus_1 = sub_be(&P256_N, &one);
    let values: [(&str, Vec<u8>); 5] = [
        ("0", vec![0; 32]),
        ("1", one.to_vec()),
        ("n-1", n_minus_1),
        ("n", P256_N.to_vec()),
        ("2^256-1", vec![0xff; 32]),
    ];
    for (rn, r) in &values {
        for (sn, s) in &values {
            rows.push(row(
                "B11",
                format!("r = {rn}, s = {sn}"),
                with_signature(&es, &[r.clone(), s.clone()].concat()),
                Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
            ));
        }
    }
    rows.push(row(
        "B11",
        "r + n overflow",
        with_signature(
            &es,
            &[&es_sig[..32], &es_sig[32..]]
                .concat()
                .iter()
                .enumerate()
                .map(|(i, b)| if i < 32 { b | 0xff } else { *b })
                .collect::<Vec<_>>(),
        ),
        Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
    ));
    // B15: RSA signature values 0, 1, n − 1, n, all-ones, and wrong lengths.
    let n = unb64(private_jwk("rsa1")["n"].as_str().unwrap());
    let mut one_rsa = vec![0u8; 256];
    one_rsa[255] = 1;
    let rs_sig = signature_of(&t);
    for (what, sig) in [
        ("0", vec![0u8; 256]),
        ("1", one_rsa.clone()),
        ("n - 1", sub_be(&n, &one_rsa)),
        ("n", n.clone()),
        ("all ones", vec![0xff; 256]),
        ("leading zero byte", [vec![0], rs_sig.clone()].concat()),
        ("trailing zero byte", [rs_sig.clone(), vec![0]].concat()),
        ("truncated", rs_sig[..255].to_vec()),
    ] {
        rows.push(row(
            "B15",
            format!("RS256 signature {what}"),
            with_signature(&t, &sig),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ));
    }
    for salt in [0, 20, 64] {
        rows.push(row(
            "B17",
            format!("PSS salt {salt}"),
            rsa_pss_token(salt),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        ));
    }
    for (bits, key) in [(512, "rsa512"), (1024, "rsa1024"), (2040, "rsa2040")] {
        rows.push(
            row(
                "B18",
                format!("RSA {bits}-bit key"),
                sign(key, &header("RS256", "weak"), &claims),
                Code("ERR_JWKS_INVALID"),
            )
            .jwks(jwks(vec![public_jwk(key, json!({"kid": "weak"}))])),
        );
    }
    rows.push(
        row("B18", "RSA 4096-bit key (upper bound)", sign("rsa4096", &header("RS256", "big"), &claims), Accept)
            .jwks(jwks(vec![public_jwk("rsa4096", json!({"kid": "big"}))])),
    );
    for (what, e) in [("1", "AQ"), ("65536", "AQAA"), ("2", "Ag")] {
        rows.push(
            row("B19", format!("e = {what}"), t.clone(), Code("ERR_JWKS_INVALID"))
                .jwks(jwks(vec![public_jwk("rsa1", json!({"kid": "k1", "e": e}))])),
        );
    }
    let e3_jwks = jwks(vec![public_jwk("rsa3", json!({"kid": "e3"}))]);
    let e3 = sign("rsa3", &header("RS256", "e3"), &claims);
    rows.push(row("B19", "e = 3, valid signature", e3.clone(), Accept).jwks(e3_jwks.clone()));
    let (e3h, e3p, _) = segments(&e3);
    rows.push(
        row(
            "B19",
            "e = 3, Bleichenbacher forgery",
            with_signature(&e3, &e3_forgery(&format!("{e3h}.{e3p}"))),
            Code("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
        )
        .jwks(e3_jwks),
    );
    rows.push(
        row(
            "B20",
            "8192-bit key is unusable, not a crash",
            sign("rsa1", &header("RS256", "huge"), &claims),
            Code("ERR_JWKS_NO_MATCHING_KEY"),
        )
        .jwks(jwks(vec![
            public_jwk("rsa8192_public", json!({"kid": "huge"})),
            public_jwk("rsa1", json!({"kid": "k1"})),
        ])),
    );
    // B21: a key Infineon's RSALib made (tests/vectors/roca.json, see tests/js/fixtures/roca-key.mjs)
    // makes the set invalid like a short one; residues alone, without a common exponent, do not.
    let roca: Value = serde_json::from_str(include_str!("vectors/roca.json")).unwrap();
    for (what, member, expect) in [
        ("ROCA-structured key beside k1", "roca", Code("ERR_JWKS_INVALID")),
        ("fingerprint residues, no common exponent", "unstructured", Accept),
    ] {
        let other = with(roca[member].clone(), json!({"kid": "other"}));
        rows.push(
            row("B21", what, t.clone(), expect).jwks(jwks(vec![public_jwk("rsa1", json!({"kid": "k1"})), other])),
        );
    }
    rows.push(
        row("B22", "empty HMAC key in the set", hs256(b""), Code("ERR_JWKS_INVALID"))
            .jwks(jwks(vec![json!({"kty": "oct", "k": ""})])),
    );
    let ec1 = public_jwk("ec1", json!({"kid": "k-es"}));
    let ec2 = public_jwk("ec2", json!({}));
    for (what, x, y) in [
        ("point (0, 0)", b64(&[0; 32]), b64(&[0; 32])),
        ("point off the curve", ec1["x"].as_str().unwrap().to_string(), ec2["y"].as_str().unwrap().to_string()),
        ("x of 31 bytes", b64(&unb64(ec1["x"].as_str().unwrap())[1..]), ec1["y"].as_str().unwrap().to_string()),
        (
            "y of 33 bytes",
            ec1["x"].as_str().unwrap().to_string(),
            b64(&[vec![0], unb64(ec1["y"].as_str().unwrap())].concat()),
        ),
    ] {
        rows.push(
            row("B23", what, es.clone(), Code("ERR_JWKS_INVALID"))
                .jwks(jwks(vec![json!({"kty": "EC", "crv": "P-256", "kid": "k-es", "x": x, "y": y})])),
        );
    }
    for key in ["p384", "secp256k1"] {
        rows.push(
            row("B24", format!("ES256 token, {key} key"), es.clone(), Code("ERR_JWKS_NO_MATCHING_KEY"))
                .jwks(jwks(vec![public_jwk(key, json!({"kid": "k-es"}))])),
        );
    }
    rows.push(
        row("B25", "RS256 token, oct key", t.clone(), Code("ERR_JWKS_INVALID"))
            .jwks(jwks(vec![json!({"kty": "oct", "kid": "k1", "k": b64(&[7; 32])})])),
    );
    rows.push(row(
        "B25",
        "ES256 token naming an RSA key",
        sign("ec1", &header("ES256", "k1"), &claims),
        Code("ERR_JWKS_NO_MATCHING_KEY"),
    ));
    rows.push(row("B25", "kty missing", t.clone(), Code("ERR_JWKS_INVALID")).jwks(jwks(vec![{
        let mut k = public_jwk("rsa1", json!({"kid": "k1"}));
        k.as_object_mut().unwrap().remove("kty");
        k
    }])));
    for alg in ["ES256K", "HS512", "PS512", "foo", "RS384", "ES384", "ES512"] {
        rows.push(row(
            "B27",
            format!("{alg} not configured"),
            sign_raw(
                "RS256",
                "rsa1",
                json!({"alg": alg, "kid": "k1"}).to_string().as_bytes(),
                claims.to_string().as_bytes(),
            ),
            Code("ERR_JOSE_ALG_NOT_ALLOWED"),
        ));
    }
    run(rows);
}

/// An HS256 token MACed with `secret`, kid k1 (B03, B09, B22).
fn hs256(secret: &[u8]) -> String {
    use jwt_compact::alg::{Hs256, Hs256Key};
    use jwt_compact::{Algorithm, AlgorithmSignature};
    let input = format!("{}.{}", b64(br#"{"alg":"HS256","kid":"k1"}"#), b64(id_claims().to_string().as_bytes()));
    let tag = Hs256.sign(&Hs256Key::new(secret), input.as_bytes());
    format!("{input}.{}", b64(&tag.as_bytes()))
}

/// B28: the RFC 8037 Appendix A.4 known answer on the raw-JWS path (the payload is text).
#[test]
fn catalog_b28_rfc8037_known_answer_on_the_raw_path() {
    let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
    let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    let keys = KeySet::parse(jwks.as_bytes()).unwrap();
    let prepared = jws::prepare(token, &keys, &[jws::Alg::EdDSA]).unwrap();
    assert_eq!(unb64(prepared.payload_b64()), b"Example of Ed25519 signing");
    let verified = jws::verify_signature(prepared).unwrap();
    // The JWT path refuses it: the payload is not a JSON object.
    assert_eq!(verified.claims().unwrap_err().code(), "ERR_JWT_MALFORMED");
    // RFC 8037 A.3: the thumbprint of that key.
    assert_eq!(verified.key().thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

#[test]
fn catalog_c_keys_and_key_sets() {
    let claims = id_claims();
    let no_kid = sign("rsa1", &json!({"alg": "RS256"}), &claims);
    let rsa1 = |extra: Value| public_jwk("rsa1", extra);
    let t = valid();
    let mut rows = vec![
        row("C01", "no kid, one usable key among enc and EC keys", no_kid.clone(), Accept).jwks(jwks(vec![
            rsa1(json!({"use": "sig"})),
            public_jwk("rsa2", json!({"use": "enc"})),
            public_jwk("ec1", json!({})),
        ])),
        row("C02", "no kid, two usable keys", no_kid.clone(), Code("ERR_JWKS_MULTIPLE_MATCHING_KEYS"))
            .jwks(jwks(vec![rsa1(json!({})), public_jwk("rsa2", json!({}))])),
        row("C02", "no kid, the same key twice", no_kid.clone(), Accept)
            .jwks(jwks(vec![rsa1(json!({})), rsa1(json!({"kid": "other"}))])),
        row("C06", "matching kid, use enc", t.clone(), Code("ERR_JWKS_NO_MATCHING_KEY"))
            .jwks(jwks(vec![rsa1(json!({"kid": "k1", "use": "enc"}))])),
        row("C07", "key_ops [verify]", t.clone(), Accept)
            .jwks(jwks(vec![rsa1(json!({"kid": "k1", "key_ops": ["verify"]}))])),
        row("C08", "key alg PS256, token RS256", t.clone(), Code("ERR_JWKS_NO_MATCHING_KEY"))
            .jwks(jwks(vec![rsa1(json!({"kid": "k1", "alg": "PS256"}))])),
        row("C09", "two keys share kid k1", t.clone(), Code("ERR_JWKS_MULTIPLE_MATCHING_KEYS"))
            .jwks(jwks(vec![rsa1(json!({"kid": "k1"})), public_jwk("rsa2", json!({"kid": "k1"}))])),
        row("C09", "kid shared by an RSA and an EC key", t.clone(), Accept)
            .jwks(jwks(vec![rsa1(json!({"kid": "k1"})), public_jwk("ec1", json!({"kid": "k1"}))])),
        row("C10", "private d in the set", t.clone(), Code("ERR_JWKS_INVALID")).jwks(jwks(vec![private_jwk("rsa1")])),
        row("C10", "private d on another key", t.clone(), Code("ERR_JWKS_INVALID"))
            .jwks(jwks(vec![rsa1(json!({"kid": "k1"})), private_jwk("ec1")])),
        row("C10", "oct key, HS256 token", hs256(b"0123456789abcdef0123456789abcdef"), Code("ERR_JWKS_INVALID")).jwks(
            jwks(vec![
                rsa1(json!({"kid": "k1"})),
                json!({"kty": "oct", "kid": "k1", "k": b64(b"0123456789abcdef0123456789abcdef")}),
            ]),
        ),
        row(
            "C13",
            "iss of IdP B, signed with IdP A's key",
            id_token(json!({"iss": "https://idp-b.example"})),
            Claim("iss"),
        ),
    ];
    for (what, ops) in [("[encrypt]", json!(["encrypt"])), ("[]", json!([])), ("[sign]", json!(["sign"]))] {
        rows.push(
            row("C07", format!("key_ops {what}"), t.clone(), Code("ERR_JWKS_NO_MATCHING_KEY"))
                .jwks(jwks(vec![rsa1(json!({"kid": "k1", "key_ops": ops}))])),
        );
    }
    for (what, ops) in [
        ("[verify, verify]", json!(["verify", "verify"])),
        ("[verify, 0]", json!(["verify", 0])),
        ("\"verify\"", json!("verify")),
    ] {
        rows.push(
            row("C07", format!("key_ops {what}"), t.clone(), Code("ERR_JWKS_INVALID"))
                .jwks(jwks(vec![rsa1(json!({"kid": "k1", "key_ops": ops}))])),
        );
    }
    for (what, text) in [
        ("{}", "{}"),
        ("keys object", r#"{"keys":{}}"#),
        ("keys [1]", r#"{"keys":[1]}"#),
        ("not JSON", "not json"),
        ("array", "[]"),
        ("duplicate keys member", r#"{"keys":[],"keys":[]}"#),
    ] {
        rows.push(row("C11", format!("key set {what}"), t.clone(), Code("ERR_JWKS_INVALID")).jwks(text.to_string()));
    }
    run(rows);
}

#[test]
fn catalog_d_id_token_claims() {
    let claim_rows: Vec<(&'static str, &str, Value, Expect)> = vec![
        ("D01", "iss + 1", json!({"iss": format!("{ISS}1")}), Claim("iss")),
        ("D01", "iss other", json!({"iss": "https://example.org/"}), Claim("iss")),
        ("D02", "iss missing", json!({"iss": null}), Claim("iss")),
        ("D03", "trailing slash", json!({"iss": format!("{ISS}/")}), Claim("iss")),
        ("D03", "upper-case host", json!({"iss": "https://IDP.example"}), Claim("iss")),
        ("D03", "tenant prefix", json!({"iss": format!("{ISS}/tenant2")}), Claim("iss")),
        ("D03", "substring", json!({"iss": "https"}), Claim("iss")),
        ("D03", "array", json!({"iss": [ISS]}), Claim("iss")),
        ("D03", "number", json!({"iss": 1}), Claim("iss")),
        ("D04", "aud + 1", json!({"aud": format!("{CLIENT}1")}), Claim("aud")),
        ("D04", "aud other", json!({"aud": "https://example.com/"}), Claim("aud")),
        ("D05", "aud missing", json!({"aud": null}), Claim("aud")),
        ("D06", "aud [client]", json!({"aud": [CLIENT]}), Accept),
        ("D07", "two audiences, no azp", json!({"aud": [CLIENT, "other"]}), Claim("azp")),
        ("D07", "two audiences, azp other", json!({"aud": [CLIENT, "other"], "azp": "other"}), Claim("azp")),
        ("D07", "two audiences, azp client", json!({"aud": [CLIENT, "other"], "azp": CLIENT}), Accept),
        ("D08", "aud []", json!({"aud": []}), Claim("aud")),
        ("D08", "aud \"\"", json!({"aud": ""}), Claim("aud")),
        ("D08", "aud 123", json!({"aud": 123}), Claim("aud")),
        ("D08", "aud [123]", json!({"aud": [123]}), Claim("aud")),
        ("D08", "aud object", json!({"aud": {"0": CLIENT}}), Claim("aud")),
        ("D08", "aud [client, null]", json!({"aud": [CLIENT, null]}), Claim("aud")),
        ("D08", "aud [client, \"\"]", json!({"aud": [CLIENT, ""]}), Claim("aud")),
        ("D09", "single aud, azp other", json!({"azp": "other"}), Claim("azp")),
        ("D09", "single aud, azp client", json!({"azp": CLIENT}), Accept),
        ("D09", "azp a number", json!({"azp": 1}), Claim("azp")),
        ("D10", "sub missing", json!({"sub": null}), Claim("sub")),
        ("D11", "sub 1", json!({"sub": 1}), Claim("sub")),
        ("D11", "sub empty", json!({"sub": ""}), Claim("sub")),
        ("D11", "sub 256 chars", json!({"sub": "s".repeat(256)}), Claim("sub")),
        ("D11", "sub 255 chars", json!({"sub": "s".repeat(255)}), Accept),
        ("D11", "sub non-ASCII", json!({"sub": "usér"}), Claim("sub")),
        ("D12", "iat missing", json!({"iat": null}), Claim("iat")),
        ("D13", "iat a week old", json!({"iat": NOW - 7 * 86400}), Claim("iat")),
        ("D13", "iat 2 hours old (default max 24 h)", json!({"iat": NOW - 7200}), Accept),
        ("D14", "iat beyond skew", json!({"iat": NOW + 30 + 60}), Claim("iat")),
        ("D14", "iat at the skew", json!({"iat": NOW + 30}), Accept),
        ("D15", "exp missing", json!({"exp": null}), Claim("exp")),
        ("D16", "exp = now - 360", json!({"exp": NOW - 360}), Code("ERR_JWT_EXPIRED")),
        ("D17", "exp = now - skew", json!({"exp": NOW - 30}), Code("ERR_JWT_EXPIRED")),
        ("D17", "exp = now - skew + 1", json!({"exp": NOW - 29}), Accept),
        ("D18", "nbf = now + skew + 1", json!({"nbf": NOW + 31}), Claim("nbf")),
        ("D18", "nbf = now + skew", json!({"nbf": NOW + 30}), Accept),
        ("D19", "exp float", json!({"exp": 1.9e9}), Accept),
        ("D20", "nonce + 1", json!({"nonce": format!("{NONCE}1")}), Claim("nonce")),
        ("D20", "nonce other", json!({"nonce": "012345678"}), Claim("nonce")),
        ("D21", "nonce missing", json!({"nonce": null}), Claim("nonce")),
        ("D23", "nonce 5", json!({"nonce": 5}), Claim("nonce")),
        ("D23", "nonce [N]", json!({"nonce": [NONCE]}), Claim("nonce")),
        ("D26", "token for another client", json!({"aud": "other-client", "azp": "other-client"}), Claim("aud")),
        (
            "D29",
            "logout token claims (events)",
            json!({"events": {"http://schemas.openid.net/event/backchannel-logout": {}}, "nonce": NONCE}),
            Claim("typ"),
        ),
    ];
    let mut rows: Vec<Row> =
        claim_rows.into_iter().map(|(id, what, changes, expect)| row(id, what, id_token(changes), expect)).collect();
    for claim in ["exp", "iat", "nbf", "auth_time"] {
        for (what, value) in [
            ("\"1700000000\"", json!("1700000000")),
            ("null", Value::Null),
            ("true", json!(true)),
            ("[1]", json!([1])),
            ("{}", json!({})),
            ("2^64 - 1", json!(u64::MAX)),
            ("-1", json!(-1)),
        ] {
            let mut claims = id_claims();
            claims[claim] = value;
            let token = sign("rsa1", &header("RS256", "k1"), &claims);
            let name: &'static str = match claim {
                "exp" => "exp",
                "iat" => "iat",
                "nbf" => "nbf",
                _ => "auth_time",
            };
            rows.push(row("D19", format!("{claim} {what}"), token, Claim(name)));
        }
    }
    let text = format!(r#"{{"iss":"{ISS}","sub":"u1","aud":"{CLIENT}","exp":1e400,"iat":{NOW},"nonce":"{NONCE}"}}"#);
    rows.push(row("D19", "exp 1e400", raw(H1, text.as_bytes()), Code("ERR_JWT_MALFORMED")));
    rows.push(
        row("D13", "maxTokenAge 3600, iat 2 hours old", id_token(json!({"iat": NOW - 7200})), Claim("iat"))
            .opts(json!({"maxTokenAge": 3600})),
    );
    rows.push(
        row("D17", "skew 0, exp = now", id_token(json!({"exp": NOW})), Code("ERR_JWT_EXPIRED"))
            .opts(json!({"clockTolerance": 0})),
    );
    rows.push(
        row("D17", "skew 0, exp = now + 1", id_token(json!({"exp": NOW + 1})), Accept)
            .opts(json!({"clockTolerance": 0})),
    );
    rows.push(
        row("D22", "no nonce expected, token has one", valid(), Claim("nonce")).opts(json!({"expectedNonce": null})),
    );
    rows.push(
        row("D22", "no nonce expected, none in the token", id_token(json!({"nonce": null})), Accept)
            .opts(json!({"expectedNonce": null})),
    );
    for (typ, expect) in [
        (Some("JWT"), Accept),
        (Some("application/jwt"), Accept),
        (Some("jwt"), Accept),
        (Some("Application/JWT"), Accept),
        (None, Accept),
        (Some("at+jwt"), Claim("typ")),
        (Some("application/at+jwt"), Claim("typ")),
        (Some("logout+jwt"), Claim("typ")),
        (Some("JOSE"), Claim("typ")),
    ] {
        let mut h = json!({"alg": "RS256", "kid": "k1"});
        if let Some(typ) = typ {
            h["typ"] = json!(typ);
        }
        rows.push(row("D25", format!("typ {typ:?}"), sign("rsa1", &h, &id_claims()), expect));
    }
    rows.push(row(
        "D25",
        "typ 1",
        sign("rsa1", &json!({"alg": "RS256", "kid": "k1", "typ": 1}), &id_claims()),
        Claim("typ"),
    ));
    run(rows);
}

#[test]
fn catalog_e_step_up_and_access_tokens() {
    let max_age = json!({"maxAge": 300});
    let mut rows = vec![
        row("E01", "maxAge without auth_time", id_token(json!({"auth_time": null})), Claim("auth_time"))
            .opts(max_age.clone()),
        row(
            "E02",
            "auth_time = now - 301 - skew",
            id_token(json!({"auth_time": NOW - 331})),
            Code("ERR_AUTH_TIME_TOO_OLD"),
        )
        .opts(max_age.clone()),
        row("E02", "auth_time = now - 300 - skew", id_token(json!({"auth_time": NOW - 330})), Accept)
            .opts(max_age.clone()),
        row("E04", "auth_time in the future", id_token(json!({"auth_time": NOW + 30 + 60})), Claim("auth_time"))
            .opts(max_age.clone()),
        row(
            "E04",
            "auth_time in the future, no maxAge",
            id_token(json!({"auth_time": NOW + 30 + 60})),
            Claim("auth_time"),
        ),
        row(
            "E06",
            "requirement urn:mfa, token urn:pwd",
            id_token(json!({"acr": "urn:pwd"})),
            Code("ERR_ACR_NOT_SATISFIED"),
        )
        .opts(json!({"requirement": {"acr": ["urn:mfa"]}})),
        row("E06", "requirement urn:mfa, no acr", id_token(json!({"acr": null})), Code("ERR_ACR_NOT_SATISFIED"))
            .opts(json!({"requirement": {"acr": ["urn:mfa"]}})),
        row("E06", "requirement urn:mfa met", valid(), Accept).opts(json!({"requirement": {"acr": ["urn:mfa"]}})),
        row("E08", "URN:MFA is not urn:mfa", id_token(json!({"acr": "URN:MFA"})), Code("ERR_ACR_NOT_SATISFIED"))
            .opts(json!({"requirement": {"acr": ["urn:mfa"]}})),
        row("E10", "requirement amr mfa, token [pwd, otp]", valid(), Code("ERR_AMR_NOT_SATISFIED"))
            .opts(json!({"requirement": {"amr": {"all": ["mfa"]}}})),
        row("E02", "requirement maxAge 5", valid(), Code("ERR_AUTH_TIME_TOO_OLD"))
            .opts(json!({"requirement": {"maxAge": 5}, "clockTolerance": 0})),
        row(
            "valid",
            "access token at+jwt",
            sign("rsa1", &json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}), &at_claims()),
            Accept,
        )
        .access(),
        row(
            "valid",
            "access token application/at+jwt, several audiences",
            sign(
                "ec1",
                &json!({"alg": "ES256", "kid": "k-es", "typ": "application/at+jwt"}),
                &with(at_claims(), json!({"aud": ["https://other.example", API]})),
            ),
            Accept,
        )
        .access(),
        row(
            "E12",
            "access token typ JWT",
            sign("rsa1", &json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}), &at_claims()),
            Claim("typ"),
        )
        .access(),
        row(
            "E12",
            "access token without typ",
            sign("rsa1", &json!({"alg": "RS256", "kid": "k1"}), &at_claims()),
            Claim("typ"),
        )
        .access(),
        row("E12", "ID token as access token", valid(), Claim("typ")).access(),
        row(
            "E13",
            "aud is the client id",
            sign(
                "rsa1",
                &json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}),
                &with(at_claims(), json!({"aud": CLIENT})),
            ),
            Claim("aud"),
        )
        .access(),
        row(
            "E15",
            "cnf.jkt as plain bearer",
            sign(
                "rsa1",
                &json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}),
                &with(at_claims(), json!({"cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})),
            ),
            Claim("cnf"),
        )
        .access(),
        row(
            "E06",
            "access token requirement unmet",
            sign(
                "rsa1",
                &json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}),
                &with(at_claims(), json!({"acr": "urn:pwd"})),
            ),
            Code("ERR_ACR_NOT_SATISFIED"),
        )
        .access()
        .opts(json!({"requirement": {"acr": ["urn:mfa"]}})),
        row(
            "D16",
            "access token expired",
            sign(
                "rsa1",
                &json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}),
                &with(at_claims(), json!({"exp": NOW - 30})),
            ),
            Code("ERR_JWT_EXPIRED"),
        )
        .access(),
    ];
    for (what, value) in [
        ("-1", json!(-1)),
        ("null", Value::Null),
        ("\"1\"", json!("1")),
        ("[]", json!([])),
        ("{}", json!({})),
        ("true", json!(true)),
    ] {
        let mut claims = id_claims();
        claims["auth_time"] = value;
        rows.push(
            row("E03", format!("auth_time {what}"), sign("rsa1", &header("RS256", "k1"), &claims), Claim("auth_time"))
                .opts(max_age.clone()),
        );
    }
    for (what, acr) in [("[urn:mfa]", json!(["urn:mfa"])), ("2", json!(2)), ("{}", json!({})), ("\"\"", json!(""))] {
        rows.push(row("E07", format!("acr {what}"), id_token(json!({"acr": acr})), Claim("acr")));
    }
    for (what, amr, expect) in [
        ("\"mfa\"", json!("mfa"), Claim("amr")),
        ("[1]", json!([1]), Claim("amr")),
        ("{}", json!({}), Claim("amr")),
        ("[]", json!([]), Accept),
    ] {
        rows.push(row("E09", format!("amr {what}"), id_token(json!({"amr": amr})), expect));
    }
    let mut null_amr = id_claims();
    null_amr["amr"] = Value::Null;
    rows.push(row("E09", "amr null", sign("rsa1", &header("RS256", "k1"), &null_amr), Claim("amr")));
    for claim in ["jti", "client_id", "sub", "iat", "exp"] {
        let token = sign(
            "rsa1",
            &json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}),
            &with(at_claims(), json!({ claim: null })),
        );
        let name: &'static str = match claim {
            "jti" => "jti",
            "client_id" => "client_id",
            "sub" => "sub",
            "iat" => "iat",
            _ => "exp",
        };
        rows.push(row("E14", format!("access token without {claim}"), token, Claim(name)).access());
    }
    // The plain-JWT profile (`accessTokenProfile: "jwt"`): the shapes Fief and Auth0 issue are
    // access tokens; an ID token or a logout token is still not one (E12, RFC 8725 §3.12).
    let jwt = json!({"accessTokenProfile": "jwt"});
    let plain = |header: Value, changes: Value| {
        let claims = with(at_claims(), json!({"client_id": null, "jti": null}));
        sign("rsa1", &header, &with(claims, changes))
    };
    let bare = json!({"alg": "RS256", "kid": "k1"});
    let typed = json!({"alg": "RS256", "kid": "k1", "typ": "JWT"});
    rows.extend([
        row(
            "valid",
            "jwt profile: Fief's shape (no typ, aud array)",
            plain(bare.clone(), json!({"aud": [API]})),
            Accept,
        )
        .access()
        .opts(jwt.clone()),
        row("valid", "jwt profile: Auth0's shape (typ JWT)", plain(typed.clone(), json!({"aud": [API, "x"]})), Accept)
            .access()
            .opts(jwt.clone()),
        row("E12", "jwt profile: ID token with the API's audience", id_token(json!({"aud": API})), Claim("typ"))
            .access()
            .opts(jwt.clone()),
        row("E12", "jwt profile: at_hash", plain(bare.clone(), json!({"at_hash": "x"})), Claim("typ"))
            .access()
            .opts(jwt.clone()),
        row("E12", "jwt profile: c_hash", plain(typed.clone(), json!({"c_hash": "x"})), Claim("typ"))
            .access()
            .opts(jwt.clone()),
        row("E12", "jwt profile: logout token", plain(bare.clone(), json!({"events": {}})), Claim("typ"))
            .access()
            .opts(jwt.clone()),
        row(
            "E12",
            "jwt profile: typ logout+jwt",
            plain(json!({"alg": "RS256", "kid": "k1", "typ": "logout+jwt"}), json!({})),
            Claim("typ"),
        )
        .access()
        .opts(jwt.clone()),
        row("E13", "jwt profile: aud is the client id", plain(bare.clone(), json!({"aud": CLIENT})), Claim("aud"))
            .access()
            .opts(jwt.clone()),
        row("E14", "jwt profile: no sub", plain(bare.clone(), json!({"sub": null})), Claim("sub"))
            .access()
            .opts(jwt.clone()),
        row("E15", "jwt profile: cnf", plain(bare.clone(), json!({"cnf": {"jkt": "x"}})), Claim("cnf"))
            .access()
            .opts(jwt.clone()),
        row(
            "E06",
            "jwt profile: requirement needs an absent acr",
            plain(bare, json!({"acr": null})),
            Code("ERR_ACR_NOT_SATISFIED"),
        )
        .access()
        .opts(json!({"accessTokenProfile": "jwt", "requirement": {"acr": ["urn:mfa"]}})),
    ]);
    for (claim, value) in [("client_id", json!(1)), ("jti", json!(["a"])), ("client_id", json!(""))] {
        let token = sign(
            "rsa1",
            &json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}),
            &with(at_claims(), json!({ claim: value })),
        );
        let name: &'static str = if claim == "jti" { "jti" } else { "client_id" };
        rows.push(row("E14", format!("{claim} {value}"), token, Claim(name)).access());
    }
    run(rows);
}

/// H01: `r` with the clock (`currentTime`) one second before, at and one second after `edge`,
/// with the given `clockTolerance`; `answers` are the expectations at those three times.
fn around(r: &Row, skew: Option<u64>, edge: i64, answers: &[Expect; 3]) -> Vec<Row> {
    let s = skew.unwrap_or(DEFAULT_CLOCK_TOLERANCE);
    [-1, 0, 1]
        .into_iter()
        .zip(answers.iter().cloned())
        .map(|(delta, expect)| Row {
            what: format!("{}, skew {s}, now = boundary {delta:+}", r.what),
            token: r.token.clone(),
            jwks: r.jwks.clone(),
            opts: merged(r.opts.clone(), &json!({"currentTime": edge + delta, "clockTolerance": skew})),
            expect,
            ..*r
        })
        .collect()
}

/// H01: [`around`] the boundary `edge(skew)` with `clockTolerance` 0 and with the default.
fn sweep(r: Row, edge: impl Fn(i64) -> i64, answers: [Expect; 3]) -> Vec<Row> {
    [Some(0), None]
        .into_iter()
        .flat_map(|skew| around(&r, skew, edge(skew.unwrap_or(DEFAULT_CLOCK_TOLERANCE) as i64), &answers))
        .collect()
}

/// H01: every clock boundary of D16–D18, E02, E04 and E05, swept by [`sweep`]. The tokens stay
/// fixed and only `now` moves; with skew s and the claim at T:
/// - expired once now ≥ exp + s: `exp` itself is already too late (RFC 7519 §4.1.4, D16, D17);
/// - valid from now = nbf − s on (D18);
/// - `auth_time` fresh while now ≤ auth_time + maxAge + s (E02; maxAge 0 for E05) and not in
///   the future from now = auth_time − s on (E04).
#[test]
fn h01_clock_sweep_around_every_boundary() {
    const T: i64 = NOW;
    let (expired, too_old) = (Code("ERR_JWT_EXPIRED"), Code("ERR_AUTH_TIME_TOO_OLD"));
    let (nbf, future) = (Claim("nbf"), Claim("auth_time"));
    let access = |changes: Value| {
        sign("rsa1", &json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}), &with(at_claims(), changes))
    };
    // iat and auth_time well before every `now` of the sweeps that do not test them.
    let early = json!({"iat": T - 600, "auth_time": T - 600});
    let fresh = json!({"auth_time": T, "iat": T, "exp": T + 3600});
    let (max_age, required) = (|age: u64| json!({"maxAge": age}), |age: u64| json!({"requirement": {"maxAge": age}}));
    let boundaries = [
        sweep(
            row("D16", "access token exp = T", access(with(early.clone(), json!({"exp": T}))), Accept).access(),
            |s| T + s,
            [Accept, expired.clone(), expired.clone()],
        ),
        sweep(
            row("D17", "exp = T", id_token(with(early.clone(), json!({"exp": T}))), Accept),
            |s| T + s,
            [Accept, expired.clone(), expired.clone()],
        ),
        sweep(
            row("D18", "nbf = T", id_token(with(early.clone(), json!({"nbf": T}))), Accept),
            |s| T - s,
            [nbf.clone(), Accept, Accept],
        ),
        sweep(
            row("D18", "access token nbf = T", access(with(early.clone(), json!({"nbf": T}))), Accept).access(),
            |s| T - s,
            [nbf.clone(), Accept, Accept],
        ),
        sweep(
            row("E02", "maxAge 300, auth_time = T", id_token(fresh.clone()), Accept).opts(max_age(300)),
            |s| T + 300 + s,
            [Accept, Accept, too_old.clone()],
        ),
        sweep(
            row("E02", "requirement maxAge 300, auth_time = T", id_token(fresh.clone()), Accept).opts(required(300)),
            |s| T + 300 + s,
            [Accept, Accept, too_old.clone()],
        ),
        sweep(
            row("E02", "access token, requirement maxAge 300", access(fresh.clone()), Accept)
                .access()
                .opts(required(300)),
            |s| T + 300 + s,
            [Accept, Accept, too_old.clone()],
        ),
        sweep(
            row("E04", "auth_time = T", id_token(json!({"auth_time": T, "iat": T - 600})), Accept),
            |s| T - s,
            [future.clone(), Accept, Accept],
        ),
        sweep(
            row("E04", "maxAge 300, auth_time = T", id_token(json!({"auth_time": T, "iat": T - 600})), Accept)
                .opts(max_age(300)),
            |s| T - s,
            [future.clone(), Accept, Accept],
        ),
        sweep(
            row("E04", "access token auth_time = T", access(json!({"auth_time": T, "iat": T - 600})), Accept).access(),
            |s| T - s,
            [future.clone(), Accept, Accept],
        ),
    ];
    let mut rows: Vec<Row> = boundaries.into_iter().flatten().collect();
    // E05: with maxAge 0 only now ≤ auth_time + s is fresh. Without skew that leaves now =
    // auth_time alone: a second earlier, auth_time lies in the future (E04).
    let reused = id_token(with(early.clone(), json!({"auth_time": T, "exp": T + 3600})));
    for opts in [max_age(0), required(0)] {
        let r = row("E05", format!("{opts}, auth_time = T"), reused.clone(), Accept).opts(opts);
        rows.extend(around(&r, Some(0), T, &[future.clone(), Accept, too_old.clone()]));
        rows.extend(around(&r, None, T + DEFAULT_CLOCK_TOLERANCE as i64, &[Accept, Accept, too_old.clone()]));
    }
    // The catalog's own points, far from any boundary, with either skew: D16 `exp = now − 360`;
    // E05 a max_age=0 step-up started at now answered with a session authenticated 600 s before.
    for skew in [Some(0), None] {
        let at = |now: i64, extra: Value| merged(json!({"currentTime": now, "clockTolerance": skew}), &extra);
        rows.push(
            row(
                "D16",
                format!("exp = now - 360, skew {skew:?}"),
                id_token(with(early.clone(), json!({"exp": T}))),
                expired.clone(),
            )
            .opts(at(T + 360, json!({}))),
        );
        rows.push(
            row(
                "E05",
                format!("auth_time = now - 600, skew {skew:?}"),
                id_token(with(fresh.clone(), json!({"iat": T + 600}))),
                too_old.clone(),
            )
            .opts(at(T + 600, max_age(0))),
        );
    }
    run(rows);
}

#[test]
fn step_up_shortfall_carries_what_to_ask_for() {
    let keys = KeySet::parse(default_jwks().as_bytes()).unwrap();
    let opts = IdTokenOptions::from_json(
        &json!({
            "issuer": ISS, "audience": CLIENT, "expectedNonce": NONCE, "maxAge": 300
        }),
        "",
    )
    .unwrap();
    let err = verify_id_token(&id_token(json!({"auth_time": NOW - 1000})), &keys, &opts, NOW as f64).unwrap_err();
    assert_eq!(err.shortfall().and_then(|s| s.max_age), Some(300));
    let opts = IdTokenOptions::from_json(
        &json!({
            "issuer": ISS, "audience": CLIENT, "expectedNonce": NONCE, "requirement": {"acr": ["urn:mfa", "urn:hwk"]}
        }),
        "",
    )
    .unwrap();
    let err = verify_id_token(&id_token(json!({"acr": "urn:pwd"})), &keys, &opts, NOW as f64).unwrap_err();
    assert_eq!(err.shortfall().unwrap().acr_values, ["urn:mfa", "urn:hwk"]);
}

#[test]
fn verified_claims_are_every_member_as_signed() {
    let keys = KeySet::parse(default_jwks().as_bytes()).unwrap();
    let opts =
        IdTokenOptions::from_json(&json!({"issuer": ISS, "audience": CLIENT, "expectedNonce": NONCE}), "").unwrap();
    let claims = with(id_claims(), json!({"custom": {"nested": [1, 2.5, "x"]}}));
    let token = sign("ed1", &header("EdDSA", "k-ed"), &claims);
    let got = verify_id_token(&token, &keys, &opts, NOW as f64).unwrap();
    assert_eq!(Value::Object(got), claims);
}

/// tests/vectors/tokens.json — tokens made by jose and raw WebCrypto for the wasm suite — gives
/// the same answers natively.
#[test]
fn shared_token_vectors() {
    let file: Value = serde_json::from_str(include_str!("vectors/tokens.json")).unwrap();
    let default = file["jwks"].to_string();
    let mut failures = Vec::new();
    let cases = file["cases"].as_array().unwrap();
    for case in cases {
        let name = format!("{} {}", case["id"].as_str().unwrap(), case["name"].as_str().unwrap());
        let jwks = match &case["jwks"] {
            Value::Null => default.clone(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let kind = if case["kind"] == "access" { Kind::Access } else { Kind::Id };
        let token = case["token"].as_str().unwrap_or_default();
        // The vectors give complete options; null out the members the base adds.
        let mut opts = case["options"].clone();
        for member in ["expectedNonce", "issuer", "audience", "currentTime"] {
            if opts.get(member).is_none() {
                opts[member] = Value::Null;
            }
        }
        let got = verify(kind, token, &jwks, &opts);
        let want = &case["expect"];
        let ok = match (&got, want.get("error")) {
            (Ok(_), None) => want["claims"] == true,
            (Err(e), Some(w)) => {
                e.code() == w["code"]
                    && w.get("claim").is_none_or(|c| e.claim() == c.as_str())
                    && w.get("maxAge").is_none_or(|m| e.shortfall().and_then(|s| s.max_age) == m.as_u64())
            }
            _ => false,
        };
        if !ok {
            let got =
                got.map(|_| "accepted".to_string()).unwrap_or_else(|e| format!("{} {:?}: {e}", e.code(), e.claim()));
            failures.push(format!("{name}: expected {want}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} vectors failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// SECURITY §5 / §6.5: behaviours of jwt-compact 0.8.0 ([PR]) that stepup closes. Each test
/// first shows the dependency's behaviour (so an upgrade that changes it fails loudly here),
/// then stepup's answer to the same input.
mod jwt_compact_probes {
    use super::*;
    use chrono::{DateTime, Duration, Utc};
    use jwt_compact::alg::{Rsa, RsaPublicKey};
    use jwt_compact::jwk::JsonWebKey;
    use jwt_compact::{AlgorithmExt, Claims, TimeOptions, UntrustedToken};
    use serde_json::Map;

    fn jwt_compact_key(name: &str) -> RsaPublicKey {
        let jwk: JsonWebKey<'static> = serde_json::from_value(public_jwk(name, json!({}))).unwrap();
        RsaPublicKey::try_from(&jwk).unwrap()
    }

    fn stepup_verify(token: &str, jwks_text: &str) -> Result<Map<String, Value>, Error> {
        verify(Kind::Id, token, jwks_text, &json!({}))
    }

    /// [PR] E1, E2 (A21, A22): jwt-compact ignores `crit` and `b64:false`.
    #[test]
    fn pr_e1_e2_crit_is_accepted_by_jwt_compact_and_refused_by_stepup() {
        for h in [
            json!({"alg": "RS256", "kid": "k1", "crit": ["urn:x"], "urn:x": true}),
            json!({"alg": "RS256", "kid": "k1", "b64": false, "crit": ["b64"]}),
        ] {
            let token = sign("rsa1", &h, &id_claims());
            let untrusted = UntrustedToken::new(&token).unwrap();
            assert!(Rsa::rs256()
                .validator::<Map<String, Value>>(&jwt_compact_key("rsa1"))
                .validate(&untrusted)
                .is_ok());
            assert_eq!(stepup_verify(&token, &default_jwks()).unwrap_err().code(), "ERR_JOSE_NOT_SUPPORTED");
        }
    }

    /// [PR] Y1 (B18): plain `Rsa` verifies with a 1024-bit key.
    #[test]
    fn pr_y1_weak_rsa_is_accepted_by_jwt_compact_and_refused_by_stepup() {
        let token = sign("rsa1024", &header("RS256", "weak"), &id_claims());
        let untrusted = UntrustedToken::new(&token).unwrap();
        assert!(Rsa::rs256().validator::<Map<String, Value>>(&jwt_compact_key("rsa1024")).validate(&untrusted).is_ok());
        let set = jwks(vec![public_jwk("rsa1024", json!({"kid": "weak"}))]);
        assert_eq!(stepup_verify(&token, &set).unwrap_err().code(), "ERR_JWKS_INVALID");
    }

    /// [PR] W (D17): jwt-compact's expiry check is inclusive: `exp == now − leeway` passes.
    #[test]
    fn pr_w_exp_at_now_minus_leeway_is_accepted_by_jwt_compact_and_refused_by_stepup() {
        let exp = NOW - 30;
        let mut claims = Claims::new(());
        claims.expiration = DateTime::<Utc>::from_timestamp(exp, 0);
        let options = TimeOptions::new(Duration::seconds(30), || DateTime::<Utc>::from_timestamp(NOW, 0).unwrap());
        assert!(claims.validate_expiration(&options).is_ok());
        let token = id_token(json!({"exp": exp}));
        assert_eq!(stepup_verify(&token, &default_jwks()).unwrap_err().code(), "ERR_JWT_EXPIRED");
    }

    /// [PR] D2, D3 (A20): with map claims jwt-compact keeps the last of duplicate members.
    #[test]
    fn pr_d2_d3_duplicate_claims_keep_the_last_in_jwt_compact_and_are_refused_by_stepup() {
        let text = format!(
            r#"{{"iss":"{ISS}","sub":"alice","sub":"admin","aud":"{CLIENT}","exp":{},"iat":{NOW},"nonce":"{NONCE}"}}"#,
            NOW + 300
        );
        let token = raw(H1, text.as_bytes());
        let untrusted = UntrustedToken::new(&token).unwrap();
        let claims: Claims<Map<String, Value>> = untrusted.deserialize_claims_unchecked().unwrap();
        assert_eq!(claims.custom["sub"], "admin");
        assert_eq!(stepup_verify(&token, &default_jwks()).unwrap_err().code(), "ERR_JWT_MALFORMED");
    }

    /// [PR] U3 (C06): jwt-compact's JWK import ignores `use`.
    #[test]
    fn pr_u3_enc_keys_are_imported_by_jwt_compact_and_unusable_in_stepup() {
        let jwk: JsonWebKey<'static> = serde_json::from_value(public_jwk("rsa1", json!({}))).unwrap();
        assert!(RsaPublicKey::try_from(&jwk).is_ok());
        let set = jwks(vec![public_jwk("rsa1", json!({"kid": "k1", "use": "enc"}))]);
        assert_eq!(stepup_verify(&valid(), &set).unwrap_err().code(), "ERR_JWKS_NO_MATCHING_KEY");
    }

    /// [PR] Q1 (A29): jwt-compact parses a token of any size; stepup caps it first.
    #[test]
    fn pr_q1_no_size_cap_in_jwt_compact() {
        let big = id_token(json!({"pad": "x".repeat(20_000)}));
        assert!(UntrustedToken::new(&big).is_ok());
        assert_eq!(stepup_verify(&big, &default_jwks()).unwrap_err().code(), "ERR_JWT_TOO_LARGE");
    }
}
