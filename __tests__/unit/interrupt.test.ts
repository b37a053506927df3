import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { listenForInterrupt } from "../../src/adapters/process/interrupt.js";

function fakeProcess() {
  const signals = new EventEmitter();
  const exits: number[] = [];
  return {
    signals: signals as unknown as NodeJS.Process,
    emitter: signals,
    exits,
    exit: (c: number) => void exits.push(c),
  };
}

describe("listenForInterrupt", () => {
  it("aborts at the first signal, and exits at once at a second", () => {
    const p = fakeProcess();
    const interrupt = listenForInterrupt({ ...p, graceMs: 60_000 });
    expect(interrupt.signal.aborted).toBe(false);
    p.emitter.emit("SIGINT", "SIGINT");
    expect(interrupt.signal.reason).toBe("cancelled (SIGINT)");
    expect(interrupt.received).toBe("SIGINT");
    expect(interrupt.exitCode).toBe(130);
    expect(p.exits).toEqual([]);
    p.emitter.emit("SIGTERM", "SIGTERM");
    expect(p.exits).toEqual([143]);
    interrupt.dispose();
  });

  it("exits when winding down outlasts the grace period", async () => {
    const p = fakeProcess();
    const interrupt = listenForInterrupt({ ...p, graceMs: 20 });
    p.emitter.emit("SIGTERM", "SIGTERM");
    interrupt.dispose();
    await new Promise((r) => setTimeout(r, 60));
    expect(p.exits).toEqual([143]);
  });

  it("leaves the signals alone once disposed, when none came", () => {
    const p = fakeProcess();
    const interrupt = listenForInterrupt({ ...p, graceMs: 20 });
    expect(p.emitter.listenerCount("SIGINT")).toBe(1);
    interrupt.dispose();
    expect(p.emitter.listenerCount("SIGINT")).toBe(0);
    expect(p.emitter.listenerCount("SIGTERM")).toBe(0);
    expect(interrupt.exitCode).toBe(0);
  });
});
