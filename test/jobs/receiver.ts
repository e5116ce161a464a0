import http from "node:http";

/** One request an HTTP receiver got. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** How the receiver answers a path: a status (and body), or never (a hanging destination). */
export type Answer = { status: number; body?: string } | "hang";

/** A real HTTP server on loopback that records what reaches it. */
export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Sets the answers for a path: taken in turn, the last one repeated. */
  answer(path: string, ...answers: Answer[]): void;
  /** Resolves once `count` requests reached `path` (any path when omitted), or rejects after `timeoutMs`. */
  waitFor(count: number, path?: string, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Starts a receiver on `port` (0: any free port). */
export async function startReceiver(port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const answers = new Map<string, Answer[]>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = (request.url ?? "/").split("?")[0] ?? "/";
      received.push({
        method: request.method ?? "",
        path: request.url ?? "/",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      });
      const queue = answers.get(path) ?? [];
      const answer = queue.length > 1 ? (queue.shift() as Answer) : (queue[0] ?? { status: 200, body: "ok" });
      if (answer === "hang") {
        hanging.add(response);
        return;
      }
      response.writeHead(answer.status, { "content-type": "text/plain; charset=utf-8" });
      response.end(answer.body ?? "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${bound}`,
    received,
    answer(path, ...list) {
      answers.set(path, list);
    },
    async waitFor(count, path, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const matching = () => received.filter((r) => path === undefined || r.path.split("?")[0] === path);
      while (matching().length < count) {
        if (Date.now() > deadline) {
          throw new Error(
            `receiver: ${matching().length} of ${count} request(s) to ${path ?? "any path"} in ${timeoutMs} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return matching();
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
