// Wycheproof's JWS and JWK cases (C2SP/wycheproof, testvectors_v1) through pkg, runtime-neutral:
// node and workerd (tests/js/wycheproof.test.mjs) and Chromium (tests/e2e/wycheproof.test.mjs)
// run this module unchanged, with the vectors read by the test from ../shared/vectors/wycheproof/.
// Every runtime must decide every case as the native verifier does in tests/wycheproof.rs.
//
// pkg has no signature-only export: the most direct one is verifyAccessToken, whose verifier
// checks the signature (WebCrypto) before it reads the payload as a claims set. No Wycheproof
// payload is one ("foo", "123400", RFC 7520's quotation), so a signature that verifies ends in
// ERR_JWT_MALFORMED "claims: ...", thrown only after the signature check; that is this suite's
// "accepted", and the claims checks are never reached.
import { CheckError, equal, ok } from "./check.mjs";

export const FILES = ["json_web_signature_test.json", "json_web_key_test.json"];
const [JWS, JWK] = FILES;

/** The cases per file, as the files' numberOfTests say; all of them are checked. */
export const COUNTS = { [JWS]: 401, [JWK]: 26 };

const ACCEPTED = "accepted";

// Every algorithm stepup can verify, so that only what stepup never verifies is refused for its
// alg. issuer and audience are required, and never compared: no payload here is a claims set.
const OPTIONS = {
  issuer: "https://wycheproof.invalid",
  audience: "wycheproof",
  algorithms: ["RS256", "PS256", "ES256", "EdDSA", "Ed25519"],
};

// The cases decided otherwise than their `result` says, with the refusal's code (the proof that
// the case is refused for the reason given): the same table as NAMED in tests/wycheproof.rs, for
// these two files. Neither file has an `acceptable` case. No runtime decides any case otherwise
// than the native verifier, so there is no table of runtime differences.
const NAMED = [
  {
    file: JWS, class: "HS256 (valid)", tcIds: [1, 348, 352, 357, 358, 359, 372, 373, 376, 377], code: "ERR_JWKS_INVALID",
    why: "an HMAC key is a shared secret, which a published key set cannot hold: an oct key makes the set invalid and HS* is never allowed (RFC 8725 §3.1)",
  },
  {
    file: JWS, class: "RS384, RS512, PS384, PS512, ES512 (valid)",
    tcIds: [265, 266, 267, 269, 270, 271, 321, 322, 323, 326, 327, 328, 346, 347, 350, 351], code: "ERR_JOSE_ALG_NOT_ALLOWED",
    why: "stepup verifies RS256, PS256, ES256 and EdDSA/Ed25519 only (RFC 7518 §3.1, RFC 8037 §3.1)",
  },
  {
    file: JWS, class: "emptyPayload (valid)", tcIds: [259, 264, 268, 272, 320, 325], code: "ERR_JWT_MALFORMED",
    why: "a JWT's payload is its claims set, a JSON object (RFC 7519 §7.2 step 10), never empty",
  },
  {
    file: JWK, class: "HS256, HS384, HS512 key sets (valid)", tcIds: [2, 13, 14, 15], code: "ERR_JWKS_INVALID",
    why: "a key set of symmetric (oct) keys is refused whole: a shared secret is never published in one (RFC 8725 §3.1)",
  },
];

/**
 * The two files, parsed: `read(file)` gives a file's text. A file that cannot be read fails with
 * where the vectors were expected (`where`), never skips.
 */
export function readVectors(read, where) {
  return Object.fromEntries(FILES.map((file) => {
    let text;
    try {
      text = read(file);
    } catch (e) {
      throw new Error(`the Wycheproof vectors are missing: cannot read ${where}${file} (${e.message}). They live in `
        + "../shared/vectors/wycheproof/ beside the project (see the README.md there)");
    }
    return [file, JSON.parse(text)];
  }));
}

/** The group's key set as JSON text: its public keys, or the only key material it has (oct). */
function keySet(file, group) {
  const keys = group.public ?? group.private;
  return JSON.stringify(file === JWS ? { keys: [keys] } : keys);
}

