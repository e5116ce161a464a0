import type { TableReader } from "./reader.js";

/** One `[auth.external.NAME]` OpenID Connect provider that is enabled. */
export interface ExternalProviderConfig {
  readonly name: string;
  readonly clientId: string;
  readonly secret: string;
  /** The issuer whose `/.well-known/openid-configuration` describes the provider (`url`). */
  readonly issuer: string;
  /** Where the provider sends the browser back; default `<api>/auth/v1/callback`. */
  readonly redirectUri: string | null;
  /** `skip_nonce_check`: accept ID tokens without the nonce sent (some mobile SDKs). */
  readonly skipNonceCheck: boolean;
}

/** Issuers of the providers Supabase names that speak OpenID Connect, when `url` is not given. */
const KNOWN_ISSUERS: Readonly<Record<string, string>> = {
  google: "https://accounts.google.com",
  gitlab: "https://gitlab.com",
};

/**
 * Reads the enabled `[auth.external.*]` sections. Each is an OpenID Connect provider found by
 * its issuer: `url` (Keycloak's realm URL, Azure's tenant URL, any issuer), or Google's and
 * GitLab's well-known issuers. Others are left out (see below).
 */
export function readExternalProviders(auth: TableReader): Readonly<Record<string, ExternalProviderConfig>> {
  const external = auth.section("external");
  const providers: Record<string, ExternalProviderConfig> = {};
  for (const name of external.sectionNames()) {
    const section = external.section(name);
    if (!section.boolean("enabled", false)) continue;
    const url = section.optionalString("url");
    const issuer = url && url !== "" ? url.replace(/\/+$/, "") : KNOWN_ISSUERS[name];
    // Providers without OpenID Connect (GitHub's plain OAuth, Apple's form posts...) are not
    // served; a project that enables one still starts, and /authorize names it unsupported.
    if (issuer === undefined) continue;
    const redirectUri = section.optionalString("redirect_uri");
    providers[name] = {
      name,
      clientId: section.string("client_id", ""),
      secret: section.string("secret", ""),
      issuer,
      redirectUri: redirectUri === "" ? null : redirectUri,
      skipNonceCheck: section.boolean("skip_nonce_check", false),
    };
  }
  return providers;
}
