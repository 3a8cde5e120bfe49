// After wasm-bindgen: the package's hand-written JavaScript shell (js/) joins the generated glue
// of each build, each build gets its entry (index.js), and pkg/package.json says which audience
// gets which: the `browser` condition (what bundlers such as Vite resolve for an SPA) the browser
// build in pkg/browser/, everything else (node, edge workers) the full build in pkg/. Run by
// `make build`.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const pkg = new URL("pkg/", root);

/**
 * wasm-bindgen declares what `init()` returns as the raw wasm exports, typed `any` and numbers
 * (`(await init()).verifyIdToken("a", "b", "c")` would compile as a number): callers get the
 * memory only, and use the module's own typed exports.
 */
function typeInitOutput(dir) {
  const file = new URL("stepup.d.ts", dir);
  const text = readFileSync(file, "utf8");
  // Already done: make runs this again when only the shell changed.
  if (text.includes("type WasmMemory =")) return;
  const typed = text.replace(/export interface InitOutput \{[^}]*\}/, `/** What \`init\` and \`initSync\` return: the instance's memory; call the module's exports. */
export interface InitOutput {
    readonly memory: WebAssembly.Memory;
}`);
  if (!/export interface InitOutput \{\n    readonly memory: WebAssembly.Memory;\n\}/.test(typed)) {
    throw new Error("stepup.d.ts: no InitOutput to type");
  }
  writeFileSync(file, portable(typed));
}

/**
 * The declarations without names only the DOM library has (`RequestInfo`, `BufferSource`, the
 * `WebAssembly` namespace) or only esnext has (`Symbol.dispose`), so they compile in a node
 * project (`lib: ["es2022"]` and @types/node) as in a browser one (`lib: ["es2022", "dom"]`);
 * where the DOM's `WebAssembly` exists, its types are used.
 */
function portable(text) {
  const loader = /export type (Sync)?InitInput = [^;]*;/g;
  if ((text.match(loader) ?? []).length !== 2) throw new Error("stepup.d.ts: no InitInput to type");
  const types = `/** \`WebAssembly.Module\` where the runtime's types declare it. */
type WasmModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: never[]) => infer M } } ? M : object;
/** \`WebAssembly.Memory\` where the runtime's types declare it. */
type WasmMemory = typeof globalThis extends { WebAssembly: { Memory: abstract new (...args: never[]) => infer M } } ? M : { readonly buffer: ArrayBuffer };
`;
  return `${text
    .replace(loader, (_, sync) => sync
      ? "export type SyncInitInput = ArrayBuffer | ArrayBufferView | WasmModule;"
      : "export type InitInput = string | URL | Request | Response | ArrayBuffer | ArrayBufferView | WasmModule;")
    .replaceAll(": WebAssembly.Memory;", ": WasmMemory;")
    // Needs the esnext.disposable library in every project that reads the declarations; the
    // method is still there (`free()` is the same).
    .replace(/^ *\[Symbol\.dispose\]\(\): void;\n/gm, "")}
${types}`;
}

/**
 * Before `init()` (or `initSync`) wasm-bindgen's glue reads its exports from `undefined`, so a
 * call fails with "Cannot read properties of undefined (reading '__wbindgen_free')". Until the
 * instance exists, the glue's `wasm` is a stand-in that throws an error saying what to do, with
 * the code `ERR_NOT_INITIALIZED`; a glue that does not read as expected fails the build.
 */
function guardBeforeInit(dir) {
  const file = new URL("stepup.js", dir);
  const text = readFileSync(file, "utf8");
  if (text.includes("const notInitialized =")) return;
  const declaration = "let wasmModule, wasmInstance, wasm;";
  const check = "if (wasm !== undefined) return wasm;";
  if (text.split(declaration).length !== 2 || text.split(check).length !== 3) {
    throw new Error("stepup.js: the glue does not declare its instance as expected");
  }
  const standIn = `const notInitialized = new Proxy({}, {
    get() {
        const error = new Error("stepup is not initialized: await init() (or call initSync({ module })) before using it; in node, import 'stepup' (it initializes itself)");
        error.code = "ERR_NOT_INITIALIZED";
        throw error;
    },
});
let wasmModule, wasmInstance, wasm = notInitialized;`;
  writeFileSync(file, text.replace(declaration, standIn).replaceAll(check, "if (wasm !== notInitialized) return wasm;"));
}

/**
 * The shell files and the entry of one build: the guard in the full build, where `GuardCore` is;
 * the browser client in the browser build, where `ClientCore` is.
 */
