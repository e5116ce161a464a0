import { loadUser } from "../admin-users.js";
import { AuthError, authError } from "../errors.js";
import { clientInfo } from "../params.js";
import { auditPayload } from "../sql/audit.js";
import { deleteFactor } from "../sql/factors.js";
import { requireAdmin } from "../token-auth.js";
import type { AuthRoute } from "./route.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /admin/users/{id}/factors` (`auth.admin.mfa.listFactors`): the user's factors, verified or
 * not; `DELETE /admin/users/{id}/factors/{factor_id}` (`auth.admin.mfa.deleteFactor`): removes one
 * (a user who lost their authenticator), its sessions falling back to aal1, and answers with it.
 */
export const adminFactorsRoute: AuthRoute = (scope, runtime) => {
  scope.get<{ Params: { user_id: string } }>("/admin/users/:user_id/factors", async (request) => {
    await requireAdmin(runtime, request);
    const user = await loadUser(runtime, request.params.user_id);
    return user.factors ?? [];
  });

  scope.delete<{ Params: { user_id: string; factor_id: string } }>(
    "/admin/users/:user_id/factors/:factor_id",
    async (request) => {
      const admin = await requireAdmin(runtime, request);
      const user = await loadUser(runtime, request.params.user_id);
      const factorId = request.params.factor_id;
      if (!UUID.test(factorId)) throw new AuthError(404, "validation_failed", "factor_id must be an UUID");
      const factor = user.factors?.find((candidate) => candidate.id === factorId.toLowerCase());
      if (!factor) throw authError("mfa_factor_not_found");
      await deleteFactor(runtime.db.admin, factor.id, {
        payload: auditPayload(
          "factor_deleted",
          { id: user.id, name: admin.role },
          { user_id: user.id, factor_id: factor.id },
        ),
        ip: clientInfo(request).ip,
      });
      return factor;
    },
  );
};
