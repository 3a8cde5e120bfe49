// Driving pkg's `Client` (its browser build) in a page (tests/e2e/client.html): opening it,
// making `window.client` from an IdP's settings, and signing in through the IdP's pages.
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

  return { open, ready, viaIdp };
}
