// Loads the wasm package the way node and edge workers do: initSync with the module bytes.
import { readFileSync } from "node:fs";
// The package entry: the wasm glue and the JavaScript shell (createVerifier).
import * as stepup from "../../pkg/index.js";

stepup.initSync({ module: readFileSync(new URL("../../pkg/stepup_bg.wasm", import.meta.url)) });

export default stepup;

export function vectors(name) {
  return JSON.parse(readFileSync(new URL(`../vectors/${name}.json`, import.meta.url), "utf8"));
}
