// An SPA's use of stepup: the browser client, ID token verification and the step-up decision,
// imported from the installed package as a user writes it (Vite resolves the `browser` export).
import init, { Client, evaluateStepUp, verifyIdToken } from "stepup";

await init();
// Kept reachable, as an app's own code would keep them, so the bundler drops none of them.
globalThis.stepup = { Client, evaluateStepUp, verifyIdToken };
