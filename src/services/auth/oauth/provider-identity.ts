/** An email address a provider reports for its user, with GoTrue's two flags. */
export interface ProviderEmail {
  readonly address: string;
  readonly verified: boolean;
  readonly primary: boolean;
}

/** The identity a provider vouched for. */
export interface ProviderIdentity {
  readonly sub: string;
  /** Every address the provider reports (GitHub and Bitbucket list several). */
  readonly emails: readonly ProviderEmail[];
  /** The claims kept as `identity_data` and, for a new user, `user_metadata`. */
  readonly claims: Record<string, unknown>;
  readonly accessToken: string;
  readonly refreshToken: string | null;
}

/** A provider's answer that sign-in cannot go on from (shown to the app as `error_description`). */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
}

/** A claim as a non-empty string, else undefined (so it is left out of `identity_data`). */
export function textClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `true` and `"true"` (Apple sends the string) read as true. */
export function trueClaim(value: unknown): boolean {
  return value === true || value === "true";
}

/** The address GoTrue signs a new user up with: the primary one, else the first. */
export function primaryEmail(identity: ProviderIdentity): ProviderEmail | null {
  return identity.emails.find((email) => email.primary) ?? identity.emails[0] ?? null;
}

/** Drops the undefined entries, so `identity_data` holds only what the provider said. */
export function defined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
}

/** The identity an OpenID Connect ID token (or userinfo answer) vouches for, read as GoTrue reads it. */
export function identityFromClaims(
  issuer: string,
  claims: Record<string, unknown>,
  accessToken: string,
  refreshToken: string | null,
): ProviderIdentity {
  const email = textClaim(claims, "email")?.toLowerCase();
  const verified = trueClaim(claims.email_verified);
  return {
    sub: String(claims.sub),
    emails: email ? [{ address: email, verified, primary: true }] : [],
    claims: defined({
      iss: issuer,
      sub: claims.sub,
      provider_id: claims.sub,
      name: textClaim(claims, "name"),
      full_name: textClaim(claims, "name"),
      preferred_username: textClaim(claims, "preferred_username"),
      email: textClaim(claims, "email"),
      email_verified: verified,
      picture: textClaim(claims, "picture"),
      avatar_url: textClaim(claims, "picture"),
      phone: textClaim(claims, "phone_number"),
    }),
    accessToken,
    refreshToken,
  };
}
