// The ACR/AMR engine through pkg in node, on the vectors the native core runs (the same suite
// runs in workerd and in Chromium).
import { test } from "node:test";
import stepup, { vectors } from "./load.mjs";
import { engineSuite } from "./suites/engine.mjs";

const files = { acr: vectors("acr"), step_up: vectors("step_up"), challenge: vectors("challenge") };
for (const { name, fn } of engineSuite(stepup, files)) test(name, fn);
