import { Transform, type TransformCallback } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Dispatcher } from "undici";
import { RELAY_ERRORS, type RelayError } from "./errors.js";
import type { FunctionWorker } from "./worker.js";

/**
 * Headers about one hop of the connection, never forwarded (RFC 9110 §7.6.1), and `Expect`, which
 * the server has already answered with its 100 Continue.
 */
const HOP_BY_HOP = new Set([
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
const SERVER_CORS_HEADERS = ["access-control-allow-origin", "access-control-expose-headers", "vary"];

/**
 * The header that carries the request id to the worker's bootstrap, which removes it before the
 * function sees the request (runtime/bootstrap.js spells the same name).
 */
const REQUEST_ID_HEADER = "x-groundwork-request-id";

export interface RelayOptions {
  /** The path the function sees: `/<name>/<rest>?<query>`. */
  readonly path: string;
  readonly bodyLimit: number;
  readonly wallClockMs: number;
  /** Told of each error answer of the relay's own (by its code). */
  readonly onRelayError: (code: string) => void;
  /** Called when the wall-clock limit passes: the worker is stopped. */
  readonly onTimeout: (worker: FunctionWorker) => void;
}

/**
 * Sends one request to a worker and its response back, both streamed: the method, headers
 * (Authorization included, unchanged), query and body go as the client sent them, and the
 * function's status, headers and body come back untouched. Limits end the call with Supabase's
 * relay answers: 413 past the body limit, 546 past the wall clock, 500 when the worker dies.
 */
export function relay(
  request: FastifyRequest,
  reply: FastifyReply,
  worker: FunctionWorker,
  options: RelayOptions,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const abort = new AbortController();
    let settled = false;
    const finish = (error?: RelayError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) options.onRelayError(codeOf(error));
      if (error !== undefined && !reply.sent) {
        // After a refused upload the connection may hold unread bytes: do not reuse it.
        if (error === RELAY_ERRORS.payloadTooLarge) reply.header("connection", "close");
        reply.code(error.status).send(error.body);
      } else if (error !== undefined) {
        reply.raw.destroy();
      }
      resolve();
    };
    const timer = setTimeout(() => {
      options.onTimeout(worker);
      abort.abort();
      finish(RELAY_ERRORS.workerLimit);
    }, options.wallClockMs);
    // The client went away: stop waiting for the function.
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) abort.abort();
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve();
      }
    });

    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > options.bodyLimit) {
      request.raw.resume();
      finish(RELAY_ERRORS.payloadTooLarge);
      return;
    }
    const bodiless = declared === 0 && request.headers["transfer-encoding"] === undefined;
    const body = bodiless
      ? null
      : request.raw.pipe(
          new BodyLimit(options.bodyLimit, () => {
            abort.abort();
            // Keep reading (and dropping) the rest, so the client is not left stuck mid-upload.
            request.raw.unpipe();
            request.raw.resume();
            finish(RELAY_ERRORS.payloadTooLarge);
          }),
        );
    if (bodiless) request.raw.resume();

    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined && name !== REQUEST_ID_HEADER) headers[name] = value;
    }
    headers[REQUEST_ID_HEADER] = request.id;

    worker.pool
      .request({
        path: options.path,
        method: request.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal: abort.signal,
        // The wall clock is the only limit on how long a function may take to answer or stream.
        headersTimeout: 0,
        bodyTimeout: 0,
      })
      .then(
        (response) => {
          if (settled) {
            response.body.resume();
            return;
          }
          for (const name of SERVER_CORS_HEADERS) reply.removeHeader(name);
          reply.code(response.statusCode);
          for (const [name, value] of Object.entries(response.headers)) {
            if (!HOP_BY_HOP.has(name) && value !== undefined) reply.header(name, value);
          }
          response.body.on("end", () => finish());
          response.body.on("error", () => finish(RELAY_ERRORS.workerError));
          void reply.send(response.body);
        },
        () => {
          if (settled) return;
          // The worker died (its exit says whether memory ran out) or dropped the connection.
          void worker.exited.then((exit) =>
            finish(exit.outOfMemory ? RELAY_ERRORS.workerLimit : RELAY_ERRORS.workerError),
          );
          if (worker.exitState === null) setTimeout(() => finish(RELAY_ERRORS.workerError), 200);
        },
      );
  });
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
