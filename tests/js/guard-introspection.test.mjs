// The guard's API path with opaque access tokens (README, "Access-token profiles"): WSO2 Identity
// Server and Janssen issue them by default, and the guard asks the provider about each one
// (RFC 7662 introspection, STEPUP_ACCESS_TOKEN_PROFILE named by the provider's preset). worker/
// in workerd in front of an echo upstream, the local IdP (tests/idp/) issuing opaque tokens with
// an introspection endpoint. Per dialect: a token strong enough is forwarded with its identity
// and its answer reused (the IdP's introspection hits counted), a weaker one gets the RFC 9470
// challenge, a provider that fails is a 503 (the log names the endpoint), a revoked token is
// refused once the cache's bound has passed, and a cached answer never outlives the token.
// Nothing refused ever reaches the upstream.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { API_AUDIENCE, SPA_CLIENT_ID, edgeClient, spaClient, startIdp } from "../idp/server.mjs";
import { accessToken } from "./agent.mjs";
import stepup from "./load.mjs";
import { freePort, guardEnv, startWorkerd } from "./workerd.mjs";

const CONFIG = new URL("../../worker/config.capnp", import.meta.url);
const SPA_CALLBACK = "http://127.0.0.1:5997/callback"; // the SPA client's tokens; never followed
const INTROSPECTION = "/token/introspection";
/** STEPUP_INTROSPECTION_CACHE_SECONDS: short, so a revocation is seen within the test. */
const CACHE_SECONDS = 4;

