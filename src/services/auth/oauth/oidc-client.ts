import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import type { AuthConfig } from "../../../config/index.js";

/** One enabled `[auth.external.NAME]` provider. */
export type ExternalProviderConfig = AuthConfig["external"][string];

/** What an OpenID provider's discovery document says, as far as sign-in needs it. */
interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly userinfo_endpoint?: string;
}

/** The identity a provider vouched for. */
export interface ProviderIdentity {
  readonly sub: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
  /** The claims kept as `identity_data` and, for a new user, `user_metadata`. */
  readonly claims: Record<string, unknown>;
  readonly accessToken: string;
  readonly refreshToken: string | null;
}

/** A provider's answer that sign-in cannot go on from (shown to the app as `error_description`). */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
}

const NETWORK_TIMEOUT_MS = 10_000;
const discoveries = new Map<string, Discovery>();
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** The issuer's discovery document, fetched once per process (only successes are kept). */
async function discover(issuer: string): Promise<Discovery> {
  const cached = discoveries.get(issuer);
  if (cached) return cached;
  const response = await fetch(`${issuer}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS),
  }).catch((error: Error) => {
    throw new ProviderError(`OpenID provider unreachable: ${error.message}`);
  });
  if (!response.ok) throw new ProviderError(`OpenID discovery answered ${response.status}`);
  const document = (await response.json().catch(() => null)) as Partial<Discovery> | null;
  if (
    !document ||
    document.issuer !== issuer ||
    typeof document.authorization_endpoint !== "string" ||
    typeof document.token_endpoint !== "string" ||
    typeof document.jwks_uri !== "string"
  ) {
    throw new ProviderError("OpenID discovery document is incomplete or names another issuer");
  }
  discoveries.set(issuer, document as Discovery);
  return document as Discovery;
}

/** The provider's authorization URL for one sign-in (authorization code flow). */
export async function authorizationUrl(
  provider: ExternalProviderConfig,
  redirectUri: string,
  scopes: string,
  state: string,
  nonce: string,
): Promise<string> {
  const discovery = await discover(provider.issuer);
  const url = new URL(discovery.authorization_endpoint);
  const scope = new Set(["openid", "email", "profile", ...scopes.split(/[\s,]+/).filter(Boolean)]);
  url.searchParams.set("client_id", provider.clientId);
  url.searchParams.set("redirect_uri", redirectUri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", [...scope].join(" "));
  url.searchParams.set("state", state);
  url.searchParams.set("nonce", nonce);
  return url.toString();
}

/**
 * Exchanges the code at the token endpoint (client_secret_post) and verifies the ID token with
 * `jose` against the issuer's published keys: signature, issuer, audience, expiry, nonce. The
 * userinfo endpoint fills in an email the ID token leaves out.
 */
export async function redeemCode(
  provider: ExternalProviderConfig,
  code: string,
  redirectUri: string,
  nonce: string,
): Promise<ProviderIdentity> {
  const discovery = await discover(provider.issuer);
  const response = await fetch(discovery.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri,
      client_id: provider.clientId,
      client_secret: provider.secret,
    }),
    signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS),
  }).catch((error: Error) => {
    throw new ProviderError(`OpenID provider unreachable: ${error.message}`);
  });
  const tokens = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof tokens.id_token !== "string" || typeof tokens.access_token !== "string") {
    const reason = typeof tokens.error_description === "string" ? tokens.error_description : tokens.error;
    throw new ProviderError(`Unable to exchange external code: ${String(reason ?? response.status)}`);
  }
  const payload = await verifyIdToken(provider, tokens.id_token);
  if (!provider.skipNonceCheck && payload.nonce !== nonce) throw new ProviderError("ID token nonce mismatch");
  if (typeof payload.sub !== "string" || payload.sub === "")
    throw new ProviderError("ID token has no subject");
  let claims: Record<string, unknown> = { ...payload };
  if (typeof claims.email !== "string" && discovery.userinfo_endpoint) {
    claims = {
      ...claims,
      ...(await userInfo(discovery.userinfo_endpoint, tokens.access_token)),
      sub: payload.sub,
    };
  }
  return identityFromClaims(
    provider.issuer,
    claims,
    tokens.access_token,
    typeof tokens.refresh_token === "string" ? tokens.refresh_token : null,
  );
}

/**
 * Verifies an ID token with `jose` against the issuer's published keys (fetched through discovery,
 * cached): signature, issuer, audience (the client id), expiry.
 */
export async function verifyIdToken(provider: ExternalProviderConfig, idToken: string): Promise<JWTPayload> {
  const discovery = await discover(provider.issuer);
  let keySet = keySets.get(discovery.jwks_uri);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(discovery.jwks_uri), { timeoutDuration: NETWORK_TIMEOUT_MS });
    keySets.set(discovery.jwks_uri, keySet);
  }
  try {
    const { payload } = await jwtVerify(idToken, keySet, {
      issuer: provider.issuer,
      audience: provider.clientId,
    });
    return payload;
  } catch (error) {
    throw new ProviderError(`ID token refused: ${(error as Error).message}`);
  }
}

/** The identity an ID token vouches for, its claims read as GoTrue reads them. */
export function identityFromClaims(
  issuer: string,
  claims: Record<string, unknown>,
  accessToken: string,
  refreshToken: string | null,
): ProviderIdentity {
  return {
    sub: String(claims.sub),
    email: typeof claims.email === "string" && claims.email !== "" ? claims.email.toLowerCase() : null,
    emailVerified: claims.email_verified === true || claims.email_verified === "true",
    claims: identityData(issuer, claims),
    accessToken,
    refreshToken,
  };
}

async function userInfo(endpoint: string, accessToken: string): Promise<Record<string, unknown>> {
  const response = await fetch(endpoint, {
    headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
    signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS),
  }).catch(() => null);
  if (!response?.ok) return {};
  const body = (await response.json().catch(() => null)) as unknown;
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/** GoTrue's identity claims: the standard profile claims under their usual names. */
function identityData(issuer: string, claims: Record<string, unknown>): Record<string, unknown> {
  const pick = (name: string) =>
    typeof claims[name] === "string" && claims[name] !== "" ? claims[name] : undefined;
  const data: Record<string, unknown> = {
    iss: issuer,
    sub: claims.sub,
    provider_id: claims.sub,
    name: pick("name"),
    full_name: pick("name"),
    preferred_username: pick("preferred_username"),
    email: pick("email"),
    email_verified: claims.email_verified === true || claims.email_verified === "true",
    picture: pick("picture"),
    avatar_url: pick("picture"),
    phone: pick("phone_number"),
  };
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
}
