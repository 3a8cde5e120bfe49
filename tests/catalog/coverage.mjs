// The attack catalog (the steering repository's shared/SECURITY.md), row by row, against the
// tests that name its IDs. `node tests/catalog/coverage.mjs --write` regenerates the table in
// SECURITY.md and in the README's security section from the catalog and the test sources;
// `coverageProblems()` (run by tests/js/catalog.test.mjs) checks that both still tell the truth.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CATALOG = join(ROOT, "..", "shared", "SECURITY.md");
const TABLES = ["SECURITY.md", "README.md"];
const NOTES = JSON.parse(readFileSync(new URL("./notes.json", import.meta.url), "utf8"));
const START = "<!-- catalog:start -->";
const END = "<!-- catalog:end -->";

/** Test sources: tests/, the core's unit tests (files or inline modules), the fuzz targets. */
function testFiles(dir = ROOT) {
  const skip = new Set(["node_modules", "target", "pkg", ".git", "corpus", "artifacts"]);
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(ROOT, path);
    if (entry.isDirectory()) {
      if (!skip.has(entry.name) && !rel.startsWith("tests/catalog")) files.push(...testFiles(path));
    } else if (/\.(rs|mjs|json)$/.test(entry.name) &&
      (rel.startsWith("tests/") || rel.startsWith("fuzz/fuzz_targets/") || rel.startsWith("src/"))) {
      files.push(rel);
    }
  }
  return files.sort();
}

/** Catalog IDs each test file names: `G04` in a test name or vector, `g04_` in a Rust test. */
function references(ids) {
  const found = new Map(ids.map((id) => [id, []]));
  for (const file of testFiles()) {
    const source = readFileSync(join(ROOT, file), "utf8");
    // In the core's own modules only the inline test module counts.
    const inline = source.indexOf("#[cfg(test)]");
    const text = !file.startsWith("src/") || file.endsWith("tests.rs") ? source : inline < 0 ? "" : source.slice(inline);
    for (const match of text.matchAll(/(?<![A-Za-z0-9])([A-Ha-h])(\d{2})(?![0-9A-Za-z])|(?<![A-Za-z0-9])([a-h])(\d{2})_/g)) {
      const id = `${(match[1] ?? match[3]).toUpperCase()}${match[2] ?? match[4]}`;
      const files = found.get(id);
      if (files && !files.includes(file)) files.push(file);
    }
  }
  return found;
}

/** `[{ id, kind }]` from the catalog's tables. */
function catalogRows() {
  return [...readFileSync(CATALOG, "utf8").matchAll(/^\| ([A-H]\d{2}) \| ([^|]+) \|/gm)]
    .map(([, id, kind]) => ({ id, kind: kind.trim() }));
}

function render(rows, found) {
  const lines = ["| ID | class | tested in |", "|---|---|---|"];
  for (const { id, kind } of rows) {
    const files = found.get(id);
    const where = files.length ? files.map((f) => `\`${f}\``).join(", ") : `— ${NOTES[id] ?? "not yet tested"}`;
    lines.push(`| ${id} | ${kind} | ${where} |`);
  }
  const tested = rows.filter((r) => found.get(r.id).length).length;
  return `${START}\n${tested} of ${rows.length} rows are named by a test.\n\n${lines.join("\n")}\n${END}`;
}

/** The rows of the table committed in `file`: id → files it claims. */
function committed(file) {
  const text = readFileSync(join(ROOT, file), "utf8");
  const table = text.slice(text.indexOf(START), text.indexOf(END));
  return new Map([...table.matchAll(/^\| ([A-H]\d{2}) \| [^|]+ \| ([^|]*) \|$/gm)]
    .map(([, id, where]) => [id, where.startsWith("—") ? [] : [...where.matchAll(/`([^`]+)`/g)].map((m) => m[1])]));
}

/** What is wrong with the committed tables, if anything. */
export function coverageProblems() {
  const problems = [];
  for (const name of TABLES) {
    const table = committed(name);
    const found = references([...table.keys()]);
    if (table.size < 100) problems.push(`${name} lists only ${table.size} catalog rows`);
    for (const [id, claimed] of table) {
      const actual = found.get(id);
      for (const file of claimed) {
        if (!actual.includes(file)) problems.push(`${name}, ${id}: ${file} does not name it`);
      }
      for (const file of actual) {
        if (!claimed.includes(file)) problems.push(`${name}, ${id}: ${file} names it but the table does not list it`);
      }
    }
  }
  return problems;
}

if (process.argv.includes("--write")) {
  if (!existsSync(CATALOG)) throw new Error(`the catalog is not at ${CATALOG}`);
  const rows = catalogRows();
  const table = render(rows, references(rows.map((r) => r.id)));
  for (const name of TABLES) {
    const text = readFileSync(join(ROOT, name), "utf8");
    if (!text.includes(START) || !text.includes(END)) throw new Error(`${name} has no ${START} … ${END} markers`);
    writeFileSync(join(ROOT, name), `${text.slice(0, text.indexOf(START))}${table}${text.slice(text.indexOf(END) + END.length)}`);
  }
  console.log(table.split("\n")[1]);
}
