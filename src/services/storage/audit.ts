import type { FastifyRequest } from "fastify";
import type pg from "pg";
import { claimedTenantId } from "../../db/context.js";
import type { StorageDeps } from "./types.js";

/**
 * JSON text PostgreSQL's jsonb accepts: it refuses `\u0000` in strings, which a token's claims or
 * a client's metadata may hold; such characters are dropped.
 */
export function jsonForPostgres(value: unknown): string {
  return JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, "$1");
}

/** Who made a request, as the audit log and the quarantine record it. */
export interface Actor {
  readonly sub: string | null;
  readonly role: string;
  readonly tenant_id: string;
  readonly request_id: string;
  readonly ip: string;
  readonly user_agent: string | null;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** The request's caller as an {@link Actor}; a refused token counts as anon (public routes). */
export function actorOf(request: FastifyRequest): Actor {
  const caller = request.caller;
  const claims = caller?.ok ? caller.context.claims : { role: "anon" };
  const role = caller?.ok ? caller.context.role : "anon";
  return {
    sub: typeof claims.sub === "string" && claims.sub !== "" ? claims.sub : null,
    role,
    tenant_id: claimedTenantId(claims),
    request_id: request.id,
    ip: request.ip,
    user_agent: request.headers["user-agent"] ?? null,
    claims,
  };
}

/**
 * The server itself as an {@link Actor}: seeding, the sweep's purges and the admin commands, with
 * the service role's rights. `requestId` and `userAgent` say which of them it was.
 */
export function platformActor(requestId: string, userAgent: string): Actor {
  return {
    sub: null,
    role: "service_role",
    tenant_id: "00000000-0000-0000-0000-000000000000",
    request_id: requestId,
    ip: "",
    user_agent: userAgent,
    claims: { role: "service_role" },
  };
}

/** The file events of docs/storage.md "Audit". */
export type FileEvent =
  | "UPLOAD"
  | "DOWNLOAD"
  | "MOVE"
  | "COPY"
  | "REMOVE"
  | "QUARANTINE"
  | "RESTORE"
  | "PURGE";

/**
 * Records a file event in `groundwork.audit_log`, in the given transaction when there is one (so
 * the event commits with the change), else on its own.
 */
export async function recordFileEvent(
  deps: StorageDeps,
  event: FileEvent,
  bucket: string,
  name: string,
  detail: Record<string, unknown>,
  actor: Actor,
  client?: pg.ClientBase,
): Promise<void> {
  await (client ?? deps.db.admin).query("select storage.groundwork_file_event($1, $2, $3, $4, $5)", [
    event,
    bucket,
    name,
    jsonForPostgres(detail),
    jsonForPostgres(actor),
  ]);
}

/** Records one event per object in one statement (bulk removes). */
export async function recordFileEvents(
  deps: StorageDeps,
  event: FileEvent,
  bucket: string,
  items: readonly { name: string; detail: Record<string, unknown> }[],
  actor: Actor,
): Promise<void> {
  if (items.length === 0) return;
  await deps.db.admin.query(
    `select storage.groundwork_file_event($1, $2, t.name, t.detail, $5)
     from unnest($3::text[], $4::jsonb[]) as t(name, detail)`,
    [
      event,
      bucket,
      items.map((item) => item.name),
      items.map((item) => jsonForPostgres(item.detail)),
      jsonForPostgres(actor),
    ],
  );
}

/** Records one event per object, objects of any bucket, in the given transaction (purges). */
export async function recordFileEventsIn(
  client: pg.ClientBase,
  event: FileEvent,
  items: readonly { bucket: string; name: string; detail: Record<string, unknown> }[],
  actor: Actor,
): Promise<void> {
  if (items.length === 0) return;
  await client.query(
    `select storage.groundwork_file_event($1, t.bucket, t.name, t.detail, $5)
     from unnest($2::text[], $3::text[], $4::jsonb[]) as t(bucket, name, detail)`,
    [
      event,
      items.map((item) => item.bucket),
      items.map((item) => item.name),
      items.map((item) => jsonForPostgres(item.detail)),
      jsonForPostgres(actor),
    ],
  );
}
