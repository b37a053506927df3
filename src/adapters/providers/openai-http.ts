import http from "node:http";
import { urlToHttpOptions } from "node:url";
import { ProviderError } from "../../core/errors.js";
import { RetryableError, retryAfterFromHeaders } from "../../core/run/retry.js";
import { secretScrubber } from "../../core/run/secrets.js";
import { lazyHttps } from "../process/builtin.js";

export interface EndpointOptions {
  /** e.g. `https://api.openai.com/v1`; may carry a query (Azure's `?api-version=`). */
  baseURL: string;
  apiKey: string;
  timeoutMs: number;
  /** Other secrets of the run to cut out of what the endpoint says (the key itself always is). */
  secrets?: readonly string[];
}

/** Statuses that say "try again": rate limits, overload, gateway faults, request timeouts. */
const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529]);

/**
 * One POST of JSON to an OpenAI-compatible endpoint over keep-alive sockets, with the answer's
 * faults sorted into "try again" (RetryableError) and "will not work" (ProviderError). It speaks
 * the wire format directly: the `openai` package's client spends about 1 ms of CPU per request on
 * headers, logging and Response objects (measured against ~0.3 ms here), which on a two-core
 * runner decides whether a run gets near its latency-bound limit.
 */
export function openAIEndpoint(options: EndpointOptions) {
  const base = new URL(options.baseURL);
  const scrub = secretScrubber([options.apiKey, ...(options.secrets ?? [])]);
  // https (and tls under it) is loaded only for an https endpoint.
  const lib = base.protocol === "https:" ? lazyHttps() : http;
  const agent = new lib.Agent({ keepAlive: true, maxSockets: 512 });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
    authorization: `Bearer ${options.apiKey}`,
    "user-agent": "eval-gate",
  };
  // Azure OpenAI reads its key from `api-key`.
  if (base.hostname.endsWith(".azure.com")) headers["api-key"] = options.apiKey;

  // Each path's request options, worked out from its URL once rather than on every request.
  const targets = new Map<string, http.RequestOptions>();
  const targetFor = (path: string) => {
    let target = targets.get(path);
    if (!target) {
      const url = new URL(base.href);
      url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path}`;
      target = { ...urlToHttpOptions(url), method: "POST", agent };
      targets.set(path, target);
    }
    return target;
  };

  return async function post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const data = JSON.stringify(body);
    const { status, text, retryAfter } = await send(targetFor(path), data, signal);
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new RetryableError(`malformed response (${firstLine(scrub((e as Error).message))})`);
      }
    }
    // Scrubbed before it is cut: a key quoted across the cut would otherwise survive in part.
    const message = `HTTP ${status}: ${firstLine(scrub(errorMessage(text)))}`;
    if (RETRYABLE.has(status)) throw new RetryableError(message, retryAfter, { rateLimited: status === 429 });
    throw new ProviderError(message, status);
  };

  function send(target: http.RequestOptions, data: string, signal?: AbortSignal) {
    return new Promise<{ status: number; text: string; retryAfter?: number }>((resolve, reject) => {
      if (signal?.aborted) return reject(aborted());
      const req = lib.request(
        { ...target, headers: { ...headers, "content-length": String(Buffer.byteLength(data)) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (e) => reject(connectionError(e)));
          res.on("end", () => {
            if (!res.complete)
              return reject(new RetryableError("connection failed (closed before the answer ended)"));
            const status = res.statusCode ?? 0;
            const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString(
              "utf8",
            );
            // Only a fault's headers are read: building `res.headers` would cost every answer.
            if (status >= 200 && status < 300) return resolve({ status, text });
            const retryAfter = retryAfterFromHeaders((n) => {
              const v = res.headers[n];
              return Array.isArray(v) ? v[0] : v;
            });
            resolve({ status, text, ...(retryAfter !== undefined ? { retryAfter } : {}) });
          });
        },
      );
      const timer = setTimeout(() => req.destroy(new RetryableError("request timed out")), options.timeoutMs);
      const onAbort = () => req.destroy(aborted());
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("close", () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      });
      req.on("error", (e) =>
        reject(e instanceof RetryableError || e.name === "AbortError" ? e : connectionError(e)),
      );
      req.end(data);
    });
  }
}

function connectionError(e: Error): RetryableError {
  return new RetryableError(`connection failed (${e.message})`, undefined, { cause: e });
}

function aborted(): Error {
  const e = new Error("the run was stopped");
  e.name = "AbortError";
  return e;
}

/** The `error.message` of an OpenAI-style error body, or the body's first line. */
function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof m === "string" && m !== "") return m;
  } catch {}
  return text.trim() || "no message";
}

function firstLine(s: string): string {
  return s.split("\n")[0]?.slice(0, 300) ?? "";
}
