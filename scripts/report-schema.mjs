// Writes the report's JSON Schema (schema/report-v2.schema.json) from the zod schema that
// post-report checks reports with (src/core/report/schema.ts), so the two cannot drift apart.
//   npm run schema            rewrite the file
//   npm run schema -- --check fail (exit 1) when the committed file differs from a fresh one
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const file = join(root, "schema/report-v2.schema.json");
const check = process.argv.includes("--check");

/** The schema's text as the file holds it. */
export async function reportJsonSchema() {
  const dir = mkdtempSync(join(tmpdir(), "eval-gate-schema-"));
  try {
    const out = join(dir, "schema.mjs");
    await build({
      stdin: {
        contents: [
          'import * as z from "zod";',
          'import { reportSchema } from "./src/core/report/schema.ts";',
          'import { REPORT_SCHEMA_URL, REPORT_VERSION } from "./src/core/report-id.ts";',
          "export { z, reportSchema, REPORT_SCHEMA_URL, REPORT_VERSION };",
        ].join("\n"),
        resolveDir: root,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: out,
      logLevel: "warning",
    });
    const { z, reportSchema, REPORT_SCHEMA_URL, REPORT_VERSION } = await import(pathToFileURL(out).href);
    // Refinements (the `expected` size bound) have no JSON Schema form: the zod schema keeps them.
    const generated = z.toJSONSchema(reportSchema, { target: "draft-2020-12", unrepresentable: "any" });
    const schema = {
      $schema: generated.$schema,
      $id: REPORT_SCHEMA_URL,
      title: `eval-gate report (${REPORT_VERSION})`,
      description:
        "The JSON report eval-gate writes (the action's `report` output, the CLI's --json). Generated from src/core/report/schema.ts by `npm run schema`; do not edit.",
      ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== "$schema")),
    };
    return `${JSON.stringify(schema, null, 2)}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await reportJsonSchema();
  if (check) {
    let committed = "";
    try {
      committed = readFileSync(file, "utf8");
    } catch {}
    if (committed !== text) {
      console.error(
        "schema/report-v2.schema.json differs from the zod schema: run `npm run schema` and commit it.",
      );
      process.exit(1);
    }
    console.log("schema/report-v2.schema.json matches src/core/report/schema.ts");
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}
