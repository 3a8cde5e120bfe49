// The example apps (examples/) installed as a user installs stepup — from `npm pack` of pkg/ —
// built and run: the node script in node, the Vite SPA in headless Chromium. What each shows is
// checked against jose's verification of the same token and the engine's own decision.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import * as jose from "jose";
import { build } from "vite";
import stepup from "../js/load.mjs";
import { launch } from "./browser.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const issuer = "https://idp.example";
const audience = "spa";
const requirement = { acr: ["2"] };

let work, tarball, jwks, token, forged;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "stepup-examples-"));
  const [{ filename }] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work, join(ROOT, "pkg")],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  tarball = join(work, filename);
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" }] };
  const now = Math.floor(Date.now() / 1000);
  token = await new jose.SignJWT({ acr: "1", amr: ["pwd"], auth_time: now - 60 })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(issuer).setSubject("alice").setAudience(audience).setIssuedAt(now).setExpirationTime(now + 600)
    .sign(privateKey);
  const [h, p, s] = token.split(".");
  forged = `${h}.${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}`;
});
after(() => rmSync(work, { recursive: true, force: true }));

/** The example copied out of the repository, with the packed package unpacked where npm puts it. */
function install(example) {
  const dir = join(work, example);
  cpSync(join(ROOT, "examples", example), dir, { recursive: true });
  const to = join(dir, "node_modules", "stepup");
  mkdirSync(to, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "--strip-components=1", "-C", to]);
  return dir;
}

/** What the example must show for `input`: jose's claims and the engine's decision, or the code. */
async function expected(input) {
  try {
    const { payload } = await jose.jwtVerify(input.token, jose.createLocalJWKSet(jwks), { issuer, audience });
    return { claims: payload, decision: stepup.evaluateStepUp(payload, requirement) };
  } catch {
    return { error: { code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" } };
  }
}

const inputs = () => [{ issuer, audience, jwks, token, requirement }, { issuer, audience, jwks, token: forged, requirement }];

test("node: the script imports the installed package by name, with no init, and shows what jose and the engine say", async () => {
  const dir = install("node");
  for (const input of inputs()) {
    let out;
    try {
      out = execFileSync(process.execPath, [join(dir, "verify.mjs")], { input: JSON.stringify(input), encoding: "utf8" });
    } catch (e) {
      out = e.stdout;
    }
    const shown = JSON.parse(out);
    const want = await expected(input);
    if (want.error) assert.equal(shown.error?.code, want.error.code);
    else assert.deepEqual(shown, want);
  }
  const ok = JSON.parse(execFileSync(process.execPath, [join(dir, "verify.mjs")], { input: JSON.stringify(inputs()[0]), encoding: "utf8" }));
  assert.equal(ok.decision.satisfied, false, "acr 1 falls short of 2");
  assert.deepEqual(ok.decision.acrValues, ["2"]);
});

test("Vite SPA: built from the installed package (its browser build), run in Chromium, shows what jose and the engine say", async () => {
  const dir = install("spa");
  const dist = join(dir, "dist");
  await build({ root: dir, logLevel: "silent", configFile: false, build: { outDir: dist } });
  const assets = readdirSync(join(dist, "assets"));
  const wasm = assets.find((name) => name.endsWith(".wasm"));
  assert.ok(wasm, `a .wasm among ${assets}`);
  assert.ok(readFileSync(join(dist, "assets", wasm)).equals(readFileSync(join(ROOT, "pkg/browser/stepup_bg.wasm"))),
    "Vite resolved the package's browser build");
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const file = normalize(join(dist, path === "/" ? "index.html" : decodeURIComponent(path)));
    if (!file.startsWith(dist)) return res.writeHead(404).end();
    let body;
    try {
      body = readFileSync(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const browser = await launch();
  try {
    const page = await browser.newPage();
    for (const [i, input] of inputs().entries()) {
      // A query of its own per input: a new fragment alone would not load the page again.
      await page.goto(`http://127.0.0.1:${server.address().port}/?input=${i}#${encodeURIComponent(JSON.stringify(input))}`);
      await page.waitForSelector("#out[data-done]");
      const shown = JSON.parse(await page.textContent("#out"));
      const want = await expected(input);
      if (want.error) assert.equal(shown.error?.code, want.error.code, JSON.stringify(shown));
      else assert.deepEqual(shown, want);
    }
  } finally {
    await browser.close();
    server.close();
  }
});
