import Fastify, { type FastifyInstance } from "fastify";
import type { Config } from "../config/index.js";
import type { Database } from "../db/pool.js";
import { registerMailCatcher } from "../services/mail-catcher/index.js";

/**
 * The local mail catcher's own server on `[inbucket] port` (54324, as the Supabase CLI's Mailpit).
 * Bodies are read as text whatever their type (Mailpit clients send JSON without always saying
 * so); nothing a client sends becomes a 5xx.
 */
export async function startMailCatcher(
  config: Config,
  db: Database,
): Promise<{ url: string; app: FastifyInstance }> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return reply
        .code(status)
        .type("text/plain")
        .send((error as Error).message);
    }
    return reply.code(500).type("text/plain").send("Internal error");
  });
  registerMailCatcher(app, db.admin, {
    name: config.mail.senderName,
    address: config.mail.adminEmail,
  });
  await app.listen({ port: config.mail.catcherPort, host: config.api.host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.mail.catcherPort;
  const host = config.api.host === "0.0.0.0" || config.api.host === "::" ? "127.0.0.1" : config.api.host;
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, app };
}
