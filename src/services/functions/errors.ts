/**
 * The relay's own answers, as the Supabase CLI's local relay words them (reference/functions.md
 * §3-4). A function's own responses pass through untouched; these are only for what happens
 * around it.
 */
export const RELAY_ERRORS = {
  /** No such function, or one disabled in config.toml. Plain text, as the CLI answers. */
  notFound: { status: 404, body: "Function not found" },
  /** TRACE, CONNECT and TRACK, which Deno's Request refuses to carry (the Fetch standard forbids them). */
  methodNotAllowed: { status: 405, body: { code: "METHOD_NOT_ALLOWED", message: "Method not allowed" } },
  missingAuthorization: { status: 401, body: { msg: "Error: Missing authorization header" } },
  notBearer: { status: 401, body: { msg: "Error: Auth header is not 'Bearer {token}'" } },
  invalidJwt: { status: 401, body: { msg: "Invalid JWT" } },
  /** Groundwork's own limit on request bodies (`[functions] body_limit`). */
  payloadTooLarge: {
    status: 413,
    body: { code: "PAYLOAD_TOO_LARGE", message: "Request body is larger than the functions' body limit" },
  },
  bootError: {
    status: 503,
    body: { code: "BOOT_ERROR", message: "Worker failed to boot (please check logs)" },
  },
  workerError: {
    status: 500,
    body: { code: "WORKER_ERROR", message: "Function exited due to an error (please check logs)" },
  },
  /** Wall-clock or memory limit: Supabase's non-standard 546. */
  workerLimit: {
    status: 546,
    body: {
      code: "WORKER_LIMIT",
      message: "Worker failed to respond due to a resource limit (please check logs)",
    },
  },
} as const;

export type RelayError = (typeof RELAY_ERRORS)[keyof typeof RELAY_ERRORS];
