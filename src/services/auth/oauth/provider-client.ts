import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import * as client from "openid-client";
import type { AuthConfig } from "../../../config/index.js";

/** One enabled `[auth.external.NAME]` provider. */
export type ExternalProviderConfig = AuthConfig["external"][string];

import { identityFromClaims, ProviderError, type ProviderIdentity } from "./provider-identity.js";
import { restProvider } from "./rest-providers.js";

/** Seconds any call to a provider may take (GoTrue's default internal HTTP timeout is 10 s). */
const NETWORK_TIMEOUT_SECONDS = 10;

/** One sign-in at the provider: what /authorize sends and what /callback checks. */
export interface SignInRequest {
  readonly redirectUri: string;
  readonly state: string;
  readonly nonce: string;
  /** The app's `scopes` (space- or comma-separated). */
  readonly scopes: string;
  /** Further query parameters of /authorize passed on to the provider (`queryParams` in supabase-js). */
  readonly extra: Readonly<Record<string, string>>;
}

/** Parameters the provider's authorization URL owns; an app's `queryParams` cannot replace them. */
const RESERVED = new Set([
  "client_id",
  "redirect_uri",
  "response_type",
  "response_mode",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "request",
  "request_uri",
]);

/** Per provider config object, so servers with other settings in the same process never share one. */
const configurations = new WeakMap<ExternalProviderConfig, client.Configuration>();
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function speaksOpenId(provider: ExternalProviderConfig): boolean {
  return provider.kind === "oidc" || provider.kind === "apple";
}

/**
 * The `openid-client` configuration of a provider, made once per process (only successes are
 * kept): from the issuer's discovery document for OpenID Connect providers, from GoTrue's fixed
 * endpoints for the others. Plain `http://` endpoints are allowed only when the operator
 * configured such a URL (a server on the same host or in a test).
 */
async function configuration(provider: ExternalProviderConfig): Promise<client.Configuration> {
  const cached = configurations.get(provider);
  if (cached) return cached;
  const insecure = provider.issuer.startsWith("http://");
  const auth = client.ClientSecretPost(provider.secret);
  let config: client.Configuration;
  if (speaksOpenId(provider)) {
    try {
      config = await client.discovery(new URL(provider.issuer), provider.clientId, undefined, auth, {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: NETWORK_TIMEOUT_SECONDS,
      });
    } catch (error) {
      throw new ProviderError(`OpenID discovery failed: ${(error as Error).message}`);
    }
    // ID tokens from the token endpoint are checked against the issuer's keys too.
    client.enableNonRepudiationChecks(config);
  } else {
    const rest = restProvider(provider);
    config = new client.Configuration(
      {
        issuer: provider.issuer,
        authorization_endpoint: rest.authorizationEndpoint,
        token_endpoint: rest.tokenEndpoint,
      },
      provider.clientId,
      undefined,
      auth,
    );
    if (insecure) client.allowInsecureRequests(config);
  }
  config.timeout = NETWORK_TIMEOUT_SECONDS;
  configurations.set(provider, config);
  return config;
}

/** The provider's authorization URL for one sign-in (authorization code flow). */
export async function authorizationUrl(
  provider: ExternalProviderConfig,
  request: SignInRequest,
): Promise<string> {
  const config = await configuration(provider);
  const scopes = speaksOpenId(provider)
    ? [
        "openid",
        "email",
        provider.kind === "apple" ? "name" : "profile",
        ...request.scopes.split(/[\s,]+/).filter(Boolean),
      ]
    : restProvider(provider).scopes(request.scopes);
  const extra = Object.fromEntries(Object.entries(request.extra).filter(([name]) => !RESERVED.has(name)));
  const parameters: Record<string, string> = {
    ...extra,
    redirect_uri: request.redirectUri,
    scope: [...new Set(scopes)].join(" "),
    state: request.state,
    ...(speaksOpenId(provider) ? { nonce: request.nonce } : {}),
    // Apple posts its answer back (and only then includes the user's name).
    ...(provider.kind === "apple" ? { response_mode: "form_post" } : {}),
  };
  return client.buildAuthorizationUrl(config, parameters).toString();
}

/**
 * Redeems the code at the token endpoint with `openid-client` and reads who signed in: from the
 * ID token (verified: signature against the issuer's keys, issuer, audience, expiry, nonce) for
 * OpenID Connect providers, from the provider's user API for the others. `params` are the
 * callback's parameters (query, or Apple's posted form).
 */
