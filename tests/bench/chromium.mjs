// Headless Chromium: pkg's browser build (pkg/browser/, what an SPA gets) loaded with init() and
// the suite bundle (tests/bench/out/suite.js) in a page served from loopback by
// tests/e2e/browser.mjs; batches are timed in the page.
import { launch, serveRepo } from "../e2e/browser.mjs";

/** The runtime driver (see run.mjs) over `fixtures`. */
export async function chromiumRuntime(fixtures) {
  const server = await serveRepo({
    "/bench": (req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>bench</title>"),
    "/bench/fixtures.json": (req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(fixtures)),
  });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/bench`);
    await page.evaluate(async () => {
      const stepup = await import("/pkg/browser/index.js");
      const suite = await import("/tests/bench/out/suite.js");
      const { memory } = await stepup.default();
      const fixtures = await (await fetch("/bench/fixtures.json")).json();
      const wasm = new Uint8Array(await (await fetch("/pkg/browser/stepup_bg.wasm")).arrayBuffer());
      window.bench = { suite, wasm, workloads: await suite.createBench(stepup, memory, fixtures) };
    });
    return {
      name: "Chromium",
      version: browser.version(),
      run: (workload, alg, n) => page.evaluate(async ([workload, alg, n]) => {
        const start = performance.now();
        await window.bench.workloads.run(workload, alg, n);
        return performance.now() - start;
      }, [workload, alg, n]),
      soak: (n) => page.evaluate((n) => window.bench.workloads.soak(n), n),
      memory: () => page.evaluate(() => window.bench.workloads.memory()),
      coldStart: (runs) => page.evaluate((runs) => window.bench.suite.coldStart(window.bench.wasm, runs), runs),
      close: async () => {
        await browser.close();
        await server.close();
      },
    };
  } catch (e) {
    await browser.close();
    await server.close();
    throw e;
  }
}
