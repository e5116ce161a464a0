/**
 * Storage figures, each beside a baseline measured in the same run (median of ROUNDS rounds,
 * interleaved so that a busy moment of a shared machine hits every row alike):
 * 1. a 100 MB upload and download through the API, without and with ClamAV scanning, vs a plain
 *    stream copy of the same file on the same disk (and, for the scanned upload, vs clamd alone
 *    scanning the file); the API server's RSS before, at its peak during, and after each transfer;
 *    The same file is also sent as a resumable (TUS) upload with tus-js-client in 6 MB chunks;
 * 2. 100 concurrent 50 KB uploads as different users under RLS vs the same PUTs to a bare Node
 *    server writing files;
 * 3. image resizes through /render/image vs sharp alone on the same input.
 * The API server and the bare server run in processes of their own (bench/storage/api-server.ts,
 * bare-server.ts), as a client and a server do; `BENCH_CPU_PROF=DIR` starts the API server with
 * `--cpu-prof` writing its profile to DIR.
 * "CPU ms" is the CPU time the server process spent on a transfer (for the copy and clamd rows:
 * this process's, for clamd not clamd's own): unlike MB/s it barely moves when other work shares
 * the machine.
 * Run: npm run bench -- storage [MB] [ROUNDS]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SignJWT } from "jose";
import sharp from "sharp";
import { Upload } from "tus-js-client";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { ClamdScanner } from "../../src/services/storage/scanner.js";
import { freePort } from "../../test/harness/free-port.js";
import { startClamd, type TestClamd } from "../../test/storage/clamd.js";
import { startExampleDatabase } from "../example-database.js";

const MB = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONCURRENT = 100;
const SMALL = 50 * 1024;
const RENDERS = 40;
const PROJECT = new URL("../../test/storage/fixtures/scan-project/", import.meta.url).pathname;
const HERE = new URL(".", import.meta.url).pathname;

const dir = await mkdtemp(path.join(os.tmpdir(), "gw-storage-bench-"));
const example = await startExampleDatabase();
const children: ChildProcess[] = [];
let clamd: TestClamd | null = null;
try {
  // clamd takes streams up to its StreamMaxLength: room for the file.
  clamd = await startClamd({ streamMaxLength: `${Math.max(200, 2 * MB)}M` });
  const adminUrl = example.adminUrl;
  const env = {
    ...process.env,
    DATABASE_URL: adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: withCredentials(adminUrl, "authenticator", "postgres"),
    GROUNDWORK_API_PORT: String(await freePort()),
    GROUNDWORK_STORAGE_PATH: path.join(dir, "storage"),
    GROUNDWORK_RESUMABLE_PATH: path.join(dir, "resumable"),
    CLAMD_SOCKET: clamd.socket,
  };
  const config = await loadConfig(PROJECT, env);
  const setup = new (await import("pg")).default.Client({ connectionString: adminUrl });
  await setup.connect();
  await setup.query(`
    insert into storage.buckets (id, name, file_size_limit) values ('plain', 'plain', null), ('uploads', 'uploads', null),
      ('photos', 'photos', null) on conflict do nothing;
    create policy "bench own folder" on storage.objects for all to authenticated
      using ((storage.foldername(name))[1] = (select auth.uid()::text))
      with check ((storage.foldername(name))[1] = (select auth.uid()::text));`);
  await setup.end();
  const profileDir = process.env.BENCH_CPU_PROF;
  const api = await startChild(
    [
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      path.join(HERE, "api-server.ts"),
      PROJECT,
    ],
    env,
  );
  const bareDir = path.join(dir, "bare");
  await mkdir(bareDir);
  const bare = await startChild([path.join(HERE, "bare-server.ts"), bareDir], process.env);
  const secret = new TextEncoder().encode(config.jwt.secret);
  const tokenFor = (sub: string, role = "authenticated") =>
    new SignJWT({ sub, role }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("2h").sign(secret);
  const service = await tokenFor(randomUUID(), "service_role");
  const auth = { authorization: `Bearer ${service}` };

  // 1. Large files.
  const source = path.join(dir, "big.bin");
  await pipeline(Readable.from(chunks(MB)), createWriteStream(source));
  await copyFile(source, path.join(bareDir, "big.bin")); // what the bare server's GET serves
  // Warm-up: the first upload loads file-type and takes the server's lock connection.
  await put(`${api.url}/storage/v1/object/plain/warm.bin`, Readable.from([randomBytes(1024)]), auth);
  const scanner = new ClamdScanner(clamd.socket);
  const runs: Record<string, Measured[]> = {};
  const measure = async (label: string, fn: () => Promise<unknown>, server?: ChildProcess) => {
    const measured = await timed(fn, server);
    runs[label] = [...(runs[label] ?? []), measured];
  };
  for (let round = 0; round < ROUNDS; round++) {
    await measure("plain stream copy (baseline)", () =>
      pipeline(createReadStream(source), createWriteStream(path.join(dir, "copy.bin"))),
    );
    await measure(
      "bare Node server, HTTP PUT",
      () => put(`${bare.url}/`, clientRead(source), {}),
      bare.child,
    );
    await measure(
      "API upload, no scan",
      () =>
        put(`${api.url}/storage/v1/object/plain/big.bin`, clientRead(source), {
          ...auth,
          "x-upsert": "true",
        }),
      api.child,
    );
    await measure(
      "API resumable (TUS) upload, 6 MB chunks, no scan",
      () => tusUpload(`${api.url}/storage/v1/upload/resumable`, source, auth),
      api.child,
    );
    await measure(
      "bare Node server, HTTP GET",
      () => get(`${bare.url}/big.bin`, path.join(dir, "down.bin"), {}),
      bare.child,
    );
    await measure(
      "API download",
      () => get(`${api.url}/storage/v1/object/plain/big.bin`, path.join(dir, "down.bin"), auth),
      api.child,
    );
    await measure(
      "API download, Range of all but the first byte",
      () =>
        get(`${api.url}/storage/v1/object/plain/big.bin`, path.join(dir, "down.bin"), {
          ...auth,
          range: "bytes=1-",
        }),
      api.child,
    );
    await measure("clamd alone, INSTREAM of the file (scan baseline)", () =>
      scanner.scan(createReadStream(source)),
    );
    await measure(
      "API upload, with ClamAV scan",
      () =>
        put(`${api.url}/storage/v1/object/uploads/big.bin`, clientRead(source), {
          ...auth,
          "x-upsert": "true",
        }),
      api.child,
    );
  }
  const copyMs = median(runs["plain stream copy (baseline)"] ?? []).ms;
  const scanMs = median(runs["clamd alone, INSTREAM of the file (scan baseline)"] ?? []).ms;
  console.log(
    `\nStorage: one ${MB} MB file, local folder backend, ${os.cpus().length} CPUs, median of ${ROUNDS} rounds, load average ${loadAverage()}\n`,
  );
  table(
    ["", "MB/s", "of copy", "of clamd", "CPU ms", "server RSS before / peak / after (MB)"],
    Object.entries(runs).map(([label, all]) => {
      const m = median(all);
      return [
        label,
        mbps(m.ms),
        pct(copyMs, m.ms),
        /ClamAV|clamd/.test(label) ? pct(scanMs, m.ms) : "",
        medianOf(all.map((run) => run.cpuMs)).toFixed(0),
        m.rss ? `${mb(m.rss.before)} / ${mb(m.rss.peak)} / ${mb(m.rss.after)}` : "",
      ];
    }),
  );

  // 2. Many small uploads as different users under RLS vs a bare Node server.
  const small = randomBytes(SMALL);
  const users = await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      const sub = randomUUID();
      return { sub, token: await tokenFor(sub) };
    }),
  );
  const smallRuns: Record<string, Summary[]> = {
    "bare Node server writing files (baseline)": [],
    "API under RLS": [],
  };
  for (let round = 0; round < ROUNDS; round++) {
    smallRuns["bare Node server writing files (baseline)"]?.push(
      await concurrent(
        users.map(() => async () => {
          const response = await fetch(`${bare.url}/`, { method: "PUT", body: small });
          await response.text();
        }),
      ),
    );
    smallRuns["API under RLS"]?.push(
      await concurrent(
        users.map((user) => async () => {
          const response = await fetch(`${api.url}/storage/v1/object/plain/${user.sub}/small-${round}.bin`, {
            method: "POST",
            headers: { authorization: `Bearer ${user.token}`, "content-type": "application/octet-stream" },
            body: small,
          });
          if (response.status !== 200)
            throw new Error(`small upload: ${response.status} ${await response.text()}`);
        }),
      ),
    );
  }
  console.log(
    `\n${CONCURRENT} concurrent ${SMALL / 1024} KB uploads, each as its own user, median of ${ROUNDS} rounds, load average ${loadAverage()}\n`,
  );
  table(
    ["", "uploads/s", "p50 ms", "p99 ms"],
    Object.entries(smallRuns).map(([label, all]) => [
      label,
      medianOf(all.map((s) => s.rate)).toFixed(1),
      medianOf(all.map((s) => s.p50)).toFixed(0),
      medianOf(all.map((s) => s.p99)).toFixed(0),
    ]),
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
  await fetch(`${api.url}/storage/v1/object/photos/photo.jpg`, {
    method: "POST",
    headers: { ...auth, "content-type": "image/jpeg" },
    body: photo,
  });
  const widths = Array.from({ length: RENDERS }, (_, i) => 300 + i);
  const render = async () => {
    for (const width of widths) {
      const response = await fetch(
        `${api.url}/storage/v1/render/image/authenticated/photos/photo.jpg?width=${width}&height=300`,
        { headers: auth },
      );
      if (response.status !== 200) throw new Error(`render: ${response.status}`);
      await response.arrayBuffer();
    }
  };
  const alone = await timed(async () => {
    for (const width of widths)
      await sharp(photo).rotate().resize({ width, height: 300, fit: "cover" }).toBuffer();
  });
  const rendered = await timed(render);
  const cached = await timed(render);
  console.log(
    `\nImage transformation: ${RENDERS} resizes of a 1600x1200 JPEG to ~300x300, one at a time, load average ${loadAverage()}\n`,
  );
  table(
    ["", "images/s", "of sharp"],
    [
      ["sharp alone (baseline)", rate(RENDERS, alone.ms), "100%"],
      ["API /render/image", rate(RENDERS, rendered.ms), pct(alone.ms, rendered.ms)],
      ["API /render/image, cached", rate(RENDERS, cached.ms), pct(alone.ms, cached.ms)],
    ],
  );
} finally {
  for (const child of children) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  await clamd?.stop();
  await example.stop();
  await rm(dir, { recursive: true, force: true });
}

/** Starts `node --import tsx ARGS` and waits for its `ready <url>` line. */
async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /ready (\S+)\n/.exec(out);
      if (ready?.[1]) resolve(ready[1]);
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with code ${code}`)));
  });
  return { child, url };
}

/**
 * The client's side of an upload: the file in 1 MB reads, so that on a machine the client shares
 * with the server the client's own overhead (64 KB reads by default) weighs little in the figure.
 * The same for the bare server and the API.
 */
function clientRead(file: string): Readable {
  return createReadStream(file, { highWaterMark: 1024 * 1024 });
}

/** Streams `body` as a POST (a raw upload) with node:http, which keeps to backpressure. */
function put(url: string, body: Readable, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", ...headers },
    });
    request.on("response", (response) => {
      const status = response.statusCode ?? 0;
      const parts: Buffer[] = [];
      response.on("data", (chunk: Buffer) => parts.push(chunk));
      response.on("end", () =>
        status === 200 ? resolve() : reject(new Error(`${url}: ${status} ${Buffer.concat(parts)}`)),
      );
    });
    request.on("error", reject);
    pipeline(body, request).catch(reject);
  });
}

function get(url: string, file: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers });
    request.on("response", (response) => {
      if (response.statusCode !== 200 && response.statusCode !== 206) {
        reject(new Error(`${url}: ${response.statusCode}`));
        response.resume();
        return;
      }
      pipeline(response, createWriteStream(file)).then(resolve, reject);
    });
    request.on("error", reject);
    request.end();
  });
}

function* chunks(mb: number): Generator<Buffer> {
  const block = randomBytes(1024 * 1024);
  for (let i = 0; i < mb; i++) yield block;
}

interface Measured {
  ms: number;
  /** CPU time (user + system, all threads) of the server process, or of this one without a server. */
  cpuMs: number;
  /** The server process's RSS in bytes, when there is a server. */
  rss: { before: number; peak: number; after: number } | null;
}

/** Times `fn`, sampling the server's RSS (from /proc) every 10 ms meanwhile. */
async function timed(fn: () => Promise<unknown>, server?: ChildProcess): Promise<Measured> {
  const rssOf = () => (server?.pid ? residentBytes(server.pid) : 0);
  const cpuOf = () => (server?.pid ? cpuMillis(server.pid) : ownCpuMillis());
  const before = rssOf();
  const cpuBefore = cpuOf();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf());
  }, 10);
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  clearInterval(sampler);
  const after = rssOf();
  return {
    ms,
    cpuMs: cpuOf() - cpuBefore,
    rss: server ? { before, peak: Math.max(peak, after), after } : null,
  };
}

/** User + system time of a process (every thread), from /proc/<pid>/stat, in ms. */
function cpuMillis(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function ownCpuMillis(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function residentBytes(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

interface Summary {
  rate: number;
  p50: number;
  p99: number;
}

async function concurrent(tasks: (() => Promise<void>)[]): Promise<Summary> {
  const start = performance.now();
  const latencies = await Promise.all(
    tasks.map(async (task) => {
      const t = performance.now();
      await task();
      return performance.now() - t;
    }),
  );
  const ms = performance.now() - start;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rate: latencies.length / (ms / 1000), p50: at(0.5), p99: at(0.99) };
}

/** The run with the median time (its RSS figures with it). */
function median(all: Measured[]): Measured {
  const sorted = [...all].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor(sorted.length / 2)] as Measured;
}
function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
function loadAverage(): string {
  return os
    .loadavg()
    .map((load) => load.toFixed(1))
    .join(" ");
}
function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
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

/** A resumable upload of the file with tus-js-client, as Supabase documents it for large files. */
function tusUpload(endpoint: string, file: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(createReadStream(file), {
      endpoint,
      headers: { ...headers, "x-upsert": "true" },
      metadata: { bucketName: "plain", objectName: "big-tus.bin", contentType: "application/octet-stream" },
      chunkSize: 6 * 1024 * 1024,
      retryDelays: [],
      onError: reject,
      onSuccess: () => resolve(),
    });
    upload.start();
  });
}
