import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { type TempProject, tempProject } from "../harness/project.js";

let project: TempProject | null = null;
afterEach(() => {
  project?.remove();
  project = null;
});

async function load(groundworkToml: string, env: NodeJS.ProcessEnv = {}) {
  project = tempProject({ configToml: 'project_id = "s3-config"\n' });
  project.write("groundwork.toml", groundworkToml);
  return loadConfig(project.dir, env);
}

async function loadError(groundworkToml: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const error = await load(groundworkToml, env).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY-é";

describe("groundwork.toml [storage.s3]", () => {
  it("reads the S3 backend, secrets through env(NAME)", async () => {
    const config = await load(
      `[storage]
backend = "s3"
[storage.s3]
endpoint = "https://account.r2.cloudflarestorage.com"
region = "auto"
bucket = "env(FILES_BUCKET)"
prefix = "tenant-a/"
access_key_id = "env(S3_ACCESS_KEY_ID)"
secret_access_key = "env(S3_SECRET)"
part_size = "16MiB"
part_concurrency = 2
checksums = "when_required"
`,
      { FILES_BUCKET: "fichiers", S3_ACCESS_KEY_ID: "AKIDEXAMPLE", S3_SECRET: SECRET },
    );
    expect(config.storage.server.backend).toEqual({
      kind: "s3",
      endpoint: "https://account.r2.cloudflarestorage.com",
      region: "auto",
      bucket: "fichiers",
      prefix: "tenant-a/",
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: SECRET,
      forcePathStyle: true,
      partSize: 16 * 1024 * 1024,
      partConcurrency: 2,
      checksums: "when_required",
    });
  });

  it("defaults to AWS: virtual-hosted style, the SDK's credential chain, 8 MiB parts", async () => {
    const config = await load('[storage]\nbackend = "s3"\n[storage.s3]\nbucket = "files"\n');
    expect(config.storage.server.backend).toEqual({
      kind: "s3",
      endpoint: null,
      region: "us-east-1",
      bucket: "files",
      prefix: "",
      accessKeyId: null,
      secretAccessKey: null,
      forcePathStyle: false,
      partSize: 8 * 1024 * 1024,
      partConcurrency: 4,
      checksums: "when_supported",
    });
  });

  it.each([
    ['[storage]\nbackend = "s3"\n', "storage.s3.bucket: expected the S3 bucket to keep files in, found none"],
    [
      '[storage]\nbackend = "s3"\n[storage.s3]\nbucket = "b"\nendpoint = "not a url ✗"\n',
      "storage.s3.endpoint: expected a URL such as https://s3.example.com, found not a URL",
    ],
    [
      '[storage]\nbackend = "s3"\n[storage.s3]\nbucket = "b"\nprefix = "no-slash"\n',
      'storage.s3.prefix: expected letters, digits, "_.-/", ending in "/", found "no-slash"',
    ],
    [
      '[storage]\nbackend = "s3"\n[storage.s3]\nbucket = "b"\npart_size = "1MiB"\n',
      "storage.s3.part_size: expected at least 5MiB (S3's smallest part), found 1048576",
    ],
    [
      '[storage]\nbackend = "s3"\n[storage.s3]\nbucket = "b"\nchecksums = "never"\n',
      'storage.s3.checksums: expected "when_supported" or "when_required", found "never"',
    ],
    ['[storage]\nbackend = "gcs"\n', 'storage.backend: expected "local" or "s3", found "gcs"'],
  ])("names the key and what it expected for %j", async (toml, message) => {
    expect((await loadError(toml)).message).toBe(`groundwork.toml: ${message}`);
  });

  it("never echoes a secret in an error", async () => {
    const oneKey = await loadError(
      '[storage]\nbackend = "s3"\n[storage.s3]\nbucket = "b"\nsecret_access_key = "env(S3_SECRET)"\n',
      { S3_SECRET: SECRET },
    );
    expect(oneKey.message).toBe(
      "groundwork.toml: storage.s3.access_key_id: expected both keys or neither (the SDK's credential chain), found only one set",
    );
    const unset = await loadError(
      '[storage]\nbackend = "s3"\n[storage.s3]\nbucket = "b"\naccess_key_id = "AKID"\nsecret_access_key = "env(S3_SECRET)"\n',
    );
    expect(unset.message).toBe(
      "groundwork.toml: storage.s3.secret_access_key: expected environment variable S3_SECRET to be set, found it unset",
    );
    expect(`${oneKey.message}${unset.message}`).not.toContain("wJalr");
  });
});
