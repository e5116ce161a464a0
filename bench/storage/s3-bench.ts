/**
 * Storage on the S3 backend, beside a baseline measured in the same run: a 100 MB upload and
 * download through the API with the bytes in s3rver (an S3-protocol server in a process of its
 * own) vs the same file sent to and fetched from s3rver directly with the AWS SDK (lib-storage
 * with the same part size; GetObject), and the API process's peak RSS growth during each; then
 * 100 concurrent 50 KB uploads, each as its own user under RLS, vs 100 concurrent PutObjects.
 * Run: npm run bench -- storage-s3 [MB]
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { SignJWT } from "jose";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { freePort } from "../../test/harness/free-port.js";
import { S3_PROJECT, startS3rver } from "../../test/storage/s3rver.js";
import { startExampleDatabase } from "../example-database.js";

const MB = Number(process.argv[2] ?? 100);
const PART_SIZE = 5 * 1024 * 1024;
const CONCURRENT = 100;
const SMALL = 50 * 1024;

const dir = await mkdtemp(path.join(os.tmpdir(), "gw-s3-bench-"));
const example = await startExampleDatabase();
const s3 = await startS3rver();
try {
  const adminUrl = example.adminUrl;
  const apiUrl = withCredentials(adminUrl, "authenticator", "postgres");
  const config = await loadConfig(S3_PROJECT, {
    DATABASE_URL: adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: apiUrl,
    GROUNDWORK_API_PORT: String(await freePort()),
    ...s3.env("bench/"),
  });
  const db = connectDatabase({ adminUrl, apiUrl, poolSize: 10 });
  await db.admin.query(`
    insert into storage.buckets (id, name, file_size_limit) values ('plain', 'plain', null) on conflict do nothing;
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

  const source = path.join(dir, "big.bin");
  await pipeline(Readable.from(chunks(MB)), createWriteStream(source));

  // Baseline: the same bytes to and from s3rver with the SDK alone.
  const sdkUp = await timed(() =>
    new Upload({
      client: s3.client,
      params: { Bucket: s3.bucket, Key: "baseline/big.bin", Body: createReadStream(source) },
      partSize: PART_SIZE,
      queueSize: 4,
    }).done(),
  );
  const sdkDown = await timed(async () => {
    const response = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: "baseline/big.bin" }),
    );
    await pipeline(response.Body as Readable, createWriteStream(path.join(dir, "sdk-down.bin")));
  });

  // node:http on both ends: it streams with backpressure (see storage-bench.ts).
  const apiUp = await timed(async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${url}/storage/v1/object/plain/big.bin`, {
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
  const apiDown = await timed(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = httpRequest(`${url}/storage/v1/object/plain/big.bin`, {
          headers: { authorization: `Bearer ${service}` },
        });
        request.on("response", (response) => {
          pipeline(response, createWriteStream(path.join(dir, "api-down.bin"))).then(resolve, reject);
        });
        request.on("error", reject);
        request.end();
      }),
  );

  console.log(`\nStorage on S3 (s3rver): one ${MB} MB file, ${os.cpus().length} CPUs\n`);
  table(
    ["", "MB/s", "of SDK alone", "peak RSS growth"],
    [
      ["SDK upload to s3rver (baseline)", mbps(sdkUp.ms), "100%", `${sdkUp.rssGrowthMb.toFixed(0)} MB`],
      [
        "API upload, S3 backend",
        mbps(apiUp.ms),
        pct(sdkUp.ms, apiUp.ms),
        `${apiUp.rssGrowthMb.toFixed(0)} MB`,
      ],
      [
        "SDK download from s3rver (baseline)",
        mbps(sdkDown.ms),
        "100%",
        `${sdkDown.rssGrowthMb.toFixed(0)} MB`,
      ],
      [
        "API download, S3 backend",
        mbps(apiDown.ms),
        pct(sdkDown.ms, apiDown.ms),
        `${apiDown.rssGrowthMb.toFixed(0)} MB`,
      ],
    ],
  );

  const small = randomBytes(SMALL);
  const users = await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      const sub = randomUUID();
      return { sub, token: await tokenFor(sub) };
    }),
  );
  const sdkSmall = await concurrent(
    users.map((user) => async () => {
      await s3.client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: `baseline/${user.sub}/small.bin`, Body: small }),
      );
    }),
  );
  const apiSmall = await concurrent(
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
  console.log(`\n${CONCURRENT} concurrent ${SMALL / 1024} KB uploads, each as its own user\n`);
  table(
    ["", "uploads/s", "p50 ms", "p99 ms"],
    [
      ["SDK PutObject to s3rver (baseline)", ...summary(sdkSmall)],
      ["API under RLS, S3 backend", ...summary(apiSmall)],
    ],
  );
  await app.close();
  await db.close();
} finally {
  await s3.close();
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
  return [(latencies.length / (ms / 1000)).toFixed(1), at(0.5).toFixed(0), at(0.99).toFixed(0)];
}

function mbps(ms: number): string {
  return (MB / (ms / 1000)).toFixed(0);
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
