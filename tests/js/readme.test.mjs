// The README's examples run as written. In every ```js block that shows a result, a line
//     expression; //=> <JSON>            asserts the expression deep-equals the JSON, and
//     expression; //=> throws ERR_CODE   asserts it throws a StepUpError with that code.
// Blocks run in order within their section (a section's blocks share one scope), with `stepup`
// (the package, loaded in node) and `now` (seconds) in scope; a section that verifies tokens
// also gets `idToken`, `jwks` and `issuer`, signed by jose.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as jose from "jose";
import stepup from "./load.mjs";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const CHECK = /^(\s*)(.*?);?\s*\/\/=>\s*(.+)$/;

/** Sections (by `##`/`###` heading) with their checked js blocks, in README order. */
function sections() {
  const found = [];
  let heading = "";
  for (const part of README.split(/^```/m).entries()) {
    const [index, text] = part;
    if (index % 2 === 0) {
      const headings = [...text.matchAll(/^#{2,3} (.+)$/gm)];
      if (headings.length) heading = headings.at(-1)[1];
      continue;
    }
    if (!text.startsWith("js\n") || !text.includes("//=>")) continue;
    const last = found.at(-1);
    if (last?.heading === heading) last.blocks.push(text.slice(3));
    else found.push({ heading, blocks: [text.slice(3)] });
  }
  return found;
}

/** Turns each `//=>` line into a check; other lines run unchanged. */
function instrument(block) {
  return block
    .split("\n")
    .map((line) => {
      const match = CHECK.exec(line);
      if (!match) return line;
      const [, indent, expression, expected] = match;
      const thrown = /^throws (ERR_[A-Z_]+)$/.exec(expected.trim());
      if (thrown) return `${indent}await __throws(async () => ${expression}, ${JSON.stringify(thrown[1])});`;
      return `${indent}__equals(await (${expression}), ${expected}, ${JSON.stringify(expression)});`;
    })
    .join("\n");
}

const AsyncFunction = (async () => {}).constructor;
const equals = (actual, expected, source) =>
  assert.deepStrictEqual(JSON.parse(JSON.stringify(actual ?? null)), expected, source);
async function throws(run, code) {
  await assert.rejects(run, (e) => e.code === code, `expected ${code}`);
}

async function givens() {
  const issuer = "https://idp.example";
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  const now = Math.floor(Date.now() / 1000);
  const idToken = await new jose.SignJWT({
    acr: "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
    amr: ["pwd", "mfa"],
    auth_time: now - 60,
    nonce: "n-0S6_WzA2Mj",
  })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(issuer).setSubject("alice").setAudience("spa")
    .setIssuedAt(now).setExpirationTime(now + 300)
    .sign(privateKey);
  return { stepup, now, idToken, jwks: { keys: [jwk] }, issuer };
}

const found = sections();
test("the README has checked examples", () => assert.ok(found.length >= 5, `found ${found.length}`));

for (const { heading, blocks } of found) {
  test(`README: ${heading}`, async () => {
    const given = await givens();
    const names = [...Object.keys(given), "__equals", "__throws"];
    const body = blocks.map(instrument).join("\n");
    await new AsyncFunction(...names, body)(...Object.values(given), equals, throws);
  });
}
