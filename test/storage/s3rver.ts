import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { S3BackendConfig } from "../../src/config/storage-section.js";

/** s3rver's built-in account: it checks request signatures against these keys. */
const ACCESS_KEY_ID = "S3RVER";
const SECRET_ACCESS_KEY = "S3RVER";

/** The S3 project fixture: `[storage] backend = "s3"`, its settings read from the environment. */
export const S3_PROJECT = path.join(import.meta.dirname, "fixtures/s3-project");

/** An s3rver process (a real S3-protocol server) on a free port, with one bucket in a temp folder. */
export interface S3rverProcess {
  readonly endpoint: string;
  readonly bucket: string;
  /** A plain SDK client, to look at the bucket independently of the backend under test. */
  readonly client: S3Client;
  /** The environment the S3 project fixture reads (`env(S3_...)` in its groundwork.toml). */
  env(prefix: string): Record<string, string>;
  /** Backend settings for this server, as `[storage.s3]` would give them. */
  config(prefix: string): S3BackendConfig;
  /** Every key in the bucket under `prefix`. */
  keys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startS3rver(): Promise<S3rverProcess> {
  const directory = await mkdtemp(path.join(tmpdir(), "gw-s3rver-"));
  const bucket = "groundwork-test";
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve("s3rver")), "../bin/s3rver.js");
  const child = spawn(
    process.execPath,
    [bin, "-d", directory, "-a", "127.0.0.1", "-p", "0", "--silent", "--configure-bucket", bucket],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await listeningPort(child);
  const endpoint = `http://127.0.0.1:${port}`;
  const config = (prefix: string): S3BackendConfig => ({
    kind: "s3",
    endpoint,
    region: "us-east-1",
    bucket,
    prefix,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    forcePathStyle: true,
    partSize: 5 * 1024 * 1024,
    partConcurrency: 4,
    checksums: "when_supported",
  });
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  });
  return {
    endpoint,
    bucket,
    client,
    config,
    env: (prefix) => ({
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_PREFIX: prefix,
      S3_ACCESS_KEY_ID: ACCESS_KEY_ID,
      S3_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    }),
    async keys(prefix = "") {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ""));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async close() {
      client.destroy();
      child.kill();
      if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Waits for s3rver's "S3rver listening on 127.0.0.1:PORT" line. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`s3rver did not start: ${output}`));
    }, 30_000);
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}: ${output}`)));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on [^:]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
  });
}
