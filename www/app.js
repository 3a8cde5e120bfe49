// The demo bank's page: an SPA using stepup's browser `Client` against an API behind the edge
// guard. It asks the identity provider for no more than the basic level at sign-in; when an API
// call answers with an RFC 9470 challenge, the client signs in again for exactly what the API
// asked: a transfer in a popup (`client.fetch(…, { stepUp: "popup" })`: the page and its
// half-filled form stay, and the transfer is replayed once as soon as the popup is done), the
// other actions by leaving the page (`{ stepUp: true }`: back on /signed-in `client.resume()`
// replays the call once). Signing out ends the identity provider's session too
// (`signOut({ endSession: true })`, back on /signed-out), and a sign-out in another tab signs
// this one out. What each action needs, and how it steps up, comes from the server
// (/demo-config.json), never from this file, so the same page works in every ACR dialect.
// The package's browser build, as a bundler resolves it for an SPA.
import init, { Client, acrPolicy, isStepUpError } from "/pkg/browser/index.js";

// sessionStorage: the action a step-up left this page for. Only a sign-in this page started for
// an action resumes one, so a call saved before a failed step-up is never replayed later.
const RESUMING = "demo:resuming";
// sessionStorage: the claims of the newest sign-in, for the panel. The client keeps a token per
// level (RFC 9470 §2) and `session()` describes the weakest; the rows show which one each
// action uses.
const LATEST = "demo:latest-sign-in";

const $ = (id) => document.getElementById(id);
const money = (cents, currency) =>
  new Intl.NumberFormat("en", { style: "currency", currency }).format(cents / 100);
/** Why a popup sign-in ended without an answer (the error's `reason`). */
const POPUP = {
  popup_blocked: "The browser blocked the sign-in window (allow pop-ups for this site and try again)",
  popup_closed: "The sign-in window was closed before you finished",
  popup_timeout: "The sign-in window was open too long",
};
const DONE = {
  balance: () => "Balance up to date",
  transfer: (a) => `Sent ${money(a.transactions[0].amount, a.currency)} to ${a.transactions[0].to}`,
  email: (a) => `Statements now go to ${a.email}`,
};

await init();
const config = await (await fetch("/demo-config.json")).json();
const actions = new Map(config.actions.map((a) => [a.id, a]));
const client = new Client({
  issuer: config.issuer,
  clientId: config.clientId,
  redirectUri: new URL("/signed-in", location.origin).href,
  postLogoutRedirectUri: new URL("/signed-out", location.origin).href,
  resource: config.resource,
  policy: typeof config.policy === "string" ? acrPolicy(config.policy) : config.policy,
});
let account; // the last account state the API returned

const rows = renderStatic();
$("sign-in").addEventListener("click", () => {
  clearMessages();
  // The basic level. After a sign-out the identity provider's session is over too, so it asks
  // who is signing in.
  run(undefined, () => client.signIn({ requirement: actions.get("balance").requirement }));
});
$("sign-out").addEventListener("click", () => {
  clearMessages();
  forget();
  // Here at once, then at the identity provider (the page comes back on /signed-out).
  run(undefined, () => client.signOut({ endSession: true, returnTo: "/" }));
});
// Another tab of the bank signed out: so is this one (the client has already forgotten the
// tokens this tab held).
client.onChange((change) => {
  if (change.type !== "signedOut") return;
  forget();
  clearMessages();
  $("status").textContent = "You signed out in another tab.";
  renderSession();
});
$("refresh").addEventListener("click", () => perform("balance"));
for (const form of document.querySelectorAll("form[data-action]")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    perform(form.dataset.action, Object.fromEntries(new FormData(form)));
  });
}

if (location.pathname === "/signed-in") await completeSignIn();
if (location.pathname === "/signed-out") await completeSignOut();
if (client.session().signedIn && !account) await perform("balance", undefined, { quiet: true });
renderSession();
setInterval(renderSession, 1000); // freshness runs out while the page sits there

/**
 * Calls the API for `id`, stepping up if the guard asks for more: in a popup for the transfer
 * (the page stays), else by leaving the page.
 */
