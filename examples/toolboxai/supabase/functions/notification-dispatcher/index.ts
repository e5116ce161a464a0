// notification-dispatcher: turns database webhook payloads of public.agent_executions into
// Realtime broadcasts on the private channel `notifications:<user id>` of the member each
// execution runs for. Rate limits (60/min, 1,000/h per member), batching (up to 10 payloads per
// call, sent as a JSON array) and retries with backoff are the job engine's delivery policy for
// this URL (supabase/migrations/..._webhooks.sql), so the function only has to answer each call:
// any answer but 2xx makes the engine try the whole batch again later.
import "jsr:@supabase/functions-js/edge-runtime.d.ts";
import { corsHeaders } from "../_shared/cors.ts";
import { callerRole, json } from "../_shared/http.ts";

interface WebhookPayload {
  type: "INSERT" | "UPDATE" | "DELETE";
  table: string;
  schema: string;
  record: Record<string, unknown> | null;
  old_record: Record<string, unknown> | null;
}

interface BroadcastMessage {
  topic: string;
  event: string;
  payload: Record<string, unknown>;
  private: boolean;
}

/** The broadcast for one payload, or null when there is nothing to tell anyone. */
function notificationOf(payload: WebhookPayload): BroadcastMessage | null {
  const record = payload?.record;
  if (payload?.table !== "agent_executions" || !record || typeof record.user_id !== "string") return null;
  const previousStatus = payload.old_record?.status ?? null;
  if (payload.type === "UPDATE" && previousStatus === record.status) return null;
  return {
    topic: `notifications:${record.user_id}`,
    event: "agent_execution",
    private: true,
    payload: {
      type: payload.type,
      executionId: record.id,
      taskId: record.task_id,
      agentId: record.agent_id,
      organizationId: record.organization_id,
      status: record.status,
      previousStatus,
      executionTimeMs: record.execution_time_ms ?? null,
      qualityScore: record.quality_score ?? null,
      errorMessage: record.error_message ?? null,
      at: record.updated_at ?? new Date().toISOString(),
    },
  };
}

Deno.serve(async (req) => {
  if (req.method === "OPTIONS") return new Response("ok", { headers: corsHeaders });
  if (callerRole(req) !== "service_role") return json({ error: "only the database webhook calls this" }, 403);
  const body = await req.json().catch(() => undefined);
  if (body === undefined) return json({ error: "body must be JSON" }, 400);
  const payloads: WebhookPayload[] = Array.isArray(body) ? body : [body];
  const messages = payloads.map(notificationOf).filter((message) => message !== null);

  if (messages.length > 0) {
    // Realtime's broadcast REST API takes the whole batch in one call.
    const key = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!;
    const response = await fetch(`${Deno.env.get("SUPABASE_URL")}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { apikey: key, Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ messages }),
    });
    if (!response.ok) {
      const reason = await response.text();
      console.error(`broadcast failed (${response.status}): ${reason}`);
      return json({ error: "broadcast failed", status: response.status }, 502);
    }
  }
  const users = new Set(messages.map((message) => message.topic));
  console.log(`${messages.length} notification(s) to ${users.size} member(s) from ${payloads.length} payload(s)`);
  return json({
    success: true,
    payloads: payloads.length,
    notificationsSent: messages.length,
    users: users.size,
  });
});
