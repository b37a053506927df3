import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The direction ARCHITECTURE.md draws: src/core is grouped by the stage its data is in, and a
// stage reads only the stages before it (config < run < gate < report), the shared pieces (the
// top-level contracts, text/, stats/) and the graders. Every relative import in src/ is read here,
// type-only ones too: a cycle of types is still two files that cannot be read one without the other.

const ROOT = resolve(__dirname, "../..");
const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Each file (relative to the repository) and the files it imports. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const deps = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? "";
      if (!spec.startsWith(".")) continue;
      deps.add(relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, ".ts"));
    }
    graph.set(relative(ROOT, file), [...deps]);
  }
  return graph;
}

/** The import cycles (strongly connected components of more than one file, or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The top-level files of src/core that every stage shares: contracts, not steps. */
const SHARED_FILES = [
  "errors.ts",
  "types.ts",
  "report-types.ts",
  "ports.ts",
  "report-id.ts",
  "report-limits.ts",
  "columns.ts",
];

type Layer =
  | "shared"
  | "stats"
  | "graders"
  | "config"
  | "import"
  | "run"
  | "gate"
  | "report"
  | "lifecycle"
  | "evaluate"
  | "adapters"
  | "action"
  | "cli"
  | "entry";

function layerOf(file: string): Layer {
  const parts = file.split("/");
  const [, folder = "", name = ""] = parts;
  if (parts[0] !== "src") throw new Error(`not a source file: ${file}`);
  if (parts.length === 2) return "entry";
  if (folder === "adapters" || folder === "action" || folder === "cli") return folder;
  if (folder !== "core") throw new Error(`a folder of src/ that has no layer: ${file}`);
  if (parts.length === 3) {
    if (name === "evaluate.ts") return "evaluate";
    if (SHARED_FILES.includes(name)) return "shared";
    throw new Error(`a file at the top of src/core that has no layer: ${file}`);
  }
  switch (name) {
    case "text":
      return "shared";
    case "stats":
    case "graders":
    case "config":
    case "import":
    case "run":
    case "gate":
    case "report":
    case "lifecycle":
      return name;
    default:
      throw new Error(`a folder of src/core that has no layer: ${file}`);
  }
}

const BASE: Layer[] = ["shared", "stats", "graders"];
const STAGES: Layer[] = ["config", "run", "gate", "report"];
const CORE: Layer[] = [...BASE, ...STAGES, "import", "lifecycle", "evaluate"];

/** What each layer may import. A stage reads the stages before it, never one after it. */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  shared: ["shared"],
  stats: ["shared", "stats"],
  graders: BASE,
  config: [...BASE, "config"],
  import: [...BASE, "config", "import"],
  run: [...BASE, ...STAGES.slice(0, 2)],
  gate: [...BASE, ...STAGES.slice(0, 3)],
  report: [...BASE, ...STAGES],
  // The life-cycle commands read a set and a report: they may use any stage, and nothing uses them.
  lifecycle: [...BASE, ...STAGES, "lifecycle"],
  evaluate: [...BASE, ...STAGES],
  adapters: [...CORE, "adapters"],
  action: [...CORE, "adapters", "action"],
  cli: [...CORE, "adapters", "cli"],
  entry: [...CORE, "adapters", "action", "cli", "entry"],
};

/** Every import that goes against the layers, as `from -> to (layer -> layer)`. */
function againstTheFlow(graph: Map<string, string[]>): string[] {
  const wrong: string[] = [];
  for (const [from, deps] of graph) {
    const a = layerOf(from);
    for (const to of deps) {
      if (!to.startsWith("src/")) continue;
      const b = layerOf(to);
      if (!ALLOWED[a].includes(b)) wrong.push(`${from} -> ${to} (${a} -> ${b})`);
    }
  }
  return wrong.sort();
}

describe("the layers of src/", () => {
  const graph = importGraph(sourceFiles(SRC));

  it("reads the imports of every source file", () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get("src/core/evaluate.ts")).toContain("src/core/config/config.ts");
    // Every import resolves to a file that exists: a misread import would hide an arrow.
    const missing = [...graph.values()].flat().filter((to) => to.startsWith("src/") && !graph.has(to));
    expect(missing).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("imports only along the flow: config, run, gate, report", () => {
    expect(againstTheFlow(graph)).toEqual([]);
  });

  it("would see a cycle and an import against the flow", () => {
    const planted = new Map(graph);
    planted.set("src/core/config/config.ts", [
      ...(graph.get("src/core/config/config.ts") ?? []),
      "src/core/gate/compare.ts",
    ]);
    planted.set("src/core/gate/compare.ts", [
      ...(graph.get("src/core/gate/compare.ts") ?? []),
      "src/core/config/config.ts",
    ]);
    const cycle = cycles(planted).find((c) => c.includes("src/core/gate/compare.ts"));
    expect(cycle).toContain("src/core/config/config.ts");
    expect(againstTheFlow(planted)).toEqual([
      "src/core/config/config.ts -> src/core/gate/compare.ts (config -> gate)",
    ]);
  });
});
