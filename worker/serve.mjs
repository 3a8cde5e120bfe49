// `make worker`: checks the settings of contract section 7 (a missing or invalid one, or a rule
// the provider cannot satisfy, stops start-up with a message naming it), then runs the guard in
// workerd on 127.0.0.1:$PORT until interrupted.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { initSync, Guard } from "../pkg/index.js";

initSync({ module: readFileSync(new URL("../pkg/stepup_bg.wasm", import.meta.url)) });

const port = process.env.PORT ?? "8787";
if (!/^\d{1,5}$/.test(port)) {
  console.error(`stepup: PORT must be a port number, got ${JSON.stringify(port)}`);
  process.exit(1);
}
try {
  await new Guard(process.env).checkProvider();
} catch (e) {
  console.error(`stepup: ${e.message}`);
  process.exit(1);
}

const workerd = fileURLToPath(new URL("../node_modules/.bin/workerd", import.meta.url));
const config = fileURLToPath(new URL("config.capnp", import.meta.url));
const child = spawn(workerd, ["serve", config, `--socket-addr=http=127.0.0.1:${port}`], { stdio: "inherit" });
console.log(`stepup guard on http://127.0.0.1:${port} for ${process.env.STEPUP_ISSUER}`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
