import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

/**
 * CORS as Supabase's gateway answers it: any origin, the methods of every service, the request's
 * own headers allowed (so `apikey`, `x-client-info`, `prefer`, `x-upsert`... pass), and the
 * response headers the client libraries read exposed.
 */
export async function registerCors(app: FastifyInstance): Promise<void> {
  await app.register(cors, {
    origin: "*",
    methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    // Without an explicit list the plugin echoes Access-Control-Request-Headers, as PostgREST does.
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
    maxAge: 86400,
    strictPreflight: false,
  });
}
