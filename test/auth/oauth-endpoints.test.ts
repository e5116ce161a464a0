import { describe, expect, it } from "vitest";
import type { ExternalProviderConfig } from "../../src/services/auth/oauth/provider-client.js";
import { ProviderError } from "../../src/services/auth/oauth/provider-identity.js";
import { restProvider } from "../../src/services/auth/oauth/rest-providers.js";

function provider(kind: ExternalProviderConfig["kind"], url: string | null = null): ExternalProviderConfig {
  return {
    name: kind,
    kind,
    clientId: "id",
    secret: "secret",
    issuer: url ?? "",
    url,
    redirectUri: null,
    skipNonceCheck: false,
  };
}

/** Records the API URLs a provider reads, answering each with the given documents. */
function recorder(documents: Record<string, unknown>) {
  const asked: string[] = [];
  return {
    asked,
    get: async (url: string) => {
      asked.push(url);
      return documents[url.slice(url.lastIndexOf("/") + 1)] ?? {};
    },
  };
}

describe("OAuth 2.0 providers: GoTrue's endpoints, scopes and user mapping", () => {
  it("GitHub: github.com and api.github.com, or a GitHub Enterprise server under `url`", async () => {
    const github = restProvider(provider("github"));
    expect(github.authorizationEndpoint).toBe("https://github.com/login/oauth/authorize");
    expect(github.tokenEndpoint).toBe("https://github.com/login/oauth/access_token");
    expect(github.scopes("repo, read:org")).toEqual(["user:email", "repo", "read:org"]);
    const api = recorder({
      user: { id: 583231, login: "octocat", name: "Zoë 東京", avatar_url: "https://a.example/o.png" },
      emails: [
        { email: "octo@example.com", verified: true, primary: true },
        { email: "", verified: true, primary: false },
      ],
    });
    const user = await github.user(api.get);
    expect(api.asked).toEqual(["https://api.github.com/user", "https://api.github.com/user/emails"]);
    expect(user.sub).toBe("583231");
    expect(user.emails).toEqual([{ address: "octo@example.com", verified: true, primary: true }]);
    expect(user.claims).toEqual({
      iss: "https://api.github.com",
      sub: "583231",
      name: "Zoë 東京",
      preferred_username: "octocat",
      avatar_url: "https://a.example/o.png",
      full_name: "Zoë 東京",
      provider_id: "583231",
      user_name: "octocat",
    });

    const enterprise = restProvider(provider("github", "https://ghe.example.com"));
    expect(enterprise.authorizationEndpoint).toBe("https://ghe.example.com/login/oauth/authorize");
    const asked = recorder({ user: { id: 1 }, emails: [] });
    await enterprise.user(asked.get);
    expect(asked.asked[0]).toBe("https://ghe.example.com/api/v3/user");
  });

  it("GitLab, Discord and Bitbucket: their public hosts by default", async () => {
    const gitlab = restProvider(provider("gitlab"));
    expect(gitlab.authorizationEndpoint).toBe("https://gitlab.com/oauth/authorize");
    const gitlabApi = recorder({
      user: { id: 9, email: "main@example.com", confirmed_at: null },
      emails: [{ id: 1, email: "other@example.com" }],
    });
    const gitlabUser = await gitlab.user(gitlabApi.get);
    expect(gitlabApi.asked).toEqual([
      "https://gitlab.com/api/v4/user",
      "https://gitlab.com/api/v4/user/emails",
    ]);
    // An unconfirmed main address is unverified; further addresses always are.
    expect(gitlabUser.emails).toEqual([
      { address: "other@example.com", verified: false, primary: false },
      { address: "main@example.com", verified: false, primary: true },
    ]);

    const discord = restProvider(provider("discord"));
    expect(discord.tokenEndpoint).toBe("https://discord.com/api/oauth2/token");
    expect(discord.scopes("guilds")).toEqual(["email", "identify", "guilds"]);
    const discordApi = recorder({
      "@me": {
        id: "80351110224678912",
        username: "nelly",
        discriminator: "1337",
        avatar: "a_8342729096ea3675442027381ff50dfe",
      },
    });
    const discordUser = await discord.user(discordApi.get);
    expect(discordApi.asked).toEqual(["https://discord.com/api/users/@me"]);
    expect(discordUser.emails).toEqual([]);
    expect(discordUser.claims).toMatchObject({
      name: "nelly#1337",
      avatar_url:
        "https://cdn.discordapp.com/avatars/80351110224678912/a_8342729096ea3675442027381ff50dfe.gif",
    });

    const bitbucket = restProvider(provider("bitbucket"));
    expect(bitbucket.authorizationEndpoint).toBe("https://bitbucket.org/site/oauth2/authorize");
    expect(bitbucket.scopes("repository")).toEqual(["account", "email"]);
    const bitbucketApi = recorder({ user: { uuid: "{u-1}", display_name: "Zoë" }, emails: { values: [] } });
    await bitbucket.user(bitbucketApi.get);
    expect(bitbucketApi.asked).toEqual([
      "https://api.bitbucket.org/2.0/user",
      "https://api.bitbucket.org/2.0/user/emails",
    ]);
  });

  it("a user document without an id, or of the wrong shape, ends the sign-in", async () => {
    const github = restProvider(provider("github"));
    await expect(github.user(recorder({ user: { login: "no-id" } }).get)).rejects.toBeInstanceOf(
      ProviderError,
    );
    await expect(github.user(recorder({ user: [1, 2] }).get)).rejects.toBeInstanceOf(ProviderError);
    await expect(github.user(recorder({ user: { id: 1.5 } }).get)).rejects.toBeInstanceOf(ProviderError);
    const bitbucket = restProvider(provider("bitbucket"));
    await expect(bitbucket.user(recorder({ user: { uuid: 7 } }).get)).rejects.toBeInstanceOf(ProviderError);
    expect(() => restProvider(provider("oidc", "https://sso.example.com"))).toThrow(ProviderError);
  });
});
