// A node project's view (tsconfig.node.json: `lib: ["es2022"]` and @types/node, no DOM): the full
// build's declarations compile without the DOM library's names, and are still typed.
import init, { createVerifier, Guard, isStepUpError, type InitOutput } from "../../pkg/index.js";

export async function main(jwks: { keys: object[] }): Promise<string | undefined> {
  const output: InitOutput = await init();
  const bytes: number = output.memory.buffer.byteLength;
  void bytes;
  const verifier = createVerifier({ issuer: "https://idp.example", audience: "api", jwks: { keys: [] } });
  void jwks;
  void Guard;
  try {
    return (await verifier.verifyAccessToken("token")).sub;
  } catch (e) {
    if (isStepUpError(e)) return e.code;
    throw e;
  }
}
