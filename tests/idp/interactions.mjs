// The IdP's own sign-in pages (oidc-provider's devInteractions are off): a password step and a
// one-time-code step, driven by the rule in profiles.mjs. Plain HTML forms with labels and stable
// ids (#username, #password, #otp, #sign-in, #verify, #cancel) so people, fetch-based tests and
// Playwright can all use them. The one-time code is shown on the page: this IdP is a demo.
//
// Flow: GET /interaction/:uid decides and renders (or finishes); each POST records a step and
// redirects back to the GET (post/redirect/get), so reloading a page never re-submits a form.
import { randomInt, timingSafeEqual } from "node:crypto";
import { API_AUDIENCE, API_SCOPES, REAUTH_REASONS, USERS, escapeHtml } from "./config.mjs";
import { decide, requestedAcr } from "./profiles.mjs";

const OIDC_SCOPES = new Set(["openid", "profile", "offline_access"]);
const MAX_OTP_ATTEMPTS = 5;
const MAX_PENDING = 500;

/**
 * Returns a `(req, res) => Promise` handler for every path under `prefix`.
 * `provider()` yields the current Provider (it changes on key rotation); `otps` records the last
 * code shown per user for `lastOtp(user)`.
 */
export function interactionHandler({ provider, profile: p, prefix, otps }) {
  const pending = new Map(); // uid → { accountId, fresh: [], ts, otp, attempts, error }

  return async function handle(req, res) {
    const [uid, action = ""] = new URL(req.url, "http://idp").pathname
      .slice(prefix.length + 1).split("/");
    let details;
    try {
      details = await provider().interactionDetails(req, res);
    } catch {
      return send(res, 400, layout("Sign-in expired", `<h1>Sign-in expired</h1>
        <p role="alert" id="error">This sign-in is unknown or has expired. Start again from the
        application.</p>`));
    }
    if (details.uid !== uid) return send(res, 400, layout("Bad request", "<h1>Bad request</h1>"));
    const state = pending.get(uid) ?? { fresh: [], attempts: 0 };
    pending.set(uid, state);
    // Abandoned sign-ins leave state behind; keep the newest few hundred (Maps keep order).
    for (const key of pending.keys()) {
      if (pending.size <= MAX_PENDING) break;
      pending.delete(key);
    }

    if (req.method === "POST") {
      const form = await readForm(req);
      if (action === "abort") {
        pending.delete(uid);
        return provider().interactionFinished(req, res, {
          error: "access_denied", error_description: "the end-user cancelled the sign-in",
        }, { mergeWithLastSubmission: false });
      }
      if (action === "password") {
        const user = USERS[form.get("username")];
        if (user && same(form.get("password") ?? "", user.password)) {
          // A password (re)starts the sign-in: any earlier step belonged to the old attempt.
          Object.assign(state, { accountId: form.get("username"), fresh: ["pwd"], ts: now() });
          state.error = undefined;
        } else {
          state.error = "Wrong username or password.";
        }
      } else if (action === "otp") {
        if (state.otp && same(form.get("otp") ?? "", state.otp)) {
          Object.assign(state, { fresh: [...state.fresh, "otp"], ts: now(), otp: undefined });
          state.error = undefined;
        } else if (++state.attempts >= MAX_OTP_ATTEMPTS) {
          pending.delete(uid);
          return provider().interactionFinished(req, res, {
            error: "access_denied", error_description: "too many wrong one-time codes",
          }, { mergeWithLastSubmission: false });
        } else {
          state.error = "That code is not right. Try again.";
        }
      }
      res.writeHead(303, { Location: `${prefix}/${uid}`, "Cache-Control": "no-store" });
      return res.end();
    }

    // Which methods of the existing session still count: none when oidc-provider says the user
    // must authenticate again (prompt=login, max_age, no session), or another user signed in.
    const forced = details.prompt.reasons.some((r) => REAUTH_REASONS.has(r));
    const sessionUser = forced ? undefined : details.session?.accountId;
    const accountId = state.accountId ?? sessionUser;
    const sessionMethods = accountId === sessionUser ? details.session?.amr ?? [] : [];
    const requested = requestedAcr(p, details.params).values;
    const plan = decide(p, {
      requested, factors: USERS[accountId]?.factors, session: sessionMethods, fresh: state.fresh,
    });

    const client = await provider().Client.find(details.params.client_id);
    const view = {
      uid, prefix, requested, error: state.error,
      client: client?.clientName ?? details.params.client_id,
    };
    if (plan.next === "pwd") {
      const hint = details.params.login_hint ?? details.session?.accountId ?? "";
      return send(res, 200, passwordPage({ ...view, hint }));
    }
    if (plan.next === "otp") {
      state.otp ??= String(randomInt(0, 1_000_000)).padStart(6, "0");
      otps.set(accountId, state.otp);
      return send(res, 200, otpPage({ ...view, accountId, code: state.otp }));
    }

    pending.delete(uid);
    if (plan.unmet) {
      // OIDC Core 3.1.2.6: the OP cannot satisfy the requested authentication context. The
      // interaction's error result is re-thrown on resume and redirected to the client.
      return provider().interactionFinished(req, res, {
        error: "unmet_authentication_requirements", error_description: plan.unmet,
      }, { mergeWithLastSubmission: false });
    }

    // auth_time: the last method performed now, or the session's own time when nothing was.
    let ts = state.ts;
    if (!state.fresh.length) {
      ts = (await provider().Session.findByUid(details.session.uid))?.loginTs ?? now();
    }
    const grantId = await saveGrant(provider(), details, accountId);
    return provider().interactionFinished(req, res, {
      login: { accountId, acr: plan.acr, amr: plan.amr, ts, remember: true },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  };
}

// A first-party demo: consent is implied, so the grant simply covers what was asked for.
async function saveGrant(provider, { grantId, params }, accountId) {
  let grant = grantId ? await provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== accountId) {
    grant = new provider.Grant({ accountId, clientId: params.client_id });
  }
  const scopes = (params.scope ?? "").split(" ");
  grant.addOIDCScope(scopes.filter((s) => OIDC_SCOPES.has(s)).join(" "));
  const apiScopes = API_SCOPES.split(" ");
  grant.addResourceScope(API_AUDIENCE, scopes.filter((s) => apiScopes.includes(s)).join(" "));
  if (params.claims) {
    const claims = JSON.parse(params.claims);
    grant.addOIDCClaims([claims.id_token, claims.userinfo].flatMap((c) => Object.keys(c ?? {})));
  }
  return grant.save();
}

function passwordPage({ uid, prefix, client, requested, error, hint }) {
  return layout("Sign in", `<h1>Sign in</h1>
    <p><strong>${escapeHtml(client)}</strong> asks you to sign in.${levelNote(requested)}</p>
    ${errorNote(error)}
    <form id="login" method="post" action="${prefix}/${uid}/password">
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" required autofocus
        value="${escapeHtml(hint)}">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button id="sign-in" type="submit">Sign in</button>
    </form>
    ${cancelForm(prefix, uid)}
    <aside aria-label="Demo accounts"><p>Demo accounts:
      <kbd>alice</kbd> / <kbd>wonderland</kbd> (password and one-time code),
      <kbd>bob</kbd> / <kbd>builder</kbd> (password only).</p></aside>`);
}

function otpPage({ uid, prefix, client, requested, error, accountId, code }) {
  return layout("One-time code", `<h1>Enter your one-time code</h1>
    <p>Signed in as <strong>${escapeHtml(accountId)}</strong>.
      <strong>${escapeHtml(client)}</strong> needs a second factor.${levelNote(requested)}</p>
    <p class="device">Your demo authenticator shows
      <output id="otp-code">${code}</output></p>
    ${errorNote(error)}
    <form id="second-factor" method="post" action="${prefix}/${uid}/otp">
      <label for="otp">One-time code</label>
      <input id="otp" name="otp" inputmode="numeric" pattern="[0-9]{6}" maxlength="6"
        autocomplete="one-time-code" required autofocus>
      <button id="verify" type="submit">Verify</button>
    </form>
    ${cancelForm(prefix, uid)}`);
}

const levelNote = (requested) => requested.length
  ? ` Requested level: ${requested.map((v) => `<code>${escapeHtml(v)}</code>`).join(" or ")}.`
  : "";
const errorNote = (error) => error ? `<p role="alert" id="error">${escapeHtml(error)}</p>` : "";
const cancelForm = (prefix, uid) => `<form method="post" action="${prefix}/${uid}/abort">
      <button id="cancel" type="submit" class="secondary">Cancel</button></form>`;

function layout(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · stepup local IdP</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1d2330; margin: 0; }
    main { max-width: 22rem; margin: 3rem auto; background: #fff; padding: 1.5rem 2rem;
      border-radius: 12px; box-shadow: 0 2px 12px rgb(0 0 0 / 0.08); }
    h1 { font-size: 1.4rem; margin-top: 0; }
    label { display: block; font-weight: 600; margin-top: 0.8rem; }
    input { width: 100%; box-sizing: border-box; font: inherit; padding: 0.5rem;
      border: 1px solid #9aa3b2; border-radius: 6px; }
    button { margin-top: 1rem; width: 100%; font: inherit; font-weight: 600; padding: 0.55rem;
      border: 0; border-radius: 6px; background: #2350d8; color: #fff; cursor: pointer; }
    button.secondary { background: transparent; color: #2350d8; margin-top: 0.3rem; }
    [role=alert] { color: #a4161a; font-weight: 600; }
    .device { background: #eef2ff; padding: 0.6rem; border-radius: 6px; }
    output { font: 700 1.4rem ui-monospace, monospace; letter-spacing: 0.2em; }
    aside { font-size: 0.85rem; color: #555; }
  </style>
</head>
<body><main>${body}</main></body>
</html>`;
}

function send(res, status, html) {
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy":
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(html);
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) break; // two short fields; anything longer is not ours
  }
  return new URLSearchParams(body);
}

function same(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

const now = () => Math.floor(Date.now() / 1000);
