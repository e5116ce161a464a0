import type { IncomingHttpHeaders } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Dispatcher } from "undici";
import { RELAY_ERRORS, type RelayError } from "./errors.js";
import type { FunctionWorker } from "./worker.js";

/**
 * Headers about one hop of the connection, never forwarded (RFC 9110 §7.6.1), and `Expect`, which
 * the server has already answered with its 100 Continue.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "expect",
]);

/** Response headers the server's CORS plugin sets; a function's CORS is its own (as on Supabase). */
const SERVER_CORS_HEADERS = new Set(["access-control-allow-origin", "access-control-expose-headers", "vary"]);

/**
 * The headers that carry the request id and the client's address to the worker's bootstrap,
 * which removes them before the function sees the request (runtime/bootstrap.js spells the same
 * names). A client's own headers of these names are dropped.
 */
export const REQUEST_ID_HEADER = "x-groundwork-request-id";
export const CLIENT_HEADER = "x-groundwork-client";

export interface RelayOptions {
  /** The path the function sees: `/<name>/<rest>?<query>`. */
  readonly path: string;
  readonly bodyLimit: number;
  readonly wallClockMs: number;
  /** Told of each error answer of the relay's own (by its code). */
  readonly onRelayError: (code: string) => void;
  /** Called when the wall-clock or CPU time limit passes: the worker is stopped. */
  readonly onLimit: (worker: FunctionWorker, limit: "wall-clock" | "CPU time") => void;
}

/**
 * Sends one request to a worker and its response back, both streamed: the method, headers
 * (Authorization included, unchanged), query and body go as the client sent them, and the
 * function's status, headers and body come back untouched. Limits end the call with Supabase's
 * relay answers: 413 past the body limit, 546 past the wall clock or the CPU time, 500 when the
 * worker dies.
 *
 * The response is written straight to the client's socket as the worker's chunks arrive (undici's
 * dispatch API, with backpressure both ways), without a stream in between: on a small function
 * the relay's own work is a large part of each call's cost.
 */
export function relay(
  request: FastifyRequest,
  reply: FastifyReply,
  worker: FunctionWorker,
  options: RelayOptions,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const response = reply.raw;
    let controller: Dispatcher.DispatchController | null = null;
    let settled = false;
    const abort = () => controller?.abort(new Error("the call to the function was ended"));
    const finish = (error?: RelayError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      untrackCpu();
      if (error !== undefined) {
        options.onRelayError(codeOf(error));
        sendError(request, reply, error);
      }
      resolve();
    };
    const limit = (which: "wall-clock" | "CPU time") => {
      options.onLimit(worker, which);
      abort();
      finish(RELAY_ERRORS.workerLimit);
    };
    const timer = setTimeout(() => limit("wall-clock"), options.wallClockMs);
    const untrackCpu = worker.cpu.track(() => limit("CPU time"));
    // The client went away: stop waiting for the function.
    response.on("close", () => {
      if (!response.writableFinished) abort();
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        untrackCpu();
        resolve();
      }
    });

    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > options.bodyLimit) {
      request.raw.resume();
      finish(RELAY_ERRORS.payloadTooLarge);
      return;
    }
    const chunked = request.headers["transfer-encoding"] !== undefined;
    let body: NodeJS.ReadableStream | null = null;
    if (chunked) {
      body = request.raw.pipe(
        new BodyLimit(options.bodyLimit, () => {
          abort();
          // Keep reading (and dropping) the rest, so the client is not left stuck mid-upload.
          request.raw.unpipe();
          request.raw.resume();
          finish(RELAY_ERRORS.payloadTooLarge);
        }),
      );
    } else if (declared > 0) {
      // Node's parser ends the body at Content-Length, which is within the limit.
      body = request.raw;
    } else {
      request.raw.resume();
    }

    worker.pool.dispatch(
      {
        path: options.path,
        method: request.method as Dispatcher.HttpMethod,
        headers: forwardedHeaders(request),
        body: body as Dispatcher.DispatchOptions["body"],
        // The wall clock is the only limit on how long a function may take to answer or stream.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      {
        onRequestStart(started) {
          controller = started;
          if (settled) abort();
        },
        onResponseStart(_controller, statusCode, headers) {
          // 1xx answers (100 Continue, 103 Early Hints) are the worker's business with the relay.
          if (settled || statusCode < 200) return;
          if (!writeHead(reply, statusCode, headers)) {
            abort();
            finish(RELAY_ERRORS.workerError);
          }
        },
        onResponseData(paused, chunk) {
          if (settled || response.write(chunk)) return;
          paused.pause();
          response.once("drain", () => paused.resume());
        },
        onResponseEnd() {
          if (settled) return;
          response.end();
          finish();
        },
        onResponseError(_controller, error) {
          if (settled) return;
          if (response.headersSent || error.name === "RequestAbortedError") {
            finish(RELAY_ERRORS.workerError);
            return;
          }
          // The worker died (its exit says whether memory ran out) or dropped the connection.
          void worker.exited.then((exit) =>
            finish(exit.outOfMemory ? RELAY_ERRORS.workerLimit : RELAY_ERRORS.workerError),
          );
          if (worker.exitState === null) setTimeout(() => finish(RELAY_ERRORS.workerError), 200);
        },
      },
    );
  });
}

