import { expect } from "vitest";
import type { Case } from "./case.js";

/** Aggregates through to-one spreads, and EXPLAIN output (`db-plan-enabled` on). */
export const PLAN_CASES: readonly Case[] = [
  {
    name: "aggregate beside a to-one spread inside an embed groups by each spread column",
    path: "/messages?select=id,channels(count(),...channel_details(*))&id=eq.1",
    status: 200,
    json: [{ id: 1, channels: { count: 1, id: 1, details: "le canal 📣" } }],
    sql: [`"channels_channel_details_2"."id", "channels_channel_details_2"."details"`, "GROUP BY 2, 3"],
  },
  {
    name: "aggregates inside a to-one spread beside the parent's aggregate",
    path: "/messages?select=id,channels(id.sum(),...channel_details(details_sum:id.sum(),details))&id=in.(1,2)&order=id",
    status: 200,
    json: [
      { id: 1, channels: { sum: 1, details_sum: 1, details: "le canal 📣" } },
      { id: 2, channels: { sum: 2, details_sum: null, details: null } },
    ],
  },
  {
    name: "plan as JSON for a read",
    path: "/users?username=eq.zoë",
    headers: { accept: "application/vnd.pgrst.plan+json" },
    status: 200,
    responseHeaders: {
      "content-type": 'application/vnd.pgrst.plan+json; for="application/json"; charset=utf-8',
    },
    check: (r) => {
      const plan = r.json as { Plan: { "Node Type": string } }[];
      expect(plan[0]?.Plan["Node Type"]).toBeTruthy();
      expect(r.text.endsWith("\n")).toBe(true);
    },
  },
  {
    name: "plan as text with analyze, for the object media type",
    path: "/users?username=eq.zoë",
    headers: {
      accept:
        'application/vnd.pgrst.plan+text; for="application/vnd.pgrst.object+json"; options=analyze|verbose',
    },
    status: 200,
    responseHeaders: {
      "content-type":
        'application/vnd.pgrst.plan+text; for="application/vnd.pgrst.object+json"; options=analyze|verbose; charset=utf-8',
    },
    check: (r) => {
      expect(r.text).toContain("actual time=");
      expect(r.text).toContain("Output:");
    },
  },
  {
    name: "plan of an RPC",
    path: "/rpc/get_status?name_param=zoë",
    headers: { accept: "application/vnd.pgrst.plan" },
    status: 200,
    check: (r) => expect(r.text).toMatch(/cost=/),
  },
  {
    name: "plan of a write without analyze does not write",
    method: "POST",
    path: "/users",
    headers: { accept: "application/vnd.pgrst.plan+json" },
    body: `{"username":"plan-only"}`,
    status: 200,
    check: (r) => expect(JSON.stringify(r.json)).toContain("Insert"),
  },
];
