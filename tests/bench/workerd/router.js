// Outbound requests of the bench's workers: the app (STEPUP_UPSTREAM) in-process, anything else
// (the local IdP) over loopback.
export default {
  fetch: (request, env) => (new URL(request.url).origin === env.STEPUP_UPSTREAM ? env.UPSTREAM.fetch(request) : fetch(request)),
};
