// The core natively: benches/core.rs through criterion, read from its bencher-format lines
// (`test <name> ... bench: <median> ns/iter (+/- <deviation>)`).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * `{ name: median µs }` for every bench in benches/core.rs. Built at opt-level 3, as a crate that
 * depends on stepup builds it: the crate's own release profile is opt-level "z" for the wasm's
 * size, and bench builds inherit it.
 */
export async function nativeBenches() {
  const child = spawn("cargo", ["bench", "--bench", "core", "--", "--output-format", "bencher"], {
    cwd: ROOT,
    env: { ...process.env, CARGO_PROFILE_BENCH_OPT_LEVEL: "3" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const code = await new Promise((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`cargo bench exited ${code}:\n${out}`);
  const results = {};
  for (const [, name, ns] of out.matchAll(/^test (\S+) \.\.\. bench:\s+([\d,]+) ns\/iter/gm)) {
    results[name] = Number(ns.replaceAll(",", "")) / 1000;
  }
  if (!Object.keys(results).length) throw new Error(`no results in cargo bench's output:\n${out}`);
  return results;
}
