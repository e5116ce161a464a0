import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService } from "./types.js";

function post(
  path: string,
  context: FuzzContext,
  body: unknown,
  contentType = "application/json",
): FuzzRequest {
  const key = context.server.serviceRoleKey;
  return {
    method: "POST",
    path,
    headers: { apikey: key, authorization: `Bearer ${key}`, "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

const ROUTES: readonly FuzzRoute[] = [
  {
    method: "POST",
    route: "/realtime/v1/api/broadcast",
    example: (c) =>
      post("/realtime/v1/api/broadcast", c, {
        messages: [{ topic: "room:café", event: "greet", payload: { text: "Zoë 👋 日本 مرحبا" } }],
      }),
    exampleStatus: 202,
  },
  {
    method: "POST",
    route: "/realtime/v1/api/broadcast/:topic/events/:event",
    example: (c) => post("/realtime/v1/api/broadcast/room%3Alobby/events/greet", c, { text: "Ñandú" }),
    exampleStatus: 202,
  },
];

/**
 * The realtime service's HTTP routes (broadcast). The WebSocket is not a Fastify route; its frames
 * are fuzzed by realtime-frames.test.ts.
 */
export const realtimeFuzz: FuzzService = {
  name: "realtime",
  prefix: "/realtime/v1",
  routes: ROUTES,
  async healthy({ server }) {
    const response = await fetch(`${server.url}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: {
        apikey: server.serviceRoleKey,
        authorization: `Bearer ${server.serviceRoleKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ messages: [{ topic: "after", event: "e", payload: {} }] }),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 202)
      throw new Error(
        `POST /realtime/v1/api/broadcast answered ${response.status}: ${await response.text()}`,
      );
  },
};
