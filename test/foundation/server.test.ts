import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { listen } from "../../src/http/server.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

describe("server skeleton", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers /health and /ready", async () => {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/ready`);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("echoes a well-formed x-request-id and makes one otherwise", async () => {
    const kept = await fetch(`${server.url}/health`, { headers: { "x-request-id": "abc-123" } });
    expect(kept.headers.get("x-request-id")).toBe("abc-123");
    const replaced = await fetch(`${server.url}/health`, {
      headers: { "x-request-id": "bad id\twith spaces" },
    });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers CORS preflights the way supabase-js needs", async () => {
    const response = await fetch(`${server.url}/rest/v1/contacts`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, apikey, x-client-info, content-type, prefer",
      },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toContain("apikey");
    expect(response.headers.get("access-control-allow-methods")).toContain("PATCH");
  });
});

describe("listening", () => {
  it("refuses the well-known local JWT secret on a non-loopback address", async () => {
    const config = await loadConfig(EXAMPLE_PROJECT, {
      GROUNDWORK_API_HOST: "0.0.0.0",
      GROUNDWORK_API_PORT: "0",
    });
    const app = { listen: () => Promise.reject(new Error("must not listen")) } as unknown as Parameters<
      typeof listen
    >[0];
    await expect(listen(app, config)).rejects.toThrow(
      /Refusing to listen on 0\.0\.0\.0 with the well-known local JWT secret: anyone could sign a service_role token/,
    );
  });
});
