/**
 * The storage benchmark's API server, in a process of its own so its RSS and CPU are its own:
 * loads the project given as the first argument with the environment it was started with, lifts
 * `[storage] file_size_limit` (the benchmark uploads files larger than the default), listens, and
 * prints `ready <url>`. Stops on SIGTERM.
 */
import { loadConfig } from "../../src/config/index.js";
import { connectDatabase } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";

const project = process.argv[2];
if (!project) throw new Error("usage: api-server.ts PROJECT_DIR");
const config = await loadConfig(project, process.env);
const env = process.env as Record<string, string>;
const db = connectDatabase({
  adminUrl: env.DATABASE_URL as string,
  apiUrl: env.GROUNDWORK_AUTHENTICATOR_URL as string,
  poolSize: 10,
});
const app = await buildServer({
  config: { ...config, storage: { ...config.storage, fileSizeLimit: 2 ** 40 } },
  db,
  logLevel: "silent",
});
const url = await listen(app, config);
process.stdout.write(`ready ${url}\n`);
process.once("SIGTERM", () => {
  void app
    .close()
    .then(() => db.close())
    .finally(() => process.exit(0));
});
