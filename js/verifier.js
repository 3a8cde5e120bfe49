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
 * A key for `call` (as `callOnce` read it) when it is `undefined` or holds only string and
 * number members (what a repeated call usually is: `{ expectedNonce }`), so the same key always
 * means the same options; `null` otherwise (nested requirements: the core reads those every
 * time; a symbol member: the core refuses it).
 */
function callKey(call) {
  if (call === undefined) return "";
  if (call === null || typeof call !== "object" || call === UNREADABLE) return null;
  let key = "";
  for (const name of Reflect.ownKeys(call)) {
    if (typeof name !== "string") return null;
    const value = call[name];
    // The time is not an option of the answer: an answer is reused while the time lies within
    // its span, whatever clock says so. A time that is not a number is the core's to refuse,
    // never answered from what was kept.
    if (name === "currentTime") {
      if (typeof value !== "number") return null;
      continue;
    }
    if (typeof value !== "string" && typeof value !== "number") return null;
    // Each part led by its length, so no two different calls read as the same key (a value that
    // holds what looks like another member's name cannot pass for that member).
    const text = String(value);
    key += `${name.length}:${name}${typeof value === "string" ? "s" : "n"}${text.length}:${text}`;
  }
  return key;
}

/**
 * The call's options read once, so that everything after reads the same call (the core reads
 * it again for a new token when many verifications began at once, and the shell keys a kept
 * answer by it): every own member, named by a string or a symbol (which the core refuses), read
 * as the core reads options. Anything but an object is handed on as it is, for the core to read.
 */
