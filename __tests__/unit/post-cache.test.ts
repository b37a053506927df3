import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type SaveCache, saveAfterMain } from "../../src/action/post-cache.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A cache folder as a run leaves it: a segment restored from an older run, and this run's. */
function cacheDir(newLines: string[]): { dir: string; since: number } {
  const dir = mkdtempSync(join(tmpdir(), "eval-gate-test-post-"));
  dirs.push(dir);
  const restored = join(dir, "responses-compacted.jsonl");
  writeFileSync(restored, '{"k":"a","r":{"content":"old"}}\n'.repeat(5));
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(restored, hourAgo, hourAgo);
  const since = Date.now();
  if (newLines.length > 0) writeFileSync(join(dir, "responses-1-abc.jsonl"), newLines.join(""));
  return { dir, since };
}

function post(state: Record<string, string>, save: SaveCache | null) {
  let asked = 0;
  const outcome = saveAfterMain({
    state: (name) => state[name] ?? "",
    env: { GITHUB_RUN_ID: "7", GITHUB_RUN_ATTEMPT: "2" },
    save: async () => {
      asked++;
      return save;
    },
  });
  return { outcome, asked: () => asked };
}

describe("the post step", () => {
  it("saves the folder as it is, under this run's key, when the main step stopped before saving", async () => {
    const lines = ['{"k":"b","r":{"content":"new 1"}}\n', '{"k":"c","r":{"content":"new 2"}}\n'];
    const { dir, since } = cacheDir([...lines, '{"k":"d","r":{"cont']);
    const saved: [string[], string][] = [];
    const run = post(
      { "cache-dir": dir, "cache-scope": "default", "cache-since": String(since) },
      async (paths, key) => void saved.push([paths, key]),
    );
    const bytes = ["responses-compacted.jsonl", "responses-1-abc.jsonl"]
      .map((f) => statSync(join(dir, f)).size)
      .reduce((a, b) => a + b);
    expect(await run.outcome).toEqual({
      kind: "saved",
      dir,
      key: "eval-gate-v2:default:7-2",
      answers: 2,
      bytes,
    });
    expect(saved).toEqual([[[dir], "eval-gate-v2:default:7-2"]]);
  });

  it("says what it would save when the runner has no cache service", async () => {
    const { dir, since } = cacheDir(['{"k":"b","r":{"content":"new"}}\n']);
    const run = post({ "cache-dir": dir, "cache-scope": "pr-gate", "cache-since": String(since) }, null);
    expect(await run.outcome).toMatchObject({
      kind: "no-service",
      key: "eval-gate-v2:pr-gate:7-2",
      answers: 1,
    });
  });

  it("does nothing, without asking for a cache client, when there is nothing to save", async () => {
    const { dir, since } = cacheDir([]);
    const never: SaveCache = async () => {
      throw new Error("must not save");
    };
    const cases: [Record<string, string>, string][] = [
      [{}, "the main step kept no response cache"],
      [{ "cache-dir": dir, "cache-saved": "true" }, "the main step saved the cache"],
      [{ "cache-dir": dir, "cache-since": String(since) }, "the main step added no answer to the cache"],
      [{ "cache-dir": join(dir, "responses-compacted.jsonl") }, "the main step added no answer to the cache"],
    ];
    for (const [state, why] of cases) {
      const run = post(state, never);
      expect(await run.outcome).toEqual({ kind: "nothing", why });
      expect(run.asked()).toBe(0);
    }
  });

  it("reports a save that fails instead of failing the job", async () => {
    const { dir, since } = cacheDir(['{"k":"b","r":{"content":"new"}}\n']);
    const run = post(
      { "cache-dir": dir, "cache-scope": "default", "cache-since": String(since) },
      async () => {
        throw new Error("Cache service responded with 503");
      },
    );
    expect(await run.outcome).toEqual({ kind: "failed", message: "Cache service responded with 503" });
  });
});
