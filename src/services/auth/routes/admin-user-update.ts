import { loadUser, updateUserAsAdmin } from "../admin-users.js";
import { clientInfo, readParams } from "../params.js";
import { requireAdmin } from "../token-auth.js";
import { adminAttributes } from "./admin-attributes.js";
import type { AuthRoute } from "./route.js";

/** `PUT /admin/users/{id}` (`auth.admin.updateUserById`), including `ban_duration`. */
export const adminUserUpdateRoute: AuthRoute = (scope, runtime) => {
  scope.put<{ Params: { user_id: string } }>("/admin/users/:user_id", async (request) => {
    const admin = await requireAdmin(runtime, request);
    const user = await loadUser(runtime, request.params.user_id);
    const attributes = adminAttributes(readParams(request));
    return updateUserAsAdmin(runtime, user, attributes, admin, clientInfo(request));
  });
};
