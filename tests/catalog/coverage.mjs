// The attack catalog (the steering repository's shared/SECURITY.md), row by row, against the
// tests that name its IDs; and the attacks outside it that attacks on stepup itself found
// (tests/catalog/outside.json, rows X01, X02, …), against theirs. `node tests/catalog/coverage.mjs
// --write` regenerates the catalog's table in SECURITY.md and in the README's security section, and
// SECURITY.md's table of the others; `coverageProblems()` (run by tests/js/catalog.test.mjs)
// checks that they all still tell the truth.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CATALOG = join(ROOT, "..", "shared", "SECURITY.md");
const TABLES = ["SECURITY.md", "README.md"];
const NOTES = JSON.parse(readFileSync(new URL("./notes.json", import.meta.url), "utf8"));
const START = "<!-- catalog:start -->";
const END = "<!-- catalog:end -->";
const OUTSIDE = JSON.parse(readFileSync(new URL("./outside.json", import.meta.url), "utf8"));
const OUTSIDE_START = "<!-- outside:start -->";
const OUTSIDE_END = "<!-- outside:end -->";

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

/**
 * Row IDs each test file names: `G04` in a test name or vector, `g04_` in a Rust test (the
 * catalog's rows A to H; X for the attacks outside it).
 */
function references(ids) {
  const found = new Map(ids.map((id) => [id, []]));
  for (const file of testFiles()) {
    const source = readFileSync(join(ROOT, file), "utf8");
    // In the core's own modules only the inline test module counts.
    const inline = source.indexOf("#[cfg(test)]");
    const text = !file.startsWith("src/") || file.endsWith("tests.rs") ? source : inline < 0 ? "" : source.slice(inline);
    // X rows only as `X01` or `x01_`, never an escape such as "\x01".
    for (const match of text.matchAll(/(?<![A-Za-z0-9])([A-Ha-h])(\d{2})(?![0-9A-Za-z])|(?<![A-Za-z0-9])([a-h])(\d{2})_|(?<![A-Za-z0-9\\])(X)(\d{2})(?![0-9A-Za-z])|(?<![A-Za-z0-9\\])(x)(\d{2})_/g)) {
      const id = `${(match[1] ?? match[3] ?? match[5] ?? match[7]).toUpperCase()}${match[2] ?? match[4] ?? match[6] ?? match[8]}`;
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

/** SECURITY.md's table of the attacks outside the catalog, each row with the tests naming it. */
function renderOutside(found) {
  const lines = ["| ID | the attack | what stops it | tested in |", "|---|---|---|---|"];
  for (const { id, attack, fix } of OUTSIDE) {
    const files = found.get(id);
    lines.push(`| ${id} | ${attack} | ${fix} | ${files.length ? files.map((f) => `\`${f}\``).join(", ") : "— not yet tested"} |`);
  }
  return `${OUTSIDE_START}\n${lines.join("\n")}\n${OUTSIDE_END}`;
}

/** `text` with what lies between `start` and `end` replaced by `block` (which holds both). */
function replaced(name, text, start, end, block) {
  if (!text.includes(start) || !text.includes(end)) throw new Error(`${name} has no ${start} … ${end} markers`);
  return `${text.slice(0, text.indexOf(start))}${block}${text.slice(text.indexOf(end) + end.length)}`;
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
  // One reading of the test sources for every row either table names.
  const tables = TABLES.map((name) => [name, committed(name)]);
  const found = references([...new Set([...tables.flatMap(([, table]) => [...table.keys()]), ...OUTSIDE.map((r) => r.id)])]);
  for (const [name, table] of tables) {
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
  const security = readFileSync(join(ROOT, "SECURITY.md"), "utf8");
  const at = security.indexOf(OUTSIDE_START);
  if (at < 0 || security.slice(at, security.indexOf(OUTSIDE_END) + OUTSIDE_END.length) !== renderOutside(found)) {
    problems.push("SECURITY.md's table of attacks outside the catalog is not what outside.json and the tests say");
  }
  for (const { id } of OUTSIDE) {
    if (found.get(id).length === 0) problems.push(`${id}: no test names it`);
  }
  return problems;
}

if (process.argv.includes("--write")) {
  if (!existsSync(CATALOG)) throw new Error(`the catalog is not at ${CATALOG}`);
  const rows = catalogRows();
  const table = render(rows, references(rows.map((r) => r.id)));
  for (const name of TABLES) {
    let text = replaced(name, readFileSync(join(ROOT, name), "utf8"), START, END, table);
    if (name === "SECURITY.md") {
      text = replaced(name, text, OUTSIDE_START, OUTSIDE_END, renderOutside(references(OUTSIDE.map((r) => r.id))));
    }
    writeFileSync(join(ROOT, name), text);
  }
  console.log(table.split("\n")[1]);
}
