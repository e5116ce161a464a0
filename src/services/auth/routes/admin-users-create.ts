import { createUser } from "../admin-users.js";
import { clientInfo, readParams } from "../params.js";
import { requireAdmin } from "../token-auth.js";
import { adminAttributes } from "./admin-attributes.js";
import type { AuthRoute } from "./route.js";

/** `POST /admin/users` (`auth.admin.createUser`): service_role only. */
export const adminUsersCreateRoute: AuthRoute = (scope, runtime) => {
  scope.post("/admin/users", async (request) => {
    const admin = await requireAdmin(runtime, request);
    const attributes = adminAttributes(readParams(request));
    return createUser(runtime, attributes, admin, clientInfo(request));
  });
};
