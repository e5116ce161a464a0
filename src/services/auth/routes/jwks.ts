import type { AuthRoute } from "./route.js";

/**
 * `GET /.well-known/jwks.json`: the public keys of `[auth] signing_keys_path` (current, standby and
 * previous), which `supabase.auth.getClaims()` verifies tokens with locally. Empty while tokens
 * are HS256 with the legacy secret, which is never published (GoTrue does the same).
 */
export const jwksRoute: AuthRoute = (scope, runtime) => {
  const body = { keys: runtime.config.jwt.signingKeys.map((key) => key.publicJwk) };
  scope.get("/.well-known/jwks.json", async (_request, reply) => {
    // GoTrue lets clients cache the set for 10 minutes.
    reply.header("cache-control", "public, max-age=600");
    return body;
  });
};
