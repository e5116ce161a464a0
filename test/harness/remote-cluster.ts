import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedCluster } from "../../src/db/cluster.js";
import { freePort } from "./free-port.js";

/** A second, bare PostgreSQL server playing a remote target (no platform schema installed). */
export interface RemoteCluster {
  /** Superuser URL of its `postgres` database. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts another embedded cluster in a temp folder, as the "remote" database of operations tests
 * (deploy, sync, verify, backup/restore). It is a separate server, so what a command does to it
 * cannot leak into the test cluster.
 */
export async function startRemoteCluster(): Promise<RemoteCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-remote-"));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const cluster = await startEmbeddedCluster({
    dataDir: path.join(dir, "db"),
    port,
    portSetting: "(remote test cluster)",
    settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
  });
  return {
    url: cluster.url(),
    port,
    async stop() {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
