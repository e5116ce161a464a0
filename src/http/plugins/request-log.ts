import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import pino from "pino";
import { claimedTenantId } from "../../db/context.js";
import { clientAborted } from "../../request/client-abort.js";
import { maskUrl } from "../logger.js";

const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** Whether `logger` writes lines at `level` (its own level is that or lower). */
function enabled(logger: FastifyBaseLogger, level: "info" | "error"): boolean {
  const current = pino.levels.values[logger.level];
  return current !== undefined && current <= (pino.levels.values[level] as number);
}

/**
 * One log line per request, when it ends: method, path (credentials in the query masked), status,
 * duration, request id (`reqId`), and the caller's role, user id and tenant id. Server faults (5xx)
 * are logged at error level, everything else at info; a client that went away before its answer
 * is logged once, at info, with `aborted: true` (it is not the server's fault).
 */
export function registerRequestLog(app: FastifyInstance): void {
  const logged = new WeakSet<FastifyRequest>();
  const log = (request: FastifyRequest, reply: FastifyReply | null) => {
    if (logged.has(request)) return;
    logged.add(request);
    const aborted = reply === null || (!reply.raw.writableFinished && clientAborted(request));
    const fault = !aborted && (reply?.statusCode ?? 0) >= 500;
    // Nothing to build when the level is off (log_level = "warn" in production, "silent" in benches).
    if (!enabled(request.log, fault ? "error" : "info")) return;
    const caller = request.caller?.ok ? request.caller.context : null;
    const sub = caller?.claims.sub;
    const tenant = caller ? claimedTenantId(caller.claims) : NIL_UUID;
    const line = {
      method: request.method,
      path: maskUrl(request.url),
      status: aborted ? null : (reply?.statusCode ?? null),
      ms: reply ? Math.round(reply.elapsedTime * 10) / 10 : null,
      role: caller?.role ?? null,
      user_id: typeof sub === "string" ? sub : null,
      tenant_id: tenant === NIL_UUID ? null : tenant,
      ...(aborted ? { aborted: true } : {}),
    };
    if (fault) request.log.error(line, "request");
    else request.log.info(line, "request");
  };
  app.addHook("onResponse", (request, reply, done) => {
    log(request, reply);
    done();
  });
  app.addHook("onRequestAbort", (request, done) => {
    log(request, null);
    done();
  });
}
