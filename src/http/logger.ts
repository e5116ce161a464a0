import type { FastifyBaseLogger } from "fastify";
import pino from "pino";
import type { Config } from "../config/index.js";

/** Query parameters that carry credentials (signed URLs, verify links, OAuth codes and states) are masked in logs. */
const SECRET_QUERY = /([?&](?:token|access_token|refresh_token|apikey|password|code|state)=)[^&]*/gi;

/**
 * Structured JSON logs. Requests are logged without headers or bodies, and credential-bearing
 * query parameters are masked, so tokens, keys and passwords never reach a log line.
 */
export function createLogger(
  level: Config["logLevel"],
  destination?: pino.DestinationStream,
): FastifyBaseLogger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.apikey",
          "req.headers.cookie",
          "*.password",
          "*.token",
        ],
        censor: "****",
      },
      serializers: {
        req: (request: { method: string; url: string; ip?: string }) => ({
          method: request.method,
          url: maskUrl(request.url),
          ip: request.ip,
        }),
        res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      },
    },
    destination ?? pino.destination(1),
  );
}

export function maskUrl(url: string): string {
  return url.replace(SECRET_QUERY, "$1****");
}
