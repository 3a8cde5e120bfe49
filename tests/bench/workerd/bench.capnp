# workerd configuration for `make bench`: one file, three sockets, started once per socket by
# tests/bench/workerd.mjs (the sockets it does not expose bind to any free port).
#   http   the bench worker: verification workloads, instantiation, memory, the guard in a loop
#   guard  the edge guard exactly as worker/config.capnp runs it
#   plain  the same app without the guard
# The guard, the plain worker and the bench worker reach the app through "router", which serves
# STEPUP_UPSTREAM from the in-process "upstream" worker (so no other process's speed is measured)
# and sends everything else (the local IdP) to loopback.
using Workerd = import "/workerd/workerd.capnp";
using Edge = import "../../../worker/config.capnp";

const config :Workerd.Config = (
  services = [
    (name = "bench", worker = .bench),
    (name = "guard", worker = .guard),
    (name = "plain", worker = .plain),
    (name = "router", worker = .router),
    (name = "upstream", worker = .upstream),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:0", http = (), service = "bench"),
    (name = "guard", address = "127.0.0.1:0", http = (), service = "guard"),
    (name = "plain", address = "127.0.0.1:0", http = (), service = "plain"),
  ],
);

const bench :Workerd.Worker = (
  modules = [
    (name = "bench/bench.js", esModule = embed "bench.js"),
    (name = "bench/suite.js", esModule = embed "../out/suite.js"),
    (name = "pkg/index.js", esModule = embed "../../../pkg/index.js"),
    (name = "pkg/guard.js", esModule = embed "../../../pkg/guard.js"),
    (name = "pkg/verifier.js", esModule = embed "../../../pkg/verifier.js"),
    (name = "pkg/stepup.js", esModule = embed "../../../pkg/stepup.js"),
    (name = "pkg/stepup_bg.wasm", wasm = embed "../../../pkg/stepup_bg.wasm"),
  ],
  compatibilityDate = "2026-10-01",
  bindings = Edge.bindings,
  globalOutbound = "router",
);

const guard :Workerd.Worker = (
  modules = Edge.modules,
  compatibilityDate = "2026-10-01",
  bindings = Edge.bindings,
  globalOutbound = "router",
);

const plain :Workerd.Worker = (
  modules = [ (name = "plain.js", esModule = embed "plain.js") ],
  compatibilityDate = "2026-10-01",
  bindings = Edge.bindings,
  globalOutbound = "router",
);

const router :Workerd.Worker = (
  modules = [ (name = "router.js", esModule = embed "router.js") ],
  compatibilityDate = "2026-10-01",
  bindings = [
    (name = "UPSTREAM", service = "upstream"),
    (name = "STEPUP_UPSTREAM", fromEnvironment = "STEPUP_UPSTREAM"),
  ],
  globalOutbound = "loopback",
);

const upstream :Workerd.Worker = (
  modules = [ (name = "upstream.js", esModule = embed "upstream.js") ],
  compatibilityDate = "2026-10-01",
);