function entry(dir, build) {
  typeInitOutput(dir);
  guardBeforeInit(dir);
  const own = build === "full" ? "guard" : "client";
  const shell = ["verifier.js", "verifier.d.ts", `${own}.js`, `${own}.d.ts`];
  for (const file of shell) copyFileSync(new URL(file, import.meta.url), new URL(file, dir));
  const exported = build === "full" ? "Guard" : "Client";
  // The glue's functions and `initSync`; not the cores (`GuardCore`, `VerifierCore`,
  // `ClientCore`), the shell's interface to wasm: they take what the shell hands them (strings,
  // counts) unchecked, so callers reach them only through the shell's classes.
  const glue = readFileSync(new URL("stepup.js", dir), "utf8");
  const names = [...glue.matchAll(/^export (?:function|class) (\w+)/gm)].map((m) => m[1]);
  const cores = names.filter((name) => name.endsWith("Core"));
  if (cores.length === 0 || !/^export \{ initSync, __wbg_init as default \};$/m.test(glue)) {
    throw new Error("stepup.js: the glue does not export as expected");
  }
  const glueExports = `export { ${[...names.filter((name) => !cores.includes(name)), "initSync"].join(", ")} } from "./stepup.js";`;
  writeFileSync(new URL("index.js", dir), `// The package's entry: the wasm glue and the JavaScript shell.
${glueExports}
export { default } from "./stepup.js";
export { createVerifier, verifyAccessToken, verifyIdToken } from "./verifier.js";
export { ${exported} } from "./${own}.js";
`);
  writeFileSync(new URL("index.d.ts", dir), `export type * from "./stepup.js";
${glueExports}
export { default } from "./stepup.js";
export { createVerifier, verifyAccessToken, verifyIdToken } from "./verifier.js";
export type { Verifier } from "./verifier.js";
export * from "./${own}.js";
`);
  return ["stepup_bg.wasm", "stepup.js", "stepup.d.ts", "index.js", "index.d.ts", ...shell];
}

const full = { files: entry(pkg, "full"), entry: { types: "./index.d.ts", default: "./index.js" } };
// node: the full build, initialised when imported (node's fetch cannot read the file: URL that
// `init()` would fetch the module from); `init()` afterwards returns the same instance.
writeFileSync(new URL("node.js", pkg), `// The package's entry in node: the full build, ready when imported.
import { readFileSync } from "node:fs";
import { initSync } from "./stepup.js";

initSync({ module: readFileSync(new URL("./stepup_bg.wasm", import.meta.url)) });

export * from "./index.js";
export { default } from "./index.js";
`);
full.files.push("node.js");
const browser = entry(new URL("browser/", pkg), "browser").map((file) => `browser/${file}`);
for (const file of ["README.md", "LICENSE"]) copyFileSync(new URL(file, root), new URL(file, pkg));
// pkg/ is built, never committed.
writeFileSync(new URL(".gitignore", pkg), "*\n");

const crate = readFileSync(new URL("Cargo.toml", root), "utf8");
const field = (name) => crate.match(new RegExp(`^${name} = "([^"]*)"`, "m"))?.[1];
const keywords = JSON.parse(crate.match(/^keywords = (\[.*\])$/m)?.[1] ?? "[]");
const manifest = {
  name: field("name"),
  type: "module",
  description: field("description"),
  version: field("version"),
  license: field("license"),
  repository: { type: "git", url: field("repository") },
  files: [...full.files, ...browser],
  // Conditions match in this order. Edge runtimes' bundlers also set `browser` (wrangler resolves
  // workerd, worker, browser), so `workerd` and `worker` come first and get the full build.
  exports: {
    ".": {
      workerd: full.entry,
      worker: full.entry,
      browser: { types: "./browser/index.d.ts", default: "./browser/index.js" },
      node: { types: "./index.d.ts", default: "./node.js" },
      default: full.entry,
    },
    // For `initSync` where the runtime imports the module itself (README, "Quick start (edge
    // worker)"): the wasm of the build the same conditions give the glue.
    "./stepup_bg.wasm": {
      workerd: "./stepup_bg.wasm",
      worker: "./stepup_bg.wasm",
      browser: "./browser/stepup_bg.wasm",
      default: "./stepup_bg.wasm",
    },
    "./package.json": "./package.json",
  },
  // For tools that predate `exports`: the full build.
  main: "index.js",
  module: "index.js",
  types: "index.d.ts",
  sideEffects: false,
  keywords,
};
writeFileSync(new URL("package.json", pkg), `${JSON.stringify(manifest, null, 2)}\n`);
