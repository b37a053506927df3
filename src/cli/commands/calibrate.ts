import { relative, resolve, sep } from "node:path";
import { repositoryRoot, workspaceSource } from "../../adapters/files/git.js";
import { graderSetup } from "../../adapters/graders/grader-setup.js";
import { UserError } from "../../core/errors.js";
import { loadProject } from "../../core/evaluate.js";
import { plainText } from "../../core/report/render/escape.js";
import { calibrateJudges } from "../../core/run/judges.js";
import { closeLocalCache, openLocalCache } from "../cache.js";
import type { Command } from "../command.js";

const pct = (x: number | null) => (x === null ? "—" : `${Math.round(x * 100)}%`);

export const calibrateCommand: Command = {
  name: "calibrate",
  summary:
    "grade the human labels of judge.calibration with every judge; print agreement and each disagreement",
  usage: "[--config eval-gate.yml] [--no-cache] [--cache-dir DIR]",
  help: [
    "  --config FILE     the config file (default: eval-gate.yml)",
    "  --no-cache        ask the judge afresh instead of using the on-disk cache",
    "  --cache-dir DIR   the response cache (default: .eval-gate/cache)",
    "",
    "Exit codes: 0 every judge reaches judge.min_kappa, 1 one does not, 2 error.",
  ].join("\n"),
  options: {
    config: { type: "string", default: "eval-gate.yml" },
    "no-cache": { type: "boolean", default: false },
    "cache-dir": { type: "string", default: ".eval-gate/cache" },
  },
  async run({ values }, ctx) {
    const root = (await repositoryRoot(ctx.cwd)) ?? ctx.cwd;
    const configPath = relative(root, resolve(ctx.cwd, values.config as string))
      .split(sep)
      .join("/");
    const source = workspaceSource(root);
    const { config, sets, target } = await loadProject(source, configPath, ctx.env);
    if (!config.judge?.calibration) {
      throw new UserError("there are no human labels to calibrate against", {
        file: configPath,
        field: "judge.calibration",
        fix: "Add `judge: { model: ..., calibration: evals/judge-labels.jsonl }` with one labelled output per line.",
      });
    }
    const cache = values["no-cache"]
      ? undefined
      : await openLocalCache(root, values["cache-dir"] as string, ctx.cwd);
    const graders = graderSetup({ env: ctx.env, repoRoot: root, ...(cache ? { cache } : {}) })({
      target,
      config,
      configPath,
      definition: { source, sha: null },
    });
    try {
      const { judges, rows } = await calibrateJudges({ config, configPath, sets, source, ctx: graders });
      if (judges.length === 0) {
        ctx.out("No case is graded by a judge: nothing to calibrate.\n");
        return 0;
      }
      for (const j of judges) {
        const s = j.stats;
        ctx.out(`judge: ${plainText(j.rubric, 100)}${j.model ? ` (${j.model})` : ""}\n`);
        if (!s) continue;
        ctx.out(
          [
            `  labels ${s.n}  agreement ${pct(s.agreement)}  kappa ${s.kappa.toFixed(2)} (min ${j.min_kappa})  TPR ${pct(s.tpr)}  TNR ${pct(s.tnr)}`,
            `                 human pass   human fail`,
            `  judge pass     ${String(s.confusion.tp).padStart(10)}   ${String(s.confusion.fp).padStart(10)}`,
            `  judge fail     ${String(s.confusion.fn).padStart(10)}   ${String(s.confusion.tn).padStart(10)}`,
            `  ${j.trusted ? "trusted" : "NOT TRUSTED: its slices cannot fail the check"}`,
            "",
          ].join("\n"),
        );
        const disagreements = (rows.get(j.key) ?? []).filter((r) => !r.agree);
        if (disagreements.length > 0) ctx.out(`  ${disagreements.length} disagreement(s):\n`);
        for (const r of disagreements) {
          const judged = r.judge === null ? "could not judge" : r.judge ? "pass" : "fail";
          ctx.out(
            `  ${config.judge.calibration}:${r.line}  human ${r.human ? "pass" : "fail"}, judge ${judged}\n` +
              `    output: ${plainText(r.output, 160)}\n    judge's reason: ${plainText(r.reason, 200)}\n`,
          );
        }
        ctx.out("\n");
      }
      return judges.every((j) => j.trusted !== false) ? 0 : 1;
    } finally {
      await graders.close();
      await closeLocalCache(cache, ctx);
    }
  },
};
