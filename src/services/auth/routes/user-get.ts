import { authError } from "../errors.js";
import { requestAudience } from "../params.js";
import { requireUser } from "../token-auth.js";
import { userJson } from "../user-json.js";
import type { AuthRoute } from "./route.js";

/** `GET /user`: the signed-in user, if the token's audience is the one requested. */
export const userGetRoute: AuthRoute = (scope, runtime) => {
  scope.get("/user", async (request) => {
    const caller = await requireUser(runtime, request);
    const aud = Array.isArray(caller.claims.aud) ? caller.claims.aud[0] : caller.claims.aud;
    if (aud !== requestAudience(request)) {
      throw authError("validation_failed", "Token audience doesn't match request audience");
    }
    return userJson(caller.user);
  });
};
