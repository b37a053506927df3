/**
 * A local OpenAI-compatible server for tests and benchmarks (127.0.0.1 only).
 *
 * Speaks the wire format the official `openai` npm package (v6) sends and parses:
 * `POST /v1/chat/completions` (incl. `n` and a minimal `stream: true`), `POST /v1/embeddings`
 * (float or base64 encoding — the client asks for base64 by default), `GET /v1/models[/:id]`.
 *
 * Behaviour is programmable (`respond`, `embed`) and faults are injectable at runtime with
 * `setFaults` using a seeded PRNG, so a given configuration always produces the same sequence.
 * No vitest imports: usable from plain node scripts.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { hash32, type Rng, readBody, seededRng, sleep, tryParseJson } from "./prng.js";

/** A chat message as received (content may be a string or an array of content parts). */
export interface ChatMessageIn {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: unknown;
  tool_call_id?: string;
  [key: string]: unknown;
}

/** What `respond` receives for each chat completion choice. */
export interface RespondRequest {
  model: string;
  messages: ChatMessageIn[];
  tools: unknown[] | undefined;
  /** The whole parsed request body (temperature, seed, response_format, ...). */
  body: Record<string, unknown>;
  /**
   * How many earlier choices this server produced for an identical (model, messages, tools)
   * request since start/reset — 0 for the first, 1 for the second, ... (counts each of `n`).
   * Lets a fake model give different answers to repeated samples of the same item.
   */
  sampleIndexHint: number;
}

export interface ToolCallOut {
  name: string;
  /** An object (JSON-encoded on the wire) or an already-encoded string. */
  arguments: unknown;
  id?: string;
}

export type RespondResult =
  | string
  | {
      content?: string | null;
      tool_calls?: ToolCallOut[];
      /** Defaults to "tool_calls" when tool calls are present, else "stop". */
      finish_reason?: "stop" | "length" | "tool_calls" | "content_filter";
      /** Answer this request with an OpenAI-style error instead (e.g. 400 context length). */
      error?: { status: number; message: string; type?: string; code?: string };
    };

export type RespondFn = (req: RespondRequest) => RespondResult | Promise<RespondResult>;

export type EmbedFn = (text: string, info: { model: string; dimensions: number | undefined }) => number[];

export interface OpenAIFaults {
  /** Delay before answering: fixed ms, or uniform in [min, max] (seeded). */
  latencyMs?: number | { min: number; max: number };
  /** Probability of a 500 answer. */
  rate500?: number;
  /** Probability of a 429 answer (headers from `retryAfter`). */
  rate429?: number;
  /** Probability the connection is destroyed without any answer. */
  rateDrop?: number;
  /**
   * Sent with random 429s. A number is seconds (`retry-after`); an object picks any of
   * `retry-after` (seconds), `retry-after-ms`, and OpenAI's `x-ratelimit-reset-requests` (as
   * written, e.g. "1.5s", with `x-ratelimit-remaining-requests: 0`). Unset: no retry headers.
   */
  retryAfter?: number | { seconds?: number; ms?: number; resetRequests?: string };
  /** Every request fails: true or "503" answers 503; "destroy" destroys the connection. */
  down?: boolean | "503" | "destroy";
  /** Never answer; the socket stays open until the client gives up (or `close()`). */
  hang?: boolean;
  /** 200 with a broken body: true or "invalid-json" (truncated JSON), or "empty-choices" (`choices: []`, `data: []`). */
  malformed?: boolean | "invalid-json" | "empty-choices";
  /** Answer 429 (with `retry-after-ms` and `retry-after`) beyond R admitted requests in any sliding 1 s window. */
  requestsPerSecond?: number;
  /** Seed for the fault PRNG; defaults to the server's `seed` option. */
  seed?: number;
  /**
   * Only requests whose body names one of these models meet the faults; the rest are answered
   * normally. Lets a judge (or an embedding model) fail while the target it grades keeps answering.
   */
  models?: string[];
}