async function perform(id, body, { quiet = false } = {}) {
  const action = actions.get(id);
  if (!quiet) clearMessages();
  await run(action, async () => {
    // Only a step-up that leaves the page comes back here to resume.
    if (action.stepUp === true) sessionStorage.setItem(RESUMING, id);
    let res;
    try {
      res = await client.fetch(action.path, {
        method: action.method,
        headers: body ? { "content-type": "application/json" } : {},
        body: body && JSON.stringify(body),
      }, { stepUp: action.stepUp });
    } finally {
      // Reached only if the page stays: a step-up navigates away with the marker set.
      sessionStorage.removeItem(RESUMING);
    }
    await show(action, res);
  });
}

/** On /signed-in: the callback, then the call the step-up was for, if this page started one. */
async function completeSignIn() {
  const action = actions.get(sessionStorage.getItem(RESUMING));
  sessionStorage.removeItem(RESUMING);
  await run(action, async () => {
    let returnTo = "/";
    try {
      let claims;
      ({ claims, returnTo } = await client.handleCallback(location.href));
      sessionStorage.setItem(LATEST, JSON.stringify(claims));
    } finally {
      // The code in the address bar is spent either way.
      history.replaceState(null, "", returnTo);
    }
    const res = action && await client.resume();
    if (res) await show(action, res);
  });
}

/** On /signed-out: the identity provider's return from ending its session. */
async function completeSignOut() {
  await run(undefined, async () => {
    let returnTo = "/";
    try {
      ({ returnTo } = await client.handleSignOutCallback(location.href));
    } finally {
      history.replaceState(null, "", returnTo);
    }
    $("status").textContent = "Signed out, here and at the identity provider.";
  });
}

/** Forgets what the page showed of the account and the sign-in. */
function forget() {
  sessionStorage.removeItem(LATEST);
  account = undefined;
}

/** Runs `task` with the buttons disabled; a failure becomes the message in #error. */
async function run(action, task) {
  for (const button of document.querySelectorAll("button")) button.disabled = true;
  try {
    await task();
  } catch (e) {
    showError(e, action);
  } finally {
    for (const button of document.querySelectorAll("button")) button.disabled = false;
    renderSession();
  }
}

async function show(action, res) {
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) {
    // Not a step-up challenge (the client would have met it): no usable token at all.
    const challenge = res.headers.get("www-authenticate");
    throw new Error(`The API did not accept your sign-in (${challenge}). Sign in again.`);
  }
  if (!res.ok) throw new Error(`${action.title}: ${data.error ?? `HTTP ${res.status}`}.`);
  account = data;
  renderAccount();
  const seen = data.seenByApi;
  $("status").textContent = `${DONE[action.id](data)}. The API saw acr ${seen.acr ?? "(none)"}, ` +
    `amr ${seen.amr.join(" ") || "(none)"}.`;
}

function showError(e, action) {
  const code = document.createElement("code");
  code.textContent = [e.code ?? e.name, e.error].filter(Boolean).join(" · ");
  $("error").replaceChildren(explain(e, action), " ", code);
  $("error").dataset.code = e.code ?? "";
  $("error").dataset.error = e.error ?? "";
  $("error").hidden = false;
}

/** A sentence for each typed error the flows can end in. */
function explain(e, action) {
  const what = action ? `“${action.title}”` : "signing in";
  if (!isStepUpError(e)) return e.message;
  const detail = e.errorDescription ? ` (${e.errorDescription})` : "";
  switch (e.code) {
    case "ERR_AUTH_RESPONSE_ERROR":
      if (e.error === "unmet_authentication_requirements") {
        return `The identity provider cannot sign this account in strongly enough for ${what}${detail}. ` +
          "Nothing was sent.";
      }
      if (e.error === "access_denied") return `Sign-in cancelled${detail}. Nothing was sent.`;
      return `The identity provider refused the sign-in: ${e.error}${detail}.`;
    case "ERR_ACR_NOT_SATISFIED":
      return `The identity provider signed you in, but not at the level ${what} needs. Nothing was sent.`;
    case "ERR_STEP_UP_REQUIRED":
      if (e.reason) return `${POPUP[e.reason] ?? "The sign-in window did not finish"}: ${what} needs ` +
        `${asks({ acr: e.acrValues, maxAge: e.maxAge })}. Nothing was sent; your form is as you left it.`;
      return `${what} still needs ${asks({ acr: e.acrValues, maxAge: e.maxAge })} after signing in ` +
        "again; stopped here rather than ask again.";
    default:
      return e.message;
  }
}

