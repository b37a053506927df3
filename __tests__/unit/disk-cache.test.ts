import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DiskCache } from "../../src/adapters/disk-cache.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh(): string {
  const d = mkdtempSync(join(tmpdir(), "eval-gate-test-cache-"));
  dirs.push(d);
  return d;
}
const key = (i: number) => i.toString(16).padStart(64, "0");

describe("DiskCache", () => {
  it("round-trips a response and treats a damaged entry as a miss", async () => {
    const dir = fresh();
    const cache = new DiskCache(dir);
    await cache.set(key(1), { content: "hello", usage: { prompt_tokens: 3, completion_tokens: 1 } });
    expect(await new DiskCache(dir).get(key(1))).toEqual({
      content: "hello",
      usage: { prompt_tokens: 3, completion_tokens: 1 },
    });
    writeFileSync(join(dir, key(1).slice(0, 2), `${key(1)}.json`), "{not json");
    expect(await new DiskCache(dir).get(key(1))).toBeUndefined();
    expect(await cache.get(key(2))).toBeUndefined();
  });

  it("prunes what the run did not use, then the largest entries above the ceiling", async () => {
    const dir = fresh();
    const old = new DiskCache(dir);
    for (let i = 0; i < 6; i++) await old.set(key(i), { content: "x".repeat(100 * (i + 1)) });
    const run = new DiskCache(dir);
    for (const i of [1, 3, 5]) await run.get(key(i));
    await run.set(key(9), { content: "new" });
    const left = await run.prune(10_000);
    expect(left.removed).toBe(3);
    expect(left.entries).toBe(4);
    const files = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(".json"));
    expect(files.map((f) => String(f).split("/").pop()?.slice(0, -5)).sort()).toEqual(
      [key(1), key(3), key(5), key(9)].sort(),
    );
    const capped = await run.prune(700);
    expect(capped.bytes).toBeLessThanOrEqual(700);
    expect(await run.get(key(9))).toEqual({ content: "new" });
    expect(
      JSON.parse(readFileSync(join(dir, key(9).slice(0, 2), `${key(9)}.json`), "utf8")).response.content,
    ).toBe("new");
  });
});
