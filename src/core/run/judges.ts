import type { Config } from "../config/config.js";
import { canonicalJson } from "../config/requests.js";
import { resolvePath } from "../config/target.js";
import type { JudgeSpec } from "../graders/judge.js";
import type { GraderContext } from "../graders/types.js";
import type { FileSource } from "../ports.js";
import type { CalibrationStats, JudgeReport } from "../report-types.js";
import type { EvalSet, GraderSpec } from "../types.js";
import { type CalibrationRow, parseLabels, runCalibration } from "./calibration.js";

/** How far a judge of this run can be trusted, from the human labels of `judge.calibration`. */
export type JudgeTrust = JudgeReport & { stats: CalibrationStats | null };

/** The judge specs a case is graded by (its own graders, else the config's). */
function judgesOf(specs: GraderSpec[]): GraderSpec[] {
  return specs.filter((s) => s.type === "judge");
}

export function judgeKey(spec: GraderSpec): string {
  const { weight: _w, ...rest } = spec;
  return canonicalJson(rest);
}

/**
 * Grades the calibration labels with every distinct judge of the run (answers are cached, so this
 * is cheap after the first run) and says which judges reach `min_kappa`. Slices graded by a judge
 * that does not are returned as `set\u0000slice` keys: they cannot fail the check.
 */
export async function calibrateJudges(options: {
  config: Config;
  configPath: string;
  sets: EvalSet[];
  source: FileSource;
  ctx: GraderContext;
}): Promise<{ judges: JudgeTrust[]; untrustedSlices: Set<string>; rows: Map<string, CalibrationRow[]> }> {
  const { config, sets } = options;
  const bySpec = new Map<string, { spec: GraderSpec; slices: Set<string> }>();
  for (const set of sets) {
    for (const c of set.cases) {
      const specs = c.graders && c.graders.length > 0 ? c.graders : config.graders;
      for (const spec of judgesOf(specs)) {
        const key = judgeKey(spec);
        const entry = bySpec.get(key) ?? { spec, slices: new Set<string>() };
        entry.slices.add(`${set.name}\u0000${c.slice}`);
        bySpec.set(key, entry);
      }
    }
  }
  const untrustedSlices = new Set<string>();
  const rows = new Map<string, CalibrationRow[]>();
  if (bySpec.size === 0) return { judges: [], untrustedSlices, rows };
  const labelsFile = config.judge?.calibration
    ? resolvePath(options.configPath, config.judge.calibration)
    : null;
  const labelsText = labelsFile ? await options.source.read(labelsFile) : null;
  const labels = labelsFile && labelsText !== null ? parseLabels(labelsText, labelsFile) : null;
  const minKappa = config.judge?.min_kappa ?? 0.6;
  const judges: JudgeTrust[] = [];
  for (const [key, { spec, slices }] of bySpec) {
    const j = spec as JudgeSpec;
    const rubric = j.rubric ?? `file ${j.rubric_file}`;
    const model = j.model ?? config.judge?.model ?? null;
    if (!labels) {
      judges.push({ key, rubric, model, stats: null, min_kappa: minKappa, trusted: null, disagreements: 0 });
      continue;
    }
    const result = await runCalibration(labels, j, options.ctx);
    rows.set(key, result.rows);
    const trusted = result.stats.kappa >= minKappa;
    if (!trusted) for (const s of slices) untrustedSlices.add(s);
    judges.push({
      key,
      rubric,
      model,
      stats: result.stats,
      min_kappa: minKappa,
      trusted,
      disagreements: result.rows.filter((r) => !r.agree).length,
    });
  }
  return { judges, untrustedSlices, rows };
}
