// A mix of requests under wrk (mix.lua): each variant says what it sends and which answers it
// allows; wrk cycles through them from a process of its own and checks every answer. Also the
// forged credentials the malicious variants send.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("mix.lua", import.meta.url));
export const KINDS = ["allowed", "redirected", "challenged", "malicious"];

/**
 * One line of mix.lua's variants file. A variant: `{ name, kind, method?, path, headers?,
 * status (a number or a list), check?: [header, text] }`, plus anything else for the caller.
 */
function line({ name, kind, method = "GET", path, headers = {}, status, check }) {
  const fields = [name, kind, [status].flat().join(","), check ? check.join("~") : "-", method, path,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  for (const field of fields) assert.ok(!/[\t\r\n]/.test(field), `${name}: tab or newline in ${JSON.stringify(field)}`);
  assert.ok(KINDS.includes(kind), `${name}: kind ${kind}`);
  return fields.join("\t");
}

/**
 * Runs wrk for `seconds` against `url` with one connection per thread through `variants`;
 * returns mix.lua's report: `{ variants: { name: { kind, sent, ok, mismatched, server_errors,
 * lost, sample } }, latency_us: { p50, p90, p99, max, mean }, requests,
 * duration_us, errors }`.
 */
export async function runMix(url, variants, { seconds, threads = 2, timeout = 2 }) {
  const names = variants.map((v) => v.name);
  assert.equal(new Set(names).size, names.length, "variant names are unique");
  const dir = await mkdtemp(join(tmpdir(), "stepup-mix-"));
  try {
    const file = join(dir, "variants.tsv");
    await writeFile(file, `${variants.map(line).join("\n")}\n`);
    const { stdout } = await run("wrk", [
      `-t${threads}`, `-c${threads}`, `-d${seconds}s`, "--timeout", `${timeout}s`, "-s", SCRIPT, url, "--", file, String(threads),
    ], { timeout: (seconds + timeout + 10) * 1000, maxBuffer: 1 << 24 });
    const report = stdout.split("\n").find((l) => l.startsWith("MIX "));
    if (!report) throw new Error(`wrk printed no report:\n${stdout}`);
    return JSON.parse(report.slice(4));
  } catch (e) {
    if (e.code === "ENOENT") throw new Error("wrk is not installed (Debian: apt-get install wrk; make bench installs it)");
    throw new Error(`${e.message} (signal ${e.signal}, exit ${e.code})\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What went wrong in a run, as sentences: a variant never sent, an answer its variant does not
 * allow, any 5xx, a connection lost before its answer, socket errors or timeouts.
 */
export function mixProblems(report, names = Object.keys(report.variants)) {
  const problems = [];
  for (const name of names) {
    const c = report.variants[name];
    if (!c?.sent) problems.push(`${name}: never sent`);
    else if (c.mismatched) problems.push(`${name}: ${c.mismatched} of ${c.sent} answers not as expected, e.g. ${c.sample}`);
    if (c?.server_errors) problems.push(`${name}: ${c.server_errors} answers 5xx`);
    if (c?.lost) problems.push(`${name}: ${c.lost} connections lost before the answer`);
  }
  const { connect, read, write, timeout } = report.errors;
  if (connect + read + write + timeout) problems.push(`socket errors ${JSON.stringify(report.errors)}`);
  return problems;
}

/** Counts summed over the variants of each kind. */
export function byKind(report) {
  const kinds = {};
  for (const c of Object.values(report.variants)) {
    const k = (kinds[c.kind] ??= { sent: 0, ok: 0, mismatched: 0, server_errors: 0 });
    for (const key of Object.keys(k)) k[key] += c[key];
  }
  return kinds;
}

/** Latency percentiles in milliseconds, for a diagnostic line. */
export function latencyLine({ latency_us: l, requests, duration_us }) {
  const ms = (us) => (us / 1000).toFixed(2);
  const rps = Math.round(requests / (duration_us / 1e6));
  return `${requests} requests (${rps}/s): p50 ${ms(l.p50)} ms, p90 ${ms(l.p90)} ms, p99 ${ms(l.p99)} ms, max ${ms(l.max)} ms`;
}

const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const parts = (jwt) => jwt.split(".").map((p, i) => (i < 2 ? JSON.parse(Buffer.from(p, "base64url")) : p));

/**
 * Bearer tokens made from a genuine one: its claims under `alg: none`, its header naming a key
 * the provider never published, a token over the size cap, and three segments of nonsense.
 */
export function forgedTokens(token) {
  const [header, claims, signature] = parts(token);
  return {
    algNone: `${b64({ alg: "none", typ: header.typ })}.${b64(claims)}.`,
    unknownKid: `${b64({ ...header, kid: "not-a-key-the-provider-has" })}.${b64(claims)}.${signature}`,
    oversized: `${b64(header)}.${b64({ ...claims, pad: "x".repeat(24 * 1024) })}.${signature}`,
    garbage: "bm90.YS10b2tlbg.c2lnbmF0dXJl",
  };
}

/** Session cookie values made from a genuine one: a flipped byte, truncated, and made up. */
export function tamperedCookies(value) {
  const at = Math.floor(value.length / 2);
  return {
    flipped: value.slice(0, at) + (value[at] === "A" ? "B" : "A") + value.slice(at + 1),
    truncated: value.slice(0, -3),
    forged: `${b64({ sub: "alice", acr: "LOA3", amr: ["hwk"], auth_time: 1 })}.${b64("a MAC made up of 32 bytes......")}`,
  };
}
