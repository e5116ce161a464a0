import type { TestServer } from "../harness/server.js";
import type { Random } from "./random.js";

/** One HTTP request as sent on the wire: nothing is normalised or re-encoded on the way. */
export interface FuzzRequest {
  readonly method: string;
  /** Path and query string exactly as written on the request line (spaces are sent as %20). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What a service's routes and checks get: the server and the values its setup made. */
export interface FuzzContext {
  readonly server: TestServer;
  readonly values: Readonly<Record<string, string>>;
}

/** One route of a service, with a valid request that the mutations start from. */
export interface FuzzRoute {
  readonly method: string;
  /** The route as registered, e.g. `/auth/v1/admin/users/:user_id`, for the coverage check. */
  readonly route: string;
  /** A valid request to this route; the unmutated one must answer below 400 unless `exampleStatus` says otherwise. */
  example(context: FuzzContext): FuzzRequest;
  readonly exampleStatus?: number;
}

/** A change to a request: the generic ones (mutate.ts) and each service's own. */
export type Mutation = (request: FuzzRequest, random: Random, context: FuzzContext) => FuzzRequest;

/**
 * A service's part of the fuzz test (one file in test/fuzz/, one line in services.ts). `name` is
 * the service's name in src/http/services.ts (`http` for the server's own routes).
 */
export interface FuzzService {
  readonly name: string;
  /** The path prefix its routes live under (`/auth/v1`); error shapes are checked below it. */
  readonly prefix: string;
  /** Every route the service registers; the test fails for a registered route left out. */
  readonly routes: readonly FuzzRoute[];
  /** Mutations only this service knows (its headers, its body fields, its token tricks). */
  readonly mutations?: readonly Mutation[];
  /** Makes what the examples need (users, rows) before the run; the result is its context's values. */
  setup?(server: TestServer): Promise<Record<string, string>>;
  /** Why a 4xx body is not in the protocol's own error shape, or null when it is. */
  errorShape?(status: number, body: string, request: FuzzRequest): string | null;
  /** Throws unless the service still answers correctly after the run. */
  healthy(context: FuzzContext): Promise<void>;
}
