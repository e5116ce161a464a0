import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { MetricsConfig } from "../../config/index.js";
import type { Metrics } from "../../metrics/index.js";
import { isLoopback } from "../addresses.js";

/**
 * `GET /metrics`: every metric in the Prometheus text format. Without `[metrics] bearer_token` it
 * answers only clients whose connection comes from a loopback address (whatever X-Forwarded-For
 * says); with one, it answers whoever sends `Authorization: Bearer <token>`, from anywhere.
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, config: MetricsConfig): void {
  const expected = config.bearerToken === null ? null : digest(config.bearerToken);
  app.get("/metrics", async (request, reply) => {
    if (expected === null) {
      if (!isLoopback(request.socket.remoteAddress ?? "")) {
        return reply.code(403).send({
          message:
            "/metrics is served to loopback clients only; set [metrics] bearer_token in groundwork.toml to serve it to others",
        });
      }
    } else if (!presents(request, expected)) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="metrics"')
        .send({ message: "/metrics needs Authorization: Bearer <the [metrics] bearer_token>" });
    }
    const { contentType, body } = await metrics.exposition();
    return reply.header("content-type", contentType).send(body);
  });
}

/** Compared as digests, so the comparison takes the same time whatever the length sent. */
function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

function presents(request: FastifyRequest, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
  return match !== null && timingSafeEqual(digest(match[1] as string), expected);
}
