import type { TableReader } from "./reader.js";

/**
 * How a provider signs users in:
 * - `oidc`: OpenID Connect, found through its issuer's discovery document (Google, Azure,
 *   Keycloak, any issuer given as `url`);
 * - `apple`: OpenID Connect with Apple's form-post callback and first-sign-in `user` field;
 * - `github`, `gitlab`, `discord`, `bitbucket`: plain OAuth 2.0, the user read from the
 *   provider's REST API as GoTrue reads it.
 */
export type ExternalProviderKind = "oidc" | "apple" | "github" | "gitlab" | "discord" | "bitbucket";

/** One `[auth.external.NAME]` provider that is enabled. */
export interface ExternalProviderConfig {
  readonly name: string;
  readonly kind: ExternalProviderKind;
  readonly clientId: string;
  readonly secret: string;
  /**
   * OpenID kinds: the issuer whose `/.well-known/openid-configuration` describes the provider.
   * OAuth 2.0 kinds: the base URL the endpoints hang from (`url`, for GitHub Enterprise or a
   * self-hosted GitLab; the public service's hosts when not given).
   */
  readonly issuer: string;
  /** OAuth 2.0 kinds: `url` as configured, or null for the public service. */
  readonly url: string | null;
  /** Where the provider sends the browser back; default `<api>/auth/v1/callback`. */
  readonly redirectUri: string | null;
  /** `skip_nonce_check`: accept ID tokens without the nonce sent (some mobile SDKs). */
  readonly skipNonceCheck: boolean;
}

/** Issuers of the providers Supabase names that speak OpenID Connect, when `url` is not given. */
const KNOWN_ISSUERS: Readonly<Record<string, string>> = {
  google: "https://accounts.google.com",
  apple: "https://appleid.apple.com",
};

/** Providers GoTrue reaches through plain OAuth 2.0 and its own REST API, with their public hosts. */
const OAUTH2_HOSTS: Readonly<Record<string, string>> = {
  github: "https://github.com",
  gitlab: "https://gitlab.com",
  discord: "https://discord.com",
  bitbucket: "https://bitbucket.org",
};

/**
 * Reads the enabled `[auth.external.*]` sections. GitHub, GitLab, Discord and Bitbucket are
 * plain OAuth 2.0 (`url` moves them to a self-hosted or enterprise server); Apple is OpenID
 * Connect with its form-post callback; every other name is an OpenID Connect provider found by
 * its issuer: `url` (Keycloak's realm URL, Azure's tenant URL, any issuer) or Google's. A name
 * that is none of these and has no `url` is left out: /authorize answers it as unsupported.
 */
export function readExternalProviders(auth: TableReader): Readonly<Record<string, ExternalProviderConfig>> {
  const external = auth.section("external");
  const providers: Record<string, ExternalProviderConfig> = {};
  for (const name of external.sectionNames()) {
    const section = external.section(name);
    if (!section.boolean("enabled", false)) continue;
    const given = section.optionalString("url");
    const url = given && given !== "" ? given.replace(/\/+$/, "") : null;
    const kind: ExternalProviderKind | null = Object.hasOwn(OAUTH2_HOSTS, name)
      ? (name as ExternalProviderKind)
      : name === "apple"
        ? "apple"
        : url !== null || Object.hasOwn(KNOWN_ISSUERS, name) || name === "azure"
          ? "oidc"
          : null;
    if (kind === null) continue;
    const issuer =
      name === "azure" ? azureIssuer(url) : (url ?? OAUTH2_HOSTS[name] ?? KNOWN_ISSUERS[name] ?? "");
    const redirectUri = section.optionalString("redirect_uri");
    providers[name] = {
      name,
      kind,
      clientId: section.string("client_id", ""),
      secret: section.string("secret", ""),
      issuer,
      url,
      redirectUri: redirectUri === "" ? null : redirectUri,
      skipNonceCheck: section.boolean("skip_nonce_check", false),
    };
  }
  return providers;
}

/**
 * Azure's `url` is the tenant's URL as the Supabase dashboard asks for it
 * (`https://login.microsoftonline.com/<tenant>`); its OpenID issuer is the v2.0 one under it.
 * Without `url` it is GoTrue's `common` tenant, whose discovery names a per-tenant issuer that no
 * strict issuer check accepts: such a sign-in fails at discovery, so configure the tenant.
 */
function azureIssuer(url: string | null): string {
  const base = url ?? "https://login.microsoftonline.com/common";
  const microsoft = /^https:\/\/login\.microsoftonline\.com(\/|$)/i.test(base);
  return microsoft && !base.endsWith("/v2.0") ? `${base}/v2.0` : base;
}
