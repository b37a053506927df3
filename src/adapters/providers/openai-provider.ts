import type OpenAI from "openai";
import type { ModelProvider } from "../../core/ports.js";
import { RetryableError } from "../../core/run/retry.js";
import { type Scrubber, secretScrubber } from "../../core/run/secrets.js";
import type { ModelResponse, ToolCall } from "../../core/types.js";
import { openAIEndpoint } from "./openai-http.js";

export interface OpenAIProviderOptions {
  baseURL: string;
  apiKey: string;
  timeoutMs: number;
  /** Other secrets of the run to cut out of answers and errors (the key itself always is). */
  secrets?: readonly string[];
}

/** One attempt at a chat completion against any OpenAI-compatible endpoint; the runner retries. */
export function openAIProvider(options: OpenAIProviderOptions): ModelProvider {
  const post = openAIEndpoint(options);
  // An endpoint may quote the key back (in an error, or even an answer): it is cut out here, before
  // any text reaches the cache, the report, the summary or the comment.
  const secrets = [options.apiKey, ...(options.secrets ?? [])];
  const scrub = secretScrubber(secrets);
  const scrubAnswer = secretScrubber(secrets, { parts: false });
  return {
    async complete(request, opts) {
      const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = {
        ...(request.params as Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming>),
        model: request.model,
        messages: request.messages as OpenAI.Chat.ChatCompletionMessageParam[],
        ...(request.tools && request.tools.length > 0
          ? { tools: request.tools as OpenAI.Chat.ChatCompletionTool[] }
          : {}),
        stream: false,
      };
      let completion: unknown;
      try {
        completion = await post("chat/completions", body, opts?.signal);
      } catch (e) {
        if (e instanceof Error) e.message = scrub(e.message);
        throw e;
      }
      return scrubResponse(parseCompletion(completion), scrubAnswer);
    },
  };
}

/** The answer with every part of a secret cut from its text and its tool calls' arguments. */
export function scrubResponse(response: ModelResponse, scrub: Scrubber): ModelResponse {
  const content = scrub(response.content);
  let changed = content !== response.content;
  const toolCalls = response.tool_calls?.map((call) => {
    const name = scrub(call.function.name);
    const args = scrub(call.function.arguments);
    if (name === call.function.name && args === call.function.arguments) return call;
    changed = true;
    return { ...call, function: { name, arguments: args } };
  });
  if (!changed) return response;
  return { ...response, content, ...(toolCalls ? { tool_calls: toolCalls } : {}) };
}

export function parseCompletion(completion: unknown): ModelResponse {
  const c = completion as Partial<OpenAI.Chat.ChatCompletion> | null;
  const choice = c?.choices?.[0];
  if (!choice?.message) throw new RetryableError("malformed response (no choices)");
  const toolCalls = (choice.message.tool_calls ?? [])
    .filter((t) => t.type === "function")
    .map((t): ToolCall => ({ id: t.id, type: "function", function: { ...t.function } }));
  if (typeof choice.message.content !== "string" && toolCalls.length === 0 && !choice.message.refusal) {
    throw new RetryableError("malformed response (no content and no tool calls)");
  }
  return {
    content: choice.message.content ?? choice.message.refusal ?? "",
    ...(choice.message.refusal || choice.finish_reason === "content_filter" ? { refusal: true } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(choice.finish_reason ? { finish_reason: choice.finish_reason } : {}),
    ...(c?.usage
      ? {
          usage: {
            prompt_tokens: c.usage.prompt_tokens ?? 0,
            completion_tokens: c.usage.completion_tokens ?? 0,
          },
        }
      : {}),
  };
}
