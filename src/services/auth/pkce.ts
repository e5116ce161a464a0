import { createHash } from "node:crypto";
import type { TokenResponse } from "./access-token.js";
import { authError } from "./errors.js";
import type { Params } from "./params.js";
import { stringParam } from "./params.js";
import { secretsEqual } from "./secrets.js";
import { issueSession } from "./sessions.js";
import { deleteFlowState, lockFlowStateByAuthCode } from "./sql/flow-state.js";
import { transaction } from "./sql/queryable.js";
import { findUserById } from "./sql/users.js";
import type { AuthRuntime, ClientInfo } from "./types.js";

/** A client's PKCE challenge (RFC 7636), as sent with `flowType: 'pkce'`. */
export interface PkceChallenge {
  readonly method: "s256" | "plain";
  readonly challenge: string;
}

/** Links of PKCE flows carry their token with this prefix; `/verify` then answers with a code. */
export const PKCE_PREFIX = "pkce_";

/** Seconds a flow (and its code) stays exchangeable: GoTrue's `FlowStateExpiryDuration`. */
const FLOW_STATE_EXPIRY_SECONDS = 300;

const CHALLENGE = /^[a-zA-Z._~0-9-]+$/;

/**
 * GoTrue's `validatePKCEParams`: `code_challenge` and `code_challenge_method` come together or not
 * at all; the challenge is 43-128 unreserved characters; the method `s256` or `plain` (any case).
 * Null means the implicit flow.
 */
export function pkceChallenge(params: Params): PkceChallenge | null {
  const challenge = stringParam(params, "code_challenge");
  const method = stringParam(params, "code_challenge_method");
  if ((challenge === "") !== (method === "")) {
    throw authError("validation_failed", "PKCE flow requires code_challenge_method and code_challenge");
  }
  if (challenge === "") return null;
  if (challenge.length < 43 || challenge.length > 128) {
    throw authError("validation_failed", "code challenge has to be between 43 and 128 characters");
  }
  if (!CHALLENGE.test(challenge)) {
    throw authError(
      "validation_failed",
      "code challenge can only contain alphanumeric characters, hyphens, periods, underscores and tildes",
    );
  }
  const normalized = method.toLowerCase();
  if (normalized !== "s256" && normalized !== "plain") {
    throw authError("validation_failed", `unsupported code_challenge method "${method}"`);
  }
  return { method: normalized, challenge };
}

/**
 * `POST /token?grant_type=pkce` (GoTrue's `PKCE`): the code and its verifier become a session,
 * once. The flow is deleted in the same transaction, so a second exchange finds nothing. A flow
 * expires 5 minutes after its code was issued (GoTrue counts from the flow's creation for every
 * kind but magic links, so a sign-up confirmed 6 minutes after it was asked for cannot be
 * exchanged there; here the code's own age counts).
 */
export async function exchangeAuthCode(
  runtime: AuthRuntime,
  authCode: string,
  codeVerifier: string,
  client: ClientInfo,
): Promise<TokenResponse> {
  if (authCode === "" || codeVerifier === "") {
    throw authError(
      "validation_failed",
      "invalid request: both auth code and code verifier should be non-empty",
    );
  }
  return transaction(runtime.db.admin, async (tx) => {
    const flow = await lockFlowStateByAuthCode(tx, authCode);
    if (!flow || flow.user_id === null) throw authError("flow_state_not_found");
    const start = flow.auth_code_issued_at ?? flow.created_at;
    if (start.getTime() + FLOW_STATE_EXPIRY_SECONDS * 1000 < Date.now())
      throw authError("flow_state_expired");
    if (!verifierMatches(flow.code_challenge_method, flow.code_challenge, codeVerifier)) {
      throw authError("bad_code_verifier");
    }
    const user = await findUserById(tx, flow.user_id);
    if (!user) throw authError("flow_state_not_found");
    await deleteFlowState(tx, flow.id);
    const session = await issueSession(runtime, tx, user, flow.authentication_method, client);
    // OAuth flows hand the provider's tokens to the app here, as the implicit flow's fragment does.
    return {
      ...session,
      ...(flow.provider_access_token ? { provider_token: flow.provider_access_token } : {}),
      ...(flow.provider_refresh_token ? { provider_refresh_token: flow.provider_refresh_token } : {}),
    };
  });
}

function verifierMatches(method: "s256" | "plain", challenge: string, verifier: string): boolean {
  const expected = method === "s256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
  return secretsEqual(expected, challenge);
}
