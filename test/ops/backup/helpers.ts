import pg from "pg";
import { withDatabase } from "../../../src/db/database-url.js";
import { databaseChecksums } from "../../../src/ops/backup/checksums.js";
import type { RemoteCluster } from "../../harness/remote-cluster.js";

/** A fresh empty database on the remote cluster. */
export async function remoteDatabase(remote: RemoteCluster, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: remote.url });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return withDatabase(remote.url, name);
}

/** Every data table's count and checksum, as verify computes them. */
export async function checksumsAt(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await databaseChecksums(client);
  } finally {
    await client.end();
  }
}
