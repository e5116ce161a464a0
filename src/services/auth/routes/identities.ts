import { authError } from "../errors.js";
import { startSignIn } from "../oauth/flow.js";
import { queryParam } from "../params.js";
import { unlinkIdentity } from "../sql/oauth-users.js";
import { requireUser } from "../token-auth.js";
import type { AuthRoute } from "./route.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /user/identities/authorize?provider=NAME` (`linkIdentity`): the provider's sign-in URL
 * for attaching an identity to the signed-in user (`{url}` with `skip_http_redirect=true`, as
 * supabase-js asks, else a 302). `DELETE /user/identities/{id}` (`unlinkIdentity`): removes one,
 * never the last.
 */
export const identitiesRoute: AuthRoute = (scope, runtime) => {
  scope.get("/user/identities/authorize", async (request, reply) => {
    const caller = await requireUser(runtime, request);
    const url = await startSignIn(runtime, request, caller.user.id);
    if (queryParam(request, "skip_http_redirect") === "true") return { url };
    return reply.redirect(url, 302);
  });

  scope.delete<{ Params: { identity_id: string } }>("/user/identities/:identity_id", async (request) => {
    const caller = await requireUser(runtime, request);
    const id = request.params.identity_id;
    if (!UUID.test(id)) throw authError("validation_failed", "identity_id must be an UUID", 404);
    if (caller.user.identities.length <= 1) throw authError("single_identity_not_deletable");
    const identity = caller.user.identities.find((candidate) => candidate.id === id.toLowerCase());
    if (!identity) throw authError("identity_not_found");
    await unlinkIdentity(runtime.db.admin, caller.user.id, identity.id);
    return {};
  });
};
