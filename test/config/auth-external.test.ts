import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { type TempProject, tempProject } from "../harness/project.js";

let project: TempProject | null = null;
afterEach(() => {
  project?.remove();
  project = null;
});

async function external(toml: string) {
  project = tempProject({ configToml: `project_id = "external-test"\n\n${toml}` });
  return (await loadConfig(project.dir, {})).auth.external;
}

describe("[auth.external.NAME]", () => {
  it("reads each provider's kind, and its endpoints' base from `url` or the public service", async () => {
    const providers = await external(
      [
        '[auth.external.github]\nenabled = true\nclient_id = "gh"\nsecret = "s"',
        '[auth.external.gitlab]\nenabled = true\nclient_id = "gl"\nsecret = "s"\nurl = "https://git.example.com/"',
        '[auth.external.apple]\nenabled = true\nclient_id = "com.example.app"\nsecret = "jwt"',
        '[auth.external.google]\nenabled = true\nclient_id = "g"\nsecret = "s"',
        '[auth.external.keycloak]\nenabled = true\nclient_id = "k"\nsecret = "s"\nurl = "https://sso.example.com/realms/東京"',
        // Without `url` a name with no known issuer has nowhere to go; disabled ones are not read.
        '[auth.external.azure]\nenabled = true\nclient_id = "a"\nsecret = "s"\nurl = "https://login.microsoftonline.com/0c1e5a3d-tenant"',
        '[auth.external.notion]\nenabled = true\nclient_id = "n"\nsecret = "s"',
        '[auth.external.discord]\nenabled = false\nclient_id = "d"\nsecret = "s"',
      ].join("\n\n"),
    );
    expect(Object.keys(providers).sort()).toEqual([
      "apple",
      "azure",
      "github",
      "gitlab",
      "google",
      "keycloak",
    ]);
    // Azure's tenant URL as the dashboard asks for it; the OpenID issuer is its v2.0 one.
    expect(providers.azure).toMatchObject({
      kind: "oidc",
      issuer: "https://login.microsoftonline.com/0c1e5a3d-tenant/v2.0",
    });
    expect(providers.github).toMatchObject({ kind: "github", issuer: "https://github.com", url: null });
    expect(providers.gitlab).toMatchObject({
      kind: "gitlab",
      issuer: "https://git.example.com",
      url: "https://git.example.com",
    });
    expect(providers.apple).toMatchObject({ kind: "apple", issuer: "https://appleid.apple.com" });
    expect(providers.google).toMatchObject({ kind: "oidc", issuer: "https://accounts.google.com" });
    expect(providers.keycloak).toMatchObject({ kind: "oidc", issuer: "https://sso.example.com/realms/東京" });
  });
});
