import net from "node:net";
import type { FuzzRequest } from "./types.js";

/** A response as read off the socket. */
export interface FuzzResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const TIMEOUT_MS = 10_000;

/**
 * Sends a request over a plain socket, byte for byte as given (fetch and node:http would refuse
 * or re-encode the broken parts the test is about). CR and LF are dropped from header values so
 * the request stays one request; everything else is sent, non-ASCII as UTF-8.
 */
export function sendRaw(url: string, request: FuzzRequest): Promise<FuzzResponse> {
  const { hostname, port } = new URL(url);
  const body = request.body === undefined ? null : Buffer.from(request.body, "utf8");
  const lines = [
    `${request.method} ${request.path} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    "connection: close",
  ];
  for (const [name, value] of Object.entries(request.headers))
    lines.push(`${name}: ${value.replace(/[\r\n]/g, "")}`);
  if (body) lines.push(`content-length: ${body.length}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "utf8");
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port) });
    const chunks: Buffer[] = [];
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error) => {
      // A server may close right after answering (a refused request); keep what it sent.
      if (chunks.length > 0) resolve(parseResponse(Buffer.concat(chunks)));
      else reject(error);
    });
    socket.on("end", () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(body ? Buffer.concat([head, body]) : head);
  });
}

function parseResponse(raw: Buffer): FuzzResponse {
  const end = raw.indexOf("\r\n\r\n");
  if (end === -1)
    throw new Error(`incomplete response: ${JSON.stringify(raw.toString("latin1").slice(0, 200))}`);
  const [statusLine, ...headerLines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1]);
  if (!Number.isInteger(status)) throw new Error(`no status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) body = dechunk(body);
  return { status, headers, body: body.toString("utf8") };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The request as one line of text, for a failure message that can be read and replayed by hand. */
export function describeRequest(request: FuzzRequest): string {
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${JSON.stringify(value.slice(0, 200))}`)
    .join(", ");
  const body = request.body === undefined ? "" : ` body ${JSON.stringify(request.body.slice(0, 300))}`;
  // Tokens are shortened to keep the message readable; the seed and index replay the request whole.
  return `${request.method} ${request.path.slice(0, 400)} [${headers}]${body}`.replace(
    /eyJ[\w-]*\.[\w-]*\.[\w-]*/g,
    (jwt) => `<jwt …${jwt.slice(-6)}>`,
  );
}
