import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { ProviderError } from "../core/errors.js";
import type { ModelProvider } from "../core/ports.js";
import { RetryableError, retryAfterFromHeaders } from "../core/retry.js";
import type { ChatRequest, ModelResponse, ToolCall } from "../core/types.js";
import { keepAliveFetch } from "./http-fetch.js";

export interface OpenAIProviderOptions {
  baseURL: string;
  apiKey: string;
  timeoutMs: number;
}

/** Statuses that say "try again": rate limits, overload, gateway faults, request timeouts. */
const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529]);

/** One attempt at a chat completion against any OpenAI-compatible endpoint; the runner retries. */
export function openAIProvider(options: OpenAIProviderOptions): ModelProvider {
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey,
    timeout: options.timeoutMs,
    maxRetries: 0,
    fetch: keepAliveFetch(),
  });
  // An endpoint may quote the key back (in an error, or even an answer): it is cut out here, before
  // any text reaches the cache, the report, the summary or the comment.
  const scrub = (text: string) =>
    options.apiKey.length >= 4 ? text.split(options.apiKey).join("***") : text;
  return {
    async complete(request, opts) {
      let completion: unknown;
      try {
        completion = await send(client, request, opts?.signal);
      } catch (e) {
        if (e instanceof Error) e.message = scrub(e.message);
        throw e;
      }
      const response = parseResponse(completion);
      return JSON.parse(scrub(JSON.stringify(response))) as ModelResponse;
    },
  };
}

async function send(client: OpenAI, request: ChatRequest, signal?: AbortSignal) {
  const body = {
    ...request.params,
    model: request.model,
    messages: request.messages,
    ...(request.tools && request.tools.length > 0 ? { tools: request.tools } : {}),
    stream: false,
  } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
  try {
    return await client.chat.completions.create(body, signal ? { signal } : undefined);
  } catch (e) {
    throw classify(e);
  }
}

function classify(e: unknown): Error {
  if (e instanceof APIConnectionTimeoutError)
    return new RetryableError("request timed out", undefined, { cause: e });
  if (e instanceof APIConnectionError) {
    const why = e.cause instanceof Error ? e.cause.message : e.message;
    return new RetryableError(`connection failed (${why})`, undefined, { cause: e });
  }
  if (e instanceof APIError) {
    const status = e.status;
    const message = `HTTP ${status ?? "?"}: ${firstLine(e.message)}`;
    if (status === undefined || RETRYABLE.has(status)) {
      return new RetryableError(
        message,
        retryAfterFromHeaders((n) => e.headers?.get(n)),
        { cause: e, rateLimited: status === 429 },
      );
    }
    return new ProviderError(message, status, { cause: e });
  }
  // A body that is not JSON, or a socket closed mid-answer, surfaces as a plain error.
  const why = e instanceof Error ? e.message : String(e);
  return new RetryableError(`malformed response (${firstLine(why)})`, undefined, { cause: e });
}

function parseResponse(completion: unknown): ModelResponse {
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
    finish_reason: choice.finish_reason ?? undefined,
    usage: c?.usage
      ? { prompt_tokens: c.usage.prompt_tokens ?? 0, completion_tokens: c.usage.completion_tokens ?? 0 }
      : undefined,
  };
}

function firstLine(s: string): string {
  return s.split("\n")[0]?.slice(0, 300) ?? "";
}
