import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileTextStore } from "../../src/adapters/cache/text-spill.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("FileTextStore", () => {
  it("gives back every text as it was put, before and after its writes, and removes its folder", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "spill-")), "not-yet");
    dirs.push(dir);
    const store = new FileTextStore(dir);
    expect(existsSync(dir)).toBe(false);
    const texts = Array.from({ length: 3000 }, (_, i) =>
      i % 7 === 0 ? "é😀\u0000\n".repeat(i * 10) : `text ${i} ${"x".repeat(i % 300)}`,
    );
    const ids = texts.slice(0, 1500).map((t) => store.put(t));
    // Read while some are still waiting to be written, then put more.
    expect(store.get(1499)).toBe(texts[1499]);
    expect(store.get(3)).toBe(texts[3]);
    ids.push(...texts.slice(1500).map((t) => store.put(t)));
    expect(ids).toEqual(texts.map((_, i) => i));
    for (const i of [0, 7, 2999, 1500, 42]) expect(store.get(i)).toBe(texts[i]);
    expect(texts.every((t, i) => store.get(i) === t)).toBe(true);
    expect(readdirSync(dir)).toHaveLength(1);
    store.close();
    expect(readdirSync(dir)).toEqual([]);
    expect(() => store.get(5000)).toThrow(/no text/);
  });
});
