import { authError } from "../errors.js";
import { clientInfo, queryParam } from "../params.js";
import { type LogoutScope, signOut } from "../sessions.js";
import { auditPayload, insertAudit } from "../sql/audit.js";
import { transaction } from "../sql/queryable.js";
import { requireUser } from "../token-auth.js";
import type { AuthRoute } from "./route.js";

const SCOPES: readonly string[] = ["global", "local", "others"];

/** `POST /logout?scope=global|local|others`: 204, no body; `global` when no scope is given. */
export const logoutRoute: AuthRoute = (scope, runtime) => {
  scope.post("/logout", async (request, reply) => {
    const caller = await requireUser(runtime, request);
    const requested = queryParam(request, "scope");
    if (requested !== "" && !SCOPES.includes(requested)) {
      throw authError("validation_failed", `Unsupported logout scope ${JSON.stringify(requested)}`);
    }
    const logoutScope = (requested || "global") as LogoutScope;
    await transaction(runtime.db.admin, async (tx) => {
      const actor = { id: caller.user.id, name: caller.user.email };
      await insertAudit(tx, auditPayload("logout", actor), clientInfo(request).ip);
      await signOut(tx, caller.user.id, caller.sessionId, logoutScope);
    });
    return reply.code(204).send();
  });
};
