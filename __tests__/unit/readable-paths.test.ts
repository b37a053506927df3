import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readableGrants } from "../../src/adapters/files/readable-paths.js";
import { UserError } from "../../src/core/errors.js";

let root: string;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function tree(files: Record<string, string | { link: string }>): Promise<string> {
  root = await realpath(await mkdtemp(join(tmpdir(), "eval-gate-grants-")));
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    if (typeof content === "string") await writeFile(file, content);
    else await symlink(content.link, file);
  }
  return root;
}

const relative = (grants: string[]) =>
  grants.map((g) => (g === root ? "." : g.slice(root.length + 1))).sort();

describe("readableGrants", () => {
  it("grants a tree that hides nothing as one path", async () => {
    await tree({ "a.mjs": "", "evals/cases.jsonl": "", "node_modules/dep/index.js": "" });
    expect(relative(await readableGrants(root))).toEqual(["."]);
  });

  it("lists around every .git entry and symbolic link, at any depth, granting clean folders whole", async () => {
    await tree({
      ".git/config": "token",
      "graders/grade.mjs": "",
      "graders/lib/util.mjs": "",
      "vendor/other/.git": "gitdir: ../../.git/modules/other",
      "vendor/other/src/x.js": "",
      "vendor/readme.md": "",
      "up-link": { link: ".." },
      "evals/root-link": { link: "/" },
      "evals/cases.jsonl": "",
      "evals/file-link.jsonl": { link: "cases.jsonl" },
    });
    expect(relative(await readableGrants(root))).toEqual([
      "evals/cases.jsonl",
      "graders",
      "vendor/other/src",
      "vendor/readme.md",
    ]);
  });

  it("takes the root with its links resolved", async () => {
    await tree({ "real/a.mjs": "" });
    await symlink(join(root, "real"), join(root, "alias"));
    expect(await readableGrants(join(root, "alias"))).toEqual([join(root, "real")]);
  });

  it("refuses a tree that would need more grants than a command line holds", async () => {
    const files: Record<string, string | { link: string }> = { "x/.git": "" };
    for (let i = 0; i < 12; i++) files[`x/f${i}`] = "";
    await tree(files);
    await expect(readableGrants(root, 10)).rejects.toBeInstanceOf(UserError);
    await expect(readableGrants(root, 12)).resolves.toHaveLength(12);
  });
});
