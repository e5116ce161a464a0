import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { realtimeCaller, type UpgradeInfo } from "./auth.js";
import { LIMITS } from "./limits.js";
import type { Vsn } from "./protocol/serializer.js";
import type { RealtimeRuntime } from "./runtime.js";
import { RealtimeSocket } from "./socket.js";

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  429: "Too Many Requests",
};

/**
 * Accepts WebSocket upgrades at `<prefix>/websocket` on the API port. The handshake is checked
 * before upgrading (reference/realtime.md §1): an API key (query `apikey` or header `x-api-key`)
 * that resolves to a caller, a known serializer version, room for another socket. A refusal is an
 * HTTP response with `{"error": "<message>"}`, as Supabase answers.
 */
export function upgradeHandler(runtime: RealtimeRuntime, path: string) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.maxFrameBytes,
    perMessageDeflate: false,
  });
  return (request: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== path && url.pathname !== `${path}/`) return false;
    void accept(runtime, wss, request, socket, head, url).catch(() => refuse(socket, 400, "Bad request"));
    return true;
  };
}

async function accept(
  runtime: RealtimeRuntime,
  wss: WebSocketServer,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  url: URL,
): Promise<void> {
  const header = request.headers["x-api-key"];
  const apikey = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("apikey") ?? "";
  if (apikey === "") return refuse(socket, 401, "API key is missing");
  const vsn = url.searchParams.get("vsn") ?? "1.0.0";
  if (vsn !== "1.0.0" && vsn !== "2.0.0")
    return refuse(socket, 400, `Unsupported serializer version: ${vsn.slice(0, 20)}`);
  if (runtime.sockets.size >= LIMITS.socketsPerProcess)
    return refuse(socket, 429, "Too many connected users");

  const upgrade: UpgradeInfo = {
    headers: withoutCredentials(request.headers),
    ip: request.socket.remoteAddress ?? "",
    requestId: randomUUID(),
  };
  // The socket's own key must be good, as a join without an access token will use it.
  const caller = await realtimeCaller(runtime.config.jwt, upgrade, apikey, null);
  if (!caller.ok) return refuse(socket, 401, caller.message);
  if (caller.expiresAt !== null && caller.expiresAt <= Date.now())
    return refuse(socket, 401, "Token has expired");

  wss.handleUpgrade(request, socket, head, (ws) => {
    const realtimeSocket = new RealtimeSocket(runtime, ws, vsn as Vsn, apikey, upgrade);
    runtime.sockets.add(realtimeSocket);
    runtime.metrics.socketOpened();
  });
}

/** Headers that become `request.headers` for the caller's SQL: never the key or cookies. */
function withoutCredentials(headers: IncomingMessage["headers"]): IncomingMessage["headers"] {
  const { cookie: _cookie, authorization: _authorization, "x-api-key": _key, ...rest } = headers;
  return rest;
}

function refuse(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}
