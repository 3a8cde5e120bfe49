// Differential fuzzing: random ID and access tokens (RFC 9068 and the plain `jwt` profile) — random claims sets, random headers, random
// mutations of the compact string — verified by stepup (through pkg) and by jose (`jwtVerify`
// with a local JWKS and the same options). The two must agree on accept/reject for every case
// and, on accept, return the same claims. Where stepup is stricter than jose by design, a
// difference below says so; it is decided from the case (the token text and the options),
// never from the outcome, and when it applies stepup must refuse. Any other disagreement fails
// with the seed, the case index and the token.
//
//   DIFF_SEED=<any text>  the seed (default below; printed, so a failure can be reproduced)
//   DIFF_CASES=<n>        the number of cases (default 400; `make fuzz` runs 20000)
//   DIFF_ONLY=<index>     run one case of the seed and print it in full
//
// Cases are reproducible from (seed, index) alone: every case draws from its own PRNG and uses a
// fixed `currentTime`. The keys are generated afresh on every run, so signatures differ between
// runs, and so may a mutation that depends on the key (an RS256 signature's leading zero byte).
//
// Catalog rows (SECURITY.md) this test exercises, and how a wrong stepup answer would show:
// - refused by stepup through a named difference below (stepup must refuse): A13, A14, A15,
//   A16, A17, A19, A20, A21, A22, A23, A24, A29, A30, B15, D07, D08, D09, D11, D19, D20, D21,
//   D22, D23, D25, D29, E03, E04, E07, E09, E14, E15;
// - mutations and faults no verifier may accept (both must refuse): A01, A02, A03, A04, A05,
//   A07, A08, A09, A10, A11, A12, A25, A27, A28, B01, B02, B03, B05, B07, B08, B14, B27, C06, C07;
// - agreement with jose, whose behaviour the row anchors (same verdict, same claims): A18, A31,
//   B04, B13, B26, C01, C02, C08, C09, D01, D02, D03, D04, D05, D06, D10, D12, D13, D14, D15, D16,
//   D17, D18, D26, E12, E13.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as jose from "jose";
import stepup from "./load.mjs";

const SEED = process.env.DIFF_SEED ?? "stepup-differential";
const CASES = Number.parseInt(process.env.DIFF_CASES ?? "400", 10);
const ONLY = process.env.DIFF_ONLY === undefined ? undefined : Number.parseInt(process.env.DIFF_ONLY, 10);

const NOW = 1767225600; // 2026-01-01T00:00:00Z; each case adds a jitter
const ISS = "https://idp.example";
const CLIENT = "client-1";
const API = "https://api.example";
const NONCE = "n-0S6_WzA2Mj";
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const CAP = 16 * 1024; // stepup's token size cap (contract section 3)
const DEFAULT_ALGS = ["RS256", "PS256", "ES256", "EdDSA"];

// ---------------------------------------------------------------------------------------------
// Seeded randomness: cyrb128 hashes "seed/index" into the state of sfc32.

