// After wasm-pack: the package's hand-written JavaScript shell (js/) joins the generated glue in
// pkg/, and pkg/index.js is the entry point that exports both. Run by `make build`.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const pkg = new URL("../pkg/", import.meta.url);
const shell = ["verifier.js", "verifier.d.ts", "guard.js", "guard.d.ts"];
for (const file of shell) copyFileSync(new URL(file, import.meta.url), new URL(file, pkg));

writeFileSync(new URL("index.js", pkg), `// The package's entry: the wasm glue and the JavaScript shell.
export * from "./stepup.js";
export { default } from "./stepup.js";
export { createVerifier, verifyAccessToken, verifyIdToken } from "./verifier.js";
export { Guard } from "./guard.js";
`);
writeFileSync(new URL("index.d.ts", pkg), `export * from "./stepup.js";
export { default } from "./stepup.js";
export * from "./verifier.js";
export * from "./guard.js";
`);

const manifest = JSON.parse(readFileSync(new URL("package.json", pkg), "utf8"));
manifest.files = [...new Set([...manifest.files, "index.js", "index.d.ts", ...shell])];
manifest.main = "index.js";
manifest.module = "index.js";
manifest.types = "index.d.ts";
writeFileSync(new URL("package.json", pkg), `${JSON.stringify(manifest, null, 2)}\n`);
