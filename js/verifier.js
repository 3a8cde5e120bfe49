// createVerifier (README, "createVerifier"): the shell around the core's VerifierCore. The core
// reads the options and the key set once, answers a token it verified before from its cache
// (claims checked again on every call), and otherwise names the key, algorithm, signature and
// signing input; this file does the one thing the core cannot — crypto.subtle.verify — with each
// key imported once, then hands the verdict back. Two calls into wasm for a new token, one for a
// token verified before, none for the same call once more while the core says its answer holds.
import { VerifierCore } from "./stepup.js";

const VALID = 1;
const INVALID = 0;
/** The runtime cannot verify this algorithm: the core's native verifier does. */
const UNSUPPORTED = 2;

/** Answers kept per verifier for calls repeated while they hold. */
const ANSWERS = 1024;
/** Characters of a token's end (of its signature) in an answer's key. */
const TAIL = 32;

/**
 * A key for `call` when it is `undefined` or a plain object of string and number data members
 * (what a repeated call usually is: `{ expectedNonce }`), so the same key always means the same
 * options; `null` otherwise (getters, nested requirements: the core reads those every time).
 */
function callKey(call) {
  if (call === undefined) return "";
  if (call === null || typeof call !== "object" || Object.getPrototypeOf(call) !== Object.prototype) return null;
  let key = "";
  for (const name of Object.keys(call)) {
    // The time is not an option of the answer: an answer is reused while the time lies within
    // its span, whatever clock says so.
    if (name === "currentTime") continue;
    const member = Object.getOwnPropertyDescriptor(call, name);
    if (!member || !("value" in member)) return null;
    const value = member.value;
    if (typeof value !== "string" && typeof value !== "number") return null;
    // Each part led by its length, so no two different calls read as the same key (a value that
    // holds what looks like another member's name cannot pass for that member).
    const text = String(value);
    key += `${name.length}:${name}${typeof value === "string" ? "s" : "n"}${text.length}:${text}`;
  }
  return key;
}

const encoder = new TextEncoder();
/** Room for a token of up to 1365 UTF-16 code units, encoded (at most 3 bytes each). */
const scratch = new Uint8Array(4096);

/**
 * A string token's UTF-8 bytes for the core: one native copy, where wasm-bindgen passes a string
 * character by character. Valid until the next call; `undefined` for anything but a string.
 */
function utf8(token) {
  if (typeof token !== "string") return undefined;
  if (token.length * 3 > scratch.length) return encoder.encode(token);
  return scratch.subarray(0, encoder.encodeInto(token, scratch).written);
}

/** Whether WebCrypto refused an algorithm it does not implement (rather than the signature). */
const notSupported = (e) => e?.name === "NotSupportedError";

/**
 * A verifier for one issuer, audience and key set.
 * @param {import("./stepup.js").VerifierOptions} options
 */
export function createVerifier(options) {
  return verifierOver(new VerifierCore(options));
}

/**
 * The verifier driving `core`: `createVerifier`'s, and the browser client's over the core its
 * own core made (client.js).
 * @param {VerifierCore} core
 */