function cyrb128(text) {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

class Rand {
  constructor(text) {
    [this.a, this.b, this.c, this.d] = cyrb128(text);
    for (let i = 0; i < 12; i++) this.next();
  }
  next() { // sfc32
    this.a >>>= 0; this.b >>>= 0; this.c >>>= 0; this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(n) { return Math.floor(this.next() * n); }
  chance(p) { return this.next() < p; }
  pick(list) { return list[this.int(list.length)]; }
  /** `[[weight, value], ...]` */
  weighted(entries) {
    let x = this.next() * entries.reduce((sum, [w]) => sum + w, 0);
    for (const [w, v] of entries) if ((x -= w) < 0) return v;
    return entries.at(-1)[1];
  }
  shuffle(list) {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON text with exact control: members are [name, value] pairs (so a member may repeat, and a
// member named "__proto__" is data), and Raw values are written as given ("1e400", "-0").

class Raw { constructor(text) { this.text = text; } }
const raw = (text) => new Raw(text);
class Pairs { constructor(list) { this.list = list; } }
const obj = (...list) => new Pairs(list);

function json(v) {
  if (v instanceof Raw) return v.text;
  if (v instanceof Pairs) return `{${v.list.map(([k, x]) => `${JSON.stringify(k)}:${json(x)}`).join(",")}}`;
  if (Array.isArray(v)) return `[${v.map(json).join(",")}]`;
  if (v !== null && typeof v === "object") return json(new Pairs(Object.entries(v)));
  return JSON.stringify(v);
}

/** A top-level object's text; `ws` is the whitespace put around every token (A18 when not ""). */
function objectText(pairs, ws = "") {
  const members = pairs.map(([k, v]) => `${JSON.stringify(k)}${ws}:${ws}${json(v)}`);
  return `${ws}{${ws}${members.join(`${ws},${ws}`)}${ws}}${ws}`;
}

// ---------------------------------------------------------------------------------------------
// Keys, signing, key sets.

const enc = new TextEncoder();
const b64u = (bytes) => Buffer.from(bytes).toString("base64url");

const SCHEMES = {
  RS256: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  PS256: { name: "RSA-PSS", hash: "SHA-256", saltLength: 32 },
  ES256: { name: "ECDSA", hash: "SHA-256", namedCurve: "P-256" },
  EdDSA: { name: "Ed25519" },
};
const SIGNER_ALG = { rs: "RS256", ps: "PS256", es: "ES256", ed: "EdDSA" };
const KID = { rs: "k-rs", ps: "k-ps", es: "k-es", ed: "k-ed" };

async function setup() {
  const made = {};
  for (const [name, alg] of [["rs", "RS256"], ["ps", "PS256"], ["es", "ES256"], ["ed", "EdDSA"],
    ["evilRsa", "RS256"], ["evilEs", "ES256"], ["evilEd", "EdDSA"], ["es384", "ES384"]]) {
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
    made[name] = { privateJwk: await jose.exportJWK(privateKey), publicJwk: await jose.exportJWK(publicKey) };
  }
  // A signer per (key, scheme): RSA keys sign both RSA schemes, so a token can claim one and use
  // the other.
  const signers = {};
  for (const [name, { privateJwk }] of Object.entries(made)) {
    const schemes = privateJwk.kty === "RSA" ? ["RS256", "PS256"] : privateJwk.kty === "OKP" ? ["EdDSA"] : privateJwk.crv === "P-256" ? ["ES256"] : [];
    for (const scheme of schemes) {
      const { alg: _a, key_ops: _k, ext: _e, ...bare } = privateJwk;
      const key = await crypto.subtle.importKey("jwk", bare, SCHEMES[scheme], false, ["sign"]);
      signers[`${name}/${scheme}`] = key;
    }
  }
  const pub = (name, extra = {}) => ({ ...made[name].publicJwk, ...extra });
  const four = ["rs", "ps", "es", "ed"];
  // Key sets (C01: no kid and one usable key; C02: no kid and two usable keys; C09: shared kid).
  const sets = {
    "kid+alg": four.map((k) => pub(k, { kid: KID[k], alg: SIGNER_ALG[k], use: "sig" })),
    kid: four.map((k) => pub(k, { kid: KID[k] })),
    alg: four.map((k) => pub(k, { alg: SIGNER_ALG[k] })),
    bare: four.map((k) => pub(k)),
    mixed: [
      ...four.map((k) => pub(k, { kid: KID[k], alg: SIGNER_ALG[k] })),
      pub("evilRsa", { kid: "k-enc", use: "enc" }), // not for signatures: ignored by both
      pub("es384", { kid: "k-384", alg: "ES384" }), // a curve neither uses for ES256
      pub("evilEd", { kid: "k-ed-old", key_ops: ["sign"] }), // no "verify": ignored by both
    ],
    "shared-kid": [pub("rs", { kid: "k1" }), pub("ps", { kid: "k1" }), pub("es", { kid: KID.es }), pub("ed", { kid: KID.ed })],
    ...Object.fromEntries(four.map((k) => [`single-${k}`, [pub(k)]])),
  };
  const jwks = {};
  for (const [name, keys] of Object.entries(sets)) {
    jwks[name] = { object: { keys }, text: JSON.stringify({ keys }), jose: jose.createLocalJWKSet({ keys }) };
  }
  return { made, signers, jwks, pub };
}

async function sign(env, signer, scheme, input) {
  const key = env.signers[`${signer}/${scheme}`];
  if (scheme === "HS256") { // B03-style confusion: a MAC keyed with the RSA public modulus
    const secret = Buffer.from(env.made.rs.publicJwk.n, "base64url");
    const hmac = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Uint8Array(await crypto.subtle.sign("HMAC", hmac, enc.encode(input)));
  }
  return new Uint8Array(await crypto.subtle.sign(SCHEMES[scheme], key, enc.encode(input)));
}

// ---------------------------------------------------------------------------------------------
// Generators.

/** The usual suspects for a claim of the wrong type. */
function wildValue(r) {
  return r.pick([null, true, false, 0, -1, 1.5, "", "x", [], {}, [CLIENT], obj(["0", CLIENT]), [1], "1767225600",
    raw("1e400"), raw("-0"), raw("18446744073709551615"), raw("9007199254740992"), raw("1e300")]);
}

/** A NumericDate (or something pretending to be one) around `now`, at the tolerance boundaries. */
function timeValue(r, claim, ctx, good) {
  const { now, tol, maxAge } = ctx;
  const frac = () => (r.chance(0.3) ? r.pick([0.5, 0.25, 0.001, 0.999, r.next()]) : 0);
  const around = (x) => x + frac();
  const choices = {
    exp: good
      ? [now + 300, now + 3600, now + 60 + r.int(86400), now - tol + 1, now - tol + 0.5, now + 1e9]
      : [now - tol, now - tol - 1, now - tol - 0.5, now - 3600, now - tol + 0.0001],
    nbf: good
      ? [now - 100, now, now + tol, now + tol - 1, now - 86400 * 30]
      : [now + tol + 1, now + tol + 0.5, now + 3600],
    iat: good
      ? [now, now - 10, now + tol, ctx.kind === "id" ? now - maxAge - tol : now - 86400 * 7, now - 1]
      : [now + tol + 1, now + tol + 0.5, now - maxAge - tol - 1, now - maxAge - tol - 0.5, now - 86400 * 7],
    auth_time: good
      ? [now - 10, now - 3600, now + tol, now - 86400 * 400]
      : [now + tol + 1, now + tol + 0.5, now + 86400],
  }[claim];
  if (good) {
    const t = r.pick(choices);
    return r.chance(0.8) ? t : around(t);
  }
  return r.weighted([
    [5, () => r.pick(choices)],
    [1, () => around(r.pick(choices))],
    [2, () => r.pick([-1, 0, MAX_SAFE, raw("9007199254740992"), raw("1e300"), raw("-1e300"), raw("1e400"),
      raw("18446744073709551615"), raw("-0"), raw("1.7976931348623157e308"), -now])],
    [2, () => r.pick([String(now), null, true, [now], obj(["t", now])])],
  ])();
}

/** The claims of one case as [name, value] pairs; `faults` names the claims to get wrong. */
function claimsFor(r, ctx, faults) {
  const { kind } = ctx;
  const bad = (name) => faults.has(name);
  const pairs = [];
  const put = (name, value) => { if (value !== undefined) pairs.push([name, value]); };
  const MISSING = undefined;

  put("iss", bad("iss")
    ? r.pick([`${ISS}/`, `${ISS}1`, "https://IDP.example", `${ISS}/tenant2`, "https", [ISS], 1, null, "", MISSING])
    : ISS);

  let aud;
  if (kind === "id") {
    aud = bad("aud")
      ? r.pick(["other", [], "", null, 123, [123], obj(["0", CLIENT]), [CLIENT, null], [CLIENT, 5], [CLIENT, ""],
        ["other", CLIENT], [CLIENT, CLIENT], `${CLIENT}1`, [`${CLIENT} `], MISSING])
      : r.weighted([[6, CLIENT], [2, [CLIENT]], [2, [CLIENT, "other"]], [1, ["other", CLIENT]]]);
  } else {
    aud = bad("aud")
      ? r.pick([CLIENT, [CLIENT], "other", [], "", null, [API, 1], [API, ""], `${API}/`, MISSING])
      : r.weighted([[6, API], [2, [API]], [1, [API, "other"]]]);
  }
  put("aud", aud);

  put("sub", bad("sub")
    ? (kind === "id"
      ? r.pick(["", "x".repeat(256), "é", "u\u00e9", 1, null, ["u1"], {}, MISSING])
      : r.pick(["", 1, null, ["u1"], MISSING]))
    : r.pick(["u1", "248289761001", "x".repeat(255), "auth0|5f1d", "\u0000"]));

  for (const claim of ["exp", "iat", "nbf", "auth_time"]) {
    const optional = claim === "nbf" || claim === "auth_time" || (claim === "iat" && ctx.atProfile === "jwt");
    if (bad(claim)) put(claim, r.chance(0.12) ? MISSING : timeValue(r, claim, ctx, false));
    else if (!optional || r.chance(0.5)) put(claim, timeValue(r, claim, ctx, true));
  }

  if (kind === "id") {
    if (bad("nonce")) {
      put("nonce", r.pick([`${NONCE}1`, "012345678", 5, [NONCE], null, "", NONCE, MISSING]));
    } else if (ctx.expectedNonce !== undefined) {
      put("nonce", ctx.expectedNonce);
    }
    const multi = Array.isArray(aud) && aud.length > 1;
    if (bad("azp")) put("azp", r.pick(["other", 5, null, "", [CLIENT], CLIENT, MISSING]));
    else if (multi || r.chance(0.15)) put("azp", CLIENT);
    if (bad("events")) put("events", obj(["http://schemas.openid.net/event/backchannel-logout", {}]));
  } else {
    // The jwt profile neither requires nor reads client_id and jti.
    const plain = ctx.atProfile === "jwt";
    put("client_id", bad("client_id") ? r.pick(["", 1, null, MISSING]) : (!plain || r.chance(0.5) ? CLIENT : MISSING));
    put("jti", bad("jti") ? r.pick(["", 5, null, [], MISSING]) : (!plain || r.chance(0.5) ? `jti-${r.int(1e9)}` : MISSING));
    // What only an ID token or a logout token carries (E12 without typing, RFC 8725 §3.12).
    if (bad("id-only")) {
      const [name, value] = r.pick([["nonce", NONCE], ["at_hash", "77QmUPtjPfzWtF2AnpK9RQ"], ["c_hash", "LDktKdoQak3Pk0cnXxCltA"],
        ["events", obj(["http://schemas.openid.net/event/backchannel-logout", {}])]]);
      put(name, value);
    }
    if (r.chance(0.5)) put("scope", "openid profile");
    if (bad("cnf")) put("cnf", obj(["jkt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"]));
  }

  put("acr", bad("acr") ? r.pick(["", 2, ["urn:mfa"], {}, null, true]) : (r.chance(0.6) ? r.pick(["urn:mfa", "0", "1", "urn:pwd "]) : MISSING));
  put("amr", bad("amr") ? r.pick(["mfa", [1], null, ["pwd", null], {}, [["pwd"]]]) : (r.chance(0.6) ? r.pick([["pwd", "otp"], [], ["mfa"]]) : MISSING));

  // Claims nobody checks: strange names (A31), unicode, nesting within the depth limit, numbers.
  for (let i = r.int(4); i > 0; i--) {
    const extra = r.pick([
      () => ["email", "a@example.com"],
      () => ["__proto__", obj(["admin", true])],
      () => ["constructor", obj(["prototype", obj(["admin", true])])],
      () => ["toString", 1],
      () => ["name", r.pick(["Zoë", "😀", "\u2028", "a\"b\\c", "\u0000"])],
      () => ["n", r.pick([0.1, 1e21, -0, 123.456, r.next() * 1e6, -r.next()])],
      () => ["big", r.pick([raw("18446744073709551615"), raw("-9223372036854775808"), raw("1e300"), raw("-0"), raw("-0.0"), raw("1E2")])],
      () => ["nested", { a: [1, { b: [null, true] }], c: {} }],
      () => ["deep", raw(deep(r.int(100)))], // under serde_json's depth limit of 128
      () => [`x-${r.int(1000)}`, wildValue(r)],
    ])();
    if (!pairs.some(([name]) => name === extra[0])) pairs.push(extra); // duplicates only as a fault
  }
  return pairs;
}

const deep = (n) => `${"[".repeat(n)}${"]".repeat(n)}`;

/** One case, drawn from its own PRNG. */
async function generate(env, index) {
  const r = new Rand(`${SEED}/${index}`);
  const kind = r.chance(0.25) ? "access" : "id";
  // Access tokens in both profiles: RFC 9068, or the plain signed JWT Fief and Auth0 issue.
  const atProfile = kind === "access" ? r.pick(["rfc9068", "jwt"]) : undefined;
  const profile = r.weighted([[35, "clean"], [40, "one"], [25, "chaos"]]);
  const toleranceOption = r.pick([undefined, undefined, 0, 1, 5, 30, 60, 300]);
  const tol = toleranceOption ?? 30;
  const maxTokenAgeOption = kind === "id" ? r.pick([undefined, undefined, 60, 600, 3600]) : undefined;
  const maxAge = maxTokenAgeOption ?? 86400;
  const now = NOW + r.int(1000000);
  const signer = r.pick(["rs", "ps", "es", "ed"]);
  const signerAlg = signer === "ed" && r.chance(0.25) ? "Ed25519" : SIGNER_ALG[signer];
  const jwksName = r.weighted([[5, "kid+alg"], [2, "kid"], [2, "alg"], [1, "bare"], [2, "mixed"], [1, "shared-kid"], [2, `single-${signer}`], [1, `single-${r.pick(["rs", "ps", "es", "ed"])}`]]);
  const algorithms = r.chance(0.5) ? undefined : (() => {
    const pool = r.shuffle(["RS256", "PS256", "ES256", "EdDSA", "Ed25519"]).slice(0, 1 + r.int(4));
    if (r.chance(0.85) && !pool.includes(signerAlg)) pool.push(signerAlg);
    return pool;
  })();
  const expectedNonce = kind === "id" && r.chance(0.7) ? NONCE : undefined;
  const ctx = { kind, atProfile, now, tol, maxAge, expectedNonce };

  // The faults of this case: none, one, or several, from every layer.
  const claimFaults = kind === "id"
    ? ["iss", "aud", "sub", "exp", "iat", "nbf", "auth_time", "nonce", "azp", "events", "acr", "amr"]
    : ["iss", "aud", "sub", "exp", "iat", "nbf", "auth_time", "client_id", "jti", "cnf", "acr", "amr",
      ...(atProfile === "jwt" ? ["id-only", "id-only"] : [])];
  const otherFaults = ["alg", "kid", "typ", "header-extension", "header-json", "payload-json", "size", "mutation", "mutation"];
  const faultCount = profile === "clean" ? 0 : profile === "one" ? 1 : 2 + r.int(4);
  const faults = new Set();
  for (let i = 0; i < faultCount; i++) faults.add(r.chance(0.55) ? r.pick(claimFaults) : r.pick(otherFaults));
  const notes = [...faults];

  const claims = claimsFor(r, ctx, faults);

  // The protected header.
  const set = env.jwks[jwksName].object.keys;
  const ownKid = set.find((k) => k.x === env.made[signer].publicJwk.x && k.n === env.made[signer].publicJwk.n)?.kid;
  const header = [];
  let mustReject = false; // set where no verifier may accept, whatever else the case holds
  const alg = faults.has("alg")
    ? r.pick(["none", "NONE", "None", "nOnE", "HS256", "RS512", "ES384", "rs256", "Rs256", "", "ES256K", "foo",
      r.pick(["RS256", "PS256", "ES256", "EdDSA", "Ed25519"]), 1, null, ["RS256"], undefined])
    : signerAlg;
  if (alg !== undefined) header.push(["alg", alg]);
  // B01 none, B03 HS256 keyed with the RSA modulus, B04/B27 algorithms nobody allows, B05 case
  // variants, A09 no alg or not a string: all refused, whatever the key set.
  mustReject ||= faults.has("alg") && !["RS256", "PS256", "ES256", "EdDSA", "Ed25519"].includes(alg);
  const kid = faults.has("kid")
    ? r.pick(["k-other", "", 0, null, {}, [KID[signer]], "../../../../dev/null", "__proto__", `${KID[signer]}\u0000`,
      KID[r.pick(["rs", "ps", "es", "ed"])], "k1", "k-enc", "k-384", "k-ed-old", undefined, "x".repeat(300)])
    : ownKid !== undefined && r.chance(0.85) ? ownKid : undefined;
  if (kid !== undefined) header.push(["kid", kid]);
  // A27 (kid not a string) and A28 (kid injection) match no key.
  mustReject ||= faults.has("kid") && kid !== undefined && (typeof kid !== "string" || ["../../../../dev/null", "__proto__", `${KID[signer]}\u0000`, "x".repeat(300), "k-other", ""].includes(kid));
  const typ = faults.has("typ")
    ? r.pick(["at+jwt", "application/at+jwt", "JWT", "jwt", "logout+jwt", "application/logout+jwt", "JOSE", "", 1, null,
      "application/at+jwt/x", "x/at+jwt", "application/", "application/jwt/", "jwt ", undefined])
    : kind === "id" || atProfile === "jwt"
      ? r.pick([undefined, "JWT", "JWT", "jwt", "application/jwt", "Application/JWT", ...(kind === "id" ? [] : ["at+jwt"])])
      : r.pick(["at+jwt", "at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt"]);
  if (typ !== undefined) header.push(["typ", typ]);
  if (faults.has("header-extension")) {
    header.push(...r.pick([
      [["crit", ["b64"]], ["b64", true]], [["crit", ["b64"]], ["b64", false]], [["crit", ["exp"]], ["exp", 1]],
      [["crit", ["urn:x"]], ["urn:x", true]], [["crit", []]], [["crit", "b64"]], [["crit", [null]]],
      [["crit", ["a", "a"]], ["a", 1]], [["b64", false]], [["b64", true]], [["cty", "JWT"]], [["cty", "txt"]],
      [["zip", "DEF"]], [["enc", "A128GCM"]],
    ]));
  }
  // Members both must ignore: a key embedded (jwk) or pointed at (jku, x5u, x5c) is never used,
  // odd names are data.
  if (r.chance(0.2)) {
    header.push(r.pick([
      ["jwk", env.pub("evilEs")], ["jku", "https://evil.example/jwks"], ["x5u", "https://evil.example/x5u"],
      ["x5c", ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]], ["x5t", "abc"], ["__proto__", obj(["alg", "none"])],
      ["constructor", "x"], [`x-${r.int(100)}`, wildValue(r)],
    ]));
  }
  const headerPairs = r.chance(0.2) ? r.shuffle(header) : header;

  // Header and payload text, then their JSON-level faults.
  const ws = () => (r.chance(0.85) ? "" : r.pick([" ", "\n", "\t", " \r\n  "]));
  let headerText = objectText(headerPairs, ws());
  let payloadText = objectText(claims, ws());
  let payloadBytes;
  const duplicate = (text, pairs) => {
    if (!pairs.length) return text.replace(/\}\s*$/, `,"a":1,"a":2}`);
    const [name, value] = r.pick(pairs);
    const again = r.chance(0.5) ? value : wildValue(r);
    return r.chance(0.5)
      ? text.replace(/\}\s*$/, `,${JSON.stringify(name)}:${json(again)}}`)
      : text.replace(/^\s*\{/, `{${JSON.stringify(name)}:${json(again)},`);
  };
  if (faults.has("header-json")) {
    const choice = r.int(4);
    if (choice === 0) headerText = duplicate(headerText, headerPairs); // A19
    else if (choice === 1) headerText = `\ufeff${headerText}`;
    else if (choice === 2) headerText = headerText.replace(/^\s*\{/, '{"x5t":"\\ud800",');
    else { // A08: not an object, or not JSON
      headerText = r.pick(['"RS256"', "[]", "null", "1", "{", `${headerText}x`, ""]);
      mustReject = true;
    }
  }
  const badUtf8 = [[0xc0, 0xaf], [0xff], [0xed, 0xa0, 0x80], [0xe0, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]];
  if (faults.has("payload-json")) {
    const choice = r.int(8);
    if (choice === 0) payloadText = duplicate(payloadText, claims); // A20, top level
    else if (choice === 1) payloadText = payloadText.replace(/\}\s*$/, `,"o":${r.pick(['{"a":1,"a":2}', '[{"x":1,"x":1}]', '{"sub":"alice","sub":"admin"}'])}}`);
    else if (choice === 2) { // A10, A11: not an object, or trailing garbage
      payloadText = r.pick(["0", "1", "-1", "true", "false", "null", "[]", '""', "{", `${payloadText} x`, `${payloadText}{}`]);
      mustReject = true;
    }
    else if (choice === 3) payloadText = payloadText.replace(/\}\s*$/, `,"s":"${r.pick(["\\ud800", "\\udc00", "a\\ud800b", "\\ud83d\\ude00"])}"}`);
    else if (choice === 4) payloadText = payloadText.replace(/\}\s*$/, `,"d":${deep(r.pick([100, 125, 126, 127, 128, 200, 1000]))}}`);
    else if (choice === 5) payloadText = payloadText.replace(/\}\s*$/, `,"n":${r.pick(["1e400", "-1e400", "1e308", "1E2", "-0.0"])}}`);
    else if (choice === 6) payloadText = `\ufeff${payloadText}`;
    else { // A12: not UTF-8 (overlong, 0xFF, an encoded surrogate, > U+10FFFF, a lone continuation)
      const [before, after] = payloadText.replace(/\}\s*$/, ',"bad":"a\u0001b"}').split("\u0001");
      payloadBytes = Buffer.concat([Buffer.from(before), Buffer.from(r.pick(badUtf8)), Buffer.from(after)]);
      mustReject = true;
    }
  }
  payloadBytes ??= Buffer.from(payloadText);

  // The signature: the signer's own scheme, or the other RSA scheme when the header names it
  // (C08: a PS256 key used for RS256), or a MAC when it says HS256 (B03).
  let scheme = SIGNER_ALG[signer];
  if (alg === "HS256") scheme = "HS256";
  else if ((signer === "rs" || signer === "ps") && (alg === "RS256" || alg === "PS256")) scheme = alg;
  const h64 = b64u(Buffer.from(headerText));
  if (faults.has("size")) { // A29: land around the 16 KiB cap, on both sides
    const sigLen = signer === "rs" || signer === "ps" ? 342 : 86;
    const target = r.pick([CAP - 2, CAP - 1, CAP, CAP + 1, CAP + 2, CAP + 3, CAP + 100, 4 * CAP]);
    const room = target - h64.length - 2 - sigLen;
    const bytes = Math.floor((3 * room) / 4) - payloadBytes.length - ',"pad":""'.length;
    if (bytes > 0) payloadBytes = Buffer.from(payloadBytes.toString("latin1").replace(/\}\s*$/, `,"pad":"${"x".repeat(bytes)}"}`), "latin1");
  }
  const input = `${h64}.${b64u(payloadBytes)}`;
  const signature = await sign(env, signer, scheme, input);
  let token = `${input}.${b64u(signature)}`;

  // Mutations of the compact string; some no verifier may accept.
  if (faults.has("mutation")) {
    const m = await mutate(env, r, token, { signer, scheme, signature, headerText, headerPairs, payloadBytes, input });
    token = m.token;
    mustReject ||= m.mustReject;
    notes.push(`mutation:${m.name}`);
  }

  const options = { issuer: ISS, audience: kind === "id" ? CLIENT : API, currentTime: now };
  if (atProfile === "jwt") options.accessTokenProfile = "jwt";
  if (toleranceOption !== undefined) options.clockTolerance = toleranceOption;
  if (algorithms) options.algorithms = algorithms;
  if (expectedNonce !== undefined) options.expectedNonce = expectedNonce;
  if (maxTokenAgeOption !== undefined) options.maxTokenAge = maxTokenAgeOption;

  // jose with the same meaning: explicit tolerance and allow-list (its defaults differ), the
  // claims stepup requires present, the same maximum `iat` age (for an access token: none, but
  // a future `iat` is still refused, which jose does only with a maxTokenAge, which also makes
  // `iat` required: so not for the jwt profile, where `iat` is optional), `typ` for RFC 9068.
  const joseOptions = {
    issuer: ISS,
    audience: options.audience,
    algorithms: algorithms ?? DEFAULT_ALGS,
    currentDate: new Date(now * 1000),
    clockTolerance: tol,
    maxTokenAge: kind === "id" ? maxAge : atProfile === "jwt" ? undefined : MAX_SAFE,
    requiredClaims: kind === "id" ? ["exp", "iat", "sub"] : atProfile === "jwt" ? ["exp", "sub"] : ["exp", "iat", "sub", "client_id", "jti"],
  };
  if (atProfile === "rfc9068") joseOptions.typ = "at+jwt";

  return {
    index, kind, atProfile, profile, notes, token, jwksName, options, joseOptions, now, tol, mustReject,
    jwksArg: r.chance(0.5) ? env.jwks[jwksName].object : env.jwks[jwksName].text,
  };
}

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const ED_L = 2n ** 252n + 27742317777372353535851937790883648493n;
const bigBE = (bytes) => BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
const beBytes = (n, len) => Buffer.from(n.toString(16).padStart(len * 2, "0"), "hex");

