// Files read from a commit through one `git cat-file --batch`: what each kind of tree entry gives,
// links followed inside the tree and refused out of it, and many reads at once.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { resolveCommit, revisionSource } from "../../src/adapters/files/git.js";
import { GitObjects, parseTree } from "../../src/adapters/files/git-objects.js";
import { OutsideRepositoryError } from "../../src/core/errors.js";
import { cleanupAll, makeRepo, shallowClone } from "../support/git-repo.js";

afterAll(cleanupAll);

const big = `${"0123456789abcdef".repeat(16 * 1024)}\n`; // 256 KiB: more than one pipe read

async function fixture() {
  const repo = await makeRepo({
    "eval-gate.yml": "version: 1\n",
    "prompts/system.md": "Be brief — ünïcode kept.\n",
    "evals/big.jsonl": big,
    "evals/nested/deep/a.txt": "deep\n",
    "name with spaces.txt": "spaces\n",
  });
  symlinkSync("system.md", join(repo.dir, "prompts/alias.md"));
  symlinkSync("../prompts/alias.md", join(repo.dir, "evals/chain.md"));
  symlinkSync("/etc/passwd", join(repo.dir, "absolute.md"));
  symlinkSync("../../outside.md", join(repo.dir, "evals/escape.md"));
  symlinkSync("prompts", join(repo.dir, "linked-dir"));
  symlinkSync("loop-b", join(repo.dir, "loop-a"));
  symlinkSync("loop-a", join(repo.dir, "loop-b"));
  const sha = repo.commit({}, "links");
  // The working tree moves on; the reads must see the commit.
  repo.commit({ "prompts/system.md": "changed later\n" }, "later");
  return { repo, sha };
}

describe("revisionSource", () => {
  it("reads files, nested files and large files as they are at the commit", async () => {
    const { repo, sha } = await fixture();
    const source = revisionSource(repo.dir, sha);
    expect(await source.read("prompts/system.md")).toBe("Be brief — ünïcode kept.\n");
    expect(await source.read("eval-gate.yml")).toBe("version: 1\n");
    expect(await source.read("evals/nested/deep/a.txt")).toBe("deep\n");
    expect(await source.read("./evals//nested/deep/a.txt")).toBe("deep\n");
    expect(await source.read("name with spaces.txt")).toBe("spaces\n");
    expect(await source.read("evals/big.jsonl")).toBe(big);
    expect(await revisionSource(repo.dir, repo.head()).read("prompts/system.md")).toBe("changed later\n");
  });

  it("gives null for what is not a file: missing, a folder, a path through a file or a folder link", async () => {
    const { repo, sha } = await fixture();
    const source = revisionSource(repo.dir, sha);
    expect(await source.read("nope.md")).toBeNull();
    expect(await source.read("evals/nested")).toBeNull();
    expect(await source.read("eval-gate.yml/x")).toBeNull();
    expect(await source.read("linked-dir/system.md")).toBeNull();
    expect(await source.read("missing/dir/x")).toBeNull();
  });

  it("follows links inside the tree, and refuses links out of it or in a loop", async () => {
    const { repo, sha } = await fixture();
    const source = revisionSource(repo.dir, sha);
    expect(await source.read("prompts/alias.md")).toBe("Be brief — ünïcode kept.\n");
    expect(await source.read("evals/chain.md")).toBe("Be brief — ünïcode kept.\n");
    await expect(source.read("absolute.md")).rejects.toBeInstanceOf(OutsideRepositoryError);
    await expect(source.read("evals/escape.md")).rejects.toBeInstanceOf(OutsideRepositoryError);
    await expect(source.read("loop-a")).rejects.toThrow(/chain of more than 8 symbolic links/);
    await expect(source.read("../eval-gate.yml")).rejects.toBeInstanceOf(OutsideRepositoryError);
    await expect(source.read(".git/config")).rejects.toBeInstanceOf(OutsideRepositoryError);
  });

  it("answers many reads at once, each with its own file", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) files[`f/${i}.txt`] = `file ${i}\n`.repeat(i % 7 === 0 ? 5000 : 1);
    const repo = await makeRepo(files);
    const source = revisionSource(repo.dir, repo.head());
    const texts = await Promise.all(Object.keys(files).map((f) => source.read(f)));
    expect(texts).toEqual(Object.values(files));
  });

  it("does not keep the process alive once the reads are answered", async () => {
    const repo = await makeRepo({ "a.txt": "a\n" });
    const script = `import { revisionSource } from ${JSON.stringify(join(process.cwd(), "src/adapters/files/git.ts"))};
      const text = await revisionSource(${JSON.stringify(repo.dir)}, ${JSON.stringify(repo.head())}).read("a.txt");
      process.stdout.write(text);`;
    // A child that held the event loop would keep the process from exiting: execFileSync times out.
    expect(await runBundled(script)).toBe("a\n");
  });
});