/** The client's headers for the worker: hop-by-hop ones left out, the relay's own set. */
function forwardedHeaders(request: FastifyRequest): Record<string, string | string[]> {
  return workerHeaders(request.headers, request.id, request.raw.socket.remotePort, request.ip);
}

/**
 * The headers a worker gets for a client's request (relayed or upgraded): the client's, without
 * hop-by-hop ones or any the client set in the relay's name, plus the request id and the client's
 * port and address (what the function's `info.remoteAddr` reports).
 */
export function workerHeaders(
  incoming: IncomingHttpHeaders,
  requestId: string,
  clientPort: number | undefined,
  clientAddress: string,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (
      value !== undefined &&
      !HOP_BY_HOP.has(name) &&
      name !== REQUEST_ID_HEADER &&
      name !== CLIENT_HEADER
    ) {
      headers[name] = value;
    }
  }
  headers[REQUEST_ID_HEADER] = requestId;
  headers[CLIENT_HEADER] = `${clientPort ?? 0} ${clientAddress}`;
  return headers;
}

/**
 * Starts the client's response with the function's status and headers, plus the server's own
 * (`x-request-id`) but not its CORS headers. The reply is taken over from Fastify, whose
 * onResponse hooks (request log, metrics) still run when the response finishes. False when Node
 * refuses a header the function sent.
 */
function writeHead(
  reply: FastifyReply,
  statusCode: number,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  const out: Record<string, string | string[] | number> = {};
  const own = reply.getHeaders();
  for (const name in own) {
    const value = own[name];
    if (value !== undefined && !SERVER_CORS_HEADERS.has(name)) out[name] = value;
  }
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  reply.hijack();
  try {
    reply.raw.writeHead(statusCode, out);
    return true;
  } catch {
    return false;
  }
}

/** The relay's own answer: through Fastify while it still has the reply, else on the socket. */
function sendError(request: FastifyRequest, reply: FastifyReply, error: RelayError): void {
  const response = reply.raw;
  // After a refused upload the connection may hold unread bytes: do not reuse it.
  const close = error === RELAY_ERRORS.payloadTooLarge;
  if (!reply.sent) {
    if (close) reply.header("connection", "close");
    reply.code(error.status).send(error.body);
  } else if (!response.headersSent) {
    const body = typeof error.body === "string" ? error.body : JSON.stringify(error.body);
    const type =
      typeof error.body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8";
    response.writeHead(error.status, {
      "x-request-id": request.id,
      "content-type": type,
      ...(close ? { connection: "close" } : {}),
    });
    response.end(body);
  } else {
    response.destroy();
  }
}

/** `/functions/v1/hello/a?b=1` -> `/hello/a?b=1`: the path the function sees, as on Supabase. */
export function functionPath(url: string): string {
  const rest = url.replace(/^\/functions\/v1/, "");
  return rest.startsWith("/") ? rest : `/${rest}`;
}

function codeOf(error: RelayError): string {
  return typeof error.body === "object" && "code" in error.body ? error.body.code : String(error.status);
}

/** Counts the bytes of a chunked body and stops the stream once it passes the limit. */
class BodyLimit extends Transform {
  private seen = 0;

  constructor(
    private readonly limit: number,
    private readonly onExceeded: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      this.onExceeded();
      callback();
      return;
    }
    callback(null, chunk);
  }
}
