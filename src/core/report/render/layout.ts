// The staged cuts shared by the comment and the job summary. What must survive, in order: the
// headline, the per-slice tables (rows dropped least severe first only when nothing else is left to
// cut), then case detail, which is cut first: shorter text, then fewer slices, then none.
import { BLOCK_SEPARATOR, fitPrefix, joinBlocks, type Measure } from "./budget.js";
import { type DetailLevel, type RenderedDetail, renderDetail, type SliceDetail } from "./details.js";
import { truncate } from "./escape.js";
import { integer, plural } from "./format.js";
import { renderTables, type SliceTable } from "./tables.js";

export interface LayoutSpec {
  max: number;
  measure: Measure;
  /** Headline and notes: always kept. */
  top: string[];
  tables: SliceTable[];
  /** Legend and errors: always kept, and bounded by the caller. */
  afterTables: string[];
  detailsHeading: string;
  details: SliceDetail[];
  /** Most generous first. */
  levels: DetailLevel[];
  repeats: number;
  /** Where cases left out of a block can be read, for the block's own "and N more" line. */
  moreCases: string;
  bottom: string[];
  /** Where the full detail is, for the line that says what was cut. */
  fullDetail: string;
  /** Used whole (then cut) when even the fixed blocks do not fit: a tiny budget. */
  fallback: string;
}

/** The "left out" line is built after the cuts, so its room is kept free up front. */
const NOTE_RESERVE = 400;

interface Fitted {
  blocks: RenderedDetail[];
  level: DetailLevel | null;
  dropped: number;
}

function fitDetails(spec: LayoutSpec, budget: number): Fitted {
  const { details, levels, measure } = spec;
  if (details.length === 0 || levels.length === 0) return { blocks: [], level: null, dropped: 0 };
  let rendered: RenderedDetail[] = [];
  let level = levels[0] as DetailLevel;
  for (const l of levels) {
    level = l;
    rendered = details.map((d) => renderDetail(d, l, spec.repeats, spec.moreCases));
    const n = fitPrefix(
      rendered.map((r) => r.text),
      budget,
      measure,
    );
    if (n === rendered.length) return { blocks: rendered, level, dropped: 0 };
  }
  const kept = fitPrefix(
    rendered.map((r) => r.text),
    budget,
    measure,
  );
  return { blocks: rendered.slice(0, kept), level, dropped: rendered.length - kept };
}

function cutNote(omittedRows: number, fitted: Fitted, fullDetail: string): string {
  const items: string[] = [];
  if (omittedRows > 0) items.push(`${plural(omittedRows, "slice row")} of the tables`);
  if (fitted.blocks.length === 0 && fitted.dropped > 0) {
    items.push(`all case detail (${plural(fitted.dropped, "block")})`);
  } else if (fitted.dropped > 0) {
    items.push(`case detail of the ${plural(fitted.dropped, "least severe block")}`);
  }
  if (fitted.level && fitted.blocks.some((b) => b.textCut)) {
    items.push(`case text over ${integer(fitted.level.output)} characters`);
  }
  const casesLeft = fitted.blocks.reduce((n, b) => n + b.casesLeft, 0);
  if (fitted.level && casesLeft > 0) {
    items.push(`${plural(casesLeft, "case")} beyond the first ${integer(fitted.level.cases)} of a block`);
  }
  if (items.length === 0) return "";
  return `✂️ **Left out to fit:** ${items.join("; ")}. ${fullDetail}`;
}

export function layout(spec: LayoutSpec): string {
  const { max, measure } = spec;
  const sep = measure(BLOCK_SEPARATOR);
  const top = joinBlocks(spec.top);
  const after = joinBlocks(spec.afterTables);
  const bottom = joinBlocks(spec.bottom);
  // Every block slot may add a separator; one more for the final newline.
  const fixed = measure(top) + measure(after) + measure(bottom) + NOTE_RESERVE + 7 * sep + measure("\n");
  const omittedLine = (n: number) =>
    `_… and ${plural(n, "more slice row")} not shown (rows are listed worst first). ${spec.fullDetail}_`;

  if (fixed + measure(omittedLine(1_000_000_000)) <= max) {
    const tables = renderTables(spec.tables, max - fixed, measure, omittedLine);
    const heading = spec.detailsHeading;
    const budget = max - fixed - measure(tables.text) - measure(heading) - sep;
    const fitted = fitDetails(spec, budget);
    const body = `${joinBlocks([
      top,
      tables.text,
      after,
      fitted.blocks.length > 0 ? heading : "",
      ...fitted.blocks.map((b) => b.text),
      cutNote(tables.omitted, fitted, spec.fullDetail),
      bottom,
    ])}\n`;
    if (measure(body) <= max) return body;
  }
  // Only reachable with a budget too small for the headline and the bounded blocks.
  let text = truncate(spec.fallback, max).text;
  while (measure(text) > max) text = text.slice(0, -1);
  return text;
}
