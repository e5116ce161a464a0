import type { ExternalProviderConfig } from "./provider-client.js";
import { defined, type ProviderEmail, ProviderError, textClaim } from "./provider-identity.js";

/** Reads a JSON document from the provider's API with the user's access token. */
export type ApiGet = (url: string) => Promise<unknown>;

/** What a plain OAuth 2.0 provider's API says of its user. */
export interface RestUser {
  readonly sub: string;
  readonly emails: readonly ProviderEmail[];
  readonly claims: Record<string, unknown>;
}

/** A provider without OpenID Connect: its endpoints, its scopes and how its user API reads. */
export interface RestProvider {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  /** The scopes GoTrue asks for, then those the app added (`scopes`, comma-separated as GoTrue splits). */
  scopes(extra: string): string[];
  user(get: ApiGet): Promise<RestUser>;
}

/**
 * The endpoints and user mapping of GitHub, GitLab, Discord and Bitbucket as GoTrue's
 * `internal/api/provider` has them. `url` replaces the public host: GitHub Enterprise
 * (`<url>/login/oauth/...`, API at `<url>/api/v3`), a self-hosted GitLab, and so on.
 */
export function restProvider(provider: ExternalProviderConfig): RestProvider {
  switch (provider.kind) {
    case "github":
      return github(provider.url);
    case "gitlab":
      return gitlab(provider.url ?? "https://gitlab.com");
    case "discord":
      return discord(`${provider.url ?? "https://discord.com"}/api`);
    case "bitbucket":
      return bitbucket(provider.url);
    default:
      throw new ProviderError(`Provider ${provider.name} does not use OAuth 2.0 without OpenID Connect`);
  }
}

function github(url: string | null): RestProvider {
  const auth = url ?? "https://github.com";
  const api =
    url === null ? "https://api.github.com" : url.endsWith("api.github.com") ? url : `${url}/api/v3`;
  return {
    authorizationEndpoint: `${auth}/login/oauth/authorize`,
    tokenEndpoint: `${auth}/login/oauth/access_token`,
    scopes: (extra) => ["user:email", ...split(extra)],
    async user(get) {
      const user = record(await get(`${api}/user`));
      const id = idOf(user.id);
      const emails = list(await get(`${api}/user/emails`)).map((entry) => ({
        address: text(entry.email),
        verified: entry.verified === true,
        primary: entry.primary === true,
      }));
      return {
        sub: id,
        emails: emails.filter((email) => email.address !== ""),
        claims: defined({
          iss: api,
          sub: id,
          name: textClaim(user, "name"),
          preferred_username: textClaim(user, "login"),
          avatar_url: textClaim(user, "avatar_url"),
          full_name: textClaim(user, "name"),
          provider_id: id,
          user_name: textClaim(user, "login"),
        }),
      };
    },
  };
}

function gitlab(host: string): RestProvider {
  return {
    authorizationEndpoint: `${host}/oauth/authorize`,
    tokenEndpoint: `${host}/oauth/token`,
    scopes: (extra) => ["read_user", ...split(extra)],
    async user(get) {
      const user = record(await get(`${host}/api/v4/user`));
      const id = idOf(user.id);
      // Further addresses come without their confirmation state: GoTrue counts them unverified.
      const emails: ProviderEmail[] = list(await get(`${host}/api/v4/user/emails`))
        .map((entry) => ({ address: text(entry.email), verified: false, primary: false }))
        .filter((email) => email.address !== "");
      const main = text(user.email);
      if (main !== "")
        emails.push({ address: main, verified: text(user.confirmed_at) !== "", primary: true });
      return {
        sub: id,
        emails,
        claims: defined({
          iss: host,
          sub: id,
          name: textClaim(user, "name"),
          picture: textClaim(user, "avatar_url"),
          avatar_url: textClaim(user, "avatar_url"),
          full_name: textClaim(user, "name"),
          provider_id: id,
        }),
      };
    },
  };
}

function discord(api: string): RestProvider {
  return {
    authorizationEndpoint: `${api}/oauth2/authorize`,
    tokenEndpoint: `${api}/oauth2/token`,
    scopes: (extra) => ["email", "identify", ...split(extra)],
    async user(get) {
      const user = record(await get(`${api}/users/@me`));
      const id = idOf(user.id);
      const avatar = discordAvatar(id, text(user.avatar), text(user.discriminator));
      const email = text(user.email);
      return {
        sub: id,
        emails: email === "" ? [] : [{ address: email, verified: user.verified === true, primary: true }],
        claims: defined({
          iss: api,
          sub: id,
          name: `${text(user.username)}#${text(user.discriminator)}`,
          picture: avatar,
          custom_claims: { global_name: text(user.global_name) },
          avatar_url: avatar,
          full_name: textClaim(user, "username"),
          provider_id: id,
        }),
      };
    },
  };
}

/** Discord's CDN address of a user's avatar, or of the default one its discriminator picks. */
function discordAvatar(id: string, avatar: string, discriminator: string): string {
  if (avatar === "") {
    const number = Number.parseInt(discriminator, 10);
    return `https://cdn.discordapp.com/embed/avatars/${Number.isNaN(number) ? 0 : number % 5}.png`;
  }
  const extension = avatar.startsWith("a_") ? "gif" : "png";
  return `https://cdn.discordapp.com/avatars/${id}/${avatar}.${extension}`;
}

function bitbucket(url: string | null): RestProvider {
  const auth = url ?? "https://bitbucket.org";
  const api = `${url ?? "https://api.bitbucket.org"}/2.0`;
  return {
    authorizationEndpoint: `${auth}/site/oauth2/authorize`,
    tokenEndpoint: `${auth}/site/oauth2/access_token`,
    // GoTrue asks Bitbucket for these two and ignores the app's scopes.
    scopes: () => ["account", "email"],
    async user(get) {
      const user = record(await get(`${api}/user`));
      const id = text(user.uuid);
      if (id === "") throw new ProviderError("Bitbucket user has no uuid");
      const emails = list(record(await get(`${api}/user/emails`)).values).map((entry) => ({
        address: text(entry.email),
        verified: entry.is_confirmed === true,
        primary: entry.is_primary === true,
      }));
      const avatar = text(record(user.avatar).href) || undefined;
      return {
        sub: id,
        emails: emails.filter((email) => email.address !== ""),
        claims: defined({
          iss: api,
          sub: id,
          name: textClaim(user, "display_name"),
          picture: avatar,
          avatar_url: avatar,
          full_name: textClaim(user, "display_name"),
          provider_id: id,
        }),
      };
    },
  };
}

function split(scopes: string): string[] {
  return scopes
    .split(",")
    .map((scope) => scope.trim())
    .filter(Boolean);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(record) : [];
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** A numeric (GitHub, GitLab) or string (Discord) user id; a user without one cannot sign in. */
function idOf(value: unknown): string {
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  if (typeof value === "string" && value !== "") return value;
  throw new ProviderError("Provider returned a user without an id");
}
