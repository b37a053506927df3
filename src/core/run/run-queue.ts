import type { Case, EvalSet, Run, Side } from "../types.js";
import { rerunSelected } from "./adaptive.js";

/** One run to do: a case, one of its samples, on one side. */
export interface Task<S extends { side: Side }> {
  set: EvalSet;
  c: Case;
  /** The case's place in the plan: set by set, case by case, from 0. */
  index: number;
  sample: number;
  side: S;
}

export interface QueuePlan<S extends { side: Side }> {
  sets: EvalSet[];
  sides: S[];
  /** Runs per case; under `adaptive`, the most a case gets. */
  repeats: number;
  adaptive?: boolean;
}

interface Progress {
  /** Rounds handed out so far: the next round's sample index. */
  rounds: number;
  /** Runs of the current round not yet done. */
  waiting: number;
  base: { runs: number; passes: number };
  head: { runs: number; passes: number };
}

/**
 * Hands the workers their tasks. With fixed repeats, every sample of every case (set, case,
 * sample, side order, as always). Under `repeats: auto`, sample 0 of every case, and a case's
 * next sample on both sides as soon as its own round is in and `rerunSelected` picks it, ahead of
 * the first runs still queued, so its later rounds overlap the rest of the run instead of waiting
 * for the whole set. Sample k is the same request, and cache entry, as with `repeats: k + 1`.
 */
export class RunQueue<S extends { side: Side }> {
  private readonly fresh: Generator<Task<S>>;
  private readonly reruns: Task<S>[] = [];
  /** Cases with runs still to come, by index: entries go as soon as a case is done. */
  private readonly cases = new Map<number, Progress>();
  private readonly waiters: ((task: Task<S> | undefined) => void)[] = [];
  private handedOut = 0;
  private finished = 0;
  private freshLeft = true;
  /** Runs planned so far; it grows under auto as cases are picked for another round. */
  total: number;

  constructor(
    private readonly plan: QueuePlan<S>,
    /** Once the run is stopped no further round is started: its runs would only be skipped. */
    private readonly stopped: () => boolean = () => false,
  ) {
    const cases = plan.sets.reduce((n, s) => n + s.cases.length, 0);
    this.total = cases * (plan.adaptive ? 1 : plan.repeats) * plan.sides.length;
    this.fresh = this.stream();
  }

  /** The next task; waits while a round in flight may still add one; undefined when all is done. */
  next(): Promise<Task<S> | undefined> {
    const task = this.take();
    if (task || this.handedOut === this.finished) return Promise.resolve(task);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Records a finished run; under auto it may queue the case's next round. True when it was the
   * case's last run: no run of it is handed out after this one.
   */
  done(task: Task<S>, run: Run): boolean {
    this.finished++;
    let last = false;
    const progress = this.cases.get(task.index);
    if (progress) {
      if (run.error === undefined) {
        const tally = task.side.side === "base" ? progress.base : progress.head;
        tally.runs++;
        if (run.pass) tally.passes++;
      }
      progress.waiting--;
      if (progress.waiting === 0 && this.plan.adaptive && this.selected(progress)) {
        for (const side of this.plan.sides) this.reruns.push({ ...task, sample: progress.rounds, side });
        progress.rounds++;
        progress.waiting = this.plan.sides.length;
        this.total += this.plan.sides.length;
      } else if (progress.waiting === 0) {
        this.cases.delete(task.index);
        last = true;
      }
    }
    // Wake waiting workers: with a new task each, or with the end once nothing can come.
    while (this.waiters.length > 0) {
      const task = this.take();
      if (!task && this.handedOut !== this.finished) break;
      this.waiters.shift()?.(task);
    }
    return last;
  }

  private selected(p: Progress): boolean {
    // Without a base side there is nothing to differ from: one run per case.
    if (this.plan.sides.length < 2 || this.stopped()) return false;
    return rerunSelected(p.base, p.head, p.rounds, this.plan.repeats);
  }

  private take(): Task<S> | undefined {
    let task = this.reruns.shift();
    if (!task && this.freshLeft) {
      const next = this.fresh.next();
      if (next.done) this.freshLeft = false;
      else task = next.value;
    }
    if (task) this.handedOut++;
    return task;
  }

  private *stream(): Generator<Task<S>> {
    const samples = this.plan.adaptive ? 1 : this.plan.repeats;
    let index = 0;
    for (const set of this.plan.sets) {
      for (const c of set.cases) {
        // Registered as the case's first run is handed out, so only cases in flight are held.
        this.cases.set(index, {
          rounds: 1,
          waiting: samples * this.plan.sides.length,
          base: { runs: 0, passes: 0 },
          head: { runs: 0, passes: 0 },
        });
        for (let sample = 0; sample < samples; sample++) {
          for (const side of this.plan.sides) yield { set, c, index, sample, side };
        }
        index++;
      }
    }
  }
}
