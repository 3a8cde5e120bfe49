# The edge guard as worker/config.capnp runs it, plus a Cache API service (`caches.default`), the
# way Cloudflare provides one: the tests point "cache" at a small HTTP cache with
# --external-addr=cache=127.0.0.1:<port>, so several workerd processes (isolates) share it.
using Workerd = import "/workerd/workerd.capnp";
using Edge = import "../../worker/config.capnp";

const config :Workerd.Config = (
  services = [
    (name = "guard", worker = .guard),
    (name = "internet", network = (allow = ["public", "private", "local"])),
    (name = "cache", external = (address = "127.0.0.1:9", http = ())),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "guard") ],
);

const guard :Workerd.Worker = (
  modules = Edge.modules,
  compatibilityDate = "2026-10-01",
  bindings = Edge.bindings,
  globalOutbound = "internet",
  cacheApiOutbound = "cache",
);
