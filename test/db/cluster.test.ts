import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedCluster, PortInUseError, startEmbeddedCluster } from "../../src/db/cluster.js";
import { freePort } from "../harness/free-port.js";

let dir: string;
let port: number;
const messages: string[] = [];

function start(): Promise<EmbeddedCluster> {
  return startEmbeddedCluster({
    dataDir: path.join(dir, "db"),
    port,
    portSetting: "[db] port",
    settings: { fsync: "off" },
    log: (message) => messages.push(message),
  });
}

async function select1(cluster: EmbeddedCluster): Promise<number> {
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    return (await client.query("select 1 as one")).rows[0].one;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-cluster-"));
  chmodSync(dir, 0o755);
  port = await freePort();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("embedded cluster", () => {
  it("creates the cluster on first start and reuses it after", async () => {
    const first = await start();
    expect(first.created).toBe(true);
    expect(await select1(first)).toBe(1);
    await first.stop();
    await first.stop(); // stopping twice is harmless
    const second = await start();
    expect(second.created).toBe(false);
    expect(await select1(second)).toBe(1);
    await second.stop();
  });

  it("names the port and the setting to change when the port is taken", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const error = await start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toBe(
        `Port ${port} is already in use by another program. Stop that program, or choose another port with [db] port.`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("recovers from a stale postmaster.pid left by a crash, with a message", async () => {
    // A pid that cannot be running: beyond the kernel's pid limit.
    writeFileSync(path.join(dir, "db", "postmaster.pid"), `99999999\n${path.join(dir, "db")}\n`);
    messages.length = 0;
    const cluster = await start();
    expect(messages.join("\n")).toContain("stale postmaster.pid (pid 99999999 is not running)");
    expect(await select1(cluster)).toBe(1);
    await cluster.stop();
  });

  it("stops a server left running by a process that died, then starts", async () => {
    const orphan = await start();
    const pid = Number(readFileSync(path.join(dir, "db", "postmaster.pid"), "utf8").split("\n")[0]);
    messages.length = 0;
    // The owner "crashed": we start again without stopping the running server.
    const cluster = await start();
    expect(messages.join("\n")).toContain(
      `PostgreSQL (pid ${pid}) is still running from a run that did not shut down cleanly`,
    );
    expect(await select1(cluster)).toBe(1);
    await cluster.stop();
    await orphan.stop();
  });
});
