// The published JSON Schema of the report (schema/report-v2.schema.json): it is what the zod schema
// that post-report checks with says, every report eval-gate writes validates against it, and the
// report names it in `$schema`.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { reportJsonSchema } from "../../scripts/report-schema.mjs";
import { fitReport, reportJson } from "../../src/core/report/fit.js";
import { errorReport } from "../../src/core/report/report.js";
import { REPORT_SCHEMA_URL, REPORT_VERSION } from "../../src/core/report-id.js";
import {
  brokenAnchorReport,
  errorsReport,
  holdoutReport,
  hugeReport,
  manySlicesReport,
  noBaselineReport,
  repeatsReport,
} from "./fixtures/scenarios.js";

const ROOT = resolve(import.meta.dirname, "../..");
const committed = JSON.parse(readFileSync(join(ROOT, "schema/report-v2.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(committed);

describe("the report's JSON Schema", () => {
  it("is the committed file, generated from the zod schema (npm run schema)", async () => {
    expect(JSON.parse(await reportJsonSchema())).toEqual(committed);
    expect(committed.$id).toBe(REPORT_SCHEMA_URL);
  }, 30_000);

  it("accepts every report eval-gate writes, as written", () => {
    const reports = [
      brokenAnchorReport(),
      noBaselineReport(),
      repeatsReport(),
      errorsReport(),
      holdoutReport(),
      hugeReport(20, 200_000),
      manySlicesReport(50),
      errorReport(["config: bad"], { configPath: "eval-gate.yml", headSha: "abc" }),
    ];
    for (const report of reports) {
      const written = JSON.parse(reportJson(fitReport(report)));
      expect(written.$schema).toBe(REPORT_SCHEMA_URL);
      expect(written.schema).toBe(REPORT_VERSION);
      expect(validate(written), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    }
  });

  it("refuses the old camelCase fields and the old version", () => {
    const written = JSON.parse(reportJson(fitReport(brokenAnchorReport())));
    const oldCase = structuredClone(written);
    oldCase.cases[0].headOutput = oldCase.cases[0].head_output;
    expect(validate(oldCase)).toBe(false);
    expect(validate({ ...written, schema: "eval-gate/report@1" })).toBe(false);
  });

  it("names every case field in snake_case", () => {
    const fields = Object.keys(committed.properties.cases.items.properties);
    expect(fields.filter((f) => !/^[a-z][a-z0-9_]*$/.test(f))).toEqual([]);
  });
});
