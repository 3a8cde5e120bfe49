// Token verification through pkg in node (WebCrypto path), on the shared table.
import { test } from "node:test";
import stepup, { vectors } from "./load.mjs";
import { tokenSuite } from "./suites/tokens.mjs";

for (const { name, fn } of tokenSuite(stepup, vectors("tokens"))) test(name, fn);
