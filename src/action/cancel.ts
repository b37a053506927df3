import * as core from "@actions/core";
import type { DiskCache } from "../adapters/cache/disk-cache.js";
import type { Interrupt } from "../adapters/process/interrupt.js";
import { State } from "./state.js";

/**
 * Ends a cancelled run (the runner's SIGINT, e.g. under `cancel-in-progress`) whose answers are
 * already flushed to disk: the post step is told to save them, the `verdict` output is `error`,
 * saying why, and there is no report and no comment. Slice scores from a part of the cases would
 * read as a result, and the run that replaced this one is already on its way to the PR's comment.
 */
export async function reportCancelled(interrupt: Interrupt, cache: DiskCache | undefined): Promise<void> {
  core.saveState(State.cancelled, interrupt.received ?? "");
  const kept = cache
    ? `${cache.writes} new answer(s) kept in the response cache, which the post step saves`
    : "with `cache: false` the answers received are not kept";
  const line = `eval-gate was ${interrupt.signal.reason} before its verdict: ${kept}.`;
  core.setOutput("verdict", "error");
  core.warning(line);
  await core.summary.addRaw(`${line}\n`).write();
  process.exitCode = interrupt.exitCode;
}
