// Every run's RunStat, held as columns: a run of 100,000 cases holds ~40 bytes a run here instead
// of two objects (the stat and its usage, ~130 bytes). Read back as RunStat objects, one at a time.
import { grown } from "../columns.js";
import type { Side } from "../types.js";

/** What the report needs of one run, without its text: small enough to carry between shards. */
export interface RunStat {
  side: Side;
  set: string;
  cached: boolean;
  error?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  latencyMs?: number;
  outputChars?: number;
  refusal: boolean;
  /** A run of a case the PR adds: reported, but outside the gate (its errors too). */
  added?: boolean;
}

const HEAD = 1;
const CACHED = 2;
const REFUSAL = 4;
const ADDED = 8;
const USAGE = 16;
const LATENCY = 32;
const CHARS = 64;

export class RunStats implements Iterable<RunStat> {
  private flags = new Uint8Array(1024);
  private sets = new Uint32Array(1024);
  private numbers = new Float64Array(4 * 1024);
  private readonly setNames: string[] = [];
  private readonly setIndex = new Map<string, number>();
  /** The few runs that errored, by their place. */
  private readonly errors = new Map<number, string>();
  length = 0;

  push(stat: RunStat): void {
    const i = this.length;
    if (i === this.flags.length) this.grow();
    let set = this.setIndex.get(stat.set);
    if (set === undefined) {
      set = this.setNames.push(stat.set) - 1;
      this.setIndex.set(stat.set, set);
    }
    this.sets[i] = set;
    let flags = stat.side === "head" ? HEAD : 0;
    if (stat.cached) flags |= CACHED;
    if (stat.refusal) flags |= REFUSAL;
    if (stat.added) flags |= ADDED;
    if (stat.usage) {
      flags |= USAGE;
      this.numbers[4 * i] = stat.usage.prompt_tokens;
      this.numbers[4 * i + 1] = stat.usage.completion_tokens;
    }
    if (stat.latencyMs !== undefined) {
      flags |= LATENCY;
      this.numbers[4 * i + 2] = stat.latencyMs;
    }
    if (stat.outputChars !== undefined) {
      flags |= CHARS;
      this.numbers[4 * i + 3] = stat.outputChars;
    }
    this.flags[i] = flags;
    if (stat.error !== undefined) this.errors.set(i, stat.error);
    this.length++;
  }

  /** The run at `i` as the RunStat it was pushed as (same keys, same order as toRunStat's). */
  at(i: number): RunStat {
    const flags = this.flags[i] as number;
    const n = 4 * i;
    const error = this.errors.get(i);
    return {
      side: flags & HEAD ? "head" : "base",
      set: this.setNames[this.sets[i] as number] as string,
      cached: (flags & CACHED) !== 0,
      ...(error !== undefined ? { error } : {}),
      ...(flags & USAGE
        ? {
            usage: {
              prompt_tokens: this.numbers[n] as number,
              completion_tokens: this.numbers[n + 1] as number,
            },
          }
        : {}),
      ...(flags & LATENCY ? { latencyMs: this.numbers[n + 2] as number } : {}),
      ...(flags & CHARS ? { outputChars: this.numbers[n + 3] as number } : {}),
      refusal: (flags & REFUSAL) !== 0,
      ...(flags & ADDED ? { added: true } : {}),
    };
  }

  *[Symbol.iterator](): Iterator<RunStat> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /** As a list, for a shard's partial result (JSON). */
  toJSON(): RunStat[] {
    return [...this];
  }

  private grow(): void {
    const size = this.flags.length * 2;
    this.flags = grown(this.flags, size);
    this.sets = grown(this.sets, size);
    this.numbers = grown(this.numbers, 4 * size);
  }
}