export function verifierOver(core) {
  const memory = core.memory();
  const stepAt = core.stepAt();
  /** The core's step (`VerifierCore.stepAt`): a view made again when the memory grew. */
  let stepView = new Float64Array(memory.buffer, stepAt, 7);
  const step = () => (stepView.buffer === memory.buffer ? stepView : (stepView = new Float64Array(memory.buffer, stepAt, 7)));
  /**
   * key index and alg (8 × index + the alg's number from the core) → [CryptoKey, verify
   * parameters] once imported, `null` without WebCrypto for it, or the Promise of the first while
   * the import runs.
   */
  const imported = new Map();

  function importKey(id, index, alg) {
    const subtle = globalThis.crypto?.subtle;
    const parameters = subtle ? core.importParameters(index, alg) : null;
    if (parameters === null) {
      imported.set(id, null);
      return null;
    }
    const jwk = /** @type {JsonWebKey} */ (parameters[0]);
    const importing = subtle.importKey("jwk", jwk, /** @type {any} */ (parameters[1]), false, ["verify"])
      .then((key) => {
        const entry = [key, parameters[2]];
        imported.set(id, entry);
        return entry;
      }, (e) => {
        // A failed import is not kept: the next call tries again.
        imported.delete(id);
        throw e;
      });
    imported.set(id, importing);
    return importing;
  }

  /**
   * WebCrypto's verdict with an imported key (`[CryptoKey, verify parameters]`): VALID, INVALID
   * or UNSUPPORTED. WebCrypto copies `signature` and `data` when called (W3C Web Cryptography
   * API, `verify()` steps), so views of the core's memory may be given.
   */
  async function check(entry, signature, data) {
    try {
      return (await globalThis.crypto.subtle.verify(entry[1], entry[0], signature, data)) ? VALID : INVALID;
    } catch (e) {
      return notSupported(e) ? UNSUPPORTED : INVALID;
    }
  }

  /**
   * The verdict with key `index` for `alg` when no import of it is done: `signature` and `data`
   * (views of the core's memory, valid until the next call into it) are copied before the
   * import calls into the core and awaits.
   */
  function verdictAfterImport(index, alg, signature, data) {
    const id = 8 * index + alg;
    let entry = imported.get(id);
    if (entry === null) return UNSUPPORTED;
    signature = signature.slice();
    data = data.slice();
    entry ??= importKey(id, index, alg);
    if (entry === null) return UNSUPPORTED;
    return entry.then((key) => check(key, signature, data),
      // The core validated the key; WebCrypto refusing it anyway cannot vouch for a signature.
      (e) => (notSupported(e) ? UNSUPPORTED : INVALID));
  }

  /**
   * key → { token, text, from, until }: the core's answer for the token, and when it was and
   * stops being true. The key holds the call's options and only the token's end (its signature):
   * hashing a whole token on every call costs as much as a verification's other steps, and an
   * answer is taken only for exactly its token.
   */
  const answers = new Map();

  /** The core's answer `text`, kept for the same call while it holds (until the step's first number). */
  function keep(key, token, now, text) {
    const until = step()[0];
    if (key !== null) {
      if (answers.size >= ANSWERS) answers.delete(answers.keys().next().value);
      answers.set(key, { token, text, from: now, until });
    }
    return JSON.parse(text);
  }

  async function verify(kind, token, call) {
    const options = callKey(call);
    // One time for the whole call: the core checks at it (or at `currentTime`), and an answer
    // kept is true from it on.
    const clock = Date.now() / 1000;
    // Only the call's own member, as the core reads it: an inherited `currentTime` (a polluted
    // Object.prototype) must not move the time an answer kept is judged at.
    const own = call !== null && typeof call === "object" ? Object.getOwnPropertyDescriptor(call, "currentTime") : undefined;
    const now = typeof own?.value === "number" ? own.value : clock;
    const key = options === null || typeof token !== "string" ? null : `${kind}${options}\n${token.slice(-TAIL)}`;
    // The same call again, within the span the core said its checks cannot fail in (a clock
    // that went back asks again).
    const answer = key === null ? undefined : answers.get(key);
    if (answer && answer.token === token && answer.from <= now && now < answer.until) return JSON.parse(answer.text);
    const text = core.begin(kind, token, utf8(token), call, clock);
    if (text !== undefined) return keep(key, token, now, text);
    // [pending, key index, alg, signature at, its length, signing input at, its length]
    const numbers = step();
    const pending = numbers[0];
    const index = numbers[1];
    const alg = numbers[2];
    const buffer = memory.buffer;
    const signature = new Uint8Array(buffer, numbers[3], numbers[4]);
    const data = new Uint8Array(buffer, numbers[5], numbers[6]);
    const entry = imported.get(8 * index + alg);
    // The common case is a key imported before.
    const valid = await (Array.isArray(entry) ? check(entry, signature, data) : verdictAfterImport(index, alg, signature, data));
    // Not pending any more when many verifications began meanwhile: the core reads the token again.
    // Not kept here: most tokens verified once are never seen again (a guard's or an API's
    // stream of callers), and keeping each costs a verification about a microsecond. A token
    // seen again is answered from the core's cache, and kept then.
    return JSON.parse(core.complete(pending, valid) ?? core.completeToken(kind, token, call, clock, valid));
  }

  return {
    /** Verifies an ID token (OIDC Core 3.1.3.7) and returns its claims. */
    verifyIdToken: (token, call) => verify(0, token, call),
    /** Verifies a JWT access token (the verifier's `accessTokenProfile`) for this audience and returns its claims. */
    verifyAccessToken: (token, call) => verify(1, token, call),
  };
}

/** The free functions' options that belong to one call, not to the verifier. */
const CALL = new Set(["expectedNonce", "maxAge", "requirement", "currentTime"]);
/**
 * For `verifyIdToken`, also the access-token profile: handed to the call, where the core names it
 * as no option of an ID token's check.
 */
const ID_CALL = new Set([...CALL, "accessTokenProfile"]);

