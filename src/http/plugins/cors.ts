import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

const METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/**
 * CORS as Supabase's gateway answers it: any origin, the methods of every service, the request's
 * own headers allowed (so `apikey`, `x-client-info`, `prefer`, `x-upsert`... pass), and the
 * response headers the client libraries read exposed.
 *
 * Preflights (an OPTIONS with `Origin` and `Access-Control-Request-Method`) are answered here;
 * any other OPTIONS request reaches the service, which may answer it (PostgREST's `Allow`).
 */
export async function registerCors(app: FastifyInstance): Promise<void> {
  await app.register(cors, {
    origin: "*",
    preflight: false,
    exposedHeaders: [
      "Content-Encoding",
      "Content-Location",
      "Content-Range",
      "Content-Type",
      "Content-Disposition",
      "Content-Length",
      "Date",
      "ETag",
      "Location",
      "Range-Unit",
      "Preference-Applied",
      "X-Total-Count",
      "Link",
      "X-Request-Id",
      "X-Supabase-Api-Version",
      "X-Sb-Error-Code",
      "Sb-Auth-User-Id",
      "Sb-Auth-Session-Id",
    ],
  });
  app.addHook("onRequest", (request, reply, done) => {
    // Edge functions answer their own preflight, as on Supabase.
    if (request.method !== "OPTIONS" || request.url.startsWith("/functions/v1/")) return done();
    const method = request.headers["access-control-request-method"];
    if (!request.headers.origin || !method) return done();
    const requested = request.headers["access-control-request-headers"];
    reply
      .code(204)
      .header("access-control-allow-methods", METHODS)
      // Echo what the browser asks for, as PostgREST does, plus Authorization.
      .header("access-control-allow-headers", requested ? `${requested}, authorization` : "authorization")
      .header("access-control-max-age", "86400")
      .header("vary", "Origin, Access-Control-Request-Headers")
      .send();
  });
}
