import type { FastifyReply } from "fastify";
import { JwtError } from "../../request/jwt.js";

/**
 * PostgREST's error body: all four keys always present (reference/postgrest.md §14.1).
 * `details` may be an array (PGRST201).
 */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details: string | readonly unknown[] | null;
  readonly hint: string | null;
}

/**
 * The PGRST codes this service raises, with their HTTP status. Messages are built by the
 * factories below with PostgREST v14's wording.
 */
export const PGRST = {
  PGRST000: 503,
  PGRST002: 503,
  PGRST003: 504,
  PGRST100: 400,
  PGRST101: 405,
  PGRST102: 400,
  PGRST103: 416,
  PGRST105: 405,
  PGRST106: 406,
  PGRST107: 406,
  PGRST108: 400,
  PGRST111: 500,
  PGRST112: 500,
  PGRST114: 400,
  PGRST115: 400,
  PGRST116: 406,
  PGRST117: 405,
  PGRST118: 400,
  PGRST120: 400,
  PGRST121: 500,
  PGRST122: 400,
  PGRST123: 400,
  PGRST124: 400,
  PGRST125: 404,
  PGRST126: 404,
  PGRST127: 400,
  PGRST128: 400,
  PGRST200: 400,
  PGRST201: 300,
  PGRST202: 404,
  PGRST203: 300,
  PGRST204: 400,
  PGRST205: 404,
  PGRST301: 401,
  PGRST303: 401,
  PGRSTX00: 500,
} as const;

export type PgrstCode = keyof typeof PGRST;

/** An error answered with PostgREST's body; thrown anywhere below the routes. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(body.message);
    this.name = "RestError";
  }
}

/** A catalogue error: status from {@link PGRST}. */
export function pgrst(
  code: PgrstCode,
  message: string,
  details: ErrorBody["details"] = null,
  hint: string | null = null,
): RestError {
  return new RestError(PGRST[code], { code, message, details, hint });
}

/** PGRST100: the query string did not parse; `message` carries the position, `details` the expectation. */
export function parseError(message: string, details: string): RestError {
  return pgrst("PGRST100", message, details);
}

/** The fields of a node-postgres DatabaseError that the body and the status need. */
export interface PgErrorLike {
  readonly code: string;
  readonly message: string;
  readonly detail?: string | undefined;
  readonly hint?: string | undefined;
}

/** A server error from node-postgres (it carries a SQLSTATE and a severity). */
export function isPgError(error: unknown): error is PgErrorLike & Error {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === "string" &&
    /^[0-9A-Z]{5}$/.test((error as unknown as { code: string }).code) &&
    "severity" in error
  );
}

/**
 * SQLSTATE -> HTTP status, PostgREST's table (reference §14.2). `authenticated` is true when the
 * request's role is not the anon role.
 */
export function httpStatusFor(error: PgErrorLike, authenticated: boolean): number {
  const code = error.code;
  const m = error.message;
  const two = code.slice(0, 2);
  if (code === "23503" || code === "23505") return 409;
  if (code === "25006") return 405;
  if (code === "21000") return m.endsWith("requires a WHERE clause") ? 400 : 500;
  if (code === "22023") return m.startsWith("role") && m.endsWith("does not exist") ? 401 : 400;
  if (code === "42883") return m.startsWith("function xmlagg(") ? 406 : 404;
  if (code === "42P01") return 404;
  if (code === "42P17") return 500;
  if (code === "42501") return authenticated ? 403 : 401;
  if (code === "53400") return 500;
  if (code === "57P01") return 503;
  if (code === "P0001") return 400;
  if (two === "PT") {
    const status = Number(code.slice(2));
    return Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
  }
  const byClass: Record<string, number> = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "25": 500,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "57": 500,
    "58": 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  return byClass[two] ?? 400;
}

/** A Postgres error as PostgREST answers it, including `RAISE SQLSTATE 'PGRST'` (full control). */
export function fromPgError(error: PgErrorLike, authenticated: boolean): RestError {
  if (error.code === "PGRST") return fromRaisePgrst(error);
  const status = httpStatusFor(error, authenticated);
  const body: ErrorBody = {
    code: error.code,
    message: error.message,
    details: error.detail ?? null,
    hint: error.hint ?? null,
  };
  return new RestError(status, body, status === 401 ? { "WWW-Authenticate": "Bearer" } : {});
}