function callOnce(call) {
  if (call === null || typeof call !== "object") return call;
  const state = { ok: true };
  let names;
  try {
    names = Reflect.ownKeys(call);
  } catch {
    return UNREADABLE;
  }
  const out = Object.create(null);
  for (const name of names) {
    const value = member(call, name, state);
    if (value !== undefined) out[name] = asPlain(plainCopy(value, state));
  }
  return out;
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

  async function verify(kind, token, given) {
    const call = callOnce(given);
    const options = callKey(call);
    // One time for the whole call: the core checks at it (or at `currentTime`), and an answer
    // kept is true from it on.
    const clock = Date.now() / 1000;
    // The copy holds the call's own members only: an inherited `currentTime` (a polluted
    // Object.prototype) must not move the time an answer kept is judged at.
    const own = call !== null && typeof call === "object" && call !== UNREADABLE ? call.currentTime : undefined;
    const now = typeof own === "number" ? own : clock;
    const key = options === null || typeof token !== "string" ? null : `${kind}${options}\n${token.slice(-TAIL)}`;
    // The same call again, within the span the core said its checks cannot fail in (a clock
    // that went back asks again).
    const answer = key === null ? undefined : answers.get(key);
    // Never past the latest time the core accepts: a call at it or later is the core's to refuse.
    if (answer && answer.token === token && answer.from <= now && now < answer.until && now <= Number.MAX_SAFE_INTEGER) {
      return JSON.parse(answer.text);
    }
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
/** A key set's text → the shared options' text → the verifier made from those two texts. */
const made = new Map();
/**
 * Key set and options objects read before → [the reading then, its text, the members left
 * out]: the same object, reading the same, costs one walk over its members, with no reading or
 * text made again (a key set's text is a kilobyte and more, made and hashed on every call
 * otherwise).
 */
const seen = new WeakMap();

/** As deep and as long as the core reads options (src/wasm/convert.rs): past that it names the mistake. */
const MAX_DEPTH = 32;
const MAX_ITEMS = 10_000;
/** No members left out. */
const NONE = new Set();

/** What a member that throws when read is in a reading: a value the core cannot read either. */
const UNREADABLE = (() => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
})();

/** A plain object as read: its members' names, in order, and what each held. */
class Members {
  /** @param {string[]} names @param {unknown[]} values */
  constructor(names, values) {
    this.names = names;
    this.values = values;
  }
}

/** What the core refuses, kept in a reading as it was read, for the core to name. */
class Refused {
  /** @param {unknown} value */
  constructor(value) {
    this.value = value;
  }
}

/**
 * `value` read once as the core reads options (src/wasm/convert.rs, `to_json`): every own member
 * named by a string, enumerable or not; `undefined` members absent; plain objects, arrays,
 * strings, finite numbers, booleans and `null` (`toJSON` means nothing). A reading: primitives
 * as they are, arrays of readings, `Members` for objects. What the core refuses is kept as it
 * was read (`Refused`; a member that threw is `UNREADABLE`) and `state.ok` turns false: the core,
 * reading `asPlain` of it, then names it. `skip`: top-level members left out. `before`: an
 * earlier reading of the same value, handed back itself (and each part of it that still reads
 * the same) when the value reads as it did, so an object read before costs one walk and no
 * copy, and every member is read once either way.
 * @param {unknown} value
 * @param {{ ok: boolean }} state
 * @param {Set<string>} [skip]
 * @param {number} [depth]
 * @param {unknown} [before]
 * @returns {unknown}
 */
function plainCopy(value, state, skip = NONE, depth = 0, before = undefined) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value !== "object" || depth > MAX_DEPTH) {
    state.ok = false;
    return new Refused(value);
  }
  try {
    // Asked first, as the core asks: a revoked Proxy throws here.
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value)) {
      const length = value.length;
      if (typeof length !== "number" || !Number.isInteger(length) || length < 0 || length > MAX_ITEMS) {
        state.ok = false;
        return new Refused(length > MAX_ITEMS ? value : UNREADABLE);
      }
      const was = Array.isArray(before) && before.length === length ? before : undefined;
      // Undefined while every element reads as before; a new list from the first that does not.
      let fresh;
      for (let i = 0; i < length; i++) {
        const item = plainCopy(member(value, i, state), state, NONE, depth + 1, was?.[i]);
        if (fresh === undefined && (was === undefined || item !== was[i])) fresh = was ? was.slice(0, i) : [];
        if (fresh !== undefined) fresh.push(item);
      }
      return fresh ?? was ?? [];
    }
    // The options themselves (`skip` given) may be any object, as the free functions always took
    // their own members; what they hold is read as the core reads it.
    if (proto !== Object.prototype && proto !== null && skip === NONE) {
      state.ok = false;
      return new Refused(value);
    }
    const was = before instanceof Members ? before : undefined;
    // Undefined while every member reads as before; then the members read so far.
    let names;
    let values;
    let at = 0;
    for (const name of Reflect.ownKeys(value)) {
      if (typeof name !== "string" || skip.has(name)) continue;
      const item = member(value, name, state);
      if (item === undefined) continue;
      const same = names === undefined && was?.names[at] === name;
      const read = plainCopy(item, state, NONE, depth + 1, same ? was?.values[at] : undefined);
      if (names === undefined && !(same && read === was?.values[at])) {
        names = was ? was.names.slice(0, at) : [];
        values = was ? was.values.slice(0, at) : [];
      }
      if (names !== undefined && values !== undefined) {
        names.push(name);
        values.push(read);
      }
      at++;
    }
    if (names !== undefined && values !== undefined) return new Members(names, values);
    if (was === undefined) return new Members([], []);
    // As before, unless members at its end are gone.
    return at === was.names.length ? was : new Members(was.names.slice(0, at), was.values.slice(0, at));
  } catch {
    state.ok = false;
    return new Refused(UNREADABLE);
  }
}

/** `object[name]`, or `UNREADABLE` when reading it throws. */
function member(object, name, state) {
  try {
    return object[name];
  } catch {
    state.ok = false;
    return UNREADABLE;
  }
}

/**
 * A reading as plain data for the core: objects without a prototype (so no inherited setter or
 * `__proto__` touches what is copied), and what it refuses as it was read.
 */
function asPlain(reading) {
  if (reading instanceof Refused) return reading.value;
  if (Array.isArray(reading)) return reading.map(asPlain);
  if (!(reading instanceof Members)) return reading;
  const out = Object.create(null);
  for (let i = 0; i < reading.names.length; i++) out[reading.names[i]] = asPlain(reading.values[i]);
  return out;
}

