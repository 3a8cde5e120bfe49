// The edge guard (README, "Quick start (edge worker)"): the shell around the core's GuardCore.
// For each request the core decides — one call into wasm with the URL and the headers — and this
// file carries the decision out with the runtime's own Headers, fetch and Response: forward to
// exactly the target that was judged, with the headers the core said to remove and set, or
// answer with the core's reply. What needs the provider (a bearer token to verify, a sign-in to
// start or finish) the core does itself and hands back the same kind of decision. The upstream's
// answer is rewritten as the core says: never the guard's cookies, no cache directives on a
// guarded answer.
import { GuardCore } from "./stepup.js";

/**
 * The core's reply as a Response.
 * @param {import("./stepup.js").GuardAction} action a `["reply", …]` action
 */
function reply(action) {
  const [, status, headers, body] = /** @type {["reply", number, string[], string]} */ (action);
  const out = new Headers();
  for (let i = 0; i < headers.length; i += 2) out.append(headers[i], headers[i + 1]);
  return new Response(body === "" ? null : body, { status, headers: out });
}

export class Guard {
  #core;
  #guarded;

  /** Reads the settings (a worker's `env`); throws a `TypeError` naming a missing or bad one. */
  constructor(env) {
    this.#core = new GuardCore(env);
    const [drop, setAlways, append, ending, cache] = this.#core.guardedAnswer();
    this.#guarded = /** @type {const} */ ([new Set(drop), setAlways, append, ending, cache]);
  }

  /** Fetches the provider's discovery and checks the rules against it. */
  checkProvider() {
    return this.#core.checkProvider();
  }

  /** Answers one request. */
  async fetch(request) {
    // The headers as the core reads them: names and values on lines of their own (Fetch lets
    // neither hold a line feed), with their count, in one string.
    let text = "";
    let lines = 0;
    for (const [name, value] of request.headers) {
      text += lines === 0 ? `${name}\n${value}` : `\n${name}\n${value}`;
      lines += 2;
    }
    let action = JSON.parse(this.#core.decide(request.method, request.url, text, lines));
    if (action[0] === "io") action = JSON.parse(await this.#core.resolve(request.method, request.url, text, lines));
    return action[0] === "forward"
      ? this.#forward(request, /** @type {["forward", string, string[], string[], boolean, number]} */ (action))
      : reply(action);
  }

  /**
   * Forwards as the core planned: `action` is `["forward", url, remove, set, guarded, timeout ms]`.
   * @param {Request} request
   * @param {["forward", string, string[], string[], boolean, number]} action
   */
  async #forward(request, action) {
    const remove = action[2];
    const set = action[3];
    const guarded = action[4];
    const headers = new Headers(request.headers);
    for (let i = 0; i < remove.length; i++) headers.delete(remove[i]);
    for (let i = 0; i < set.length; i += 2) headers.set(set[i], set[i + 1]);
    const method = request.method;
    // The timeout covers the wait for the answer's head only: a long download is not cut.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), action[5]);
    /** @type {RequestInit} */
    const init = {
      method, headers, redirect: "manual", signal: controller.signal,
      body: method !== "GET" && method !== "HEAD" ? request.body : undefined,
    };
    // A guarded answer is about one user: the runtime's own cache (Cloudflare's edge cache, keyed
    // by URL) may neither keep it nor answer from one it kept, whatever the upstream says.
    if (guarded) init.cache = /** @type {RequestCache} */ (this.#guarded[4]);
    let response;
    try {
      response = await fetch(action[1], init);
    } catch (e) {
      return reply(JSON.parse(this.#core.upstreamFailed(controller.signal.aborted, String(/** @type {any} */ (e)?.message ?? e))));
    } finally {
      clearTimeout(timer);
    }
    const cookies = response.headers.getSetCookie();
    const clear = response.headers.get("clear-site-data");
    if (!guarded && cookies.length === 0 && clear === null) return response;
    if (!this.#core.upstreamStatusUsable(response.status)) {
      return reply(JSON.parse(this.#core.upstreamFailed(false, `status ${response.status}`)));
    }
    // The upstream's answer with its status, status text and headers, and headers that can
    // change (the runtime's copy of an answer's headers is cheaper than a new Headers).
    const out = new Response(response.body, response);
    const outHeaders = out.headers;
    if (cookies.length > 0 || clear !== null) {
      const [kept, keptClear] = this.#core.upstreamAnswer(cookies, clear);
      if (clear !== null) {
        if (keptClear === null) outHeaders.delete("clear-site-data");
        else outHeaders.set("clear-site-data", keptClear);
      }
      if (kept !== null) {
        outHeaders.delete("set-cookie");
        for (const cookie of kept) outHeaders.append("set-cookie", cookie);
      }
    }
    if (guarded) {
      const [drop, setAlways, append, ending] = this.#guarded;
      // One pass over the answer's names, then a call for each one there: most answers carry
      // none of them, and every call into the runtime's Headers costs.
      const present = [];
      for (const [name] of outHeaders) if (drop.has(name) || name.endsWith(ending)) present.push(name);
      for (let i = 0; i < present.length; i++) outHeaders.delete(present[i]);
      for (let i = 0; i < setAlways.length; i += 2) outHeaders.set(setAlways[i], setAlways[i + 1]);
      for (let i = 0; i < append.length; i += 2) outHeaders.append(append[i], append[i + 1]);
    }
    return out;
  }
}
