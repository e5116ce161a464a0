import type { FuzzRoute, FuzzService } from "./types.js";

const ROUTES: readonly FuzzRoute[] = [
  { method: "GET", route: "/health", example: () => ({ method: "GET", path: "/health", headers: {} }) },
  { method: "GET", route: "/ready", example: () => ({ method: "GET", path: "/ready", headers: {} }) },
  { method: "GET", route: "/metrics", example: () => ({ method: "GET", path: "/metrics", headers: {} }) },
  {
    method: "OPTIONS",
    route: "*",
    example: () => ({
      method: "OPTIONS",
      path: "/rest/v1/films",
      headers: {
        origin: "http://127.0.0.1:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "apikey, content-type",
      },
    }),
  },
  {
    method: "GET",
    route: "/",
    example: () => ({ method: "GET", path: "/nowhere/v1/x", headers: {} }),
    exampleStatus: 404,
  },
];

/** The server's own routes (health, readiness, metrics) and paths no service serves. */
export const httpFuzz: FuzzService = {
  name: "http",
  prefix: "/",
  routes: ROUTES,
  async healthy({ server }) {
    const response = await fetch(`${server.url}/ready`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200)
      throw new Error(`GET /ready answered ${response.status}: ${await response.text()}`);
  },
};