/**
 * A reading's JSON text (one the core accepts: no `Refused` in it), written here rather than by
 * `JSON.stringify`, which would call a `toJSON` an array or object inherits.
 */
function jsonText(reading) {
  if (reading === null || typeof reading !== "object") return typeof reading === "string" ? JSON.stringify(reading) : String(reading);
  let text = "";
  if (Array.isArray(reading)) {
    for (let i = 0; i < reading.length; i++) text += (i === 0 ? "" : ",") + jsonText(reading[i]);
    return `[${text}]`;
  }
  const { names, values } = /** @type {Members} */ (reading);
  for (let i = 0; i < names.length; i++) text += `${i === 0 ? "" : ","}${JSON.stringify(names[i])}:${jsonText(values[i])}`;
  return `{${text}}`;
}

/**
 * `value` read as the core reads it, without the top-level members in `skip`: `[its reading
 * (plainCopy), its JSON text or undefined when the core will refuse it, skip]` (the same text
 * string while an object reads the same).
 * @returns {[unknown, string | undefined, Set<string>]}
 */
function readOnce(value, skip = NONE) {
  const object = value !== null && typeof value === "object";
  const known = object ? seen.get(value) : undefined;
  const state = { ok: true };
  const reading = plainCopy(value, state, skip, 0, known?.[2] === skip ? known[0] : undefined);
  if (!state.ok) return [reading, undefined, skip];
  if (reading === known?.[0]) return known;
  /** @type {[unknown, string, Set<string>]} */
  const read = [reading, jsonText(reading), skip];
  if (object) seen.set(value, read);
  return read;
}

/** Keeps `value` under `key` in `map`, the oldest of more than VERIFIERS going first. */
function bounded(map, key, value) {
  if (map.size >= VERIFIERS) map.delete(map.keys().next().value);
  map.set(key, value);
  return value;
}

/**
 * The verifier for a free function's key set and options, and the call's own options. The key
 * set and the shared options are read once, as the core reads them, and the verifier is made
 * from what was read: the same text is the same key set and options to the core, so a verifier
 * kept for it is the one a new verifier would be.
 * @param {unknown} jwks
 * @param {any} options
 * @param {Set<string>} [callNames] the options that belong to the call
 * @returns {[import("./verifier.js").Verifier, object | undefined]}
 */
function verifierFor(jwks, options, callNames = CALL) {
  let plain;
  try {
    plain = options !== null && typeof options === "object" && !Array.isArray(options);
  } catch {
    plain = false;
  }
  // Not options at all: the core names the mistake.
  if (!plain) return [createVerifier(/** @type {any} */ (options)), undefined];
  const keys = readOnce(jwks);
  const settings = readOnce(options, callNames);
  // The call's own options, own members only as the core reads options (an inherited one, from
  // a polluted Object.prototype, is nobody's), read once like the rest.
  const call = Object.create(null);
  let calls = 0;
  for (const name of callNames) {
    let own;
    try {
      own = Object.hasOwn(options, name);
    } catch {
      own = true;
    }
    const value = own ? member(options, name, { ok: true }) : undefined;
    if (value === undefined) continue;
    call[name] = value;
    calls++;
  }
  // Made from what was read, `jwks` last as the argument: what the verifier reads is what it
  // is kept under.
  if (keys[1] === undefined || settings[1] === undefined) {
    // The core refuses something in the readings, and names it; options whose members could not
    // even be listed it reads itself.
    if (settings[0] instanceof Refused) return [createVerifier(options), undefined];
    const read = asPlain(settings[0]);
    read.jwks = asPlain(keys[0]);
    return [createVerifier(read), undefined];
  }
  const byOptions = made.get(keys[1]);
  let verifier = byOptions?.get(settings[1]);
  if (verifier === undefined) {
    const text = settings[1] === "{}" ? `{"jwks":${keys[1]}}` : `${settings[1].slice(0, -1)},"jwks":${keys[1]}}`;
    verifier = bounded(byOptions ?? bounded(made, keys[1], new Map()), settings[1], createVerifier(JSON.parse(text)));
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
