import type { FastifyInstance } from "fastify";
import type { Config } from "../config/index.js";
import type { Database } from "../db/pool.js";

/** What every service gets from the server: the frozen config and the two pools. */
export interface ServiceDeps {
  readonly config: Config;
  readonly db: Database;
}

/**
 * A service mounted under a prefix (`/auth/v1`, `/rest/v1`...). `register` adds its routes,
 * content parsers and error handler to its own encapsulated scope.
 */
export interface Service {
  readonly name: string;
  readonly prefix: string;
  register(scope: FastifyInstance, deps: ServiceDeps): Promise<void> | void;
}
