import type { AuthRoute } from "./route.js";

/** `GET /health`: GoTrue's self-description (clients only check the status). */
export const healthRoute: AuthRoute = (scope) => {
  scope.get("/health", async () => ({
    version: "groundwork",
    name: "GoTrue",
    description: "GoTrue is a user registration and authentication API",
  }));
};
