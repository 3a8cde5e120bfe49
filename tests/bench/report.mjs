// The results as markdown: the goals of issue 14 first, then every figure they come from.
import { ALGS } from "./suite.mjs";

const KiB = 1024;
const us = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ms = (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(2));
const ratio = (v) => `${v.toFixed(2)}×`;
const kib = (bytes) => `${(bytes / KiB).toFixed(1)} KiB`;
const table = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

/** "met" or "missed by …" for a figure that must reach at least `goal` (a ratio). */
const atLeast = (value, goal) => (value >= goal ? "met" : `missed: ${value.toFixed(3)}× of ${ratio(goal)} (${((1 - value / goal) * 100).toFixed(1)} % short)`);
/** … and for one that must stay at most `goal`; `unit` formats the excess. */
const atMost = (value, goal, unit) => (value <= goal ? "met" : `missed by ${unit(value - goal)} (${ratio(value / goal)} the goal)`);

/**
 * One runtime's verification ratios, jose time / stepup time (> 1: stepup faster), through
 * `createVerifier` (the goals) and through the free function: the medians of the rounds' own
 * ratios (run.mjs), and how far stepup's median lies above bare WebCrypto's.
 */
function compare(v) {
  return { ...v.ratios, aboveBare: v["verifier-cold"] - v["bare-cold"] };
}

function goals(r) {
  const rows = [];
  for (const alg of ALGS) {
    const c = compare(r.verification.workerd[alg]);
    const aim = c.cold >= 1.1 && c.aboveBare <= 10 ? "; aim met" : `; aim (1.1×, ≤ 10 µs above bare): ${us(c.aboveBare)} µs above bare`;
    rows.push([`workerd cold ${alg} (createVerifier): ≥ 1.0× jose`, ratio(c.cold), `${atLeast(c.cold, 1)}${aim}`]);
  }
  for (const alg of ALGS) {
    const c = compare(r.verification.workerd[alg]);
    rows.push([`workerd repeated ${alg} (createVerifier): ≥ 15× jose`, ratio(c.repeated), atLeast(c.repeated, 15)]);
  }
  const overhead = r.guard.inWorker.cost;
  rows.push(["guard overhead, allowed request: ≤ 50 µs", `${us(overhead)} µs`,
    `${atMost(overhead, 50, (v) => `${us(v)} µs`)}; the runtime's part alone: ${us(r.guard.inWorker.floorCost)} µs, stepup's: ${us(r.guard.inWorker.stepupCost)} µs`]);
  rows.push(["Vite SPA download of stepup (wasm + JS): ≤ 100 KiB gzip", kib(r.sizes.spa.gzip), atMost(r.sizes.spa.gzip, 100 * KiB, kib)]);
  const memories = [...Object.entries(r.memory.verification).map(([rt, m]) => [`${rt}, 100 000 verifications`, m.warm, m.after]),
    ["workerd, 100 000 guard requests", r.memory.guard.before, r.memory.guard.after]];
  for (const [what, before, after] of memories) {
    rows.push([`memory flat: ${what}`, `${kib(before)} → ${kib(after)}`, after === before ? "met" : `missed: grew by ${kib(after - before)}`]);
  }
  return table(["goal (issue 14)", "measured", "goal: met/missed by X"], rows);
}

function verification(r) {
  const rows = [];
  for (const [runtime, byAlg] of Object.entries(r.verification)) {
    for (const alg of ALGS) {
      const v = byAlg[alg];
      const c = compare(v);
      rows.push([runtime, alg, us(v["verifier-cold"]), us(v["stepup-cold"]), us(v["jose-cold"]), us(v["bare-cold"]),
        ratio(c.cold), ratio(c.freeCold), us(c.aboveBare),
        us(v["verifier-repeated"]), us(v["stepup-repeated"]), us(v["jose-repeated"]), ratio(c.repeated), ratio(c.freeRepeated)]);
    }
  }
  return table(["runtime", "alg", "cold: createVerifier µs", "verifyIdToken µs", "jose µs", "bare µs",
    "createVerifier vs jose", "verifyIdToken vs jose", "createVerifier above bare µs",
    "repeated: createVerifier µs", "verifyIdToken µs", "jose µs", "createVerifier vs jose", "verifyIdToken vs jose"], rows);
}

function guard(r) {
  const { inWorker, load } = r.guard;
  const perRequest = (rps) => 1e6 / rps;
  return table(["guard in workerd, allowed page request", "guard", "without guard", "guard's cost"], [
    ["in the worker, µs per request (median of batches; the cost: of each round's difference)", us(inWorker.guard), us(inWorker.plain), `${us(inWorker.cost)} µs`],
    ["in the worker, the runtime's part alone (no decision; see below)", us(inWorker.floor), us(inWorker.plain), `${us(inWorker.floorCost)} µs (the guard: ${us(inWorker.stepupCost)} µs above it)`],
    ["in the worker, an API call with a bearer token verified before", us(inWorker.api.guard), us(inWorker.api.plain), `${us(inWorker.api.cost)} µs`],
    ["wrk, 1 connection: median latency µs", us(load.single.guard.p50), us(load.single.plain.p50), `${us(load.single.guard.p50 - load.single.plain.p50)} µs`],
    [`wrk, ${r.params.connections} connections: requests/s`, load.loaded.guard.rps.toFixed(0), load.loaded.plain.rps.toFixed(0),
      `${ratio(load.loaded.guard.rps / load.loaded.plain.rps)} the throughput; ${us(perRequest(load.loaded.guard.rps) - perRequest(load.loaded.plain.rps))} µs per request`],
  ]);
}

