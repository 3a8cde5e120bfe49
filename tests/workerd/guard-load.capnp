# The edge guard as worker/config.capnp runs it, wrapped by guard-load.js (one test-only path that
# reports the wasm memory), forwarding to an in-process app: STEPUP_UPSTREAM is served by the
# "upstream" worker, so under load no other process's speed is measured. The IdP stays on loopback.
using Workerd = import "/workerd/workerd.capnp";
using Edge = import "../../worker/config.capnp";

const config :Workerd.Config = (
  services = [
    (name = "guard", worker = .guard),
    (name = "router", worker = .router),
    (name = "upstream", worker = .upstream),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "guard") ],
  # gc(), so the memory path collects everything unreachable first; --trace-gc prints the live
  # heap after that collection ("Mark-Compact a (b) -> c (d) MB … testing"), which the test reads.
  v8Flags = ["--expose-gc", "--trace-gc"],
);

const guard :Workerd.Worker = (
  modules = [
    (name = "tests/workerd/guard-load.js", esModule = embed "guard-load.js"),
    (name = "worker/worker.js", esModule = embed "../../worker/worker.js"),
    (name = "pkg/index.js", esModule = embed "../../pkg/index.js"),
    (name = "pkg/guard.js", esModule = embed "../../pkg/guard.js"),
    (name = "pkg/verifier.js", esModule = embed "../../pkg/verifier.js"),
    (name = "pkg/stepup.js", esModule = embed "../../pkg/stepup.js"),
    (name = "pkg/stepup_bg.wasm", wasm = embed "../../pkg/stepup_bg.wasm"),
  ],
  compatibilityDate = "2026-10-01",
  bindings = Edge.bindings,
  globalOutbound = "router",
);

# The bench's router and app: STEPUP_UPSTREAM in-process, anything else over loopback.
const router :Workerd.Worker = (
  modules = [ (name = "router.js", esModule = embed "../bench/workerd/router.js") ],
  compatibilityDate = "2026-10-01",
  bindings = [
    (name = "UPSTREAM", service = "upstream"),
    (name = "STEPUP_UPSTREAM", fromEnvironment = "STEPUP_UPSTREAM"),
  ],
  globalOutbound = "loopback",
);

const upstream :Workerd.Worker = (
  modules = [ (name = "upstream.js", esModule = embed "../bench/workerd/upstream.js") ],
  compatibilityDate = "2026-10-01",
);