export async function redeemCode(
  provider: ExternalProviderConfig,
  params: Readonly<Record<string, string>>,
  request: SignInRequest,
): Promise<ProviderIdentity> {
  const config = await configuration(provider);
  const callback = new URL(request.redirectUri);
  for (const name of ["code", "state", "iss"]) {
    const value = params[name];
    if (value !== undefined && value !== "") callback.searchParams.set(name, value);
  }
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(
      config,
      callback,
      speaksOpenId(provider)
        ? { expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true }
        : { expectedState: request.state },
    );
  } catch (error) {
    throw new ProviderError(`Unable to exchange external code: ${reason(error)}`);
  }
  const refreshToken = typeof tokens.refresh_token === "string" ? tokens.refresh_token : null;
  if (!speaksOpenId(provider)) {
    const user = await restProvider(provider).user((url) => apiGet(config, tokens.access_token, url));
    return { ...user, accessToken: tokens.access_token, refreshToken };
  }
  const idClaims = tokens.claims();
  if (!idClaims || typeof idClaims.sub !== "string" || idClaims.sub === "")
    throw new ProviderError("ID token has no subject");
  let claims: Record<string, unknown> = { ...idClaims };
  if (
    provider.kind === "oidc" &&
    typeof claims.email !== "string" &&
    config.serverMetadata().userinfo_endpoint
  ) {
    const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub).catch(() => ({}));
    claims = { ...claims, ...info, sub: idClaims.sub };
  }
  if (provider.kind === "apple") claims = { ...claims, ...appleName(params.user) };
  return identityFromClaims(provider.issuer, claims, tokens.access_token, refreshToken);
}

/**
 * Apple sends the user's name once, on the first sign-in, as a JSON `user` form field next to
 * the code (GoTrue's `ParseUser`); it becomes `name` and `full_name`.
 */
function appleName(user: string | undefined): Record<string, unknown> {
  if (!user) return {};
  try {
    const parsed = JSON.parse(user) as { name?: { firstName?: unknown; lastName?: unknown } };
    const first = typeof parsed?.name?.firstName === "string" ? parsed.name.firstName : "";
    const last = typeof parsed?.name?.lastName === "string" ? parsed.name.lastName : "";
    const name = `${first} ${last}`.trim();
    return name === "" ? {} : { name };
  } catch {
    return {};
  }
}

/** GET on the provider's API with the user's token; a non-2xx answer ends the sign-in. */
async function apiGet(config: client.Configuration, accessToken: string, url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await client.fetchProtectedResource(
      config,
      accessToken,
      new URL(url),
      "GET",
      undefined,
      new Headers({ accept: "application/json" }),
    );
  } catch (error) {
    throw new ProviderError(`Error getting user data from provider: ${reason(error)}`);
  }
  if (!response.ok) throw new ProviderError(`Error getting user data from provider: ${response.status}`);
  return response.json().catch(() => {
    throw new ProviderError("Provider user data is not JSON");
  });
}

function reason(error: unknown): string {
  if (error instanceof client.ResponseBodyError) return error.error_description ?? error.error;
  if (error instanceof client.AuthorizationResponseError) return error.error_description ?? error.error;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Verifies an ID token with `jose` against the issuer's published keys (named by its discovery
 * document): signature, issuer, audience (the client id), expiry. For `signInWithIdToken`.
 */
export async function verifyIdToken(provider: ExternalProviderConfig, idToken: string): Promise<JWTPayload> {
  if (!speaksOpenId(provider)) throw new ProviderError(`Provider ${provider.name} issues no ID tokens`);
  const metadata = (await configuration(provider)).serverMetadata();
  if (!metadata.jwks_uri) throw new ProviderError("OpenID provider publishes no keys");
  let keySet = keySets.get(metadata.jwks_uri);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(metadata.jwks_uri), {
      timeoutDuration: NETWORK_TIMEOUT_SECONDS * 1000,
    });
    keySets.set(metadata.jwks_uri, keySet);
  }
  try {
    const { payload } = await jwtVerify(idToken, keySet, {
      issuer: metadata.issuer,
      audience: provider.clientId,
    });
    return payload;
  } catch (error) {
    throw new ProviderError(`ID token refused: ${(error as Error).message}`);
  }
}
