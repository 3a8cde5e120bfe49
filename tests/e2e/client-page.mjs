// Driving pkg's `Client` (its browser build) in a page (tests/e2e/client.html): opening it,
// making `window.client` from an IdP's settings, and signing in through the IdP's pages, in the
// page or in a popup.
import { passIdp } from "./browser.mjs";
import { SPA_CLIENT_ID } from "../idp/server.mjs";

export const PAGE = "/tests/e2e/client.html";

/**
 * Pages on `base` whose `window.client` talks to `idp` with the named ACR `preset` and, when
 * given, an RFC 8707 `resource` and a `store`.
 */
export function clientPages({ base, idp, preset, resource, store }) {
  async function ready(page) {
    await page.waitForFunction(() => window.ready === true);
    await page.evaluate(({ preset, ...options }) => {
      window.client = new window.stepup.Client({ ...options, policy: window.stepup.acrPolicy(preset) });
    }, { issuer: idp.issuer, clientId: SPA_CLIENT_ID, redirectUri: `${base}${PAGE}`, resource, preset, ...(store ? { store } : {}) });
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
   * In `popup` (a sign-in popup the page opened): the IdP's pages as `user`, then, back on the
   * redirect URI, `handleCallback()` hands the answer to the page that opened it and the popup
   * closes (within 10 s, or this fails).
   */
  async function answerInPopup(popup, user = "alice") {
    // The IdP's pages, unless its session answers at once.
    const answered = (u) => u.href.startsWith(base) && u.searchParams.has("state");
    await popup.waitForURL((u) => u.href.startsWith(idp.issuer) || answered(u));
    if (!answered(new URL(popup.url()))) await passIdp(popup, base, { user });
    await ready(popup);
    const closed = popup.waitForEvent("close", { timeout: 10_000 });
    // Not awaited in the page: the popup closes once it has posted the answer.
    await popup.evaluate(() => { window.client.handleCallback(); }).catch(() => {});
    await closed;
  }

  return { open, ready, viaIdp, answerInPopup };
}
