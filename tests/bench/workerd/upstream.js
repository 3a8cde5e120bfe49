// The guarded app: a small page, the same for every request.
export default {
  fetch: () => new Response("<!doctype html><p>hello</p>\n", { headers: { "content-type": "text/html" } }),
};
