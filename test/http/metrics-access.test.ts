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

  it("answers with the token", async () => {
    const response = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${Buffer.from(TOKEN, "latin1").toString("latin1")}` },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^groundwork_listener_up 1$/m);
  });
});
