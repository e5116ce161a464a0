import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";

const TOKEN = "metrics-token-ÿ-0123456789abcdef";

describe("GET /metrics with [metrics] bearer_token", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ template: "platform", env: { GROUNDWORK_METRICS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("refuses a request without the token, even from loopback", async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    expect(await response.text()).not.toContain(TOKEN);
  });

  it("refuses a wrong token", async () => {
    const response = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
    });
    expect(response.status).toBe(401);
  });

  it("answers the token from any address", async () => {
    const response = await server.app.inject({
      url: "/metrics",
      remoteAddress: "203.0.113.5",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/^groundwork_listener_up 1$/m);
  });

  it("answers with the token", async () => {
    const response = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${Buffer.from(TOKEN, "latin1").toString("latin1")}` },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^groundwork_listener_up 1$/m);
  });
});

describe("GET /metrics without a token", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ template: "platform" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers a loopback client", async () => {
    for (const remoteAddress of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
      const response = await server.app.inject({ url: "/metrics", remoteAddress });
      expect(response.statusCode).toBe(200);
    }
  });

  it("refuses any other address, whatever X-Forwarded-For claims", async () => {
    for (const remoteAddress of ["203.0.113.5", "192.168.1.20", "fd00::1"]) {
      const response = await server.app.inject({
        url: "/metrics",
        remoteAddress,
        headers: { "x-forwarded-for": "127.0.0.1" },
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({
        message:
          "/metrics is served to loopback clients only; set [metrics] bearer_token in groundwork.toml to serve it to others",
      });
    }
  });
});
