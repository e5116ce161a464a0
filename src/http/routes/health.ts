import type { FastifyInstance } from "fastify";
import type { Database } from "../../db/pool.js";

/**
 * `GET /health`: the process is up. `GET /ready`: the database answers through the API pool,
 * so requests can be served (503 otherwise, for load balancers).
 */
export function registerHealthRoutes(app: FastifyInstance, db: Database): void {
  app.get("/health", async () => ({ status: "ok" }));
  app.get("/ready", async (request, reply) => {
    try {
      await db.api.query("select 1");
      return { status: "ready" };
    } catch (error) {
      // The database's own message (host names, role names) is for the log, not for whoever asks.
      request.log.warn({ err: error }, "not ready: the database does not answer");
      return reply.code(503).send({ status: "unavailable", message: "the database does not answer" });
    }
  });
}
