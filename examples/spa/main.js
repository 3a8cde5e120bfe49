// Verifies the ID token in the page's fragment and says whether it meets the requirement: the
// browser build of stepup, as Vite resolves the installed package.
import init, { evaluateStepUp, isStepUpError, verifyIdToken } from "stepup";

const out = document.getElementById("out");

async function main() {
  await init();
  const { issuer, audience, jwks, token, requirement = {} } = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  try {
    const claims = await verifyIdToken(token, jwks, { issuer, audience });
    const decision = evaluateStepUp(claims, requirement);
    return { claims, decision };
  } catch (e) {
    if (isStepUpError(e)) return { error: { code: e.code, message: e.message } };
    throw e;
  }
}

main().then(
  (result) => { out.textContent = JSON.stringify(result); out.dataset.done = "true"; },
  (e) => { out.textContent = JSON.stringify({ failed: String(e) }); out.dataset.done = "true"; },
);
