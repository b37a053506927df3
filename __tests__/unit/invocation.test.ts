import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { invocation, PACKAGE_NAME } from "../../src/cli/invocation.js";
import { nextSteps } from "../../src/core/config/starter.js";

const ROOT = join(import.meta.dirname, "../..");

describe("the command init's next steps print", () => {
  it("is the published package's name under npx", () => {
    expect(PACKAGE_NAME).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).name);
    expect(invocation({ npm_command: "exec" }, "/home/me/.npm/_npx/1a2b/node_modules/.bin/eval-gate")).toBe(
      "npx eval-gate",
    );
    // npm exec of a package the project installed, or a package.json script: not on the PATH.
    expect(invocation({ npm_command: "run-script" }, "/repo/node_modules/.bin/eval-gate")).toBe(
      "npx eval-gate",
    );
  });

  it("is the bin's name for a global install and node with the bundle's path in a clone", () => {
    expect(invocation({}, "/usr/local/bin/eval-gate")).toBe("eval-gate");
    expect(invocation({}, "/src/eval-gate/dist/cli.js")).toBe("node /src/eval-gate/dist/cli.js");
    expect(invocation({}, "/my code/eval-gate/dist/cli.js")).toBe('node "/my code/eval-gate/dist/cli.js"');
    expect(invocation({}, undefined)).toBe("eval-gate");
  });

  it("runs the starter and the PR comparison with that command", () => {
    const text = nextSteps("npx eval-gate");
    expect(text).toContain("working tree:   npx eval-gate run\n");
    expect(text).toContain("pull request:                 npx eval-gate run --base main\n");
    expect(text).not.toMatch(/(?<!npx )eval-gate run/);
  });
});
