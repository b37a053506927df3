import { tmpdir } from "node:os";
import { resolve } from "node:path";
import * as core from "@actions/core";
import { FileTextStore } from "../adapters/cache/text-spill.js";
import { readPartials } from "../adapters/files/files.js";
import { headSha } from "../adapters/files/git.js";
import { type Interrupt, listenForInterrupt } from "../adapters/process/interrupt.js";
import { describeError, isUserError, MissingKeyError, UserErrors } from "../core/errors.js";
import type { Evaluation } from "../core/evaluate.js";
import { buildReport } from "../core/gate/assemble.js";
import { mergePartials, parseShard } from "../core/gate/shard.js";
import { ParkedTexts } from "../core/report/park.js";
import { errorReport } from "../core/report/report.js";
import type { Report } from "../core/report-types.js";
import { reportCancelled } from "./cancel.js";
import { evaluateEvent } from "./evaluate-event.js";
import { readEvent } from "./event.js";
import { type ActionInputs, readInputs } from "./inputs.js";
import { publishReport, settleCheck, writePartial } from "./publish.js";
import { closeCache, openCache } from "./response-cache.js";

const FORK_NOTICE =
  "No API key: this pull request comes from a fork, and GitHub passes no secrets to its runs. " +
  "See the README's 'Pull requests from forks' for the safe pattern, or set `missing-key: skip`.";

const SKIP_IS_FOR_FORKS =
  "`missing-key: skip` applies only to pull requests from forks; this run is not one, so a missing key is an error.";

/** The action: reads inputs, runs the shared pipeline, and is the one place that fails the check. */
export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  let inputs: ActionInputs | undefined;
  try {
    inputs = readInputs();
    // The GitHub and cache clients are loaded only when used: most of the bundle's start-up cost.
    if (inputs.postReport) await (await import("./post.js")).postReport(inputs, env);
    else {
      const interrupt = listenForInterrupt();
      try {
        await runWith(inputs, env, interrupt);
      } finally {
        interrupt.dispose();
      }
    }
  } catch (e) {
    // Only a fault of eval-gate itself reaches here: user mistakes become an `error` report earlier.
    core.setOutput("verdict", "error");
    core.setFailed(isUserError(e) ? describeError(e) : `eval-gate failed: ${describeError(e)}`);
    if (!isUserError(e) && e instanceof Error && e.stack) core.debug(e.stack);
  }
}

async function runWith(
  inputs: ActionInputs,
  env: Record<string, string | undefined>,
  interrupt: Interrupt,
): Promise<void> {
  // The texts only the report file shows wait on disk till it is written (a shard's partial and a
  // merge hold them all, so those keep them in memory).
  const store = inputs.merge || inputs.shard ? undefined : new FileTextStore(env.RUNNER_TEMP || tmpdir());
  try {
    await runOn(inputs, env, interrupt, store && new ParkedTexts(store));
  } finally {
    store?.close();
  }
}

async function runOn(
  inputs: ActionInputs,
  env: Record<string, string | undefined>,
  interrupt: Interrupt,
  parked: ParkedTexts | undefined,
): Promise<void> {
  const workspace = resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const event = await readEvent(env);
  const sha = env.GITHUB_SHA || (await headSha(workspace));
  core.startGroup(inputs.merge ? "eval-gate: merge" : "eval-gate: config and sets");
  core.info(
    `config ${inputs.config}; ${env.GITHUB_EVENT_NAME ?? "local"}${event.pr !== null ? ` on PR #${event.pr}` : ""}; head ${sha.slice(0, 7)}`,
  );
  // Each shard keeps a cache of its own share; an unsharded run one for all.
  const cacheScope = inputs.shard
    ? `${inputs.commentId}-shard-${inputs.shard.replace("/", "-of-")}`
    : inputs.commentId;
  const diskCache =
    inputs.cache && !inputs.merge ? await openCache(inputs, event, workspace, cacheScope, env) : undefined;
  const shard = inputs.shard ? parseShard(inputs.shard) : undefined;
  let evaluation: Evaluation | undefined;
  let report: Report;
  try {
    if (inputs.merge) {
      report = buildReport(mergePartials(await readPartials(resolve(workspace, inputs.merge))));
    } else {
      evaluation = await evaluateEvent(inputs, event, workspace, sha, env, {
        cache: diskCache,
        shard,
        signal: interrupt.signal,
        parked,
      });
      report = evaluation.report;
    }
  } catch (e) {
    if (interrupt.received) {
      core.endGroup();
      await closeCache(diskCache);
      return reportCancelled(interrupt, diskCache);
    }
    if (!isUserError(e)) throw e;
    const messages = e instanceof UserErrors ? e.errors.map((x) => x.format()) : [describeError(e)];
    // Skipping is for fork PRs, which GitHub gives no secrets; anywhere else a missing key is a
    // misconfiguration (or a PR pointing api_key_env at an unset name to skip its own check).
    const skip = e instanceof MissingKeyError && inputs.missingKey === "skip" && event.fromFork;
    if (e instanceof MissingKeyError && event.fromFork) messages.unshift(FORK_NOTICE);
    else if (e instanceof MissingKeyError && inputs.missingKey === "skip") messages.push(SKIP_IS_FOR_FORKS);
    for (const m of messages) (skip ? core.notice : core.error)(m);
    report = errorReport(messages, {
      configPath: inputs.config,
      headSha: sha,
      verdict: skip ? "skipped" : "error",
    });
  }
  core.endGroup();
  // Cancelled before every case ran: no verdict from a part of them. A signal after the last
  // answer lets the run finish, within the grace period.
  if (interrupt.received && evaluation?.collected.aborted) {
    await closeCache(diskCache);
    return reportCancelled(interrupt, diskCache);
  }

  if (shard && evaluation) {
    // A shard's result is partial: it is merged into the verdict by the `merge` step, which gates.
    await closeCache(diskCache);
    await writePartial(evaluation, shard, env, workspace);
    if (diskCache) await (await import("./cache.js")).saveResponses(diskCache, cacheScope, env);
    return;
  }
  await closeCache(diskCache);
  const shown = await publishReport(report, parked, { inputs, event, env, workspace });
  if (diskCache) await (await import("./cache.js")).saveResponses(diskCache, cacheScope, env);
  core.endGroup();
  settleCheck(shown.report, shown.overrideUsed, inputs);
}
