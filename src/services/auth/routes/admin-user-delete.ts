import { deleteUserAsAdmin, loadUser } from "../admin-users.js";
import { booleanParam, clientInfo, readOptionalParams } from "../params.js";
import { requireAdmin } from "../token-auth.js";
import type { AuthRoute } from "./route.js";

/** `DELETE /admin/users/{id}` with an optional `{should_soft_delete}` body: answers `{}`. */
export const adminUserDeleteRoute: AuthRoute = (scope, runtime) => {
  scope.delete<{ Params: { user_id: string } }>("/admin/users/:user_id", async (request) => {
    const admin = await requireAdmin(runtime, request);
    const user = await loadUser(runtime, request.params.user_id);
    const soft = booleanParam(readOptionalParams(request), "should_soft_delete");
    await deleteUserAsAdmin(runtime, user, soft, admin, clientInfo(request));
    return {};
  });
};