function fromRaisePgrst(error: PgErrorLike): RestError {
  const message = parseJsonObject(error.message);
  if (!message || typeof message.code !== "string" || typeof message.message !== "string") {
    return pgrst(
      "PGRST121",
      `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`,
      `Invalid JSON value for MESSAGE: '${error.message}'`,
      "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.",
    );
  }
  const detail = error.detail === undefined ? null : parseJsonObject(error.detail);
  if (!detail || typeof detail.status !== "number" || !isStringRecord(detail.headers ?? {})) {
    return pgrst(
      "PGRST121",
      `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`,
      error.detail === undefined
        ? "DETAIL is missing in the RAISE statement"
        : `Invalid JSON value for DETAIL: '${error.detail}'`,
      "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.",
    );
  }
  return new RestError(
    detail.status,
    {
      code: message.code,
      message: message.message,
      details: typeof message.details === "string" ? message.details : null,
      hint: typeof message.hint === "string" ? message.hint : null,
    },
    (detail.headers ?? {}) as Record<string, string>,
  );
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function isStringRecord(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

/** Turns anything thrown while serving a request into PostgREST's error response. */
export function toRestError(error: unknown, authenticated: boolean, contentType?: string): RestError {
  if (error instanceof RestError) return error;
  if (error instanceof JwtError) return postgrestTokenError(error);
  if (isPgError(error)) return fromPgError(error, authenticated);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "57P03") {
    return pgrst("PGRST000", "Database connection error. Retrying the connection.", String(code));
  }
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    // A Content-Type header that does not parse as a media type (`garbage`, `a/b/c`, `;`).
    return new RestError(415, {
      code: "PGRST107",
      message: `Content-Type not acceptable: ${contentType ?? ""}`,
      details: null,
      hint: null,
    });
  }
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return new RestError(413, {
      code: "PGRST102",
      message: "Request body too large",
      details: null,
      hint: null,
    });
  }
  if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message)) {
    return pgrst("PGRST003", "Timed out acquiring connection from connection pool.");
  }
  return new RestError(500, {
    code: "PGRSTX00",
    message: "Internal server error",
    details: null,
    hint: null,
  });
}

/** The one renderer: status, PostgREST's headers, JSON body. */
export function sendError(reply: FastifyReply, error: RestError): FastifyReply {
  const payload = JSON.stringify(error.body);
  reply.code(error.status);
  reply.header("content-type", "application/json; charset=utf-8");
  reply.header("proxy-status", `PostgREST; error=${error.body.code}`);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  if (error.status === 503) reply.header("retry-after", "0");
  return reply.send(payload);
}

/** PostgREST's code and message for each reason a token is refused (reference/postgrest.md §10). */
function postgrestWording(error: JwtError): { code: "PGRST301" | "PGRST303"; message: string } {
  switch (error.reason) {
    case "missing":
      return { code: "PGRST301", message: "Empty JWT is sent in Authorization header" };
    case "malformed":
      return error.detail.segments !== undefined && error.detail.segments !== 3
        ? { code: "PGRST301", message: `Expected 3 parts in JWT; got ${error.detail.segments}` }
        : { code: "PGRST301", message: "JWT couldn't be decoded" };
    case "bad_algorithm":
      return { code: "PGRST301", message: "Wrong or unsupported encoding algorithm" };
    case "bad_signature":
      return { code: "PGRST301", message: "JWT cryptographic operation failed" };
    case "expired":
      return { code: "PGRST303", message: "JWT expired" };
    case "not_yet_valid":
      return { code: "PGRST303", message: "JWT not yet valid" };
    case "issued_in_future":
      return { code: "PGRST303", message: "JWT issued at future" };
    case "invalid_claims":
      return error.detail.claim
        ? { code: "PGRST303", message: `The JWT '${error.detail.claim}' claim must be a number` }
        : { code: "PGRST303", message: "Parsing claims failed" };
    case "invalid_api_key":
      return { code: "PGRST301", message: "Invalid API key" };
  }
}

/** A refused token as PostgREST answers it: 401 with `WWW-Authenticate: Bearer error="invalid_token"`. */
export function postgrestTokenError(error: JwtError): RestError {
  const { code, message } = postgrestWording(error);
  const hint =
    error.reason === "invalid_api_key"
      ? "Double check your Supabase `anon` or `service_role` API key."
      : null;
  return new RestError(
    401,
    { code, message, details: null, hint },
    { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${message}"` },
  );
}
