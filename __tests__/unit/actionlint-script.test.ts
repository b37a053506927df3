// scripts/actionlint.mjs: what `npm run actionlint` (and CI) runs on the workflows and the README.
// Here on a Markdown file with known faults, to see that each is found on its own line.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeTempDir } from "../support/git-repo.js";

const ROOT = join(import.meta.dirname, "../..");
afterAll(() => cleanupAll());

const FAULTY = `# A README

\`\`\`yaml
name: gate
on: pull_request
jobs:
  eval:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-deep: 0
      - id: gate
        uses: <owner>/eval-gate@v1
        with:
          missing_key: skip
      - run: echo "\${{ steps.gate.outputs.verdikt }}"
\`\`\`

Some steps alone:

\`\`\`yaml
      - uses: <owner>/eval-gate@v1
        env:
          OPENAI_API_KEY: \${{ secret.OPENAI_API_KEY }}
\`\`\`

A config, not a workflow:

\`\`\`yaml
version: 1
gate:
  alpha: 0.05
  alpha: 0.1
\`\`\`

\`\`\`yaml
jobs:
  merge:
    needs: eval
    runs-on: [self-hosted, gpu]
    steps:
      - uses: ./
        with:
          merge: partials
\`\`\`
`;

function lint(file: string): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ["scripts/actionlint.mjs", file], { cwd: ROOT }, (error, stdout) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

describe("scripts/actionlint.mjs", () => {
  it("finds faults in a README's workflows, snippets and YAML, each at its file:line", async () => {
    const file = join(makeTempDir("actionlint"), "README.md");
    writeFileSync(file, FAULTY);
    const { code, stdout } = await lint(file);
    expect(code).toBe(1);
    const lines = stdout.trim().split("\n");
    const at = (line: number) => lines.filter((l) => l.startsWith(`${file}:${line}:`)).join("\n");
    expect(at(12)).toMatch(/input "fetch-deep" is not defined in action "actions\/checkout@v4".*\[action\]$/);
    expect(at(16)).toMatch(
      /input "missing_key" is not an input of this action's action.yml .*\[action-input\]$/,
    );
    expect(at(17)).toMatch(/output "verdikt" of step "gate" is not an output .*\[action-output\]$/);
    expect(at(25)).toMatch(/undefined variable "secret"/);
    expect(at(34)).toMatch(/YAML does not parse: Map keys must be unique \[syntax\]$/);
    // A job without `on:` is linted as a workflow: its `needs` names no job. The self-hosted
    // label `gpu` and the `merge` input are known.
    expect(at(39)).toMatch(/job "merge" needs job "eval" which does not exist/);
    expect(lines.filter((l) => l.startsWith(file))).toHaveLength(6);
  }, 60_000);
});
