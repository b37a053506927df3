// What a report file says it is: its version, and the JSON Schema that describes it. The schema is
// generated from report/schema.ts into schema/ (`npm run schema`), shipped in the npm package, and
// checked against the zod schema in CI; a report of another version is refused by post-report.
export const REPORT_VERSION = "eval-gate/report@2";
export const REPORT_SCHEMA_URL = "https://unpkg.com/eval-gate/schema/report-v2.schema.json";
