import { loadUser } from "../admin-users.js";
import { requireAdmin } from "../token-auth.js";
import { userJson } from "../user-json.js";
import type { AuthRoute } from "./route.js";

/** `GET /admin/users/{id}` (`auth.admin.getUserById`). */
export const adminUserGetRoute: AuthRoute = (scope, runtime) => {
  scope.get<{ Params: { user_id: string } }>("/admin/users/:user_id", async (request) => {
    await requireAdmin(runtime, request);
    return userJson(await loadUser(runtime, request.params.user_id));
  });
};
