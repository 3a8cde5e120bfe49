# workerd configuration for the edge guard (`make worker` and the tests): worker.js with pkg/
# embedded, every setting of contract section 7 read from the environment, and an outbound
# network that may reach loopback (a local IdP and upstream). The listening address is given on
# the command line: --socket-addr http=127.0.0.1:$PORT. The modules and bindings are constants
# so other configurations (the tests' one with a Cache API service) reuse them.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "guard", worker = .guard),
    (name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "guard") ],
);

const guard :Workerd.Worker = (
  modules = .modules,
  compatibilityDate = "2026-10-01",
  bindings = .bindings,
  globalOutbound = "internet",
);

const modules :List(Workerd.Worker.Module) = [
  (name = "worker/worker.js", esModule = embed "worker.js"),
  (name = "pkg/index.js", esModule = embed "../pkg/index.js"),
  (name = "pkg/guard.js", esModule = embed "../pkg/guard.js"),
  (name = "pkg/verifier.js", esModule = embed "../pkg/verifier.js"),
  (name = "pkg/stepup.js", esModule = embed "../pkg/stepup.js"),
  (name = "pkg/stepup_bg.wasm", wasm = embed "../pkg/stepup_bg.wasm"),
];

const bindings :List(Workerd.Worker.Binding) = [
  (name = "STEPUP_ISSUER", fromEnvironment = "STEPUP_ISSUER"),
  (name = "STEPUP_DISCOVERY_URL", fromEnvironment = "STEPUP_DISCOVERY_URL"),
  (name = "STEPUP_CLIENT_ID", fromEnvironment = "STEPUP_CLIENT_ID"),
  (name = "STEPUP_CLIENT_SECRET", fromEnvironment = "STEPUP_CLIENT_SECRET"),
  (name = "STEPUP_REDIRECT_PATH", fromEnvironment = "STEPUP_REDIRECT_PATH"),
  (name = "STEPUP_LOGOUT_PATH", fromEnvironment = "STEPUP_LOGOUT_PATH"),
  (name = "STEPUP_SESSION_SECRET", fromEnvironment = "STEPUP_SESSION_SECRET"),
  (name = "STEPUP_UPSTREAM", fromEnvironment = "STEPUP_UPSTREAM"),
  (name = "STEPUP_ACR_POLICY", fromEnvironment = "STEPUP_ACR_POLICY"),
  (name = "STEPUP_RULES", fromEnvironment = "STEPUP_RULES"),
  (name = "STEPUP_API_AUDIENCE", fromEnvironment = "STEPUP_API_AUDIENCE"),
  (name = "STEPUP_ACCESS_TOKEN_PROFILE", fromEnvironment = "STEPUP_ACCESS_TOKEN_PROFILE"),
  (name = "STEPUP_INTROSPECTION_CACHE_SECONDS", fromEnvironment = "STEPUP_INTROSPECTION_CACHE_SECONDS"),
  (name = "STEPUP_SESSION_MAX_AGE", fromEnvironment = "STEPUP_SESSION_MAX_AGE"),
  (name = "STEPUP_KEYS_MAX_AGE", fromEnvironment = "STEPUP_KEYS_MAX_AGE"),
  (name = "STEPUP_KEYS_COOLDOWN", fromEnvironment = "STEPUP_KEYS_COOLDOWN"),
  (name = "STEPUP_PUBLIC_ORIGIN", fromEnvironment = "STEPUP_PUBLIC_ORIGIN"),
  (name = "STEPUP_UPSTREAM_TIMEOUT", fromEnvironment = "STEPUP_UPSTREAM_TIMEOUT"),
];
