import { ProviderError, UserError } from "../../core/errors.js";
import type { ModelProvider } from "../../core/ports.js";
import { sha256Hex } from "../../core/text/digest.js";
import type { ChatMessage, ChatRequest, ModelResponse } from "../../core/types.js";

/**
 * Serves recorded responses from a JSONL file instead of calling a model, so the example and
 * offline demos run with no API key and no network. A line matches a request by the digest of its
 * system prompt, the last user message and, optionally, the sample index:
 *   {"prompt_sha": "<first 16 hex of sha256(system prompt)>", "input": "...", "sample": 0, "output": "..."}
 */
export function replayProvider(text: string, file: string): ModelProvider {
  const table = new Map<string, string>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("//")) return;
    let row: { prompt_sha?: unknown; input?: unknown; sample?: unknown; output?: unknown };
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new UserError(`not valid JSON (${(e as Error).message})`, { file, line: i + 1 });
    }
    if (
      typeof row.prompt_sha !== "string" ||
      typeof row.input !== "string" ||
      typeof row.output !== "string"
    ) {
      throw new UserError("a recording needs string fields `prompt_sha`, `input` and `output`", {
        file,
        line: i + 1,
      });
    }
    const sample = typeof row.sample === "number" ? row.sample : undefined;
    table.set(replayKey(row.prompt_sha, row.input, sample), row.output);
  });
  return {
    async complete(request: ChatRequest): Promise<ModelResponse> {
      const sha = promptSha(systemText(request.messages));
      const input = lastUser(request.messages);
      const output = table.get(replayKey(sha, input, request.sample)) ?? table.get(replayKey(sha, input));
      if (output === undefined) {
        throw new ProviderError(
          `no recording in ${file} for prompt_sha ${sha} and input ${JSON.stringify(input)}`,
        );
      }
      return { content: output, finish_reason: "stop" };
    },
  };
}

export function promptSha(system: string): string {
  return sha256Hex(system).slice(0, 16);
}

function replayKey(sha: string, input: string, sample?: number): string {
  return JSON.stringify([sha, input, sample ?? null]);
}

function systemText(messages: ChatMessage[]): string {
  return messages.find((m) => m.role === "system")?.content ?? "";
}

function lastUser(messages: ChatMessage[]): string {
  return [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
}
