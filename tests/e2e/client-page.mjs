// Driving pkg's `Client` (its browser build) in a page (tests/e2e/client.html): opening it,
// making `window.client` from an IdP's settings, and signing in through the IdP's pages, in the
// page or in a popup.
import { passIdp } from "./browser.mjs";
import { SPA_CLIENT_ID } from "../idp/server.mjs";

export const PAGE = "/tests/e2e/client.html";

/**
 * Pages on `base` whose `window.client` talks to `idp` with the named ACR `preset` and, when
 * given, an RFC 8707 `resource` and a `store`: one of the client's names, or `"app"`, a store of
 * the app's own (synchronous `get`, `set` and `remove` over `localStorage` under `app:`, each
 * write and removal logged in `localStorage`'s `app-log`). `withoutEndSession` hands the client the
 * provider's discovery document as `metadata`, less its `end_session_endpoint`.
 */
export function clientPages({ base, idp, preset, resource, store, withoutEndSession = false }) {
  async function ready(page) {
    await page.waitForFunction(() => window.ready === true);
    await page.evaluate(async ({ preset, store, withoutEndSession, ...options }) => {
      if (store === "app") {
        // The log outlives the page (in localStorage too), so it shows what went in across a
        // redirect sign-in.
        const log = (op, key) => localStorage.setItem("app-log", JSON.stringify([...JSON.parse(localStorage.getItem("app-log") ?? "[]"), [op, key]]));
        store = {
          get: (key) => localStorage.getItem(`app:${key}`),
          set: (key, value) => { log("set", key); localStorage.setItem(`app:${key}`, value); },
          remove: (key) => { log("remove", key); localStorage.removeItem(`app:${key}`); },
        };
      }
      if (withoutEndSession) {
        const discovery = await (await fetch(`${options.issuer}/.well-known/openid-configuration`)).json();
        delete discovery.end_session_endpoint;
        options.metadata = discovery;
      }
      window.client = new window.stepup.Client({ ...options, ...(store ? { store } : {}), policy: window.stepup.acrPolicy(preset) });
    }, { issuer: idp.issuer, clientId: SPA_CLIENT_ID, redirectUri: `${base}${PAGE}`, resource, preset, store, withoutEndSession });
  }

  /** A fresh tab on the test page, with `window.client` made. */
  async function open(context) {
    const page = await context.newPage();
    page.on("pageerror", (e) => console.error("page error:", e));
    await page.goto(`${base}${PAGE}`);
    await ready(page);
    return page;
  }

  /** Runs `fn` (which navigates to the IdP) in the page, signs in, and handles the callback. */
  async function viaIdp(page, fn, arg, user = "alice") {
    await page.evaluate(fn, arg);
    await passIdp(page, base, { user });
    await ready(page);
    return page.evaluate(async () => {
      try {
        return { ok: await window.client.handleCallback() };
      } catch (e) {
        return { error: { code: e.code, error: e.error, acrValues: e.acrValues, message: e.message } };
      }
    });
  }

  /**
   * In `popup` (a sign-in popup the page opened): the IdP's pages as `user` (with `password`,
   * for a user other than alice and bob), then, back on the
   * redirect URI, `handleCallback()` hands the answer to the page that opened it and the popup
   * closes (within 10 s, or this fails).
   */
  async function answerInPopup(popup, user = "alice", password = undefined) {
    // The IdP's pages, unless its session answers at once.
    const answered = (u) => u.href.startsWith(base) && u.searchParams.has("state");
    await popup.waitForURL((u) => u.href.startsWith(idp.issuer) || answered(u));
    if (!answered(new URL(popup.url()))) await passIdp(popup, base, { user, password });
    await ready(popup);
    const closed = popup.waitForEvent("close", { timeout: 10_000 });
    // Not awaited in the page: the popup closes once it has posted the answer.
    await popup.evaluate(() => { window.client.handleCallback(); }).catch(() => {});
    await closed;
  }

  return { open, ready, viaIdp, answerInPopup };
}