function clearMessages() {
  $("error").hidden = true;
  $("error").replaceChildren();
  $("status").textContent = "";
}

/** What a requirement makes the client ask the identity provider for. */
function asks({ acr, maxAge }) {
  const params = [acr?.length && `acr_values=${acr.join(" ")}`, maxAge !== undefined && `max_age=${maxAge}`];
  return params.filter(Boolean).join(" ") || "any valid sign-in";
}

/** The parts that depend only on the configuration; returns the requirement rows by action. */
function renderStatic() {
  $("profile").textContent = config.profile;
  $("issuer").textContent = `Identity provider: ${config.issuer}`;
  $("accounts").hidden = !config.localIdp;
  const rows = new Map();
  for (const action of actions.values()) {
    const row = $("requirement-row").content.firstElementChild.cloneNode(true);
    row.id = `req-${action.id}`;
    row.dataset.testid = `req-${action.id}`;
    row.querySelector(".title").textContent = action.title;
    row.querySelector(".needs").textContent = `Needs ${action.needs}`;
    row.querySelector(".asks").textContent = asks(action.requirement);
    $("requirements").append(row);
    rows.set(action.id, row);
    const hint = document.querySelector(`[data-needs="${action.id}"]`);
    if (hint) hint.textContent = `Needs ${action.needs}.`;
  }
  return rows;
}

/** The sign-in panel and which actions the tokens held meet now, and for how long. */
function renderSession() {
  const session = client.session();
  const statuses = new Map([...actions.keys()].map((id) => [id, client.session(actions.get(id).requirement)]));
  $("sign-in").hidden = session.signedIn;
  $("sign-out").hidden = !session.signedIn;
  $("welcome").hidden = session.signedIn;
  $("account").hidden = !session.signedIn;

  const latest = session.signedIn ? JSON.parse(sessionStorage.getItem(LATEST)) ?? session.claims : undefined;
  $("user").textContent = latest ? latest.name ?? latest.sub : "";
  $("sub").textContent = latest?.sub ?? "—";
  $("acr").textContent = latest ? latest.acr ?? "(none)" : "—";
  $("amr").textContent = latest?.amr?.join(" ") ?? "—";
  $("auth-time").textContent = latest?.auth_time ? since(latest.auth_time) : "—";

  for (const [id, status] of statuses) {
    const row = rows.get(id);
    const [state, label, detail] = !status.signedIn ? ["signed-out", "sign in first", ""]
      : status.satisfied ? ["met", "met", `with your acr ${status.claims.acr ?? "(none)"} token` +
        (status.expiresIn !== undefined ? `, for ${clock(status.expiresIn)} more` : "")]
        : ["short", "step-up needed", `falls short on ${status.reasons.join(" and ")}`];
    row.dataset.satisfied = String(status.satisfied);
    row.dataset.state = state;
    row.querySelector(".state").textContent = label;
    row.querySelector(".by").textContent = detail;
  }
}

function renderAccount() {
  $("balance").textContent = money(account.balance, account.currency);
  $("email").textContent = account.email;
  const items = account.transactions.map((t) => {
    const li = document.createElement("li");
    li.append(Object.assign(document.createElement("span"), { textContent: t.to }),
      Object.assign(document.createElement("b"), { textContent: `−${money(t.amount, account.currency)}` }));
    return li;
  });
  if (!items.length) {
    items.push(Object.assign(document.createElement("li"), { className: "muted", textContent: "None yet" }));
  }
  $("transactions").replaceChildren(...items);
}

/** `auth_time` as a local time and how long ago it was. */
function since(authTime) {
  const at = new Date(authTime * 1000).toLocaleTimeString("en-GB");
  const ago = Math.max(0, Math.floor(Date.now() / 1000) - authTime);
  return `${at} (${ago < 60 ? `${ago} s` : `${Math.floor(ago / 60)} min`} ago)`;
}

function clock(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
