import http from "node:http";
import https from "node:https";
import type { SendOutcome } from "../types.js";
import { lookupWithDockerHost } from "./docker-host.js";

/** Response bodies kept in net._http_response are cut here (a webhook reply is seldom larger). */
const MAX_CONTENT_BYTES = 1024 * 1024;

// Kept-alive connections: a busy webhook destination is one TCP connection, not one per request.
// node:http rather than fetch: fetch refuses ports on the WHATWG "bad ports" list (1, 6000...),
// which pg_net (libcurl) reaches.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

export interface OutgoingRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
  readonly timeoutMs: number;
  /** Cuts the send short when the worker stops. */
  readonly stop?: AbortSignal;
}

/**
 * Sends one request with a hard timeout covering connect, headers and body. Never throws: every
 * failure (refused, reset, timeout, a header no HTTP client may send) is an outcome with no
 * status and pg_net-like error text.
 */
export function sendRequest(request: OutgoingRequest): Promise<SendOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.stop?.removeEventListener("abort", onStop);
      resolve(outcome);
    };
    let outgoing: http.ClientRequest | null = null;
    const timer = setTimeout(() => {
      finish(failure(`Timeout of ${request.timeoutMs} ms reached`, true));
      outgoing?.destroy();
    }, request.timeoutMs);
    const onStop = () => {
      finish(failure("Stopped before a response arrived", false));
      outgoing?.destroy();
    };
    if (request.stop?.aborted) return onStop();
    request.stop?.addEventListener("abort", onStop);
    try {
      const url = new URL(request.url);
      const secure = url.protocol === "https:";
      const headers: Record<string, string> = { ...request.headers };
      if (request.body) headers["Content-Length"] = String(request.body.length);
      outgoing = (secure ? https : http).request(url, {
        method: request.method,
        headers,
        agent: secure ? httpsAgent : httpAgent,
        lookup: lookupWithDockerHost,
      });
      outgoing.on("error", (error: Error & { code?: string }) => {
        finish(failure(`Couldn't complete the request: ${error.code ?? error.message}`, false));
      });
      outgoing.on("response", (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          if (size < MAX_CONTENT_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on("error", (error: Error) =>
          finish(failure(`Couldn't read the response: ${error.message}`, false)),
        );
        response.on("end", () => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          finish({
            status: response.statusCode ?? null,
            contentType: response.headers["content-type"] ?? null,
            headers: responseHeaders,
            content: Buffer.concat(chunks).subarray(0, MAX_CONTENT_BYTES).toString("utf8"),
            timedOut: false,
            error: null,
          });
        });
      });
      outgoing.end(request.body ?? undefined);
    } catch (error) {
      // An invalid header name or value, or a URL Node cannot send to.
      finish(failure(`Couldn't send the request: ${(error as Error).message}`, false));
    }
  });
}

function failure(error: string, timedOut: boolean): SendOutcome {
  return { status: null, contentType: null, headers: null, content: null, timedOut, error };
}

/** A request's JSON headers as HTTP header values (numbers and booleans as text, nulls dropped). */
export function headerValues(headers: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === null || value === undefined) continue;
    values[name] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return values;
}
