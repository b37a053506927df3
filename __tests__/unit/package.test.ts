// The published package: what `npm pack` puts in it, and that it runs from that alone. Installing
// the tarball is left to `npm run pack:smoke` (scripts/pack-smoke.mjs); this reads the file list.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const semver = createRequire(import.meta.url)("semver") as {
  intersects(a: string, b: string): boolean;
};

function packed(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [entry] = JSON.parse(out) as { files: { path: string }[] }[];
  return (entry?.files ?? []).map((f) => f.path).sort();
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

describe("the npm package", () => {
  it("is publishable, with the CLI as the eval-gate bin", () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.name).toBe("eval-gate");
    expect(pkg.bin).toEqual({ "eval-gate": "dist/cli.js" });
    expect(readFileSync(join(ROOT, "dist/cli.js"), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
    expect(pkg.license).toBe("MIT");
    expect(pkg.engines.node).toBe(">=20");
  });

  it("installs nothing besides itself: dist/ bundles every runtime dependency", () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.optionalDependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
  });

  it("holds dist/, the report's JSON Schema, action.yml, the README and the LICENSE, and nothing else", () => {
    const files = packed();
    expect(files).toEqual(
      [
        ...filesUnder("dist"),
        ...filesUnder("schema"),
        "action.yml",
        "README.md",
        "LICENSE",
        "package.json",
      ].sort(),
    );
    expect(files).toContain("schema/report-v2.schema.json");
    expect(files).toEqual(expect.arrayContaining(["dist/cli.js", "dist/index.js", "dist/post.js"]));
  });

  it("claims Node 20, and every installed package agrees (npm ci warns of no engine)", () => {
    // The lowest Node the package says it runs on, and every release of that major version.
    const floor = (pkg.engines.node as string).replace(/^>=\s*/, "");
    expect(floor).toBe("20");
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== "" && !Array.isArray(p.engines) && p.engines?.node)
      .filter(([, p]) => !semver.intersects(`>=20.0.0 <21`, (p.engines as { node: string }).node))
      .map(
        ([path, p]) =>
          `${path.replace(/^.*node_modules\//, "")}@${p.version} needs node ${JSON.stringify(p.engines)}`,
      );
    // content-type 3 (of @octokit/request, bundled) needs Node 22: package.json pins 2.1.0, the
    // same parser for Node 18+. @github/local-action's own @actions/cache would bring Azure
    // releases for Node 22: it is given ours (it never loads it).
    expect(refusing).toEqual([]);
  });
});
