# workerd configuration for the test runner: pkg/ loaded with initSync from a static .wasm import,
# exactly as the edge worker loads it. The listening address is given on the command line.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "runner", worker = .runner) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "runner") ],
);

const runner :Workerd.Worker = (
  modules = [
    (name = "runner.js", esModule = embed "runner.js"),
    (name = "index.js", esModule = embed "../../pkg/index.js"),
    (name = "verifier.js", esModule = embed "../../pkg/verifier.js"),
    (name = "guard.js", esModule = embed "../../pkg/guard.js"),
    (name = "stepup.js", esModule = embed "../../pkg/stepup.js"),
    (name = "stepup_bg.wasm", wasm = embed "../../pkg/stepup_bg.wasm"),
    (name = "suites/check.mjs", esModule = embed "../js/suites/check.mjs"),
    (name = "suites/request.mjs", esModule = embed "../js/suites/request.mjs"),
    (name = "suites/tokens.mjs", esModule = embed "../js/suites/tokens.mjs"),
    (name = "suites/engine.mjs", esModule = embed "../js/suites/engine.mjs"),
    (name = "vectors/request.json", json = embed "../vectors/request.json"),
    (name = "vectors/tokens.json", json = embed "../vectors/tokens.json"),
    (name = "vectors/acr.json", json = embed "../vectors/acr.json"),
    (name = "vectors/step_up.json", json = embed "../vectors/step_up.json"),
    (name = "vectors/challenge.json", json = embed "../vectors/challenge.json"),
  ],
  compatibilityDate = "2026-10-01",
);
