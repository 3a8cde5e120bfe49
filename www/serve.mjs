// The demo bank's own server, the upstream the edge guard forwards to: the SPA's files (www/*.js,
// *.css and index.html at /, /signed-in and /signed-out), the npm package (/pkg/), the SPA's settings
// (/demo-config.json) and the bank's API.
//
// The API does no authentication of its own: it serves whoever the guard names in `x-stepup-sub`
// (the guard drops any such header a client sends), and the guard has already checked that the
// caller's token is strong and fresh enough for the path. Accounts live in memory, one per `sub`.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";

const WWW = new URL("./", import.meta.url);
const PKG = new URL("../pkg/", import.meta.url);
const TYPES = { css: "text/css", html: "text/html", js: "text/javascript", wasm: "application/wasm" };
const OPENING_BALANCE = 2_500_00; // cents
const MAX_BODY = 4096;

/**
 * Serves on a free loopback port; `config` is what the SPA reads from /demo-config.json.
 * Resolves to `{ url, calls, close }`: `calls` lists each API call that reached the bank
 * (`"POST /api/transfer alice"`), so a test can say what the API saw.
 */
export async function startUpstream(config) {
  const accounts = new Map();
  const calls = [];
  const account = (sub) => {
    if (!accounts.has(sub)) {
      accounts.set(sub, { balance: OPENING_BALANCE, email: `${sub}@example.test`, transactions: [] });
    }
    return accounts.get(sub);
  };

  // Each handler changes the account and returns nothing, or returns why it refused.
  const api = {
    "GET /api/balance": () => undefined,
    "POST /api/transfer": (state, { to, amount }) => {
      const cents = Math.round(Number(amount) * 100);
      if (typeof to !== "string" || !to.trim() || to.length > 64) return "say who the money goes to";
      if (!Number.isFinite(cents) || cents <= 0 || Math.abs(cents - Number(amount) * 100) > 1e-6) {
        return "the amount must be positive, with at most two decimals";
      }
      if (cents > state.balance) return "the balance is too low for that";
      state.balance -= cents;
      state.transactions.unshift({ to: to.trim(), amount: cents, at: new Date().toISOString() });
      state.transactions.length = Math.min(state.transactions.length, 5);
      return undefined;
    },
    "POST /api/email": (state, { email }) => {
      if (typeof email !== "string" || email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
        return "that is not an email address";
      }
      state.email = email;
      return undefined;
    },
  };

  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://upstream").pathname;
    const handler = api[`${req.method} ${path}`];
    try {
      if (handler) return await answerApi(req, res, handler);
      if (path.startsWith("/api/")) return send(res, 404, { error: "no such API" });
      if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { error: "method not allowed" });
      if (path === "/demo-config.json") return send(res, 200, config);
      return await sendFile(res, staticFile(path));
    } catch (e) {
      return send(res, 500, { error: e.message });
    }
  });

  async function answerApi(req, res, handler) {
    const sub = req.headers["x-stepup-sub"];
    // Only the guard sets this header; without it the request did not come through the guard.
    if (!sub) return send(res, 403, { error: "this API is only served through the stepup guard" });
    calls.push(`${req.method} ${new URL(req.url, "http://upstream").pathname} ${sub}`);
    let body = {};
    if (req.method === "POST") {
      const text = await readBody(req);
      if (text === undefined) return send(res, 413, { error: "request too large" });
      try {
        body = JSON.parse(text || "{}");
      } catch {
        return send(res, 400, { error: "the body must be JSON" });
      }
    }
    const state = account(sub);
    const refused = handler(state, body ?? {});
    if (refused) return send(res, 422, { error: refused });
    return send(res, 200, {
      ...state,
      currency: "EUR",
      // What the guard forwarded: shows the level each call was actually made at.
      seenByApi: {
        sub,
        acr: req.headers["x-stepup-acr"] ?? null,
        amr: req.headers["x-stepup-amr"]?.split(" ").filter(Boolean) ?? [],
        authTime: Number(req.headers["x-stepup-auth-time"]) || null,
      },
    });
  }

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    calls,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** The file a static path names, or undefined. Names are matched whole: no path can climb out. */
function staticFile(path) {
  if (path === "/" || path === "/signed-in" || path === "/signed-out") return new URL("index.html", WWW);
  const pkg = path.match(/^\/pkg\/((?:browser\/)?[\w-]+\.(?:js|wasm))$/);
  if (pkg) return new URL(pkg[1], PKG);
  // Browser files only: the .mjs files here are this server and the launcher.
  const own = path.match(/^\/([\w-]+\.(?:js|css))$/);
  return own ? new URL(own[1], WWW) : undefined;
}

async function sendFile(res, file) {
  let body;
  try {
    body = file && await readFile(file);
  } catch {
    body = undefined;
  }
  if (!body) return send(res, 404, { error: "not found" });
  const type = TYPES[file.pathname.split(".").pop()];
  res.writeHead(200, { "content-type": type, "cache-control": "no-cache" });
  return res.end(body);
}

function send(res, status, value) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(value));
}

/** The body as text, or undefined when it is larger than MAX_BODY. */
async function readBody(req) {
  let text = "";
  req.setEncoding("utf8");
  for await (const chunk of req) {
    text += chunk;
    if (text.length > MAX_BODY) return undefined;
  }
  return text;
}
