// A tiny assertion kit that runs unchanged in node and in workerd, so each suite is written once
// and executed in both runtimes.
export class CheckError extends Error {}

/** JSON text with object members sorted, so equality ignores member order (not array order). */
function canonical(value) {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v);
}

export function equal(actual, expected, what) {
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) throw new CheckError(`${what}: expected ${e}, got ${a}`);
}

export function ok(value, what) {
  if (!value) throw new CheckError(`${what}: expected a truthy value, got ${String(value)}`);
}

export function thrown(fn, what) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new CheckError(`${what}: expected a throw`);
}

export async function rejected(promise, what) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new CheckError(`${what}: expected a rejection`);
}

/** Checks a thrown error against a vector's `{ code, param?, claim?, error?, errorDescription? }`. */
export function errorLike(stepup, e, want, what) {
  ok(!(e instanceof WebAssembly.RuntimeError), `${what}: the wasm instance trapped: ${e}`);
  equal(e?.code, want.code, `${what}: code (${e?.message})`);
  const typeError = want.code.startsWith("ERR_INVALID_ARG_");
  equal(e instanceof (typeError ? TypeError : Error), true, `${what}: error class`);
  equal(e.name, typeError ? "TypeError" : "StepUpError", `${what}: name`);
  equal(stepup.isStepUpError(e), !typeError, `${what}: isStepUpError`);
  for (const key of ["param", "claim", "error", "errorDescription", "acrValues", "maxAge"]) {
    if (key in want) equal(e[key], want[key], `${what}: ${key}`);
  }
  ok(/^[^A-Z]/.test(e.message), `${what}: lower-case message "${e.message}"`);
}
