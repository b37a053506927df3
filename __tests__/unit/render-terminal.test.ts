import { describe, expect, it } from "vitest";
import { displayWidth, renderTerminal } from "../../src/core/report/render/terminal.js";
import { makeSlice } from "./fixtures/report.js";
import { brokenAnchorReport, errorsReport, noBaselineReport } from "./fixtures/scenarios.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI sequences
const ANSI = /\u001b\[[0-9;]*m/g;

describe("renderTerminal", () => {
  it("prints every slice worst first with a verdict line at the end", () => {
    const out = renderTerminal(brokenAnchorReport());
    expect(out).toMatchSnapshot();
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^set\s+slice\s+n\s+base\s+head\s+Δ\s+90% CI\s+p_adj\s+status$/);
    expect(lines[1]).toMatch(
      /^anchor\s+refund\s+20\s+90%\s+45%\s+-45 pts\s+\[-63, -25\]\s+<0\.001\s+regressed$/,
    );
    expect(lines[2]).toMatch(/smalltalk\s+8\*/);
    expect(lines.at(-1)).toMatch(/^verdict: FAIL \(anchor \/ refund regressed/);
    expect(out).not.toMatch(ANSI);
  });

  it("colours only when asked: red regressed, yellow dropped, green improved", () => {
    const out = renderTerminal(brokenAnchorReport(), { color: true });
    const lines = out.split("\n");
    const line = (word: string) => lines.find((l) => l.includes(word)) ?? "";
    expect(line("regressed").startsWith("\u001b[31m")).toBe(true);
    expect(line("dropped").startsWith("\u001b[33m")).toBe(true);
    expect(line("improved").startsWith("\u001b[32m")).toBe(true);
    expect(line("unchanged")).not.toContain("\u001b");
    expect(out.replace(ANSI, "")).toBe(renderTerminal(brokenAnchorReport()));
  });

  it("strips control sequences from untrusted names", () => {
    const report = brokenAnchorReport();
    report.slices.push(makeSlice({ set: "anchor", slice: "\u001b]0;pwned\u0007evil\u001b[2J" }));
    const out = renderTerminal(report);
    expect(out).not.toContain("\u001b");
    expect(out).not.toContain("\u0007");
  });

  it("keeps lines within the width without cutting a name: a long one gets a line of its own", () => {
    const report = brokenAnchorReport();
    const long = "a-very-long-slice-name-that-goes-on-and-on-and-on";
    report.slices.push(makeSlice({ set: "anchor", slice: long }));
    const out = renderTerminal(report, { width: 80 });
    const lines = out.trimEnd().split("\n").slice(0, -1);
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(80);
    expect(out).not.toContain("…");
    // The name on its line, in the slice column; its numbers on the next, under their headers.
    const at = lines.findIndex((l) => l.includes(long));
    expect(lines[at]).toMatch(new RegExp(`^anchor\\s+${long}$`));
    expect(lines[at + 1]).toMatch(/^\s+20\s+90%\s+90%\s+0 pts\s+\[-10, \+10\]\s+—\s+unchanged$/);
    // Short names still share a line with their numbers.
    expect(out).toMatch(/^anchor\s+refund\s+20\s+90%\s+45%/m);
  });

  it("puts every slice's names above its numbers when the numbers leave no room beside them", () => {
    const report = brokenAnchorReport();
    report.slices = report.slices.map((s) => ({ ...s, mde: 0.606 }));
    report.slices[0] = {
      ...(report.slices[0] as (typeof report.slices)[number]),
      ci_low: -0.6,
      ci_high: -0.128,
    };
    const lines = renderTerminal(report, { width: 80 }).trimEnd().split("\n");
    expect(lines[0]).toBe("set / slice");
    expect(lines[1]).toMatch(/^\s+n\s+base\s+head\s+Δ\s+90% CI\s+p_adj\s+status\s+mde$/);
    expect(lines[2]).toBe("anchor / refund");
    expect(lines[3]).toMatch(
      /^\s+20\s+90%\s+45%\s+-45 pts\s+\[-63, -25\]\s+<0\.001\s+regressed\s+60\.6 pts$/,
    );
    // The numbers stay in columns: every status starts where the header's does.
    const at = (lines[1] as string).indexOf("status");
    for (const i of [3, 5, 7])
      expect((lines[i] as string).slice(at)).toMatch(/^(regressed|dropped|improved)/);
    for (const line of lines.slice(0, -1)) expect(displayWidth(line)).toBeLessThanOrEqual(80);
  });

  it("mentions no baseline and errors", () => {
    expect(renderTerminal(noBaselineReport())).toContain("No baseline:");
    const out = renderTerminal(errorsReport());
    expect(out).toContain("errors: 12 runs (5%): 429 Too Many Requests (x9)");
    expect(out.trimEnd().split("\n").at(-1)).toMatch(/^verdict: ERROR/);
  });

  it("measures CJK and emoji as two columns", () => {
    expect(displayWidth("日本")).toBe(4);
    expect(displayWidth("ab")).toBe(2);
    expect(displayWidth("😀")).toBe(2);
  });
});
