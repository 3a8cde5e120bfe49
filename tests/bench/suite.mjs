// The verification workloads, runtime-neutral: node imports this file, workerd and Chromium get it
// bundled with jose (tests/bench/out/suite.js). Each runtime times `run` from outside, since
// workerd's clock does not advance during compute; only `coldStart`, which workerd cannot run,
// reads the clock itself.
import { createLocalJWKSet, jwtVerify } from "jose";
import { elapsed, median } from "./stats.mjs";

export const ALGS = ["RS256", "ES256", "EdDSA"];

/** WebCrypto import and verify parameters per JOSE alg, for the bare floor. */
const WEBCRYPTO = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
  EdDSA: [{ name: "Ed25519" }, { name: "Ed25519" }],
};

const fromBase64url = (text) => {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
};

/** The signing input and signature of a compact JWS, decoded before any timing. */
function split(token) {
  const dot = token.lastIndexOf(".");
  return { data: new TextEncoder().encode(token.slice(0, dot)), signature: fromBase64url(token.slice(dot + 1)) };
}

/**
 * The workloads over `fixtures` (fixtures.mjs): `stepup` is the initialised pkg, `memory` its
 * wasm linear memory. Cold workloads take each token once, from their own cursor, so stepup never
 * sees a token twice (its verified-token cache cannot answer) and jose and bare WebCrypto verify
 * the same number of distinct tokens.
 */
export async function createBench(stepup, memory, { issuer, audience, jwks, tokens }) {
  const keySet = createLocalJWKSet(jwks);
  const options = { issuer, audience };
  // Made once, as jose's key set is: its cache is its own, so the free function's earlier
  // verifications of the same cold tokens do not warm it.
  const verifier = stepup.createVerifier({ issuer, audience, jwks });
  const algs = {};
  for (const alg of ALGS) {
    const { kid, cold, repeated } = tokens[alg];
    const [importParams, verifyParams] = WEBCRYPTO[alg];
    const jwk = jwks.keys.find((k) => k.kid === kid);
    const key = await crypto.subtle.importKey("jwk", jwk, importParams, false, ["verify"]);
    algs[alg] = { cold, repeated, bare: cold.map(split), key, verifyParams, cursors: {} };
  }

  const bareVerify = async (a, i) => {
    const { signature, data } = a.bare[i];
    if (!(await crypto.subtle.verify(a.verifyParams, a.key, signature, data))) throw new Error("bare verify failed");
  };
  const workloads = {
    "stepup-cold": (a, i) => stepup.verifyIdToken(a.cold[i], jwks, options),
    "jose-cold": (a, i) => jwtVerify(a.cold[i], keySet, options),
    "bare-cold": bareVerify,
    "stepup-repeated": (a) => stepup.verifyIdToken(a.repeated, jwks, options),
    "verifier-cold": (a, i) => verifier.verifyIdToken(a.cold[i]),
    "verifier-repeated": (a) => verifier.verifyIdToken(a.repeated),
    "jose-repeated": (a) => jwtVerify(a.repeated, keySet, options),
  };

  /** Runs `workload` `n` times for `alg`, one after the other as a request handler would. */
  async function run(workload, alg, n) {
    const a = algs[alg];
    const verify = workloads[workload];
    if (!a || !verify) throw new Error(`no workload ${workload} for ${alg}`);
    const start = a.cursors[workload] ?? 0;
    if (workload.endsWith("-cold") && start + n > a.cold.length) {
      throw new Error(`${workload} ${alg}: only ${a.cold.length - start} unseen tokens left for ${n}`);
    }
    for (let i = start; i < start + n; i++) await verify(a, i);
    a.cursors[workload] = start + n;
  }

  // Every cold token of every alg in turn: more than the verified-token cache holds (1024), so
  // each one has been evicted again by the time it comes back round.
  const pool = ALGS.flatMap((alg) => algs[alg].cold);
  let soaked = 0;

  /**
   * `n` stepup verifications, nine in ten of an alg's repeated token (cache hits) and one in ten
   * of a token from the pool (a miss); resolves to the wasm linear memory in bytes afterwards.
   */
  async function soak(n) {
    for (let end = soaked + n; soaked < end; soaked++) {
      const token = soaked % 10 ? algs[ALGS[soaked % 3]].repeated : pool[(soaked / 10) % pool.length];
      await stepup.verifyIdToken(token, jwks, options);
    }
    return memory.buffer.byteLength;
  }

  return { run, soak, memory: () => memory.buffer.byteLength };
}

/**
 * Instantiates `module` `n` times with stub imports: what instantiation costs, without the glue
 * (which keeps one instance per loaded copy of stepup.js).
 */
export function instantiate(module, n) {
  const imports = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") throw new Error(`unexpected ${kind} import ${from}.${name}`);
    (imports[from] ??= {})[name] = () => {};
  }
  for (let i = 0; i < n; i++) new WebAssembly.Instance(module, imports);
}

/**
 * Median milliseconds to compile `bytes` (asynchronously: a browser's main thread may not compile
 * a module this large synchronously) and to instantiate the module, over `runs`. Node and Chromium
 * only: a worker in workerd may not compile wasm, and its clock stands still.
 */
export async function coldStart(bytes, runs, perRun = 10) {
  const compile = [];
  const instantiation = [];
  for (let i = 0; i < runs; i++) {
    let module;
    compile.push(await elapsed(async () => (module = await WebAssembly.compile(unseenModuleBytes(bytes, `run-${i}`)))));
    instantiation.push((await elapsed(() => instantiate(module, perRun))) / perRun);
  }
  return { compile: median(compile), instantiate: median(instantiation) };
}

/**
 * `bytes` with a custom section named `tag` appended: a module V8 has not compiled yet (it caches
 * compiled modules by their bytes), with the same code.
 */
function unseenModuleBytes(bytes, tag) {
  const name = new TextEncoder().encode(tag);
  if (name.length > 100) throw new Error("tag too long");
  const section = Uint8Array.of(0, name.length + 1, name.length, ...name);
  const out = new Uint8Array(bytes.length + section.length);
  out.set(bytes);
  out.set(section, bytes.length);
  return out;
}
