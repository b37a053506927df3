/**
 * A noisy fake model for the OpenAI test server: it answers a case right with that case's
 * probability on that side, drawn afresh for every request but from a generator seeded by the
 * request itself (world, side, case, sample), so the same requests get the same answers on every
 * run of a test or benchmark. No vitest imports: also bundled by bench/stats/e2e.mjs.
 *
 * A repository picks its world and side in the system prompt (`systemPrompt`), so a PR that only
 * changes the prompt moves its head side to other pass rates. The case is named by the user
 * message (`caseInput`) and passes the `contains` grader when the answer holds `expectedOf(id)`.
 */
import { messageText, type RespondRequest } from "./openai-server.js";
import { hash32, seededRng } from "./prng.js";

export type ModelSide = "base" | "head";

/** A world: each case's chance of a right answer per request, on each side (and sample, if it cares). */
export type World = (caseId: string, side: ModelSide, sample: number) => number;

const SYSTEM = /\[world ([\w-]+) \/ (base|head)\]/;
const QUESTION = /^Question ([\w-]+)$/;

export function systemPrompt(world: string, side: ModelSide): string {
  return `You answer questions. [world ${world} / ${side}]\n`;
}

export function caseInput(id: string): string {
  return `Question ${id}`;
}

export function expectedOf(id: string): string {
  return `answer-${id}`;
}

/**
 * The `respond` of startOpenAIServer. `sampleIndexHint` counts identical requests, so it is the
 * sample index as long as a case's sample k is asked after its sample k - 1 was answered, as the
 * runner does under `repeats: auto`. An unknown world or question is answered wrong.
 */
export function noisyModel(worlds: Map<string, World>): (req: RespondRequest) => string {
  return (req) => {
    const system = messageText(req.messages.find((m) => m.role === "system")?.content ?? "");
    const user = messageText([...req.messages].reverse().find((m) => m.role === "user")?.content ?? "");
    const where = SYSTEM.exec(system);
    const id = QUESTION.exec(user)?.[1];
    const world = where ? worlds.get(where[1] as string) : undefined;
    if (!where || !id || !world) return "I do not know.";
    const side = where[2] as ModelSide;
    const draw = seededRng(hash32(`${where[1]}/${side}/${id}/${req.sampleIndexHint}`))();
    return draw < world(id, side, req.sampleIndexHint) ? `The ${expectedOf(id)}.` : "I do not know.";
  };
}

/** The world and side of a request the server logged, to count requests per PR and side. */
export function worldOf(body: unknown): { world: string; side: ModelSide; id: string } | null {
  const messages = (body as { messages?: { role: string; content: unknown }[] } | null)?.messages ?? [];
  const where = SYSTEM.exec(messageText(messages.find((m) => m.role === "system")?.content ?? ""));
  const id = QUESTION.exec(messageText(messages.at(-1)?.content ?? ""))?.[1];
  return where && id ? { world: where[1] as string, side: where[2] as ModelSide, id } : null;
}