function sizes(r) {
  const s = r.sizes;
  const row = (what, m) => [what, kib(m.raw), kib(m.gzip)];
  return table(["what (gzip -9)", "raw", "gzipped"], [
    row(`stepup full build (node, workers), pkg/: ${s.full.files.join(", ")}`, s.full),
    row(`stepup browser build, pkg/browser/: ${s.browser.files.join(", ")}`, s.browser),
    row(`Vite SPA (tests/bench/spa/) downloads: ${s.spa.files.join(", ")}`, s.spa),
    row("jose: jwtVerify + createLocalJWKSet (esbuild, minified)", s.jose),
    row("oauth4webapi: the whole module (esbuild, minified)", s.oauth4webapi),
    [...row("edge worker: worker.js + stepup.js (esbuild, minified) + wasm", s.worker).slice(0, 2),
      `${kib(s.worker.gzip)}: ${(100 * s.worker.gzip / (3 * KiB * KiB)).toFixed(1)}% of Cloudflare's 3 MiB (free), ${(100 * s.worker.gzip / (10 * KiB * KiB)).toFixed(1)}% of 10 MiB (paid)`],
  ]);
}

function coldStart(r) {
  const c = r.coldStart;
  return table(["runtime", "compile ms", "instantiate ms", "note"], [
    ["node", ms(c.node.compile), ms(c.node.instantiate), "WebAssembly.compile of bytes V8 has not seen (the full build); instantiation with stub imports"],
    ["Chromium", ms(c.Chromium.compile), ms(c.Chromium.instantiate), "the same with the browser build, in the page (a much newer V8 than node 20's)"],
    ["workerd", `(${ms(c.workerd.startup)} at load)`, ms(c.workerd.instantiate),
      "workerd compiles a worker's wasm when it loads it: the figure is a start of worker/ to its first answer less that of a worker without stepup"],
  ]);
}

function memory(r) {
  const rows = Object.entries(r.memory.verification).map(([runtime, m]) =>
    [`${runtime}: verifications (1 in 10 unseen, 9 repeated)`, kib(m.start), kib(m.warm), kib(m.after)]);
  rows.push(["workerd: guard requests (bench worker's own Guard)", "–", kib(r.memory.guard.before), kib(r.memory.guard.after)]);
  const count = (n) => n.toLocaleString("en").replaceAll(",", " ");
  return table(["wasm linear memory", "after the timing runs", `+${count(r.params.soakWarm)} (caches full)`,
    `after ${count(r.params.soakTotal)} in all`], rows);
}

function native(r) {
  return table(["native Rust (criterion, opt-level 3, median)", "µs"], Object.entries(r.native).map(([name, v]) => [name, us(v)]));
}

export function markdown(r) {
  const m = r.machine;
  const p = r.params;
  return `# stepup benchmarks

\`make bench\` on ${m.date}: ${m.cpu}, ${m.cores} cores; node ${m.node}, workerd ${m.workerd}, Chromium ${m.chromium}.
Timing figures are medians of ${p.rounds} batches (after one warm-up batch) of ${p.coldBatch} never-seen tokens
(cold) or ${p.repeatedBatch} verifications of one token (repeated), each token an ID token with a unique \`jti\`
from a key generated at the start of the run; the key set holds one RS256, one ES256 and one Ed25519 key. Ratios
are jose's time / stepup's time (> 1: stepup is faster): the median of each round's ratio of its two batches, run
one after the other (so a slower stretch of the machine slows both). stepup is \`createVerifier({ issuer,
audience, jwks }).verifyIdToken(token)\` (the verifier made once) and the free \`verifyIdToken(token, jwks,
{ issuer, audience })\` with the key set as an object; jose is \`jwtVerify(token, createLocalJWKSet(jwks), { issuer,
audience })\`; bare is \`crypto.subtle.verify\` of the same signature with a key imported beforehand. Inside
workerd clocks stand still during compute, so workerd batches are timed from node, less an empty request's
round trip (${us(r.workerdRoundTrip * 1000)} µs).

## Goals

${goals(r)}

## Verification, µs per token

${verification(r)}

## The edge guard in workerd

${guard(r)}

"In the worker": the bench worker's own \`Guard\` (\`worker/worker.js\` makes it the same way) answers
${p.guardBatch} requests per batch with a session cookie, and as many API calls with an access token it verified
before, forwarding each to an in-process upstream; "without guard" fetches the same upstream directly. "The
runtime's part alone" is what the guard does in the runtime for such a request, with its decision replaced by a
plan the guard decided once: the same header walk, header copy with the identity set, upstream timeout, \`cache: "no-store"\`
and private answer, in the same order (\`tests/bench/workerd/bench.js\`, \`floor\`); what the guard costs above it is stepup's own (the
decision in wasm, its JSON, the calls into the core). wrk runs ${p.wrkSeconds} s per run (median of ${p.wrkRuns})
from its own
process on loopback against \`worker/worker.js\` and against a worker that only forwards.

## Native Rust

${native(r)}

## Sizes

${sizes(r)}

## Cold start

${coldStart(r)}

## Memory

${memory(r)}
`;
}
