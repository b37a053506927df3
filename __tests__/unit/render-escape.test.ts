import { describe, expect, it } from "vitest";
import {
  codeBlock,
  fencedBlock,
  htmlText,
  inlineText,
  plainText,
  truncate,
} from "../../src/core/report/render/escape.js";
import { splitFences, unescapedCount } from "./fixtures/markdown.js";

/** Untrusted text as a model, a case file or a slice name might carry it. */
const NASTY: string[] = [
  "@octocat please look",
  "cc @acme/security-team and @Acme-Org/Core",
  "fixes #1",
  "see org/repo#2 and https://github.com/org/repo/issues/3",
  "GH-123 and gh-7",
  "<img src=x onerror=alert(1)>",
  "<details><summary>open me</summary>",
  "</details>",
  "<!-- eval-gate:default -->",
  "-->",
  "<!--",
  "![x](http://e/x.png)",
  "[click](https://evil.example/phish)",
  "<http://x>",
  "| a | b |\n|---|---|\n| c | d |",
  "`".repeat(500),
  "```js\nalert(1)\n```",
  "`code` with ``` inside ```` and `````",
  "line1\r\nline2\r\n",
  "nul\u0000byte",
  "abc\u202egnp.exe",
  "x".repeat(20_000),
  "😀👍🏽👨‍👩‍👧 emoji and 日本語",
  "**bold** _it_ ~~strike~~ # heading",
  "$x^2$ math",
  "www.example.com",
  "mail me: a@b.com",
  "\\| escaped pipe already \\",
  "<script>alert(1)</script>",
  "&lt;already escaped&gt; &amp;",
  "\u001b[31mred\u001b[0m",
  "- list item\n1. numbered\n> quote\n=====",
  "javascript:alert(1) data:text/html,<b>x</b>",
  "@ alone, @@@ and email@",
  "a\u2028b\u2029c\u0085d",
  "<!---->",
  "--->",
  `${"@a ".repeat(5000)}`,
];

/** Markdown and entities undone, zero-width spaces dropped: what a reader sees. */
function visible(s: string): string {
  return s
    .replace(/\\(.)/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/\u200b/g, "");
}

const codePoints = (s: string) => Array.from(s).length;
const hasAny = (s: string, chars: string) => Array.from(chars).some((c) => s.includes(c));

