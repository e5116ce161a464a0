// analytics-aggregation: called by pg_cron every 5 minutes (supabase/migrations/..._analytics.sql)
// or by an operator with the service role key. The work is one SQL function,
// public.aggregate_agent_analytics(): per-agent metrics over the retention window, a system health
// score, and the cleanup of what is older than the window.
import "jsr:@supabase/functions-js/edge-runtime.d.ts";
import { corsHeaders } from "../_shared/cors.ts";
import { adminClient, callerRole, json } from "../_shared/http.ts";

const RETENTION_DAYS = Number(Deno.env.get("DATA_RETENTION_DAYS") ?? "30");

Deno.serve(async (req) => {
  if (req.method === "OPTIONS") return new Response("ok", { headers: corsHeaders });
  if (callerRole(req) !== "service_role") return json({ error: "service role only" }, 403);
  const started = performance.now();
  const { data, error } = await adminClient().rpc("aggregate_agent_analytics", { retention_days: RETENTION_DAYS });
  if (error) {
    console.error(`aggregation failed: ${error.message}`);
    return json({ success: false, error: error.message }, 500);
  }
  const processingTime = Math.round(performance.now() - started);
  console.log(
    `aggregated ${data.agentsProcessed} agents (${data.executionsProcessed} executions), ` +
      `health ${data.systemHealthScore} (${data.status}) in ${processingTime} ms`,
  );
  return json({ ...data, processingTime });
});
