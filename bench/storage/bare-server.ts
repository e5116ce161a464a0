/**
 * The baseline server of the storage benchmark: plain `node:http` writing each PUT's body to a
 * file of its own in the folder given as the first argument, and answering `GET /NAME` with the
 * file NAME of that folder, nothing else (no parsing, no database). Prints `ready <url>`; stops
 * on SIGTERM.
 */
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";

const dir = process.argv[2];
if (!dir) throw new Error("usage: bare-server.ts DIR");
const server = createServer((request, response) => {
  if (request.method === "GET") {
    const file = path.join(dir, path.basename(request.url ?? "/"));
    response.writeHead(200, { "content-type": "application/octet-stream" });
    pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), response).catch(() =>
      response.destroy(),
    );
    return;
  }
  pipeline(
    request,
    createWriteStream(path.join(dir, `bare-${randomUUID()}`), { highWaterMark: 1024 * 1024 }),
  ).then(
    () => response.end("{}"),
    () => response.writeHead(500).end(),
  );
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`ready http://127.0.0.1:${port}\n`);
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