const DIALECTS = {
  wso2: { basic: "LOA1", strong: "LOA2", amr: "BasicAuthenticator totp" },
  janssen: { basic: "basic", strong: "otp", amr: "pwd otp mfa" },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An echo upstream that records what it received. */
async function startUpstream(received) {
  const upstream = createServer((req, res) => {
    received.push({ url: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
  return upstream;
}

for (const [name, dialect] of Object.entries(DIALECTS)) {
  describe(`${name} opaque access tokens at the guard (STEPUP_ACCESS_TOKEN_PROFILE=${name}: introspection)`, () => {
    let idp, upstream, worker;
    /** What the upstream received, in order. */
    const received = [];

    before(async () => {
      idp = await startIdp({
        profile: name, accessTokens: "opaque",
        clients: [spaClient([SPA_CALLBACK]), edgeClient(["http://127.0.0.1:8787/callback"])],
      });
      upstream = await startUpstream(received);
      worker = await startWorkerd(CONFIG, {
        port: await freePort(),
        env: guardEnv(idp, {
          STEPUP_ACR_POLICY: name,
          STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
          STEPUP_RULES: [
            { path: "/api/strong/*", acr: [dialect.strong], api: true },
            { path: "/api/*", api: true },
          ],
          STEPUP_API_AUDIENCE: API_AUDIENCE,
          STEPUP_ACCESS_TOKEN_PROFILE: name,
          STEPUP_INTROSPECTION_CACHE_SECONDS: String(CACHE_SECONDS),
        }),
      });
    });
    after(async () => {
      await worker?.stop();
      await idp?.close();
      await new Promise((r) => upstream?.close(r));
    });

    const token = (level) => accessToken(idp, { redirectUri: SPA_CALLBACK, acrValues: [dialect[level]] });

    /** A bearer call through the guard; resolves to the answer, its body and what the upstream got. */
    async function call(path, bearer) {
      const before = received.length;
      const res = await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
      const body = await res.text();
      return { res, body, seen: received.slice(before) };
    }

    /** The IdP's introspection hits while `run` runs. */
    async function introspections(run) {
      const before = idp.hits(INTROSPECTION);
      const result = await run();
      return { ...result, hits: idp.hits(INTROSPECTION) - before };
    }

    test("a token strong enough is forwarded with its identity; its answer is reused", async () => {
      const strong = await token("strong");
      assert.notEqual(strong.split(".").length, 3, "the IdP issues opaque tokens, not JWTs");
      const first = await introspections(() => call("/api/strong/transfer?x=1", strong));
      assert.equal(first.res.status, 200, first.body);
      assert.equal(first.hits, 1);
      assert.equal(first.seen.length, 1);
      assert.equal(first.seen[0].url, "/api/strong/transfer?x=1");
      assert.equal(first.seen[0].headers["x-stepup-sub"], "alice");
      assert.equal(first.seen[0].headers["x-stepup-acr"], dialect.strong);
      assert.equal(first.seen[0].headers["x-stepup-amr"], dialect.amr);
      assert.match(first.seen[0].headers["x-stepup-auth-time"], /^\d+$/);
      // The same token again within the cache's bound: judged from the answer held, the
      // provider not asked again.
      const hits = idp.hits(INTROSPECTION);
      const again = [await call("/api/strong/a", strong), await call("/api/b", strong)];
      assert.equal(idp.hits(INTROSPECTION), hits);
      assert.deepEqual(again.map(({ res }) => res.status), [200, 200]);
      assert.deepEqual(again.map(({ seen }) => seen[0].url), ["/api/strong/a", "/api/b"]);
    });

    test("a burst of requests with new tokens asks the provider once per token, each answered by its own", async () => {
      const [strong, basic] = [await token("strong"), await token("basic")];
      const unknown = "not-a-token-the-idp-issued";
      const burst = [strong, basic, unknown, strong, basic, unknown, strong, strong];
      const before = received.length;
      // The provider answers late, so every request of the burst arrives while the first
      // question about its token is still open (an answer once kept would explain one hit
      // alone; a refusal is never kept).
      idp.setIntrospectionMode("lagging");
      const { calls, hits } = await introspections(async () => ({
        calls: await Promise.all(burst.map((bearer, i) => call(`/api/strong/burst/${i}`, bearer))),
      })).finally(() => idp.setIntrospectionMode("ok"));
      assert.equal(hits, 3, "one introspection per token");
      const challenge = 'Bearer error="insufficient_user_authentication", error_description="A different authentication level ' +
        `is required", acr_values="${dialect.strong}"`;
      for (const [i, { res, body }] of calls.entries()) {
        const bearer = burst[i];
        if (bearer === strong) assert.equal(res.status, 200, `${i}: ${body}`);
        else if (bearer === basic) assert.deepEqual([res.status, res.headers.get("www-authenticate")], [401, challenge], `${i}`);
        else assert.match(`${res.status} ${res.headers.get("www-authenticate")}`, /^401 .*error="invalid_token"/, `${i}`);
      }
      // What the upstream received for the whole burst (the calls overlap, so not per call):
      // only the strong token's requests, each with the strong token's identity.
      const got = received.slice(before).map((r) => [r.url, r.headers["x-stepup-sub"], r.headers["x-stepup-acr"]]).sort();
      const expected = burst.flatMap((b, i) => (b === strong ? [[`/api/strong/burst/${i}`, "alice", dialect.strong]] : [])).sort();
      assert.deepEqual(got, expected);
    });

    test("a weaker token gets the RFC 9470 challenge and never reaches the upstream", async () => {
      const basic = await token("basic");
      const { res, seen } = await call("/api/strong/transfer", basic);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"),
        'Bearer error="insufficient_user_authentication", error_description="A different authentication level ' +
        `is required", acr_values="${dialect.strong}"`);
      assert.deepEqual(seen, []);
      const plain = await call("/api/balance", basic);
      assert.equal(plain.res.status, 200);
      assert.equal(plain.seen[0].headers["x-stepup-acr"], dialect.basic);
    });

    test("a token the provider does not know is invalid_token, and asked about every time", async () => {
      const madeUp = "not-a-token-the-provider-issued-0123456789";
      const { res, seen, hits } = await introspections(async () => {
        await call("/api/balance", madeUp);
        return call("/api/balance", madeUp);
      });
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate"), /^Bearer error="invalid_token"/);
      assert.deepEqual(seen, []);
      assert.equal(hits, 2);
    });

    test("introspection failing: 503, the log naming the endpoint, nothing forwarded, then recovery", async () => {
      const strong = await token("strong"); // not introspected yet: nothing cached
      const endpoint = `${idp.issuer}${INTROSPECTION}`;
      /** The log line of the failure of a call made after `from`, naming the endpoint (X18: the page does not). */
      const logged = async (failed, from, detail) => {
        assert.ok(!failed.body.includes(endpoint), failed.body);
        const log = await worker.logged(detail, from);
        assert.match(log, detail);
        return log;
      };
      try {
        idp.setDown(true);
        let from = worker.output().length;
        const down = await call("/api/strong/x", strong);
        assert.equal(down.res.status, 503);
        await logged(down, from, new RegExp(`cannot be reached: POST ${endpoint}: status 503`));
        assert.deepEqual(down.seen, []);
        idp.setDown(false);
        // "oversized" is the usual answer (the token is active) padded past the 1 MiB the guard
        // reads: refused, not forwarded.
        for (const mode of ["error", "garbage", "oversized"]) {
          idp.setIntrospectionMode(mode);
          from = worker.output().length;
          const failed = await call("/api/strong/x", strong);
          assert.equal(failed.res.status, 503, mode);
          const log = await logged(failed, from, new RegExp(`cannot be reached: POST ${endpoint}`));
          if (mode === "oversized") assert.ok(log.includes("answer over 1048576 bytes"), log);
          assert.deepEqual(failed.seen, [], mode);
        }
      } finally {
        idp.setDown(false);
        idp.setIntrospectionMode("ok");
      }
      // A failure is not remembered as an answer.
      const back = await call("/api/strong/x", strong);
      assert.equal(back.res.status, 200, back.body);
      assert.equal(back.seen.length, 1);
    });

    test("a token revoked mid-session is refused once the cache's bound has passed", async () => {
      const strong = await token("strong");
      assert.equal((await call("/api/strong/x", strong)).res.status, 200);
      // RFC 7009: the SPA revokes its token.
      const revoked = await fetch(`${idp.issuer}/token/revocation`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: strong, client_id: SPA_CLIENT_ID }),
      });
      assert.equal(revoked.status, 200);
      // The trade-off (README): within the bound, the answer held still counts.
      const held = await introspections(() => call("/api/strong/x", strong));
      assert.equal(held.hits, 0);
      assert.equal(held.res.status, 200);
      await sleep(CACHE_SECONDS * 1000 + 200);
      const refused = await introspections(() => call("/api/strong/x", strong));
      assert.equal(refused.hits, 1);
      assert.equal(refused.res.status, 401);
      assert.match(refused.res.headers.get("www-authenticate"), /^Bearer error="invalid_token"/);
      assert.deepEqual(refused.seen, []);
    });

    test("an answer is never kept past the token's exp", async () => {
      idp.setAccessTokenTtl(2);
      let short, issued;
      try {
        short = await token("strong");
        issued = Date.now();
      } finally {
        idp.setAccessTokenTtl(600);
      }
      const first = await introspections(() => call("/api/strong/x", short));
      assert.equal(first.res.status, 200, first.body);
      assert.equal(first.hits, 1);
      // `exp` is at most 2 s after the token was handed out: past it, but well within the
      // cache's 4 s bound, the provider is asked again and says the token is no longer active.
      await sleep(Math.max(0, issued + 2000 - Date.now()) + 300);
      const expired = await introspections(() => call("/api/strong/x", short));
      assert.equal(expired.hits, 1);
      assert.equal(expired.res.status, 401);
      assert.match(expired.res.headers.get("www-authenticate"), /^Bearer error="invalid_token"/);
      assert.deepEqual(expired.seen, []);
    });
  });
}

describe("the introspection profile with a provider that has no introspection endpoint", () => {
  let idp, upstream, worker, env;
  const received = [];

  before(async () => {
    idp = await startIdp({ profile: "wso2", clients: [spaClient([SPA_CALLBACK]), edgeClient([SPA_CALLBACK])] });
    upstream = await startUpstream(received);
    env = guardEnv(idp, {
      STEPUP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
      STEPUP_RULES: [{ path: "/api/*", api: true }],
      STEPUP_API_AUDIENCE: API_AUDIENCE,
      STEPUP_ACCESS_TOKEN_PROFILE: "introspection",
    });
    worker = await startWorkerd(CONFIG, { port: await freePort(), env });
  });
  after(async () => {
    await worker?.stop();
    await idp?.close();
    await new Promise((r) => upstream?.close(r));
  });

  test("make worker refuses to start, naming the setting and what is missing", async () => {
    await assert.rejects(new stepup.Guard(env).checkProvider(), (e) => {
      assert.match(e.message, /STEPUP_ACCESS_TOKEN_PROFILE/);
      assert.match(e.message, /introspection_endpoint/);
      return true;
    });
  });

  test("a bearer request is a 503 naming what is missing, and nothing is forwarded", async () => {
    const bearer = await accessToken(idp, { redirectUri: SPA_CALLBACK, acrValues: ["LOA1"] });
    const forwarded = received.length; // workerd's start-up probe of `/` went through
    const res = await fetch(`${worker.url}/api/x`, { headers: { authorization: `Bearer ${bearer}` } });
    const body = await res.text();
    assert.equal(res.status, 503);
    assert.match(body, /STEPUP_ACCESS_TOKEN_PROFILE/);
    assert.match(body, /introspection_endpoint/);
    assert.deepEqual(received.slice(forwarded), []);
  });
});
