import type { FastifyRequest } from "fastify";
import { AuthError, authError } from "../errors.js";
import { challengeTotp, enrollTotp, type MfaCaller, unenroll, verifyTotp } from "../mfa.js";
import { challengePhone, enrollPhone, verifyPhone } from "../mfa-phone.js";
import { clientInfo, readOptionalParams, readParams, stringParam } from "../params.js";
import { enforce, PostgresRateLimiter } from "../rate-limit.js";
import { type FactorRow, findOwnedFactor } from "../sql/factors.js";
import { requireUser } from "../token-auth.js";
import type { AuthRuntime } from "../types.js";
import type { AuthRoute } from "./route.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** GoTrue's `MFA_RATE_LIMIT_CHALLENGE_AND_VERIFY`: 15 requests a minute per client, each endpoint. */
const MFA_REQUESTS_PER_MINUTE = 15;

/**
 * The MFA endpoints of `[user]` scope (`supabase.auth.mfa.*`): `POST /factors` (enrol),
 * `POST /factors/{id}/challenge`, `POST /factors/{id}/verify` and `DELETE /factors/{id}`.
 * Challenge and verify are rate limited per client address; verify also per factor, so
 * guessing codes from many addresses is held to the same pace.
 */
export const factorsRoute: AuthRoute = (scope, runtime) => {
  const limiter = (bucket: string) =>
    new PostgresRateLimiter(runtime.db.admin, bucket, MFA_REQUESTS_PER_MINUTE, 60, (name) =>
      runtime.metrics.rateLimited.inc({ bucket: name }),
    );
  const challengeLimit = limiter("mfa_challenge");
  const verifyLimit = limiter("mfa_verify");
  const factorVerifyLimit = limiter("mfa_verify_factor");

  scope.post("/factors", async (request) => {
    const caller = await mfaCaller(runtime, request);
    const params = readParams(request);
    const factorType = stringParam(params, "factor_type");
    const friendlyName = stringParam(params, "friendly_name");
    const issuer = stringParam(params, "issuer");
    const phone = stringParam(params, "phone");
    if (factorType === "phone") {
      if (!runtime.config.auth.mfa.phone.enrollEnabled) throw authError("mfa_phone_enroll_not_enabled");
      return enrollPhone(runtime, caller, friendlyName, phone, clientInfo(request).ip);
    }
    if (factorType === "webauthn") throw authError("mfa_webauthn_enroll_not_enabled");
    if (factorType !== "totp") {
      throw authError("validation_failed", "factor_type needs to be totp, phone, or webauthn");
    }
    if (!runtime.config.auth.mfa.totp.enrollEnabled) throw authError("mfa_totp_enroll_not_enabled");
    return enrollTotp(runtime, caller, friendlyName, issuer, clientInfo(request).ip);
  });

  scope.post<{ Params: { factorId: string } }>("/factors/:factorId/challenge", async (request) => {
    const caller = await mfaCaller(runtime, request);
    const factor = await ownedFactor(runtime, caller, request.params.factorId);
    await enforce(challengeLimit, request.ip);
    const params = readOptionalParams(request);
    const channel = stringParam(params, "channel");
    assertVerifyEnabled(runtime, factor);
    if (factor.factorType === "phone") {
      return challengePhone(runtime, caller, factor, channel, requestIp(request));
    }
    return challengeTotp(runtime, caller, factor, requestIp(request));
  });

  scope.post<{ Params: { factorId: string } }>("/factors/:factorId/verify", async (request) => {
    const caller = await mfaCaller(runtime, request);
    const factor = await ownedFactor(runtime, caller, request.params.factorId);
    await enforce(verifyLimit, request.ip);
    await enforce(factorVerifyLimit, factor.id);
    const params = readParams(request);
    const challengeId = stringParam(params, "challenge_id");
    const code = stringParam(params, "code");
    if (!UUID.test(challengeId)) {
      throw authError("bad_json", "Could not parse request body as JSON: challenge_id must be a UUID");
    }
    if (code === "") throw authError("validation_failed", "Code needs to be non-empty");
    assertVerifyEnabled(runtime, factor);
    const verify = factor.factorType === "phone" ? verifyPhone : verifyTotp;
    return verify(runtime, caller, factor, challengeId.toLowerCase(), code, requestIp(request));
  });

  scope.delete<{ Params: { factorId: string } }>("/factors/:factorId", async (request) => {
    const caller = await mfaCaller(runtime, request);
    const factor = await ownedFactor(runtime, caller, request.params.factorId);
    return unenroll(runtime, caller, factor, clientInfo(request).ip);
  });
};

/** `[auth.mfa.totp|phone] verify_enabled` for the factor's type. */
function assertVerifyEnabled(runtime: AuthRuntime, factor: FactorRow): void {
  const { mfa } = runtime.config.auth;
  if (factor.factorType === "phone" && !mfa.phone.verifyEnabled)
    throw authError("mfa_phone_verify_not_enabled");
  if (factor.factorType === "totp" && !mfa.totp.verifyEnabled) throw authError("mfa_totp_verify_not_enabled");
}

/** `requireAuthentication` + `requireNotAnonymous`; factors belong to a session. */
async function mfaCaller(runtime: AuthRuntime, request: FastifyRequest): Promise<MfaCaller> {
  const caller = await requireUser(runtime, request);
  if (caller.claims.is_anonymous === true || caller.user.is_anonymous) {
    throw new AuthError(403, "no_authorization", "Anonymous user not allowed to perform these actions");
  }
  if (caller.sessionId === null) {
    throw new AuthError(
      403,
      "session_not_found",
      "A valid session and a registered user are required to use MFA",
    );
  }
  return { ...caller, sessionId: caller.sessionId };
}

/** GoTrue's `loadFactor`: 404 for a malformed id or a factor that is not the caller's. */
async function ownedFactor(runtime: AuthRuntime, caller: MfaCaller, factorId: string): Promise<FactorRow> {
  if (!UUID.test(factorId)) throw new AuthError(404, "validation_failed", "factor_id must be an UUID");
  const factor = await findOwnedFactor(runtime.db.admin, caller.user.id, factorId.toLowerCase());
  if (factor === null) throw authError("mfa_factor_not_found");
  return factor;
}

/** The address a challenge is bound to (challenge and verify must come from the same one). */
function requestIp(request: FastifyRequest): string {
  return clientInfo(request).ip ?? "0.0.0.0";
}
