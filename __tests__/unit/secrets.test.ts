// A key quoted back by an endpoint, whole or in part, never survives into anything eval-gate keeps.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAIProvider } from "../../src/adapters/providers/openai-provider.js";
import { MIN_PART, secretScrubber } from "../../src/core/run/secrets.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { seededRng } from "../support/prng.js";

const KEY = "sk-proj-Abc123Def456Ghi789Jkl012Mno345";

/** True when some run of MIN_PART characters of `secret` is in `text`. */
function leaksPart(text: string, secret: string): boolean {
  for (let i = 0; i + MIN_PART <= secret.length; i++) {
    if (text.includes(secret.slice(i, i + MIN_PART))) return true;
  }
  return false;
}

describe("secretScrubber", () => {
  const scrub = secretScrubber([KEY, undefined, ""]);

  it("removes the whole key and any 8-character part of it, anywhere", () => {
    expect(scrub(`key=${KEY}.`)).toBe("key=***.");
    expect(scrub(`tail ${KEY.slice(-9)} and head ${KEY.slice(0, 8)}`)).toBe("tail *** and head ***");
    expect(scrub(`${KEY.slice(5, 20)}${KEY.slice(10, 30)}`)).toBe("***");
    // Seven characters are not a part worth hiding (they would hide ordinary words).
    expect(scrub(KEY.slice(3, 10))).toBe(KEY.slice(3, 10));
  });

  it("leaves no part of any key in random text built from pieces of the keys", () => {
    const other = "ghs_0123456789abcdefghijklmnopqrstuvwxyz";
    const both = secretScrubber([KEY, other]);
    const random = seededRng(7);
    for (let trial = 0; trial < 500; trial++) {
      let text = "";
      for (let piece = 0; piece < 6; piece++) {
        const source = random() < 0.5 ? KEY : other;
        const from = Math.floor(random() * source.length);
        const to = from + Math.floor(random() * (source.length - from + 1));
        text += `${"x".repeat(Math.floor(random() * 3))}${source.slice(from, to)}`;
      }
      const out = both(text);
      expect(leaksPart(out, KEY), text).toBe(false);
      expect(leaksPart(out, other), text).toBe(false);
    }
  });

  it("hides a short placeholder key only where it appears whole, and passes text through without keys", () => {
    expect(secretScrubber(["ollama"])("ollama says hi")).toBe("*** says hi");
    expect(secretScrubber([])("nothing")).toBe("nothing");
    expect(secretScrubber(["abc"])("abc")).toBe("abc");
  });
});

describe("a provider whose error body quotes the key at the cut", () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer({
      respond: (req) => {
        const user = String(req.messages.at(-1)?.content ?? "");
        // The key straddles the 300-character cut that error messages get.
        const pad = "x".repeat(Number(user));
        return { error: { status: 400, message: `${pad}bad key ${KEY} and ${KEY.slice(4, 16)}` } };
      },
    });
  });
  afterAll(() => server.close());

  it("scrubs before it cuts, so no part of the key is left in the message", async () => {
    const provider = openAIProvider({ baseURL: server.url, apiKey: KEY, timeoutMs: 5000 });
    for (const padding of [270, 280, 285, 290, 295]) {
      const error = await provider
        .complete({
          endpoint: server.url,
          model: "m",
          messages: [{ role: "user", content: String(padding) }],
          params: {},
          sample: 0,
        })
        .then(
          () => null,
          (e: Error) => e,
        );
      expect(error?.message).toMatch(/HTTP 400/);
      expect(leaksPart(error?.message ?? "", KEY), `padding ${padding}`).toBe(false);
    }
  });

  it("cuts whole secrets of the run from answers, but leaves their ordinary 8-character runs to the grader", async () => {
    const token = "ghs_secretTokenValue123456";
    const key = "sk-secret-XYZ123";
    const echo = await startOpenAIServer({
      respond: () => `your token is ${token}; the answer is holdout-secret-answer`,
    });
    try {
      const provider = openAIProvider({ baseURL: echo.url, apiKey: key, timeoutMs: 5000, secrets: [token] });
      const answer = await provider.complete({
        endpoint: echo.url,
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        params: {},
        sample: 0,
      });
      // `-secret-` is a run of the key, and of the expected answer: cutting it would fail the case.
      expect(answer.content).toBe("your token is ***; the answer is holdout-secret-answer");
    } finally {
      await echo.close();
    }
  });
});
