// The main step ends its process itself (src/index.ts): it must not cut off what it printed.
import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { exitWhenFlushed, flushed } from "../../src/adapters/process/exit.js";

/** A stream that takes `delayMs` to hand each write on, recording what it was given. */
function slowStream(delayMs: number) {
  const got: string[] = [];
  const stream = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _encoding, done) {
      setTimeout(() => {
        got.push(chunk.toString());
        done();
      }, delayMs);
    },
  });
  return { stream, got };
}

describe("exitWhenFlushed", () => {
  it("exits only once every write before it has been handed on", async () => {
    const { stream, got } = slowStream(20);
    stream.write("first line\n");
    stream.write("last line\n");
    expect(stream.writableLength).toBeGreaterThan(0);
    const exit = vi.fn(() => {
      expect(got.join("")).toBe("first line\nlast line\n");
    });
    await exitWhenFlushed([stream], exit);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(stream.writableLength).toBe(0);
  });

  it("waits for every stream", async () => {
    const a = slowStream(5);
    const b = slowStream(30);
    a.stream.write("a");
    b.stream.write("b");
    const exit = vi.fn(() => {
      expect([a.got.join(""), b.got.join("")]).toEqual(["a", "b"]);
    });
    await exitWhenFlushed([a.stream, b.stream], exit);
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it("exits at once when nothing waits, or the stream is gone", async () => {
    const idle = slowStream(1000);
    const gone = slowStream(1000);
    gone.stream.destroy();
    const exit = vi.fn();
    const started = Date.now();
    await exitWhenFlushed([idle.stream, gone.stream], exit);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("does not wait forever on a stream that never drains", async () => {
    const stuck = new Writable({ write() {} });
    stuck.write("never handed on");
    const started = Date.now();
    await flushed(stuck, 30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});
