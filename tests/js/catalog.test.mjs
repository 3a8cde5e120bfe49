// SECURITY.md's catalog table tells the truth: every test file it lists names the row, and every
// test naming a row is listed (regenerate with `node tests/catalog/coverage.mjs --write`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { coverageProblems } from "../catalog/coverage.mjs";

test("SECURITY.md's catalog table matches the tests", () => {
  assert.deepEqual(coverageProblems(), []);
});
