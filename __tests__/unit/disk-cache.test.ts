import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DiskCache } from "../../src/adapters/cache/disk-cache.js";

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
  it("round-trips responses across runs and skips a torn line", async () => {
    const dir = fresh();
    const first = new DiskCache(dir);
    await first.set(key(1), { content: "hello", usage: { prompt_tokens: 3, completion_tokens: 1 } });
    await first.set(key(2), { content: "world" });
    await first.close();
    const [segment] = readdirSync(dir);
    appendFileSync(join(dir, segment as string), `{"k":"${key(3)}","r":{"content":"tor`);
    const second = new DiskCache(dir);
    expect(await second.get(key(1))).toEqual({
      content: "hello",
      usage: { prompt_tokens: 3, completion_tokens: 1 },
    });
    expect(await second.get(key(3))).toBeUndefined();
    expect(second.hits).toBe(1);
    expect(await second.get(key(9))).toBeUndefined();
  });

  it("compacts to what the run used, then the smallest entries under the ceiling", async () => {
    const dir = fresh();
    const old = new DiskCache(dir);
    for (let i = 0; i < 6; i++) await old.set(key(i), { content: "x".repeat(100 * (i + 1)) });
    await old.close();
    const run = new DiskCache(dir);
    for (const i of [1, 3, 5]) await run.get(key(i));
    await run.set(key(9), { content: "new" });
    const left = await run.prune(10_000);
    expect(left).toMatchObject({ removed: 3, entries: 4 });
    expect(readdirSync(dir)).toEqual(["responses-compacted.jsonl"]);
    const keys = readFileSync(join(dir, "responses-compacted.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l.slice(65)).k);
    expect(keys.sort()).toEqual([key(1), key(3), key(5), key(9)].sort());
    const again = new DiskCache(dir);
    for (const i of [1, 3, 5, 9]) await again.get(key(i));
    const capped = await again.prune(700);
    expect(capped.bytes).toBeLessThanOrEqual(700);
    expect(await new DiskCache(dir).get(key(9))).toEqual({ content: "new" });
  });

  it("writes one segment when many answers arrive at once", async () => {
    const dir = fresh();
    const cache = new DiskCache(dir);
    await Promise.all(Array.from({ length: 32 }, (_, i) => cache.set(key(i), { content: `answer ${i}` })));
    await cache.close();
    const segments = readdirSync(dir);
    expect(segments).toHaveLength(1);
    const lines = readFileSync(join(dir, segments[0] as string), "utf8")
      .trim()
      .split("\n");
    expect(lines).toHaveLength(32);
    const again = new DiskCache(dir);
    for (let i = 0; i < 32; i++) expect(await again.get(key(i))).toEqual({ content: `answer ${i}` });
  });

  it("keeps answering when the folder cannot be written, and says why", async () => {
    const dir = fresh();
    writeFileSync(join(dir, "file"), "not a folder");
    const cache = new DiskCache(join(dir, "file", "cache"));
    await cache.set(key(1), { content: "kept in memory" });
    await cache.set(key(2), { content: "and this" });
    await cache.close();
    expect(cache.problem).toMatch(/could not be written \(ENOTDIR/);
    expect(await cache.get(key(1))).toEqual({ content: "kept in memory" });
  });

  it("drops a line whose digest does not verify: edited, spliced, or written without one", async () => {
    const dir = fresh();
    const honest = new DiskCache(dir);
    await honest.set(key(1), { content: "fail" });
    await honest.set(key(2), { content: "other" });
    await honest.close();
    const [segment] = readdirSync(dir);
    const file = join(dir, segment as string);
    const [first, second] = readFileSync(file, "utf8").trim().split("\n") as [string, string];
    // An attacker's edits: the answer rewritten in place, a key moved onto another line's digest, a bare line.
    const edited = first.replace('"fail"', '"pass"');
    const spliced = `${second.slice(0, 64)} ${first.slice(65)}`;
    const bare = JSON.stringify({ k: key(3), r: { content: "pass" } });
    writeFileSync(file, `${edited}\n${spliced}\n${bare}\n${second}\n`);
    const run = new DiskCache(dir);
    expect(await run.get(key(1))).toBeUndefined();
    expect(await run.get(key(3))).toBeUndefined();
    expect(await run.get(key(2))).toEqual({ content: "other" });
    // The bare line is refused as it is read; the spliced and the edited line (both claim key 1)
    // when its answer is asked for: the last first, then the one before it.
    expect(run.dropped).toBe(3);
  });

  it("serves an earlier good line when a later line claiming the same key does not verify", async () => {
    const dir = fresh();
    const honest = new DiskCache(dir);
    await honest.set(key(1), { content: "the real answer" });
    await honest.close();
    const [segment] = readdirSync(dir);
    const line = readFileSync(join(dir, segment as string), "utf8");
    renameSync(join(dir, segment as string), join(dir, "responses-1.jsonl"));
    // A later segment (read after it) whose line for the same key was torn or edited.
    writeFileSync(join(dir, "responses-2.jsonl"), line.replace("the real answer", "a forged answer"));
    const run = new DiskCache(dir);
    expect(await run.get(key(1))).toEqual({ content: "the real answer" });
    expect(run.dropped).toBe(1);
    // Asked again, the good line is the key's answer now: nothing more is dropped.
    expect(await run.get(key(1))).toEqual({ content: "the real answer" });
    expect(run.dropped).toBe(1);
  });

  it("asks again, without counting a line as unverified, when a segment is gone since it was read", async () => {
    const dir = fresh();
    const honest = new DiskCache(dir);
    await honest.set(key(1), { content: "answer" });
    await honest.close();
    const run = new DiskCache(dir);
    run.warm();
    await run.get(key(9));
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    expect(await run.get(key(1))).toBeUndefined();
    expect(run.dropped).toBe(0);
  });

  it("never reads a segment the caller distrusts, and names it", async () => {
    const dir = fresh();
    const planted = new DiskCache(dir);
    await planted.set(key(1), { content: "pass" });
    await planted.close();
    const [segment] = readdirSync(dir);
    const run = new DiskCache(dir, { distrust: (f) => f === join(dir, segment as string) });
    expect(await run.get(key(1))).toBeUndefined();
    expect(run.refused).toEqual([segment]);
    await run.set(key(2), { content: "own answer" });
    expect(await run.get(key(2))).toEqual({ content: "own answer" });
  });

  it("reads this run's answers back from its segment, written or not yet, in any script", async () => {
    const dir = fresh();
    const cache = new DiskCache(dir);
    const answer = (i: number) => ({
      content: `${i} ${"é😀\u0000 ".repeat(i % 40)}`,
      usage: { prompt_tokens: i, completion_tokens: 1 },
    });
    for (let i = 0; i < 3000; i++) {
      await cache.set(key(i), answer(i));
      // The latest answer (not written yet) and an early one (written) are both there.
      if (i % 500 === 0)
        expect([await cache.get(key(i)), await cache.get(key(i >> 1))]).toEqual([answer(i), answer(i >> 1)]);
    }
    for (let i = 0; i < 3000; i += 7) expect(await cache.get(key(i))).toEqual(answer(i));
    await cache.close();
    expect(await cache.get(key(2999))).toEqual(answer(2999));
    const again = new DiskCache(dir);
    for (let i = 0; i < 3000; i += 11) expect(await again.get(key(i))).toEqual(answer(i));
    const left = await again.prune(10_000_000);
    expect(left).toMatchObject({ removed: 3000 - 273, entries: 273 });
    const last = new DiskCache(dir);
    expect(await last.get(key(11))).toEqual(answer(11));
    expect(await last.get(key(12))).toBeUndefined();
  });
  it("reads lines of any size in any order across segments, as they were written", async () => {
    const dir = fresh();
    // Sizes around and beyond the 256 KB the cache reads at a time, so lines straddle its reads.
    const sizes = [10, 300_000, 5, 262_000, 70_000, 1, 200_000, 600_000, 3, 90_000];
    const answer = (i: number) => ({
      content: `${i}:${"ab\u00e9\u{1F600}".repeat((sizes[i % sizes.length] as number) / 4)}`,
    });
    for (const segment of [0, 1]) {
      const writer = new DiskCache(dir);
      for (let i = segment * 20; i < segment * 20 + 20; i++) await writer.set(key(i), answer(i));
      await writer.close();
    }
    const reader = new DiskCache(dir);
    const order = [...Array(40).keys()];
    for (const ids of [order, [...order].reverse(), order.map((i) => (i * 17) % 40)]) {
      for (const i of ids) expect((await reader.get(key(i)))?.content).toBe(answer(i).content);
    }
    expect(reader.dropped).toBe(0);
    // A line torn on disk after the run began is still checked, not served from what was read.
    const [first] = readdirSync(dir).sort();
    const path = join(dir, first as string);
    writeFileSync(path, readFileSync(path, "utf8").replace("0:ab", "0:AB"));
    const after = new DiskCache(dir);
    expect(await after.get(key(0))).toBeUndefined();
    expect((await after.get(key(1)))?.content).toBe(answer(1).content);
    expect(after.dropped).toBe(1);
  });
});
