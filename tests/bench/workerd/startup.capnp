# Two workers for timing a worker's start (tests/bench/workerd.mjs): the edge guard exactly as
# worker/config.capnp loads it (without settings it answers 503, which is an answer), and a
# worker without stepup. `workerd serve startup.capnp guard` or `... empty`.
using Workerd = import "/workerd/workerd.capnp";
using Edge = import "../../../worker/config.capnp";

const guard :Workerd.Config = (
  services = [ (name = "main", worker = (modules = Edge.modules, compatibilityDate = "2026-10-01")) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);

const empty :Workerd.Config = (
  services = [ (name = "main", worker = (modules = [ (name = "upstream.js", esModule = embed "upstream.js") ], compatibilityDate = "2026-10-01")) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
