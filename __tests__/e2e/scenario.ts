// A small support-bot world shared by the end-to-end tests: a fake model whose skills are the
// topics its system prompt lists, and an eval set of three slices that exercises them.
import { messageText, type RespondRequest } from "../support/openai-server.js";

export const TOPICS = { refund: "refund", address_change: "address", order_status: "tracking" } as const;

/** Answers a case right only when the system prompt names the case's topic as a skill. */
export function supportModel(req: RespondRequest): string {
  const system = messageText(req.messages.find((m) => m.role === "system")?.content ?? "");
  const user = messageText([...req.messages].reverse().find((m) => m.role === "user")?.content ?? "");
  const topic = Object.values(TOPICS).find((t) => user.includes(`(${t})`));
  if (topic && system.includes(`skill: ${topic}`)) return `Done: I handled your ${topic} request.`;
  return "Sorry, I cannot help with that.";
}

export function casesJsonl(prefix: string, perSlice: number): string {
  const lines: string[] = [];
  for (const [slice, topic] of Object.entries(TOPICS)) {
    for (let i = 1; i <= perSlice; i++) {
      lines.push(
        JSON.stringify({
          id: `${prefix}-${slice}-${i}`,
          slice,
          input: `Ticket ${i} (${topic})`,
          expected: topic,
        }),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

export const ALL_SKILLS = "You are a support bot.\nskill: refund\nskill: address\nskill: tracking\n";
export const NO_ADDRESS = "You are a support bot.\nskill: refund\nskill: tracking\n";
export const REWORDED =
  "You are a helpful support bot for our shop.\nskill: refund\nskill: address\nskill: tracking\n";

export function configYaml(extra = ""): string {
  return [
    "version: 1",
    "target:",
    "  model: support-model",
    "  system: prompts/support.md",
    "  params: { temperature: 0 }",
    "sets:",
    "  anchor: evals/anchor.jsonl",
    "  rotation: evals/rotation.jsonl",
    "concurrency: 4",
    "graders:",
    '  - { type: contains, value: "{{expected}}" }',
    "gate:",
    "  min_slice_n: 10",
    "requests: { timeout_ms: 5000, attempts: 3 }",
    extra,
  ].join("\n");
}

export function baseFiles(system = ALL_SKILLS): Record<string, string> {
  return {
    "eval-gate.yml": configYaml(),
    "prompts/support.md": system,
    "evals/anchor.jsonl": casesJsonl("a", 15),
    "evals/rotation.jsonl": casesJsonl("r", 10),
  };
}
