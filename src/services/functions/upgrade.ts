import { randomUUID } from "node:crypto";
import { type IncomingHttpHeaders, type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Dispatcher } from "undici";
import type { Config } from "../../config/index.js";
import type { UpgradeHandler } from "../upgrade-routes.js";
import { RELAY_ERRORS, type RelayError } from "./errors.js";
import { findFunction, verifiesJwt } from "./function-files.js";
import type { FunctionMetrics } from "./function-metrics.js";
import { functionPath, HOP_BY_HOP, workerHeaders } from "./relay.js";
import { checkJwt } from "./verify-jwt.js";
import { BootError } from "./worker.js";
import type { FunctionWorkers } from "./workers.js";

export interface FunctionUpgradesOptions {
  readonly config: Config;
  readonly workers: FunctionWorkers;
  readonly metrics: FunctionMetrics;
  readonly onError: (name: string, message: string) => void;
}

/** The upgrade handler of `/functions/v1/*`, and what ends its open connections on close. */
export interface FunctionUpgrades {
  readonly handler: UpgradeHandler;
  close(): void;
}

/**
 * WebSockets in edge functions, as on Supabase: an upgrade request to `/functions/v1/NAME` is
 * checked like any call (verify_jwt, the function's existence), then sent to the function's
 * worker, whose `Deno.upgradeWebSocket(req)` answers it. After the worker's 101 the two
 * connections are joined byte for byte; an answer other than 101 is relayed as a response and
 * the connection closed. An open connection ends at the wall-clock limit, as a worker's does on
 * Supabase, and with the server.
 */
export function functionUpgrades(options: FunctionUpgradesOptions): FunctionUpgrades {
  const open = new Set<() => void>();
  const handler: UpgradeHandler = (request, socket, head) => {
    const url = request.url ?? "/";
    if (url !== "/functions/v1" && !url.startsWith("/functions/v1/") && !url.startsWith("/functions/v1?")) {
      return false;
    }
    socket.on("error", () => socket.destroy());
    void upgrade(options, open, request, socket, head).catch(() => refuse(socket, RELAY_ERRORS.workerError));
    return true;
  };
  return {
    handler,
    close() {
      for (const end of [...open]) end();
    },
  };
}

async function upgrade(
  options: FunctionUpgradesOptions,
  open: Set<() => void>,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const { config, workers, metrics } = options;
  const path = functionPath(request.url ?? "/");
  const name = path.split(/[/?#]/)[1] ?? "";
  const files = workers.runningFiles(name) ?? findFunction(config, name);
  if (files === null) return refuse(socket, RELAY_ERRORS.notFound);
  if (verifiesJwt(config, files)) {
    const refused = await checkJwt(request.headers.authorization, request.headers.apikey, config.jwt);
    if (refused !== null) return refuse(socket, refused);
  }
  let worker: Awaited<ReturnType<FunctionWorkers["acquire"]>>;
  try {
    worker = await workers.acquire(files);
  } catch (error) {
    if (!(error instanceof BootError)) throw error;
    options.onError(name, error.message);
    metrics.relayErrors.inc({ function: name, code: "BOOT_ERROR" });
    return refuse(socket, RELAY_ERRORS.bootError);
  }

  let upstream: Duplex | null = null;
  let controller: Dispatcher.DispatchController | null = null;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    open.delete(end);
    controller?.abort(new Error("the connection to the function was ended"));
    upstream?.destroy();
    socket.destroy();
    workers.release(worker);
  };
  open.add(end);
  const timer = setTimeout(end, config.edgeRuntime.wallClockMs);
  socket.once("close", end);
  if (socket.destroyed) return end();

  worker.pool.dispatch(
    {
      path,
      method: "GET",
      headers: forwardedHeaders(request),
      upgrade: headerValue(request.headers.upgrade) ?? "websocket",
      headersTimeout: 0,
      bodyTimeout: 0,
    },
    {
      onRequestStart(started) {
        controller = started;
        if (ended) end();
      },
      onRequestUpgrade(_controller, statusCode, headers, joined) {
        upstream = joined;
        if (ended) return end();
        socket.write(statusHead(statusCode, headers));
        if (head.length > 0) joined.write(head);
        joined.on("error", end).on("close", end);
        joined.pipe(socket);
        socket.pipe(joined);
      },
      // The function answered without upgrading: its response goes back, then the connection ends.
      onResponseStart(_controller, statusCode, headers) {
        if (statusCode >= 200) socket.write(statusHead(statusCode, headers, true));
      },
      onResponseData(_controller, chunk) {
        socket.write(chunk);
      },
      onResponseEnd() {
        socket.end();
        clearTimeout(timer);
        socket.once("finish", end);
      },
      onResponseError() {
        if (!ended) refuse(socket, RELAY_ERRORS.workerError);
        end();
      },
    },
  );
}

/** The client's headers for the worker, as relay.ts sends them; undici adds the upgrade's own. */
function forwardedHeaders(request: IncomingMessage): Record<string, string | string[]> {
  return workerHeaders(
    request.headers,
    randomUUID(),
    request.socket.remotePort,
    request.socket.remoteAddress ?? "",
  );
}

/** The status line and headers of the worker's answer, for the client's socket. */
function statusHead(statusCode: number, headers: IncomingHttpHeaders, close = false): string {
  let text = `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? "Unknown"}\r\n`;
  for (const name in headers) {
    if (close && HOP_BY_HOP.has(name)) continue;
    for (const value of [headers[name] ?? []].flat()) text += `${name}: ${value}\r\n`;
  }
  if (close) text += "connection: close\r\n";
  return `${text}\r\n`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The relay's own answer on a socket that was not upgraded, then the socket is closed. */
function refuse(socket: Duplex, error: RelayError): void {
  if (socket.destroyed || socket.writableEnded) return;
  const json = typeof error.body !== "string";
  const body = json ? JSON.stringify(error.body) : error.body;
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Error"}\r\n` +
      `Content-Type: ${json ? "application/json" : "text/plain; charset=utf-8"}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}
