import { describe, expect, it } from "vitest";
import { LineRelay, limitOutput, outputPrefix } from "../../src/adapters/scripts/script-output.js";

function relay(chunks: string[], prefix = outputPrefix("graders/x.mjs")): string[] {
  const out: string[] = [];
  const r = new LineRelay(prefix, (t) => out.push(t));
  for (const chunk of chunks) r.push(chunk);
  r.flush();
  return out;
}

describe("script output in eval-gate's log", () => {
  it("puts each line behind the script's prefix, whatever ends it", () => {
    expect(relay(["one\ntw", "o\r", "\nthree\rfour"])).toEqual([
      "[script graders/x.mjs] one\n",
      "[script graders/x.mjs] two\n",
      "[script graders/x.mjs] three\n",
      "[script graders/x.mjs] four\n",
    ]);
  });

  it("leaves no workflow command: none starts a line, no ##[ anywhere, no terminal escapes", () => {
    const out = relay([
      "::add-mask::x\n  ::stop-commands::t\nok ##[set-output name=a]b\n\u001b[1A::error::x\u009b\n",
    ]);
    expect(out).toEqual([
      "[script graders/x.mjs] ::add-mask::x\n",
      "[script graders/x.mjs]   ::stop-commands::t\n",
      "[script graders/x.mjs] ok ## [set-output name=a]b\n",
      "[script graders/x.mjs] \\x1b[1A::error::x\\x9b\n",
    ]);
  });

  it("escapes the prefix too: a path may hold a line break or ##[", () => {
    expect(outputPrefix("a\n::add-mask::b\n::x/##[x].mjs")).toBe("[script a ::add-mask::b ::x/## [x].mjs] ");
  });

  it("stops relaying past its budget, saying so once", () => {
    const out: string[] = [];
    const write = limitOutput((t) => out.push(t), 11);
    for (const text of ["12345\n", "6789\n", "abc\n", "def\n"]) write(text);
    expect(out).toEqual([
      "12345\n",
      "6789\n",
      "[script] (more output dropped: scripts may print at most 11 bytes per run)\n",
    ]);
  });
});
