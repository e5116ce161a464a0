import type { FastifyRequest } from "fastify";
import { errors } from "../errors.js";

/** The request's JSON object body; `{}` when there is none. */
export function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body))
    throw errors.invalidRequest("body must be a JSON object");
  return body as Record<string, unknown>;
}

/** A query parameter as a non-negative integer, or undefined when absent. */
export function queryInteger(query: Record<string, unknown>, name: string): number | undefined {
  const value = query[name];
  if (value === undefined || value === "") return undefined;
  const number = Number(value);
  if (typeof value !== "string" || !Number.isSafeInteger(number) || number < 0)
    throw errors.invalidParameter(name);
  return number;
}

/** A query parameter as a string, or undefined when absent or repeated. */
export function queryString(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  return typeof value === "string" ? value : undefined;
}

/** A body field as an integer, or undefined when absent. */
export function bodyInteger(body: Record<string, unknown>, name: string, min = 0): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min)
    throw errors.invalidParameter(name);
  return value;
}

/** A body field as a string; throws `MissingParameter` when required and absent. */
export function bodyString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (value === undefined || value === null) throw errors.missingParameter(name);
  if (typeof value !== "string") throw errors.invalidParameter(name);
  return value;
}
