// createVerifier (README, "createVerifier"): the shell around the core's VerifierCore. The core
// reads the options and the key set once, answers a token it verified before from its cache
// (claims checked again on every call), and otherwise names the key, algorithm, signature and
// signing input; this file does the one thing the core cannot — crypto.subtle.verify — with each
// key imported once, then hands the verdict back. One call into wasm for a repeated token, two
// for a new one, and no Rust future on the way.
import { VerifierCore } from "./stepup.js";

const VALID = 1;
const INVALID = 0;
/** The runtime cannot verify this algorithm: the core's native verifier does. */
const UNSUPPORTED = 2;

/** Whether WebCrypto refused an algorithm it does not implement (rather than the signature). */
const notSupported = (e) => e?.name === "NotSupportedError";

/**
 * A verifier for one issuer, audience and key set.
 * @param {import("./stepup.js").VerifierOptions} options
 */
export function createVerifier(options) {
  const core = new VerifierCore(options);
  /** key index and alg → Promise of [CryptoKey, verify parameters], or null without WebCrypto */
  const imported = new Map();

  function importKey(index, alg) {
    const id = `${index} ${alg}`;
    let entry = imported.get(id);
    if (entry === undefined) {
      const subtle = globalThis.crypto?.subtle;
      const parameters = subtle ? core.importParameters(index, alg) : null;
      entry = parameters === null
        ? Promise.resolve(null)
        : subtle.importKey("jwk", parameters[0], parameters[1], false, ["verify"]).then((key) => [key, parameters[2]]);
      // A failed import is not kept: the next call tries again.
      entry.catch(() => imported.delete(id));
      imported.set(id, entry);
    }
    return entry;
  }

  async function verdict(index, alg, signature, data) {
    let entry;
    try {
      entry = await importKey(index, alg);
    } catch (e) {
      // The core validated the key; WebCrypto refusing it anyway cannot vouch for a signature.
      return notSupported(e) ? UNSUPPORTED : INVALID;
    }
    if (entry === null) return UNSUPPORTED;
    try {
      return (await globalThis.crypto.subtle.verify(entry[1], entry[0], signature, data)) ? VALID : INVALID;
    } catch (e) {
      return notSupported(e) ? UNSUPPORTED : INVALID;
    }
  }

  async function verify(kind, token, call) {
    const now = Date.now() / 1000;
    const step = core.begin(kind, token, call, now);
    if (typeof step === "string") return JSON.parse(step);
    const [index, alg, signature, data] = step;
    return JSON.parse(core.complete(kind, token, call, now, await verdict(index, alg, signature, data)));
  }

  return {
    /** Verifies an ID token (OIDC Core 3.1.3.7) and returns its claims. */
    verifyIdToken: (token, call) => verify(0, token, call),
    /** Verifies a JWT access token (RFC 9068) for this audience and returns its claims. */
    verifyAccessToken: (token, call) => verify(1, token, call),
  };
}