/** One mutation of a signed compact token. */
async function mutate(env, r, token, { signer, scheme, signature, headerText, headerPairs, payloadBytes, input }) {
  const [h, p, s] = token.split(".");
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const flip = (seg, last) => {
    const i = r.int(Math.max(1, last ? seg.length : seg.length - 1));
    const c = B64[(B64.indexOf(seg[i]) + 1 + r.int(63)) % 64];
    return seg.slice(0, i) + c + seg.slice(i + 1);
  };
  const segment = () => r.int(3);
  const names = ["flip", "sig-low-bits", "truncate", "drop-signature", "extra-segment", "jwe", "swap", "padding",
    "standard-alphabet", "whitespace", "empty-signature", "alg-none", "attacker-key", "payload-swap", "kid-swap",
    "json-serialization"];
  if (signature.length === 256) names.push("leading-zero");
  if (scheme === "ES256") names.push("high-s");
  if (scheme === "EdDSA") names.push("ed-s-plus-l");
  const name = r.pick(names);
  const done = (t, mustReject) => ({ name, token: t, mustReject });
  switch (name) {
    case "flip": { // B07/B08: one character changed (not only the unused bits of the last one)
      const i = segment();
      const segs = [h, p, s];
      segs[i] = flip(segs[i], i !== 2);
      return done(segs.join("."), true);
    }
    case "sig-low-bits": { // A16: the same signature bytes, non-canonically encoded
      const last = s.at(-1);
      const v = B64.indexOf(last);
      const unused = s.length % 4 === 2 ? 4 : s.length % 4 === 3 ? 2 : 0;
      if (!unused) return done(`${h}.${p}.${s}`, false);
      const other = B64[(v & ~((1 << unused) - 1)) | (1 + r.int((1 << unused) - 1))];
      return done(`${h}.${p}.${s.slice(0, -1)}${other}`, false);
    }
    case "truncate": return done(token.slice(0, 1 + r.int(token.length - 1)), true);
    case "drop-signature": return done(r.pick([`${h}.${p}`, `${p}.${s}`, p, ""]), true); // A01, A02
    case "extra-segment": // A03
      return done(r.pick([`${token}.`, `${token}.${p}`, `.${token}`]), true);
    case "jwe": return done(`${h}.${p}.${s}.${p}.${s}`, true); // A04
    case "json-serialization": // A05
      return done(JSON.stringify({ protected: h, payload: p, signature: s }), true);
    case "swap": return done(r.pick([`${p}.${h}.${s}`, `${h}.${s}.${p}`]), true);
    case "padding": { // A15
      const segs = [h, p, s];
      const i = segment();
      segs[i] += r.pick(["=", "==", "==="]);
      return done(segs.join("."), i !== 2);
    }
    case "standard-alphabet": { // A14
      const segs = [h, p, s];
      const i = segment();
      const before = segs[i];
      segs[i] = before.replace(/-/g, "+").replace(/_/g, "/");
      if (segs[i] === before) segs[i] = `${before.slice(0, -1)}${r.pick(["+", "/", "?", "#"])}`;
      return done(segs.join("."), i !== 2);
    }
    case "whitespace": { // A14, A17
      const w = r.pick([" ", "\t", "\n", "\r\n"]);
      return done(r.pick([
        () => ` ${token}`, () => `${token}${w}`, () => `Bearer ${token}`,
        () => { const i = 1 + r.int(s.length - 1); return `${h}.${p}.${s.slice(0, i)}${w}${s.slice(i)}`; },
        () => { const i = 1 + r.int(p.length - 1); return `${h}.${p.slice(0, i)}${w}${p.slice(i)}.${s}`; },
      ])(), false);
    }
    case "empty-signature": return done(`${h}.${p}.`, true); // A07
    case "alg-none": { // B01, B02
      const none = r.pick(["none", "NONE", "None", "nOnE"]);
      const hdr = objectText([["alg", none], ...headerPairs.filter(([k]) => k !== "alg")]);
      return done(`${b64u(Buffer.from(hdr))}.${p}.${r.pick(["", s])}`, true);
    }
    case "attacker-key": { // B07: signed by a key the verifier does not trust
      const evil = signer === "rs" || signer === "ps" ? "evilRsa" : signer === "es" ? "evilEs" : "evilEd";
      const evilScheme = scheme === "HS256" ? SIGNER_ALG[signer] : scheme;
      const hdr = r.pick([
        () => headerText, // the same header, kid and all
        // A25: the attacker's key embedded in the header
        () => objectText([...headerPairs.filter(([k]) => k !== "jwk"), ["jwk", env.pub(evil)]]),
        // The attacker's key is in the "mixed" set, but not for signatures: C06 use "enc", C07
        // key_ops without "verify".
        () => objectText([...headerPairs.filter(([k]) => k !== "kid"), ["kid", evil === "evilEd" ? "k-ed-old" : evil === "evilRsa" ? "k-enc" : KID.es]]),
      ])();
      const evilInput = `${b64u(Buffer.from(hdr))}.${input.split(".")[1]}`;
      return done(`${evilInput}.${b64u(await sign(env, evil, evilScheme, evilInput))}`, true);
    }
    case "payload-swap": { // B08: another claims set under the same signature
      const other = Buffer.from(payloadBytes.toString("latin1").replace(/^\s*\{/, '{"sub":"admin",'), "latin1");
      return done(`${h}.${b64u(other)}.${s}`, !other.equals(payloadBytes));
    }
    case "kid-swap": { // B08: the header changed under the same signature
      const other = KID[r.pick(["rs", "ps", "es", "ed"].filter((k) => k !== signer))];
      const hdr = headerText.includes('"kid"') && r.chance(0.5)
        ? headerText.replace('"kid"', '"Xid"')
        : objectText([...headerPairs.filter(([k]) => k !== "kid"), ["kid", r.pick([other, "k-other"])]]);
      return done(`${b64u(Buffer.from(hdr))}.${p}.${s}`, hdr !== headerText);
    }
    case "leading-zero": { // B15: an RSA signature with its leading zero byte dropped, or one added
      let sig = signature;
      // RSA-PSS is randomised: sign again until the signature starts with 0x00 (1 in ~256).
      for (let i = 0; scheme === "PS256" && sig[0] !== 0 && i < 4096; i++) sig = await sign(env, signer, scheme, input);
      if (sig[0] === 0) return done(`${h}.${p}.${b64u(sig.subarray(1))}`, false);
      return done(`${h}.${p}.${b64u(Buffer.concat([Buffer.from([0]), sig]))}`, true);
    }
    case "high-s": { // B13: (r, n − s) is a valid ECDSA signature too
      const sv = bigBE(signature.subarray(32));
      return done(`${h}.${p}.${b64u(Buffer.concat([signature.subarray(0, 32), beBytes(P256_N - sv, 32)]))}`, false);
    }
    case "ed-s-plus-l": { // B14: a non-canonical Ed25519 S (S + L) must not verify
      const le = Buffer.from(signature.subarray(32)).reverse();
      const sl = beBytes(bigBE(le) + ED_L, 32).reverse();
      return done(`${h}.${p}.${b64u(Buffer.concat([signature.subarray(0, 32), sl]))}`, true);
    }
    default: throw new Error(`no mutation ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// What the case is, read the way stepup reads it (decided from the input only).

/** base64url as stepup takes it: URL alphabet, no padding, unused bits zero (base64ct). */
function strictB64u(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, "base64url");
  return b64u(bytes) === text ? bytes : null;
}

/**
 * Why serde_json (stepup's strict parser) refuses JSON text that JSON.parse (jose) takes, or
 * null: a duplicate member at any depth, a lone surrogate escape, nesting 128 deep, a number
 * beyond the double range, a byte order mark. Text that is not UTF-8 or not JSON at all is
 * refused by both and answers null too.
 */
function strictJsonProblem(bytes) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
  if (text.startsWith("\ufeff")) return "byte order mark";
  try {
    JSON.parse(text);
  } catch {
    return null;
  }
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  let i = 0;
  let problem = null;
  const skip = () => { while (i < text.length && " \t\n\r".includes(text[i])) i++; };
  const string = () => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    const value = JSON.parse(text.slice(start, i));
    if (lone.test(value)) problem ??= "lone surrogate escape";
    return value;
  };
  const value = (depth) => {
    skip();
    const c = text[i];
    if (c === "{" || c === "[") {
      if (depth + 1 >= 128) problem ??= "nested 128 deep";
      const close = c === "{" ? "}" : "]";
      const names = new Set();
      i++;
      skip();
      if (text[i] === close) { i++; return; }
      for (;;) {
        if (c === "{") {
          skip();
          const name = string();
          if (names.has(name)) problem ??= `duplicate member ${JSON.stringify(name)}`;
          names.add(name);
          skip();
          i++; // ':'
        }
        value(depth + 1);
        skip();
        if (text[i++] === close) return;
      }
    } else if (c === '"') {
      string();
    } else {
      const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
      m.lastIndex = i;
      const token = m.exec(text)[0];
      i += token.length;
      if (/^-?\d/.test(token) && !Number.isFinite(Number(token))) problem ??= "number out of range";
    }
  };
  value(0);
  return problem;
}

const asciiLower = (s) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
/** The `typ` compared by stepup: ASCII lower case, `application/` dropped when no `/` follows. */
function stepupTyp(typ) {
  const lower = asciiLower(typ);
  const rest = lower.startsWith("application/") ? lower.slice("application/".length) : null;
  return rest !== null && !rest.includes("/") ? rest : lower;
}

function facts(c) {
  const f = { bytes: Buffer.byteLength(c.token), segments: c.token.split(".") };
  if (f.segments.length !== 3) return f;
  const decoded = f.segments.map(strictB64u);
  f.canonical = decoded.every((d) => d !== null);
  if (!f.canonical) return f;
  const [header, payload] = decoded;
  f.headerProblem = strictJsonProblem(header);
  f.payloadProblem = strictJsonProblem(payload);
  const parse = (bytes) => {
    try {
      const v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      return v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
    } catch {
      return undefined;
    }
  };
  f.header = parse(header);
  f.claims = parse(payload);
  f.signatureLength = decoded[2].length;
  return f;
}

const has = (o, k) => o !== undefined && Object.hasOwn(o, k);
const isNonEmptyString = (v) => typeof v === "string" && v.length > 0;
const DATES = ["exp", "iat", "nbf", "auth_time"];

// ---------------------------------------------------------------------------------------------
// The known differences: where stepup refuses by design what jose accepts. Each is a predicate
// over the case; when one applies, stepup must refuse (jose may do either).

const DIFFERENCES = [
  {
    name: "token over the 16 KiB size cap",
    // A29 / contract section 3 (ERR_JWT_TOO_LARGE, checked before decoding); jose has no cap.
    applies: (c, f) => f.bytes > CAP,
  },
  {
    name: "a segment that is not canonical unpadded base64url",
    // A14, A15, A16, A17 / RFC 7515 §2: jose decodes with atob, which skips whitespace and
    // takes padding and non-zero unused bits, so only the signature segment (outside the signing
    // input) can differ: "sig=", "si g", the last character with its low bits changed.
    applies: (c, f) => f.segments.length === 3 && !f.canonical,
  },
  {
    name: "JSON that a strict parser refuses (duplicate member, lone surrogate, 128 deep, number out of range, BOM)",
    // A19, A20 (RFC 7515 §4 / RFC 7519 §4: refuse duplicates, JSON.parse keeps the last),
    // A13 (lone surrogate), A30 (depth bound), D19 (1e400 is no number), RFC 8259 §8.1 (a parser
    // MAY ignore a BOM; jose's TextDecoder drops it).
    applies: (c, f) => Boolean(f.headerProblem || f.payloadProblem),
  },
  {
    name: "header parameters stepup does not implement (crit, b64, cty, zip, enc)",
    // A21, A22, A23, A24 / RFC 7515 §4.1.11: jose implements "b64" in "crit" and ignores cty.
    applies: (c, f) => ["crit", "b64", "cty", "zip", "enc"].some((k) => has(f.header, k)),
  },
  {
    name: "not an ID token type (typ other than JWT, or a logout token's events claim)",
    // D25, D29 / RFC 8725 §3.11; jose checks typ only when asked, and an ID token has no fixed
    // typ to ask for.
    applies: (c, f) => c.kind === "id" && ((has(f.header, "typ") &&
      (typeof f.header.typ !== "string" || stepupTyp(f.header.typ) !== "jwt")) || has(f.claims, "events")),
  },
  {
    name: "NumericDate outside 0 ... 2^53 − 1",
    // D19: a NumericDate the wasm and native paths could not both hold exactly; jose takes any
    // number.
    applies: (c, f) => DATES.some((k) => has(f.claims, k) && typeof f.claims[k] === "number" &&
      !(f.claims[k] >= 0 && f.claims[k] <= MAX_SAFE)),
  },
  {
    name: "aud array with a member that is not a non-empty string",
    // D08 (CVE-2020-26160); jose only looks for the expected value in the array.
    applies: (c, f) => Array.isArray(f.claims?.aud) && f.claims.aud.some((a) => !isNonEmptyString(a)),
  },
  {
    name: "azp not the client id, or missing with several audiences",
    // D07, D09 / OIDC Core 3.1.3.7 steps 4-5; jose has no azp check.
    applies: (c, f) => c.kind === "id" && f.claims !== undefined && (has(f.claims, "azp")
      ? f.claims.azp !== CLIENT
      : Array.isArray(f.claims.aud) && f.claims.aud.length > 1),
  },
  {
    name: "sub not a non-empty string (ID token: of at most 255 ASCII characters)",
    // D11 / OIDC Core §2 (ID token), E14 / RFC 9068 §2.2 (access token); jose checks presence
    // only (requiredClaims).
    applies: (c, f) => has(f.claims, "sub") && !(c.kind === "id"
      ? typeof f.claims.sub === "string" && /^[\x00-\x7f]{1,255}$/.test(f.claims.sub)
      : isNonEmptyString(f.claims.sub)),
  },
  {
    name: "nonce not exactly the expected one (or present when none was expected)",
    // D20, D21, D22, D23 / OIDC Core 3.1.3.7 step 11; jose has no nonce check.
    applies: (c, f) => c.kind === "id" && f.claims !== undefined && !(c.options.expectedNonce === undefined
      ? !has(f.claims, "nonce")
      : f.claims.nonce === c.options.expectedNonce),
  },
  {
    name: "auth_time, acr or amr of the wrong type, or auth_time in the future",
    // E03, E04 (auth_time), E07 (acr a non-empty string), E09 (amr an array of strings); jose
    // does not read these claims.
    applies: (c, f) => f.claims !== undefined && (
      (has(f.claims, "auth_time") && (typeof f.claims.auth_time !== "number" || f.claims.auth_time > c.now + c.tol)) ||
      (has(f.claims, "acr") && !isNonEmptyString(f.claims.acr)) ||
      (has(f.claims, "amr") && !(Array.isArray(f.claims.amr) && f.claims.amr.every((m) => typeof m === "string")))),
  },
  {
    name: "access token: client_id or jti not a non-empty string (RFC 9068), or a cnf claim",
    // E14, E15 / RFC 9068 §2.2 (the jwt profile reads neither); stepup verifies no DPoP/mTLS
    // binding, so refuses cnf in both profiles.
    applies: (c, f) => c.kind === "access" && f.claims !== undefined &&
      ((c.atProfile === "rfc9068" && ["client_id", "jti"].some((k) => has(f.claims, k) && !isNonEmptyString(f.claims[k]))) ||
        has(f.claims, "cnf")),
  },
  {
    name: "jwt-profile access token: typ other than JWT or at+jwt, or a claim only ID and logout tokens carry",
    // E12 without typing (README, "Access-token profiles"; RFC 8725 §3.11-3.12): jose, asked for
    // no typ, takes any.
    applies: (c, f) => c.atProfile === "jwt" && ((has(f.header, "typ") &&
      (typeof f.header.typ !== "string" || !["jwt", "at+jwt"].includes(stepupTyp(f.header.typ)))) ||
      ["nonce", "at_hash", "c_hash", "events"].some((k) => has(f.claims, k))),
  },
  {
    name: "jwt-profile access token: iat in the future",
    // RFC 7519 §4.1.6: stepup checks an `iat` that is there; jose does only with a maxTokenAge,
    // which would also make it required.
    applies: (c, f) => c.atProfile === "jwt" && typeof f.claims?.iat === "number" && f.claims.iat > c.now + c.tol,
  },
  {
    name: "RSA signature not exactly as long as the modulus",
    // B15: OpenSSL's RSA-PSS verification (behind node's WebCrypto, which jose uses) takes a
    // signature whose leading zero byte was dropped; stepup checks the length first.
    applies: (c, f) => f.canonical && ["RS256", "PS256"].includes(f.header?.alg) && f.signatureLength !== 256,
  },
];

// ---------------------------------------------------------------------------------------------
// Running a case.

async function viaStepup(c) {
  const verify = c.kind === "access" ? stepup.verifyAccessToken : stepup.verifyIdToken;
  try {
    return { ok: true, claims: await verify(c.token, c.jwksArg, c.options) };
  } catch (e) {
    // A caller error (TypeError) means the harness passed bad options; a trap is a bug.
    return { ok: false, code: e?.code, message: e?.message, coded: stepup.isStepUpError(e) };
  }
}

async function viaJose(c, env) {
  try {
    const { payload } = await jose.jwtVerify(c.token, env.jwks[c.jwksName].jose, c.joseOptions);
    return { ok: true, claims: payload };
  } catch (e) {
    return { ok: false, code: e?.code ?? e?.name, message: e?.message };
  }
}

const show = (o) => (o.ok ? "accepts" : `refuses (${o.code}: ${o.message})`);

function describe(c, s, j, why, headline = "DIFFERENTIAL FAILURE") {
  return [
    `${headline}: ${why}`,
    `  seed ${JSON.stringify(SEED)}, case ${c.index} (reproduce: DIFF_SEED=${JSON.stringify(SEED)} DIFF_ONLY=${c.index} node --test tests/js/differential.test.mjs)`,
    `  ${c.kind === "id" ? "verifyIdToken" : `verifyAccessToken (${c.atProfile})`}, profile ${c.profile}, faults [${c.notes.join(", ")}], key set ${c.jwksName}`,
    `  token:   ${JSON.stringify(c.token.length > 2000 ? `${c.token.slice(0, 2000)}…(${c.token.length})` : c.token)}`,
    `  options: ${JSON.stringify(c.options)}`,
    `  jose:    ${JSON.stringify({ ...c.joseOptions, currentDate: c.joseOptions.currentDate.toISOString() })}`,
    `  stepup ${show(s)}; jose ${show(j)}`,
    ...(s.ok && j.ok ? [`  stepup claims: ${JSON.stringify(s.claims)}`, `  jose claims:   ${JSON.stringify(j.claims)}`] : []),
  ].join("\n");
}

/** Checks one case; returns a failure text or null, and counts what happened. */
async function check(env, c, stats) {
  const s = await viaStepup(c);
  const j = await viaJose(c, env);
  if (!s.ok && !s.coded) return describe(c, s, j, "stepup threw something other than a StepUpError");
  const f = facts(c);
  const applying = DIFFERENCES.filter((d) => d.applies(c, f));
  for (const d of applying) stats.differences.set(d.name, (stats.differences.get(d.name) ?? 0) + 1);
  if (c.mustReject && (s.ok || j.ok)) return describe(c, s, j, "a mutation no verifier may accept was accepted");
  if (applying.length) {
    if (s.ok) return describe(c, s, j, `stepup accepted although "${applying[0].name}" says it refuses`);
    if (j.ok) stats.explained++;
    else stats.bothRejected++;
    return null;
  }
  if (s.ok !== j.ok) return describe(c, s, j, "stepup and jose disagree and no known difference applies");
  if (s.ok) {
    try {
      assert.deepStrictEqual(s.claims, j.claims);
    } catch {
      return describe(c, s, j, "both accept but the claims differ");
    }
    stats.accepted++;
    if (c.atProfile === "jwt") stats.acceptedJwt++;
  } else {
    stats.bothRejected++;
  }
  return null;
}

let envPromise;
const environment = () => (envPromise ??= setup());

test(`differential: stepup and jose agree on ${ONLY === undefined ? CASES : 1} random ID and access tokens, but for the named differences (catalog rows in the file header)`, async (t) => {
  const env = await environment();
  t.diagnostic(`seed ${JSON.stringify(SEED)} (DIFF_SEED), ${CASES} cases (DIFF_CASES)`);
  const stats = { accepted: 0, acceptedJwt: 0, bothRejected: 0, explained: 0, differences: new Map() };
  const failures = [];
  const indices = ONLY === undefined ? Array.from({ length: CASES }, (_, i) => i) : [ONLY];
  for (const index of indices) {
    const c = await generate(env, index);
    const failure = await check(env, c, stats);
    if (ONLY !== undefined) {
      const [s, j] = [await viaStepup(c), await viaJose(c, env)];
      const text = describe(c, s, j, failure ? "fails, see below" : "passes", "case");
      for (const line of text.split("\n")) t.diagnostic(line);
    }
    if (failure) {
      failures.push(failure);
      if (failures.length >= 5) break;
    }
  }
  t.diagnostic(`accepted by both ${stats.accepted} (jwt-profile access tokens ${stats.acceptedJwt}), refused by both ${stats.bothRejected}, refused by stepup only (a known difference) ${stats.explained}`);
  for (const [name, count] of stats.differences) t.diagnostic(`  ${count} × ${name}`);
  assert.deepEqual(failures, [], failures.join("\n\n"));
  if (ONLY === undefined && CASES >= 200) {
    // The generator must keep reaching both outcomes, or the comparison says little.
    assert.ok(stats.accepted >= CASES * 0.1, `only ${stats.accepted} of ${CASES} cases were valid`);
    assert.ok(stats.bothRejected >= CASES * 0.1, `only ${stats.bothRejected} of ${CASES} cases were refused by both`);
    assert.ok(stats.acceptedJwt >= CASES * 0.01, `only ${stats.acceptedJwt} jwt-profile access tokens were valid`);
  }
});

// A regression test for what the fuzzer found first: without serde_json's `float_roundtrip`, a
// decimal of more than 15 significant digits could be rounded to another double than JSON.parse
// (and IEEE 754's nearest) gives, which at the `exp` boundary flipped the verdict both ways.
test("differential: decimal NumericDates are read as JSON.parse reads them (exp boundary, D17)", async () => {
  const env = await environment();
  const now = NOW;
  const header = b64u(Buffer.from(JSON.stringify({ alg: "ES256", kid: KID.es })));
  // [exp as written, accepted]
  const cases = [
    // The exact value lies between now and the next double; JSON.parse rounds it down to now
    // (expired: exp <= now); the fast path rounded up.
    [`${now}.0000001192092895507812`, false],
    // Just above the midpoint: JSON.parse gives now + 2^-22 (not expired); the fast path now.
    [`${now}.00000012`, true],
  ];
  const outcomes = [];
  let right = true;
  for (const [exp, accepted] of cases) {
    const payload = b64u(Buffer.from(`{"iss":"${ISS}","aud":"${CLIENT}","sub":"u1","iat":${now},"exp":${exp}}`));
    const input = `${header}.${payload}`;
    const token = `${input}.${b64u(await sign(env, "es", "ES256", input))}`;
    const c = {
      kind: "id", token, jwksName: "kid+alg", jwksArg: env.jwks["kid+alg"].object,
      options: { issuer: ISS, audience: CLIENT, currentTime: now, clockTolerance: 0 },
      joseOptions: { issuer: ISS, audience: CLIENT, currentDate: new Date(now * 1000), clockTolerance: 0, algorithms: DEFAULT_ALGS },
    };
    const [s, j] = [await viaStepup(c), await viaJose(c, env)];
    outcomes.push(`exp ${exp} (JSON.parse: ${JSON.parse(exp)}, now ${now}): stepup ${show(s)}, jose ${show(j)}\n  ${token}`);
    right &&= s.ok === accepted && j.ok === accepted && (accepted || s.code === "ERR_JWT_EXPIRED");
  }
  assert.ok(right, outcomes.join("\n"));
});
