import type { FastifyInstance } from "fastify";
import type { AuthRuntime } from "../types.js";

/** Registers one endpoint of the auth service on its scope. */
export type AuthRoute = (scope: FastifyInstance, runtime: AuthRuntime) => void;
