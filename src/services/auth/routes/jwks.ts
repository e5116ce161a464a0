import type { AuthRoute } from "./route.js";

/** `GET /.well-known/jwks.json`: tokens are HS256 with the project secret, so no public key. */
export const jwksRoute: AuthRoute = (scope) => {
  scope.get("/.well-known/jwks.json", async () => ({ keys: [] }));
};
