// The app without the guard: forwarded the way the guard forwards an allowed request (method,
// headers, no redirects followed), so the difference between the two is the guard's own work.
export default {
  fetch(request, env) {
    const { pathname, search } = new URL(request.url);
    return fetch(`${env.STEPUP_UPSTREAM}${pathname}${search}`, { method: request.method, headers: request.headers, redirect: "manual" });
  },
};