describe("resolveCommit", () => {
  it("names the commit git rev-parse names: a branch, an annotated tag, a short id, HEAD~1", async () => {
    const repo = await makeRepo({ "a.txt": "1\n" });
    const first = repo.head();
    repo.git("tag", "-a", "v1", "-m", "one");
    const second = repo.commit({ "a.txt": "2\n" }, "two");
    expect(await resolveCommit(repo.dir, "main")).toBe(second);
    expect(await resolveCommit(repo.dir, "v1")).toBe(first);
    expect(await resolveCommit(repo.dir, first.slice(0, 10))).toBe(first);
    expect(await resolveCommit(repo.dir, "HEAD~1")).toBe(first);
    // A name of something that is not a commit is no base.
    const tree = repo.git("rev-parse", "HEAD^{tree}");
    await expect(resolveCommit(repo.dir, tree)).rejects.toThrow(/is not in this checkout/);
  });

  it("refuses a base that would reach git as an option, and fetches nothing for it", async () => {
    const origin = await makeRepo({ "a.txt": "1\n" });
    const clone = shallowClone(origin);
    // `git fetch origin --upload-pack=CMD` runs CMD: the base-ref input or --base must never get there.
    const marker = join(origin.dir, "ran");
    for (const ref of [`--upload-pack=touch ${marker};false`, "-h", "main\nHEAD"]) {
      await expect(resolveCommit(clone, ref)).rejects.toThrow(/is not a git ref or commit/);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it("finds a base it had to fetch, and reads its files with the process that missed it", async () => {
    const origin = await makeRepo({ "a.txt": "main\n" });
    origin.git("checkout", "-q", "-b", "release");
    const release = origin.commit({ "a.txt": "release\n" }, "release");
    origin.git("checkout", "-q", "main");
    const clone = shallowClone(origin);
    expect(await resolveCommit(clone, "main")).toBe(origin.head());
    // Not in the clone: the batch process misses it, git fetch brings it, and the same process reads it.
    expect(await resolveCommit(clone, "release")).toBe(release);
    expect(await revisionSource(clone, release).read("a.txt")).toBe("release\n");
  });
});

describe("GitObjects", () => {
  it("refuses an object over its limit without holding it, and answers the reads after it", async () => {
    const repo = await makeRepo({ "big.txt": "x".repeat(5000), "small.txt": "small\n" });
    const objects = new GitObjects(repo.dir, 1000);
    const sha = repo.head();
    const [big, small] = await Promise.allSettled([
      objects.get(`${sha}:big.txt`),
      objects.get(`${sha}:small.txt`),
    ]);
    expect(big.status === "rejected" && String(big.reason)).toMatch(/larger than 1000 bytes/);
    expect(small.status === "fulfilled" && small.value?.data.toString()).toBe("small\n");
    expect((await objects.get(`${sha}:small.txt`))?.type).toBe("blob");
  });

  it("starts a new git process when the last one died", async () => {
    const repo = await makeRepo({ "a.txt": "a\n" });
    const objects = new GitObjects(repo.dir);
    const sha = repo.head();
    expect((await objects.get(`${sha}:a.txt`))?.data.toString()).toBe("a\n");
    const child = (objects as unknown as { child: import("node:child_process").ChildProcess }).child;
    const closed = new Promise((r) => child.once("close", r));
    child.kill();
    await closed;
    expect((await objects.get(`${sha}:a.txt`))?.data.toString()).toBe("a\n");
  });
});

describe("parseTree", () => {
  it("reads modes, names with spaces and ids of both hash lengths", () => {
    const id20 = Buffer.alloc(20, 0xab);
    const id32 = Buffer.alloc(32, 0xcd);
    const tree = (id: Buffer) =>
      Buffer.concat([
        Buffer.from("100644 a file.txt\0"),
        id,
        Buffer.from("40000 dir\0"),
        id,
        Buffer.from("120000 ünï\0"),
        id,
      ]);
    expect(parseTree(tree(id20), 20)).toEqual([
      { mode: "100644", name: "a file.txt", oid: "ab".repeat(20) },
      { mode: "40000", name: "dir", oid: "ab".repeat(20) },
      { mode: "120000", name: "ünï", oid: "ab".repeat(20) },
    ]);
    expect(parseTree(tree(id32), 32).map((e) => e.oid)).toEqual(Array(3).fill("cd".repeat(32)));
    // A torn tree gives the entries that are whole.
    expect(parseTree(tree(id20).subarray(0, 45), 20)).toHaveLength(1);
  });
});

/** Bundles a TypeScript module with esbuild (as the build does) and runs it in a Node process of its own. */
async function runBundled(source: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "git-objects-"));
  const entry = join(dir, "run.ts");
  writeFileSync(entry, source);
  const out = join(dir, "run.mjs");
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "error",
  });
  try {
    return execFileSync(process.execPath, [out], { encoding: "utf8", timeout: 20_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