/** pkg's decision on one token: ACCEPTED, or the code of the refusal. */
async function decide(stepup, jwks, token) {
  try {
    await stepup.verifyAccessToken(token, jwks, OPTIONS);
    return ACCEPTED;
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) throw new CheckError(`the wasm instance trapped: ${e}`);
    ok(stepup.isStepUpError(e), `a StepUpError, not ${e}`);
    return e.code === "ERR_JWT_MALFORMED" && e.message.startsWith("malformed token: claims: ") ? ACCEPTED : e.code;
  }
}

/** Checks that a file has its count of cases and that NAMED lists only valid cases it holds. */
function checkTable(file, vectors) {
  const cases = vectors.testGroups.flatMap((g) => g.tests);
  equal(cases.length, vectors.numberOfTests, `${file}: numberOfTests`);
  equal(cases.length, COUNTS[file], `${file}: the number of cases`);
  for (const { class: name, tcIds } of NAMED.filter((n) => n.file === file)) {
    for (const id of tcIds) equal(cases.find((c) => c.tcId === id)?.result, "valid", `${file} ${name}: tcId ${id}`);
  }
  equal(cases.filter((c) => !["valid", "invalid"].includes(c.result)).map((c) => c.tcId), [], `${file}: unnamed acceptable cases`);
}

/**
 * Runs every case of both files and the table checks; one result per case:
 * `{ file, tcId, name, ok, decision, error }` (`tcId` null for a file's table check).
 */
export async function runSuite(stepup, vectors) {
  const results = [];
  for (const file of FILES) {
    const record = async (tcId, name, fn) => {
      try {
        results.push({ file, tcId, name, ok: true, decision: await fn() });
      } catch (e) {
        results.push({ file, tcId, name, ok: false, error: String(e?.stack ?? e) });
      }
    };
    await record(null, `${file}: ${COUNTS[file]} cases and the named ones`, () => checkTable(file, vectors[file]));
    for (const group of vectors[file].testGroups) {
      const jwks = keySet(file, group);
      for (const c of group.tests) {
        const named = NAMED.find((n) => n.file === file && n.tcIds.includes(c.tcId));
        await record(c.tcId, `${file} ${c.tcId} ${c.comment} (${c.result})`, async () => {
          const decision = await decide(stepup, jwks, c.jws);
          const what = `${file} ${c.tcId} ${c.comment}${named ? ` [${named.class}: ${named.why}]` : ""}`;
          if (named) equal(decision, named.code, what);
          else if (c.result === "valid") equal(decision, ACCEPTED, what);
          else ok(decision !== ACCEPTED, `${what}: an invalid case accepted`);
          return decision;
        });
      }
    }
  }
  return results;
}

/**
 * Checks a runtime's results (node's side of every runner): every case of both files ran once,
 * with the table checks, and none failed.
 */
export function checkResults(runtime, results) {
  for (const file of FILES) {
    const ids = results.filter((r) => r.file === file && r.tcId !== null).map((r) => r.tcId);
    equal([ids.length, new Set(ids).size], [COUNTS[file], COUNTS[file]], `${runtime}: ${file}: cases checked, distinct`);
  }
  equal(results.length, COUNTS[JWS] + COUNTS[JWK] + FILES.length, `${runtime}: results`);
  const failed = results.filter((r) => !r.ok).map((f) => `${runtime}: ${f.name}: ${f.error}`);
  if (failed.length) throw new CheckError(`${failed.length} failed:\n${failed.join("\n")}`);
}

/**
 * Checks that a runtime decided every case as node did (`reference`: runSuite's results in node),
 * down to the refusal's code.
 */
export function checkSameDecisions(runtime, results, reference) {
  const key = (r) => `${r.file} ${r.tcId}`;
  const node = new Map(reference.map((r) => [key(r), r.decision]));
  const differ = results.filter((r) => r.decision !== node.get(key(r)))
    .map((r) => `${key(r)}: ${runtime} ${r.decision}, node ${node.get(key(r))}`);
  if (differ.length) throw new CheckError(`${differ.length} decided otherwise than in node:\n${differ.join("\n")}`);
}
