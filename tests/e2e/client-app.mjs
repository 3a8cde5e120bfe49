// An app for the browser client's tests: the test page (client.html) and an API behind the edge
// guard in workerd, against the local IdP (wso2 dialect). The API answers with who the guard says
// is calling and records every call it received, so a test can say what the API saw.
import { serveRepo } from "./browser.mjs";
import { PAGE, clientPages } from "./client-page.mjs";
import { API_AUDIENCE, edgeClient, spaClient, startIdp } from "../idp/server.mjs";
import { freePort, guardEnv, startWorkerd } from "../js/workerd.mjs";

/**
 * Starts the IdP, the app and the guard (`/api/basic` needs LOA1, `/api/mfa` LOA2). Resolves to
 * `{ base, idp, calls, pages(options), stop }`: `calls` lists `{ path, method, body, acr }` of
 * each call that reached the API; `pages({ store })` are `clientPages` of the app.
 */
export async function startClientApp() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const stops = [];
  const stop = async () => {
    for (const close of stops.splice(0).reverse()) await close();
  };
  try {
    const idp = await startIdp({
      profile: "wso2",
      clients: [spaClient([`${base}${PAGE}`], { post_logout_redirect_uris: [`${base}${PAGE}`] }), edgeClient([`${base}/callback`])],
    });
    stops.push(() => idp.close());
    const calls = [];
    const api = (req, res) => {
      let body = "";
      req.on("data", (chunk) => { body += chunk; });
      req.on("end", () => {
        const seen = { path: req.url, method: req.method, body, sub: req.headers["x-stepup-sub"], acr: req.headers["x-stepup-acr"] };
        calls.push(seen);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(seen));
      });
    };
    const app = await serveRepo({ "/api/basic": api, "/api/mfa": api });
    stops.push(() => app.close());
    const worker = await startWorkerd(new URL("../../worker/config.capnp", import.meta.url), {
      port,
      env: guardEnv(idp, {
        STEPUP_UPSTREAM: app.url,
        STEPUP_API_AUDIENCE: API_AUDIENCE,
        STEPUP_RULES: [{ path: "/api/basic", acr: ["LOA1"], api: true }, { path: "/api/mfa", acr: ["LOA2"], api: true }],
      }),
    });
    stops.push(() => worker.stop());
    const pages = ({ store } = {}) => clientPages({ base, idp, preset: "wso2", resource: API_AUDIENCE, store });
    return { base, idp, calls, pages, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
