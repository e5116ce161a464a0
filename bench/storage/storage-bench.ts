/**
 * Storage figures, each beside a baseline measured in the same run:
 * 1. a 100 MB upload and download through the API (without and with ClamAV scanning), and a
 *    resumable (TUS) upload of it with tus-js-client in 6 MB chunks, vs a plain stream copy of the
 *    same file on the same disk; the process's peak RSS growth during each;
 * 2. 100 concurrent 50 KB uploads as different users under RLS vs the same PUTs to a bare Node
 *    server writing files;
 * 3. image resizes through /render/image vs sharp alone on the same input.
 * Run: npm run bench -- storage [MB]
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest } from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SignJWT } from "jose";
import sharp from "sharp";
import { Upload } from "tus-js-client";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { freePort } from "../../test/harness/free-port.js";
import { startClamd } from "../../test/storage/clamd.js";
import { startExampleDatabase } from "../example-database.js";

const MB = Number(process.argv[2] ?? 100);
const CONCURRENT = 100;
const SMALL = 50 * 1024;
const RENDERS = 40;
const PROJECT = new URL("../../test/storage/fixtures/scan-project/", import.meta.url).pathname;

const dir = await mkdtemp(path.join(os.tmpdir(), "gw-storage-bench-"));
const example = await startExampleDatabase();
const clamd = await startClamd();
try {
  const adminUrl = example.adminUrl;
  const apiUrl = withCredentials(adminUrl, "authenticator", "postgres");
  const config = await loadConfig(PROJECT, {
    DATABASE_URL: adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: apiUrl,
    GROUNDWORK_API_PORT: String(await freePort()),
    GROUNDWORK_STORAGE_PATH: path.join(dir, "storage"),
    GROUNDWORK_RESUMABLE_PATH: path.join(dir, "resumable"),
    CLAMD_SOCKET: clamd.socket,
  });
  const db = connectDatabase({ adminUrl, apiUrl, poolSize: 10 });
  await db.admin.query(`
    insert into storage.buckets (id, name, file_size_limit) values ('plain', 'plain', null), ('uploads', 'uploads', null),
      ('photos', 'photos', null) on conflict do nothing;
    create policy "bench own folder" on storage.objects for all to authenticated
      using ((storage.foldername(name))[1] = (select auth.uid()::text))
      with check ((storage.foldername(name))[1] = (select auth.uid()::text));`);
  const app = await buildServer({
    config: { ...config, storage: { ...config.storage, fileSizeLimit: 2 ** 40 } },
    db,
    logLevel: "silent",
  });
  const url = await listen(app, config);
  const secret = new TextEncoder().encode(config.jwt.secret);
  const tokenFor = (sub: string, role = "authenticated") =>
    new SignJWT({ sub, role }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("2h").sign(secret);
  const service = await tokenFor(randomUUID(), "service_role");

  // 1. Large files.
  const source = path.join(dir, "big.bin");
  await pipeline(Readable.from(chunks(MB)), createWriteStream(source));
  const copy = await timed(() =>
    pipeline(createReadStream(source), createWriteStream(path.join(dir, "copy.bin"))),
  );
  const rows: string[][] = [["plain stream copy (baseline)", mbps(copy.ms), "100%", "-"]];
  for (const bucket of ["plain", "uploads"]) {
    // node:http on both ends: it streams with backpressure (a web stream body may buffer the
    // whole file in this process, which would blur the RSS figure).
    const up = await timed(async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${url}/storage/v1/object/${bucket}/big.bin`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${service}`,
            "content-type": "application/octet-stream",
            "x-upsert": "true",
          },
        });
        request.on("response", (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
        });
        request.on("error", reject);
        pipeline(createReadStream(source), request).catch(reject);
      });
      if (status !== 200) throw new Error(`upload: ${status}`);
    });
    const down = await timed(
      () =>
        new Promise<void>((resolve, reject) => {
          const request = httpRequest(`${url}/storage/v1/object/${bucket}/big.bin`, {
            headers: { authorization: `Bearer ${service}` },
          });
          request.on("response", (response) => {
            pipeline(response, createWriteStream(path.join(dir, "down.bin"))).then(resolve, reject);
          });
          request.on("error", reject);
          request.end();
        }),
    );
    const label = bucket === "uploads" ? "with ClamAV scan" : "no scan";
    rows.push([`API upload, ${label}`, mbps(up.ms), pct(copy.ms, up.ms), `${up.rssGrowthMb.toFixed(0)} MB`]);
    rows.push([
      `API download (${bucket})`,
      mbps(down.ms),
      pct(copy.ms, down.ms),
      `${down.rssGrowthMb.toFixed(0)} MB`,
    ]);
  }
  // The same file as a resumable upload: staged in 6 MB chunks, then stored like a plain upload.
  const tusUp = await timed(
    () =>
      new Promise<void>((resolve, reject) => {
        const upload = new Upload(createReadStream(source), {
          endpoint: `${url}/storage/v1/upload/resumable`,
          headers: { authorization: `Bearer ${service}`, "x-upsert": "true" },
          metadata: {
            bucketName: "plain",
            objectName: "big-tus.bin",
            contentType: "application/octet-stream",
          },
          chunkSize: 6 * 1024 * 1024,
          retryDelays: [],
          onError: reject,
          onSuccess: () => resolve(),
        });
        upload.start();
      }),
  );
  rows.push([
    "API resumable (TUS) upload, no scan",
    mbps(tusUp.ms),
    pct(copy.ms, tusUp.ms),
    `${tusUp.rssGrowthMb.toFixed(0)} MB`,
  ]);
  console.log(`\nStorage: one ${MB} MB file, local folder backend, ${os.cpus().length} CPUs\n`);
  table(["", "MB/s", "of copy", "peak RSS growth"], rows);

  // 2. Many small uploads as different users under RLS vs a bare Node server.
  const small = randomBytes(SMALL);
  const users = await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      const sub = randomUUID();
      return { sub, token: await tokenFor(sub) };
    }),
  );
  const apiLatencies = await concurrent(
    users.map((user) => async () => {
      const response = await fetch(`${url}/storage/v1/object/plain/${user.sub}/small.bin`, {
        method: "POST",
        headers: { authorization: `Bearer ${user.token}`, "content-type": "application/octet-stream" },
        body: small,
      });
      if (response.status !== 200)
        throw new Error(`small upload: ${response.status} ${await response.text()}`);
    }),
  );
  const bare = createServer((request, response) => {
    pipeline(request, createWriteStream(path.join(dir, `bare-${randomUUID()}`))).then(
      () => response.end("{}"),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const barePort = (bare.address() as { port: number }).port;
  const bareLatencies = await concurrent(
    users.map(() => async () => {
      const response = await fetch(`http://127.0.0.1:${barePort}/`, { method: "PUT", body: small });
      await response.text();
    }),
  );
  bare.close();
  console.log(`\n${CONCURRENT} concurrent ${SMALL / 1024} KB uploads, each as its own user\n`);
  table(
    ["", "uploads/s", "p50 ms", "p99 ms"],
    [
      ["bare Node server writing files (baseline)", ...summary(bareLatencies)],
      ["API under RLS", ...summary(apiLatencies)],
    ],
  );

  // 3. Transformations.
  const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: "#808080" } })
    .composite([
      {
        input: await sharp(randomBytes(400 * 300 * 3), { raw: { width: 400, height: 300, channels: 3 } })
          .png()
          .toBuffer(),
        top: 100,
        left: 100,
      },
    ])
    .jpeg()
    .toBuffer();
  await writeFile(path.join(dir, "photo.jpg"), photo);
  await fetch(`${url}/storage/v1/object/photos/photo.jpg`, {
    method: "POST",
    headers: { authorization: `Bearer ${service}`, "content-type": "image/jpeg" },
    body: photo,
  });
  const widths = Array.from({ length: RENDERS }, (_, i) => 300 + i);
  const alone = await timed(async () => {
    for (const width of widths)
      await sharp(photo).rotate().resize({ width, height: 300, fit: "cover" }).toBuffer();
  });
  const api = await timed(async () => {
    for (const width of widths) {
      const response = await fetch(
        `${url}/storage/v1/render/image/authenticated/photos/photo.jpg?width=${width}&height=300`,
        {
          headers: { authorization: `Bearer ${service}` },
        },
      );
      if (response.status !== 200) throw new Error(`render: ${response.status}`);
      await response.arrayBuffer();
    }
  });
  const cached = await timed(async () => {
    for (const width of widths) {
      const response = await fetch(
        `${url}/storage/v1/render/image/authenticated/photos/photo.jpg?width=${width}&height=300`,
        {
          headers: { authorization: `Bearer ${service}` },
        },
      );
      await response.arrayBuffer();
    }
  });
  console.log(`\nImage transformation: ${RENDERS} resizes of a 1600x1200 JPEG to ~300x300, one at a time\n`);
  table(
    ["", "images/s", "of sharp"],
    [
      ["sharp alone (baseline)", rate(RENDERS, alone.ms), "100%"],
      ["API /render/image", rate(RENDERS, api.ms), pct(alone.ms, api.ms)],
      ["API /render/image, cached", rate(RENDERS, cached.ms), pct(alone.ms, cached.ms)],
    ],
  );
  await app.close();
  await db.close();
} finally {
  await clamd.stop();
  await example.stop();
  await rm(dir, { recursive: true, force: true });
}

function* chunks(mb: number): Generator<Buffer> {
  const block = randomBytes(1024 * 1024);
  for (let i = 0; i < mb; i++) yield block;
}

async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; rssGrowthMb: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  clearInterval(sampler);
  return { ms, rssGrowthMb: (peak - before) / 1024 / 1024 };
}

async function concurrent(tasks: (() => Promise<void>)[]): Promise<{ latencies: number[]; ms: number }> {
  const start = performance.now();
  const latencies = await Promise.all(
    tasks.map(async (task) => {
      const t = performance.now();
      await task();
      return performance.now() - t;
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), ms: performance.now() - start };
}

function summary({ latencies, ms }: { latencies: number[]; ms: number }): string[] {
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return [rate(latencies.length, ms), at(0.5).toFixed(0), at(0.99).toFixed(0)];
}

function mbps(ms: number): string {
  return (MB / (ms / 1000)).toFixed(0);
}
function rate(count: number, ms: number): string {
  return (count / (ms / 1000)).toFixed(1);
}
function pct(baselineMs: number, ms: number): string {
  return `${((100 * baselineMs) / ms).toFixed(0)}%`;
}
function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}