/** Key sets (and option sets per key set) the free functions keep verifiers for; the oldest goes first. */
const VERIFIERS = 16;
/** Key set JSON text → shared options' JSON text → verifier. */
const made = new Map();
/**
 * Key set objects seen before → [their JSON value then, their JSON text then]: the same object
 * unchanged is found by a walk over its members, with no JSON text made again (a key set's text
 * is a kilobyte and more, made and hashed on every call otherwise).
 */
const seen = new WeakMap();

/**
 * Whether `value` reads as exactly the JSON value `json` (what `JSON.parse` made of its text):
 * plain objects with the same own enumerable members in the same order, arrays of the same
 * length, and primitives that are `===`. Anything else (a class instance, `toJSON`, a value
 * `JSON.stringify` would turn into another) is "not the same", and the text is made again:
 * when this says true, `JSON.stringify(value)` is the text `json` came from.
 */
function sameJson(value, json) {
  if (value === null || typeof value !== "object") return value === json;
  if (json === null || typeof json !== "object") return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(json) || value.length !== json.length) return false;
    for (let i = 0; i < value.length; i++) if (!sameJson(value[i], json[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || Array.isArray(json) || "toJSON" in value) return false;
  const names = Object.keys(value);
  const expected = Object.keys(json);
  if (names.length !== expected.length) return false;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== expected[i] || !sameJson(value[names[i]], json[names[i]])) return false;
  }
  return true;
}

/** A key set's JSON text (the same string while an object is unchanged), or `undefined` when it has none. */
function keySetText(jwks) {
  const object = jwks !== null && typeof jwks === "object";
  const known = object ? seen.get(jwks) : undefined;
  if (known !== undefined && sameJson(jwks, known[0])) return known[1];
  let text;
  try {
    text = JSON.stringify(jwks);
  } catch {
    // Not JSON (a cycle, a BigInt): the core names what is wrong.
    return undefined;
  }
  if (object && text !== undefined) seen.set(jwks, [JSON.parse(text), text]);
  return text;
}

/** Keeps `value` under `key` in `map`, the oldest of more than VERIFIERS going first. */
function bounded(map, key, value) {
  if (map.size >= VERIFIERS) map.delete(map.keys().next().value);
  map.set(key, value);
  return value;
}

/**
 * The verifier for a free function's key set and options, and the call's own options. The key
 * set is known by its JSON text, so a key set object changed between calls gets a new verifier.
 * @param {unknown} jwks
 * @param {any} options
 * @param {Set<string>} [callNames] the options that belong to the call
 * @returns {[import("./verifier.js").Verifier, object | undefined]}
 */
function verifierFor(jwks, options, callNames = CALL) {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    // The core names the mistake.
    return [createVerifier(/** @type {any} */ (options)), undefined];
  }
  // Own members only, as the core reads options: an inherited one (a polluted Object.prototype)
  // is nobody's option.
  /** @type {Record<string, unknown>} */
  const call = {};
  /** @type {Record<string, unknown>} */
  const shared = {};
  let calls = 0;
  for (const name of Reflect.ownKeys(options)) {
    if (typeof name !== "string") continue;
    const value = options[name];
    if (value === undefined) continue;
    if (callNames.has(name)) {
      call[name] = value;
      calls++;
    } else shared[name] = value;
  }
  const keys = keySetText(jwks);
  let sharedText;
  try {
    sharedText = JSON.stringify(shared);
  } catch {
    // As for the key set.
  }
  const byOptions = keys === undefined || sharedText === undefined ? undefined : made.get(keys);
  const verifier = byOptions?.get(/** @type {string} */ (sharedText)) ?? createVerifier(/** @type {any} */ ({ ...shared, jwks }));
  if (keys !== undefined && sharedText !== undefined && byOptions?.get(sharedText) !== verifier) {
    bounded(byOptions ?? bounded(made, keys, new Map()), sharedText, verifier);
  }
  // No options of the call's own: none at all, which the core reads without looking into an object.
  return [verifier, calls === 0 ? undefined : call];
}

/**
 * Verifies an ID token (OIDC Core 3.1.3.7) and returns its claims: `createVerifier` for one call,
 * the verifier kept for the same key set and options.
 */
export async function verifyIdToken(token, jwks, options) {
  const [verifier, call] = verifierFor(jwks, options, ID_CALL);
  return verifier.verifyIdToken(token, call);
}

/**
 * Verifies a JWT access token (RFC 9068, or a plain JWT with `accessTokenProfile: "jwt"`) and
 * returns its claims, as `verifyIdToken` does.
 */
export async function verifyAccessToken(token, jwks, options) {
  const [verifier, call] = verifierFor(jwks, options);
  return verifier.verifyAccessToken(token, call);
}