export interface OpenAIServerOptions {
  /** 0 (default) picks a random free port. */
  port?: number;
  respond?: RespondFn;
  embed?: EmbedFn;
  faults?: OpenAIFaults;
  /** Seed for fault injection and latency jitter (default 1). */
  seed?: number;
  /** Ids listed by `GET /v1/models`. */
  models?: string[];
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The parsed JSON body (undefined when empty or not JSON). */
  body: unknown;
  authorization: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** ms since epoch when the request arrived. */
  at: number;
  /** Final outcome: an HTTP status, "dropped", or "hung" (set once known). */
  outcome?: number | "dropped" | "hung";
}

export interface OpenAIServerStats {
  /** Requests received (every outcome). */
  total: number;
  /** Count of answers per HTTP status code. */
  byStatus: Record<number, number>;
  /** Connections destroyed on purpose (rateDrop, down: "destroy"). */
  dropped: number;
  /** Requests left unanswered by `hang`. */
  hung: number;
  /** Requests currently being processed (arrived, connection not yet finished/closed). */
  inFlight: number;
  /** The most requests ever in flight at once since start/reset. */
  maxInFlight: number;
  /** A copy of the request log. */
  requests: RecordedRequest[];
}

export interface OpenAIServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:54321/v1` — use as OPENAI_BASE_URL. */
  url: string;
  port: number;
  /** Replaces the whole fault configuration (`setFaults({})` clears all faults) and reseeds the PRNG. */
  setFaults(faults: OpenAIFaults): void;
  stats(): OpenAIServerStats;
  /** A copy of the request log. */
  requests(): RecordedRequest[];
  /** Empties the request log only. */
  clearRequests(): void;
  /** Back to the initial state: faults from options, zeroed stats and log, sample counters, PRNG. */
  reset(): void;
  /** Swap the response function at runtime (undefined restores the echo default). */
  setRespond(respond: RespondFn | undefined): void;
  /** Stops listening and destroys every open socket (hung ones included). */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"];

/** Text of a message's content: a string, or the concatenated `text` parts of a content array. */
export function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        part && typeof part === "object" && typeof (part as { text?: unknown }).text === "string"
          ? (part as { text: string }).text
          : "",
      )
      .join("");
  }
  return "";
}

/** Default `respond`: echoes the last user message. */
export function echoLastUser(req: RespondRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m && m.role === "user") return messageText(m.content);
  }
  return "";
}

/**
 * Default `embed`: a hashed bag-of-words vector (lower-cased alphanumeric words, FNV-1a bucketed),
 * L2-normalized; 64 dims unless `dimensions` is given. Deterministic; texts sharing words are
 * similar. An empty text maps to the first unit vector.
 */
export function hashedBagOfWords(text: string, dims = 64): number[] {
  const v = new Array<number>(dims).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const w of words) v[hash32(w) % dims] = (v[hash32(w) % dims] ?? 0) + 1;
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  if (norm === 0) {
    v[0] = 1;
    return v;
  }
  return v.map((x) => x / norm);
}

/** A rough, deterministic token count (≈ 4 characters per token, at least 1 per non-empty text). */
export function approxTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

function float32Base64(values: number[]): string {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((x, i) => {
    buf.writeFloatLE(x, i * 4);
  });
  return buf.toString("base64");
}

function modelOf(body: unknown): string {
  const model = (body as { model?: unknown } | null)?.model;
  return typeof model === "string" ? model : "";
}

function errorBody(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

/** Starts the server on 127.0.0.1. Works outside vitest (benchmarks, demos). */
export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const baseSeed = options.seed ?? 1;
  let respond: RespondFn = options.respond ?? echoLastUser;
  const embed: EmbedFn = options.embed ?? ((text, info) => hashedBagOfWords(text, info.dimensions ?? 64));
  const models = options.models ?? DEFAULT_MODELS;

  let faults: OpenAIFaults = { ...(options.faults ?? {}) };
  let faultRng: Rng = seededRng(faults.seed ?? baseSeed);
  let latencyRng: Rng = seededRng((faults.seed ?? baseSeed) + 7919);
  let windowStarts: number[] = [];
  let sampleCounts = new Map<string, number>();

  let total = 0;
  let byStatus: Record<number, number> = {};
  let dropped = 0;
  let hung = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let log: RecordedRequest[] = [];
  let idCounter = 0;

  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  function applyFaults(f: OpenAIFaults): void {
    faults = { ...f };
    faultRng = seededRng(faults.seed ?? baseSeed);
    latencyRng = seededRng((faults.seed ?? baseSeed) + 7919);
    windowStarts = [];
  }

  function send(
    res: ServerResponse,
    rec: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.destroyed || res.writableEnded) return;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    rec.outcome = status;
    res.writeHead(status, {
      "content-type": "application/json",
      "x-request-id": `req_${randomUUID().replace(/-/g, "")}`,
      ...headers,
    });
    res.end(text);
  }

  function drop(res: ServerResponse, rec: RecordedRequest): void {
    dropped++;
    rec.outcome = "dropped";
    res.socket?.destroy();
  }

  function retryHeaders(spec: OpenAIFaults["retryAfter"]): Record<string, string> {
    if (spec === undefined) return {};
    if (typeof spec === "number") return { "retry-after": String(spec) };
    const h: Record<string, string> = {};
    if (spec.seconds !== undefined) h["retry-after"] = String(spec.seconds);
    if (spec.ms !== undefined) h["retry-after-ms"] = String(spec.ms);
    if (spec.resetRequests !== undefined) {
      h["x-ratelimit-remaining-requests"] = "0";
      h["x-ratelimit-reset-requests"] = spec.resetRequests;
    }
    return h;
  }

  function nextId(prefix: string): string {
    idCounter++;
    return `${prefix}-${idCounter.toString(36).padStart(6, "0")}${hash32(String(idCounter)).toString(36)}`;
  }

  async function chatCompletions(
    res: ServerResponse,
    rec: RecordedRequest,
    body: Record<string, unknown>,
    malformed: OpenAIFaults["malformed"],
  ): Promise<void> {
    const model = typeof body.model === "string" ? body.model : "";
    const messages = Array.isArray(body.messages) ? (body.messages as ChatMessageIn[]) : undefined;
    if (!model || !messages) {
      send(res, rec, 400, errorBody("'model' and 'messages' are required", "invalid_request_error"));
      return;
    }
    const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : undefined;
    const n = typeof body.n === "number" && body.n >= 1 ? Math.floor(body.n) : 1;
    const key = JSON.stringify([model, messages, tools ?? null]);

    const id = nextId("chatcmpl");
    const created = Math.floor(Date.now() / 1000);
    if (malformed) {
      if (malformed === "empty-choices") {
        send(res, rec, 200, { id, object: "chat.completion", created, model, choices: [], usage: null });
      } else {
        send(res, rec, 200, `{"id":"${id}","object":"chat.completion","choices":[{"index":0,"mess`);
      }
      return;
    }

    const choices: unknown[] = [];
    let completionTokens = 0;
    for (let i = 0; i < n; i++) {
      const sampleIndexHint = sampleCounts.get(key) ?? 0;
      sampleCounts.set(key, sampleIndexHint + 1);
      let result: RespondResult;
      try {
        result = await respond({ model, messages, tools, body, sampleIndexHint });
      } catch (err) {
        send(res, rec, 500, errorBody(`respond() threw: ${String(err)}`, "server_error"));
        return;
      }
      const r = typeof result === "string" ? { content: result } : result;
      if (r.error) {
        send(
          res,
          rec,
          r.error.status,
          errorBody(r.error.message, r.error.type ?? "invalid_request_error", r.error.code ?? null),
        );
        return;
      }
      const toolCalls = (r.tool_calls ?? []).map((tc, j) => ({
        id: tc.id ?? `call_${hash32(`${id}:${i}:${j}`).toString(36)}${j}`,
        type: "function" as const,
        function: {
          name: tc.name,
          arguments: typeof tc.arguments === "string" ? tc.arguments : JSON.stringify(tc.arguments ?? {}),
        },
      }));
      const content = r.content ?? (toolCalls.length > 0 ? null : "");
      completionTokens +=
        approxTokens(content ?? "") + toolCalls.reduce((s, t) => s + approxTokens(t.function.arguments), 0);
      const message: Record<string, unknown> = { role: "assistant", content, refusal: null, annotations: [] };
      if (toolCalls.length > 0) message.tool_calls = toolCalls;
      choices.push({
        index: i,
        message,
        logprobs: null,
        finish_reason: r.finish_reason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
      });
    }
    const promptTokens = messages.reduce((s, m) => s + approxTokens(messageText(m.content)) + 3, 0);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };

    if (body.stream === true) {
      streamCompletion(res, rec, { id, created, model, choices, usage }, body);
      return;
    }
    send(res, rec, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices,
      usage,
      system_fingerprint: "fp_eval_gate_test",
      service_tier: "default",
    });
  }

  function streamCompletion(
    res: ServerResponse,
    rec: RecordedRequest,
    c: { id: string; created: number; model: string; choices: unknown[]; usage: Record<string, number> },
    body: Record<string, unknown>,
  ): void {
    if (res.destroyed) return;
    byStatus[200] = (byStatus[200] ?? 0) + 1;
    rec.outcome = 200;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const chunk = (choices: unknown[], usage: unknown = null) =>
      `data: ${JSON.stringify({ id: c.id, object: "chat.completion.chunk", created: c.created, model: c.model, choices, usage })}\n\n`;
    for (const raw of c.choices) {
      const ch = raw as { index: number; message: Record<string, unknown>; finish_reason: string };
      const delta: Record<string, unknown> = { role: "assistant", content: ch.message.content };
      if (Array.isArray(ch.message.tool_calls)) {
        delta.tool_calls = (ch.message.tool_calls as unknown[]).map((t, index) => ({
          index,
          ...(t as object),
        }));
      }
      res.write(chunk([{ index: ch.index, delta, logprobs: null, finish_reason: null }]));
      res.write(chunk([{ index: ch.index, delta: {}, logprobs: null, finish_reason: ch.finish_reason }]));
    }
    const so = body.stream_options as { include_usage?: boolean } | undefined;
    if (so?.include_usage) res.write(chunk([], c.usage));
    res.end("data: [DONE]\n\n");
  }

  function embeddings(
    res: ServerResponse,
    rec: RecordedRequest,
    body: Record<string, unknown>,
    malformed: OpenAIFaults["malformed"],
  ): void {
    const model = typeof body.model === "string" ? body.model : "";
    const input = body.input;
    const inputs: unknown[] | undefined =
      typeof input === "string"
        ? [input]
        : Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === "number")
          ? [input]
          : Array.isArray(input)
            ? input
            : undefined;
    if (!model || !inputs || inputs.length === 0) {
      send(res, rec, 400, errorBody("'model' and a non-empty 'input' are required", "invalid_request_error"));
      return;
    }
    if (malformed) {
      if (malformed === "empty-choices") {
        send(res, rec, 200, {
          object: "list",
          data: [],
          model,
          usage: { prompt_tokens: 0, total_tokens: 0 },
        });
      } else {
        send(res, rec, 200, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,`);
      }
      return;
    }
    const dimensions = typeof body.dimensions === "number" ? body.dimensions : undefined;
    const base64 = body.encoding_format === "base64";
    let tokens = 0;
    const data = inputs.map((item, index) => {
      const text = typeof item === "string" ? item : JSON.stringify(item);
      tokens += approxTokens(text);
      const vector = embed(text, { model, dimensions });
      return { object: "embedding", index, embedding: base64 ? float32Base64(vector) : vector };
    });
    send(res, rec, 200, {
      object: "list",
      data,
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    total++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let counted = true;
    res.on("close", () => {
      if (counted) {
        counted = false;
        inFlight--;
      }
    });

    const raw = await readBody(req).catch(() => "");
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const parsed = tryParseJson(raw);
    const rec: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      body: parsed,
      authorization: req.headers.authorization,
      headers: { ...req.headers },
      at: Date.now(),
    };
    log.push(rec);

    // Snapshot the fault configuration at arrival so runtime changes affect later requests only.
    const f = faults.models && !faults.models.includes(modelOf(parsed)) ? {} : faults;

    if (f.down) {
      if (f.down === "destroy") drop(res, rec);
      else send(res, rec, 503, errorBody("The server is temporarily unavailable.", "server_error"));
      return;
    }
    if (f.hang) {
      hung++;
      rec.outcome = "hung";
      return; // never answer; close() or the client tears the socket down
    }
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      send(
        res,
        rec,
        401,
        errorBody("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
      );
      return;
    }
    if (f.requestsPerSecond !== undefined) {
      const now = Date.now();
      windowStarts = windowStarts.filter((t) => t > now - 1000);
      if (windowStarts.length >= f.requestsPerSecond) {
        const oldest = windowStarts[0] ?? now;
        const waitMs = Math.max(1, oldest + 1000 - now);
        send(
          res,
          rec,
          429,
          errorBody(
            `Rate limit reached: ${f.requestsPerSecond} requests per second. Please try again in ${waitMs}ms.`,
            "requests",
            "rate_limit_exceeded",
          ),
          { "retry-after-ms": String(waitMs), "retry-after": String(Math.ceil(waitMs / 1000)) },
        );
        return;
      }
      windowStarts.push(now);
    }

    // Draw at arrival (arrival order = PRNG order), act after the latency.
    const roll = faultRng();
    let latency = 0;
    if (typeof f.latencyMs === "number") latency = f.latencyMs;
    else if (f.latencyMs) latency = f.latencyMs.min + latencyRng() * (f.latencyMs.max - f.latencyMs.min);
    if (latency > 0) {
      await sleep(Math.round(latency), timers);
      if (res.destroyed || closing) return;
    }

    const pDrop = f.rateDrop ?? 0;
    const p500 = f.rate500 ?? 0;
    const p429 = f.rate429 ?? 0;
    if (roll < pDrop) {
      drop(res, rec);
      return;
    }
    if (roll < pDrop + p500) {
      send(
        res,
        rec,
        500,
        errorBody("The server had an error while processing your request.", "server_error"),
      );
      return;
    }
    if (roll < pDrop + p500 + p429) {
      send(
        res,
        rec,
        429,
        errorBody("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
        retryHeaders(f.retryAfter),
      );
      return;
    }

    const malformed = f.malformed === true ? "invalid-json" : f.malformed;
    const method = req.method ?? "GET";
    if (method === "POST" && (path === "/v1/chat/completions" || path === "/v1/embeddings")) {
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
        send(
          res,
          rec,
          400,
          errorBody("We could not parse the JSON body of your request.", "invalid_request_error"),
        );
        return;
      }
      const body = parsed as Record<string, unknown>;
      if (path === "/v1/chat/completions") await chatCompletions(res, rec, body, malformed);
      else embeddings(res, rec, body, malformed);
      return;
    }
    if (method === "GET" && path === "/v1/models") {
      if (malformed) {
        send(res, rec, 200, '{"object":"list","data":[');
        return;
      }
      send(res, rec, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 1700000000, owned_by: "eval-gate-test" })),
      });
      return;
    }
    const modelMatch = /^\/v1\/models\/(.+)$/.exec(path);
    if (method === "GET" && modelMatch) {
      const id = decodeURIComponent(modelMatch[1] ?? "");
      if (!models.includes(id)) {
        send(
          res,
          rec,
          404,
          errorBody(`The model '${id}' does not exist`, "invalid_request_error", "model_not_found"),
        );
      } else {
        send(res, rec, 200, { id, object: "model", created: 1700000000, owned_by: "eval-gate-test" });
      }
      return;
    }
    send(
      res,
      rec,
      404,
      errorBody(`Unknown request URL: ${method} ${path}.`, "invalid_request_error", "unknown_url"),
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify(errorBody(`test server error: ${String(err)}`, "server_error")));
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    setFaults: applyFaults,
    stats: () => ({
      total,
      byStatus: { ...byStatus },
      dropped,
      hung,
      inFlight,
      maxInFlight,
      requests: log.map((r) => ({ ...r })),
    }),
    requests: () => log.map((r) => ({ ...r })),
    clearRequests: () => {
      log = [];
    },
    reset: () => {
      applyFaults(options.faults ?? {});
      sampleCounts = new Map();
      total = 0;
      byStatus = {};
      dropped = 0;
      hung = 0;
      maxInFlight = inFlight;
      log = [];
    },
    setRespond: (fn) => {
      respond = fn ?? echoLastUser;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}
