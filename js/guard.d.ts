import type { GuardEnv } from "./stepup.js";

/** The edge guard (README, "Quick start (edge worker)"). */
export class Guard {
  /** Reads the settings (a worker's `env`); throws a `TypeError` naming a missing or bad one. */
  constructor(env: GuardEnv);
  /** Fetches the provider's discovery and checks the rules against it. */
  checkProvider(): Promise<void>;
  /** Answers one request: forwarded, redirected to sign in, challenged, or a page. */
  fetch(request: Request): Promise<Response>;
}
