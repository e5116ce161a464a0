import net from "node:net";
import type { FastifyRequest } from "fastify";
import { authError } from "./errors.js";
import type { ClientInfo } from "./types.js";

/** A request body as GoTrue decodes it: a JSON object whose fields are read by type. */
export type Params = Readonly<Record<string, unknown>>;

/**
 * Parses the raw body (the service's content parser keeps it as text) the way GoTrue's
 * `retrieveRequestParams` does: anything that is not a JSON object is 400 `bad_json`, worded
 * like Go's decoder.
 */
export function readParams(request: FastifyRequest): Params {
  const body = typeof request.body === "string" ? request.body : "";
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const reason = body.trim() === "" ? "unexpected end of JSON input" : (error as Error).message;
    throw authError("bad_json", `Could not parse request body as JSON: ${reason}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw authError(
      "bad_json",
      `Could not parse request body as JSON: json: cannot unmarshal ${jsonKind(value)} into Go value`,
    );
  }
  if (holdsNul(value)) throw nulError("the request body");
  return value as Params;
}

/**
 * PostgreSQL stores no NUL character in text or jsonb, so a field holding one could only fail
 * later, inside a statement; it is refused up front as invalid input instead.
 */
function holdsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(holdsNul);
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).some(([key, item]) => key.includes("\u0000") || holdsNul(item));
  }
  return false;
}

function nulError(where: string) {
  return authError("validation_failed", `Invalid input: ${where} contains a NUL character (\\u0000)`);
}

/** A body that may be empty (DELETE /admin/users/{id}): empty reads as `{}`. */
export function readOptionalParams(request: FastifyRequest): Params {
  const body = typeof request.body === "string" ? request.body : "";
  return body.trim() === "" ? {} : readParams(request);
}

/** A string field; absent or null reads as "" (Go's zero value), any other type is `bad_json`. */
export function stringParam(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw typeError(name, value, "string");
  return value;
}

/** A nullable string field (Go `*string`): absent and null are both null. */
export function optionalStringParam(params: Params, name: string): string | null {
  const value = params[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw typeError(name, value, "string");
  return value;
}

export function booleanParam(params: Params, name: string): boolean {
  const value = params[name];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw typeError(name, value, "bool");
  return value;
}

/** An object field (Go `map[string]interface{}`): absent and null are null. */
export function objectParam(params: Params, name: string): Record<string, unknown> | null {
  const value = params[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value))
    throw typeError(name, value, "map[string]interface {}");
  return value as Record<string, unknown>;
}

function typeError(name: string, value: unknown, goType: string) {
  return authError(
    "bad_json",
    `Could not parse request body as JSON: json: cannot unmarshal ${jsonKind(value)} into Go struct field .${name} of type ${goType}`,
  );
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "object") return "object";
  return typeof value;
}

/** A query parameter as a single string ("" when absent). */
export function queryParam(request: FastifyRequest, name: string): string {
  const query = request.query as Record<string, string | string[] | undefined> | undefined;
  const value = query?.[name];
  const text = (Array.isArray(value) ? value[0] : value) ?? "";
  if (text.includes("\u0000")) throw nulError(`the query parameter ${name}`);
  return text;
}

/** The audience requested with `X-JWT-AUD`, else `authenticated` (GoTrue's `requestAud`). */
export function requestAudience(request: FastifyRequest): string {
  const header = request.headers["x-jwt-aud"];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim() ? value.trim() : "authenticated";
}

/** Client address and user agent for the session row and the audit log. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers["user-agent"];
  return {
    ip: net.isIP(request.ip) ? request.ip : null,
    userAgent: typeof userAgent === "string" && userAgent !== "" ? userAgent : null,
  };
}
