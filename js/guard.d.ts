import type { GuardEnv } from "./stepup.js";

/** The edge guard (README, "Quick start (edge worker)"). */
export class Guard {
  /**
   * Reads the settings (a worker's `env`: its `STEPUP_*` string members, whatever other bindings
   * it holds, so the `Env` that `wrangler types` writes fits); throws a `TypeError` naming a
   * missing or bad one.
   */
  constructor(env: GuardEnv | object);
  /** Fetches the provider's discovery and checks the rules against it. */
  checkProvider(): Promise<void>;
  /** Answers one request: forwarded, redirected to sign in, challenged, or a page. */
  fetch(request: Request): Promise<Response>;
}