describe("inlineText", () => {
  it.each(NASTY.map((s, i) => [i, s]))("keeps nasty string %i inert", (_i, s) => {
    const out = inlineText(s as string);
    expect(hasAny(out, "\r\n\u0000\u001b\u202e\u2028\u2029")).toBe(false);
    expect(out).not.toContain("<");
    expect(out).not.toContain(">");
    expect(out).not.toMatch(/@[A-Za-z0-9]/);
    expect(out).not.toMatch(/#[^\u200b]/);
    expect(out).not.toMatch(/GH-\d/i);
    expect(out).not.toMatch(/[a-z]:\/\//i);
    expect(out).not.toMatch(/www\./i);
    expect(out).not.toContain("<!--");
    for (const ch of ["|", "`", "*", "_", "[", "]", "(", ")", "!", "~", "$"]) {
      expect(unescapedCount(out, ch), `unescaped ${ch} in ${out}`).toBe(0);
    }
    expect(codePoints(visible(out))).toBeLessThanOrEqual(80);
  });

  it("leaves plain text readable", () => {
    expect(inlineText("refund  policy\nquestions")).toBe("refund policy questions");
    expect(visible(inlineText("a | b <c> @d #1"))).toBe("a | b <c> @d #1");
  });

  it("truncates with an ellipsis within the limit", () => {
    const out = inlineText("abcdefghij", 5);
    expect(out).toBe("abcd…");
    expect(inlineText("short", 5)).toBe("short");
  });

  it("breaks mentions, references and links as documented", () => {
    expect(inlineText("@user")).toBe("@\u200buser");
    expect(inlineText("@org/team")).toBe("@\u200borg/team");
    expect(inlineText("#123")).toBe("\\#\u200b123");
    expect(inlineText("owner/repo#123")).toBe("owner/repo\\#\u200b123");
    expect(inlineText("GH-123")).toBe("GH-\u200b123");
    expect(inlineText("https://x.io")).toBe("https\u200b://x.io");
  });

  it("escapes line-start constructs", () => {
    expect(inlineText("- item")).toBe("\\- item");
    expect(inlineText("1. item")).toBe("1\\. item");
  });

  it("does not split a surrogate pair when cutting", () => {
    const out = inlineText("😀".repeat(100), 10);
    expect(out).toBe(`${"😀".repeat(9)}…`);
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe("htmlText", () => {
  it.each(NASTY.map((s, i) => [i, s]))("keeps nasty string %i inert inside raw HTML", (_i, s) => {
    const out = htmlText(s as string, 120);
    expect(hasAny(out, '<>"\r\n\u0000\u202e')).toBe(false);
    expect(out).not.toMatch(/@[A-Za-z0-9]/);
    expect(out).not.toMatch(/#[^\u200b]/);
    expect(out).not.toMatch(/[a-z]:\/\//i);
    expect(out).not.toContain("](");
    // Markdown is not parsed in raw HTML, so backslashes would show: none are added.
    expect((out.match(/\\/g) ?? []).length).toBeLessThanOrEqual(((s as string).match(/\\/g) ?? []).length);
  });
});

describe("plainText", () => {
  it("removes terminal control sequences and bidi overrides", () => {
    expect(plainText("\u001b[31mred\u001b[0m \u202eevil")).toBe("[31mred[0m evil");
  });
});

describe("codeBlock", () => {
  it.each(NASTY.map((s, i) => [i, s]))("keeps nasty string %i inside a closed fence", (_i, s) => {
    const out = codeBlock(s as string, 2000);
    const { outside, fences } = splitFences(out);
    expect(fences).toHaveLength(1);
    const fence = fences[0];
    expect(fence?.closed).toBe(true);
    const width = (/`+/.exec(fence?.open ?? "")?.[0] ?? "").length;
    expect(width).toBeGreaterThanOrEqual(3);
    expect(width).toBeLessThanOrEqual(9);
    for (const line of fence?.lines ?? []) {
      for (const run of line.match(/`+/g) ?? []) expect(run.length).toBeLessThan(width);
    }
    // Only the "characters cut" note may follow the fence.
    expect(outside.every((l) => l === "" || /^<sub>… [\d,]+ more characters cut<\/sub>$/.test(l))).toBe(true);
    expect(out).not.toContain("<!--");
    expect(out).not.toContain("-->");
    expect(hasAny(out, "\u0000\u001b\u202e\r")).toBe(false);
    expect(out.length).toBeLessThan(2000 * 1.5 + 200);
  });

  it("keeps ordinary text as it is", () => {
    expect(codeBlock("hello\nworld")).toBe("```text\nhello\nworld\n```");
  });

  it("uses a fence longer than any backtick run inside", () => {
    expect(codeBlock("a ```` b")).toBe("`````text\na ```` b\n`````");
  });

  it("says how many characters were cut", () => {
    const r = fencedBlock("y".repeat(20_000), 2000);
    expect(r.cut).toBe(18_000);
    expect(r.text).toMatch(/<sub>… 18,000 more characters cut<\/sub>$/);
    expect(r.text.split("\n")[1]).toHaveLength(2000);
  });

  it("cannot forge or close the comment marker", () => {
    const out = codeBlock("<!-- eval-gate:default -->\n<!---->\n--->");
    expect(out).not.toContain("<!--");
    expect(out).not.toContain("-->");
    expect(out.replace(/\u200b/g, "")).toContain("<!-- eval-gate:default -->");
  });
});

describe("truncate", () => {
  it("counts code points, not code units", () => {
    expect(truncate("😀😀😀", 2)).toEqual({ text: "😀😀", cut: 1 });
    expect(truncate("abc", 3)).toEqual({ text: "abc", cut: 0 });
  });
});
