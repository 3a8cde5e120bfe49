// Starts workerd (npm `workerd`) on a free loopback port and waits until it answers.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { EDGE_CLIENT_ID, EDGE_CLIENT_SECRET } from "../idp/server.mjs";

const WORKERD = fileURLToPath(new URL("../../node_modules/.bin/workerd", import.meta.url));

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Serves `config` (a URL of a .capnp file) with its `http` socket on 127.0.0.1 (`port`, or any
 * free one); `external` maps external service names to loopback addresses (--external-addr).
 * `lineBuffered` makes workerd's stdout (V8's --trace-gc, say) arrive line by line rather than
 * in blocks (coreutils stdbuf, which then execs workerd: same process).
 */
export async function startWorkerd(config, { socket = "http", env = {}, port, external = {}, lineBuffered = false } = {}) {
  port ??= await freePort();
  const args = ["serve", fileURLToPath(config), `--socket-addr=${socket}=127.0.0.1:${port}`,
    ...Object.entries(external).map(([name, address]) => `--external-addr=${name}=${address}`)];
  const [command, ...prefix] = lineBuffered ? ["stdbuf", "-oL", WORKERD] : [WORKERD];
  const child = spawn(command, [...prefix, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited (${child.exitCode}):\n${output}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(500) });
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`workerd did not answer on ${url}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    /** The workerd process's id (for its memory in /proc). */
    pid: child.pid,
    output: () => output,
    /**
     * What the worker logged (`console.error` goes to workerd's output) after the first `from`
     * characters of the output, once it matches `pattern` or after `ms`: a line logged while
     * answering may reach the output after the answer.
     */
    logged: async (pattern, from = 0, ms = 3000) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(output.slice(from)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return output.slice(from);
    },
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", resolve);
      child.kill("SIGTERM");
    }),
  };
}

/**
 * The guard's settings for the local IdP's confidential edge client (tests/idp/), WSO2's dialect
 * and a test session secret; `settings` adds or overrides (`STEPUP_RULES` as an array).
 */
export function guardEnv(idp, { STEPUP_RULES, ...settings }) {
  return {
    STEPUP_ISSUER: idp.issuer,
    STEPUP_CLIENT_ID: EDGE_CLIENT_ID,
    STEPUP_CLIENT_SECRET: EDGE_CLIENT_SECRET,
    STEPUP_SESSION_SECRET: "a-test-session-secret-of-at-least-32-bytes",
    STEPUP_ACR_POLICY: "wso2",
    STEPUP_RULES: JSON.stringify(STEPUP_RULES),
    ...settings,
  };
}
