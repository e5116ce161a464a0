import pg from "pg";
import { type RequestContext, withContext } from "../../src/db/context.js";

/** One entry of groundwork.audit_log, as tests read it. */
export interface AuditRow {
  id: string;
  ts: Date;
  op: string;
  table_schema: string;
  table_name: string;
  record_id: string | null;
  old_record_id: string | null;
  pk: Record<string, unknown> | null;
  record: Record<string, unknown> | null;
  old_record: Record<string, unknown> | null;
  tenant_id: string | null;
  auth_uid: string | null;
  auth_role: string | null;
  request_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  claims: Record<string, unknown> | null;
}

export const TENANT_A = "0000000a-0000-4000-8000-000000000001";
export const TENANT_B = "0000000b-0000-4000-8000-000000000001";

/** A request context as the data API builds it for a signed-in user. */
export function userContext(
  sub: string,
  options: {
    tenantId?: string;
    tenantRole?: string;
    requestId?: string;
    headers?: Record<string, string>;
  } = {},
): RequestContext {
  return {
    role: "authenticated",
    claims: {
      sub,
      role: "authenticated",
      email: `${sub.slice(0, 8)}@test.local`,
      app_metadata: { tenant_id: options.tenantId, tenant_role: options.tenantRole },
    },
    token: null,
    headers: { "x-forwarded-for": "127.0.0.1", "user-agent": "audit-tests", ...options.headers },
    cookies: {},
    method: "POST",
    path: "/",
    requestId: options.requestId ?? "req-test",
  };
}

/** Runs `sql` as `ctx` through withContext on the `authenticator` pool, exactly as the data API does. */
export async function asCaller<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  ctx: RequestContext,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  return withContext(pool, ctx, async (client) => (await client.query<R>(sql, params)).rows);
}

/** A pool logged in as `authenticator` (no superuser, no BYPASSRLS), as the API's. */
export function apiPool(apiUrl: string): pg.Pool {
  return new pg.Pool({ connectionString: apiUrl, max: 2 });
}
