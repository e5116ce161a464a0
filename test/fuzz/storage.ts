import type { TestServer } from "../harness/server.js";
import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService, Mutation } from "./types.js";

const P = "/storage/v1";
/** The object the examples read: a name with accents and an emoji, sent percent-encoded. */
const OBJECT = "fz/%C3%A9t%C3%A9%20%F0%9F%8E%89.txt";
const MISSING_ID = "00000000-0000-4000-8000-000000000000";

function call(
  context: FuzzContext,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): FuzzRequest {
  const key = context.server.serviceRoleKey;
  const json = body !== undefined && typeof body !== "string";
  return {
    method,
    path: `${P}${path}`,
    headers: {
      apikey: key,
      authorization: `Bearer ${key}`,
      ...(json ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  };
}

const upload = (c: FuzzContext, method: string) =>
  call(c, method, `/object/fuzz/${OBJECT}`, "bonjour 🎉 日本", {
    "content-type": "text/plain",
    "x-upsert": "true",
  });

/** Upload-Metadata as tus clients send it: keys, then values in base64. */
function tusMetadata(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString("base64")}`)
    .join(",");
}

const TUS_TEXT = "bonjour 🎉 日本";
const TUS_NAME = "fz/été 🎉.txt";

/** A tus request: creation (with its whole body) or a request for an upload made in setup. */
const tus = (c: FuzzContext, method: string, path: string, headers: Record<string, string>, body?: string) =>
  call(c, method, `/upload/resumable${path}`, body, { "tus-resumable": "1.0.0", ...headers });

const tusCreation = (c: FuzzContext, signed: boolean) =>
  tus(
    c,
    "POST",
    signed ? "/sign" : "",
    {
      "upload-length": String(Buffer.byteLength(TUS_TEXT)),
      "upload-metadata": tusMetadata({ bucketName: "fuzz", objectName: TUS_NAME, contentType: "text/plain" }),
      "content-type": "application/offset+octet-stream",
      "x-upsert": "true",
      ...(signed ? { "x-signature": c.values.uploadToken ?? "" } : {}),
    },
    TUS_TEXT,
  );

const ROUTES: readonly FuzzRoute[] = [
  { method: "GET", route: `${P}/bucket`, example: (c) => call(c, "GET", "/bucket?limit=10&sortColumn=name") },
  {
    method: "POST",
    route: `${P}/bucket`,
    example: (c) => call(c, "POST", "/bucket", { id: "made-by-fuzz", public: false }),
  },
  { method: "GET", route: `${P}/bucket/:id`, example: (c) => call(c, "GET", "/bucket/fuzz") },
  {
    method: "DELETE",
    route: `${P}/bucket/:id`,
    example: (c) => call(c, "DELETE", "/bucket/no-such-bucket", {}),
    exampleStatus: 400,
  },
  {
    method: "POST",
    route: `${P}/bucket/:id/empty`,
    example: (c) => call(c, "POST", "/bucket/fuzz-empty/empty", {}),
  },
  { method: "POST", route: `${P}/object/:bucket/*`, example: (c) => upload(c, "POST") },
  {
    method: "GET",
    route: `${P}/object/authenticated/:bucket/*`,
    example: (c) => call(c, "GET", `/object/authenticated/fuzz/${OBJECT}`),
  },
  {
    method: "GET",
    route: `${P}/object/public/:bucket/*`,
    example: (c) => call(c, "GET", `/object/public/fuzz/${OBJECT}`),
  },
  {
    method: "GET",
    route: `${P}/object/info/:bucket/*`,
    example: (c) => call(c, "GET", `/object/info/fuzz/${OBJECT}`),
  },
  {
    method: "GET",
    route: `${P}/object/info/authenticated/:bucket/*`,
    example: (c) => call(c, "GET", `/object/info/authenticated/fuzz/${OBJECT}`),
  },
  {
    method: "GET",
    route: `${P}/object/info/public/:bucket/*`,
    example: (c) => call(c, "GET", `/object/info/public/fuzz/${OBJECT}`),
  },
  {
    method: "GET",
    route: `${P}/object/sign/:bucket/*`,
    example: (c) => call(c, "GET", `/object/sign/fuzz/${OBJECT}?token=${c.values.downloadToken}`),
  },
  {
    method: "POST",
    route: `${P}/object/sign/:bucket`,
    example: (c) => call(c, "POST", "/object/sign/fuzz", { expiresIn: 60, paths: ["fz/été 🎉.txt", "none"] }),
  },
  {
    method: "POST",
    route: `${P}/object/upload/sign/:bucket/*`,
    example: (c) => call(c, "POST", `/object/upload/sign/fuzz/${OBJECT}`, {}, { "x-upsert": "true" }),
  },
  {
    method: "PUT",
    route: `${P}/object/upload/sign/:bucket/*`,
    example: (c) => ({
      ...call(c, "PUT", `/object/upload/sign/fuzz/${OBJECT}?token=${c.values.uploadToken}`, "signed ✓"),
      headers: { "content-type": "text/plain" },
    }),
  },
  {
    method: "POST",
    route: `${P}/object/list/:bucket`,
    example: (c) => call(c, "POST", "/object/list/fuzz", { prefix: "fz", limit: 10, search: "é" }),
  },
  {
    method: "DELETE",
    route: `${P}/object/:bucket`,
    example: (c) => call(c, "DELETE", "/object/fuzz", { prefixes: ["fz/gone.txt"] }),
  },
  {
    method: "POST",
    route: `${P}/object/move`,
    example: (c) =>
      call(c, "POST", "/object/move", { bucketId: "fuzz", sourceKey: "fz/none", destinationKey: "fz/x" }),
    exampleStatus: 400,
  },
  {
    method: "POST",
    route: `${P}/object/copy`,
    example: (c) =>
      call(
        c,
        "POST",
        "/object/copy",
        { bucketId: "fuzz", sourceKey: "fz/été 🎉.txt", destinationKey: "fz/copie ✓.txt" },
        { "x-upsert": "true" },
      ),
  },
  // Fastify prints `/object/:bucket` and `/object/:bucket/*` (and the same under /object/sign) as
  // one node each.
  {
    method: "DELETE",
    route: `${P}/object/:bucket*`,
    example: (c) => call(c, "DELETE", "/object/fuzz", { prefixes: ["fz/none"] }),
  },
  {
    method: "POST",
    route: `${P}/object/sign/:bucket*`,
    example: (c) => call(c, "POST", `/object/sign/fuzz/${OBJECT}`, { expiresIn: 60 }),
  },
  { method: "POST", route: `${P}/upload/resumable`, example: (c) => tusCreation(c, false) },
  { method: "POST", route: `${P}/upload/resumable/sign`, example: (c) => tusCreation(c, true) },
  {
    method: "PATCH",
    route: `${P}/upload/resumable/:id`,
    example: (c) =>
      tus(
        c,
        "PATCH",
        `/${c.values.tusUpload}`,
        { "upload-offset": "0", "content-type": "application/offset+octet-stream" },
        "0123456789",
      ),
  },
  {
    method: "HEAD",
    route: `${P}/upload/resumable/sign/:id`,
    example: (c) =>
      tus(c, "HEAD", `/sign/${c.values.tusSignedUpload}`, { "x-signature": c.values.uploadToken ?? "" }),
  },
  { method: "GET", route: `${P}/quarantine`, example: (c) => call(c, "GET", "/quarantine") },
  {
    method: "POST",
    route: `${P}/quarantine/:id/release`,
    example: (c) => call(c, "POST", `/quarantine/${MISSING_ID}/release`, {}),
    exampleStatus: 400,
  },
  {
    method: "DELETE",
    route: `${P}/quarantine/:id`,
    example: (c) => call(c, "DELETE", `/quarantine/${MISSING_ID}`, {}),
    exampleStatus: 400,
  },
  { method: "GET", route: `${P}/trash`, example: (c) => call(c, "GET", "/trash?bucket=fuzz") },
  {
    method: "POST",
    route: `${P}/trash/:id/restore`,
    example: (c) => call(c, "POST", `/trash/${c.values.trashId}/restore`, {}),
  },
  {
    method: "DELETE",
    route: `${P}/trash/:id`,
    example: (c) => call(c, "DELETE", `/trash/${MISSING_ID}`, {}),
    exampleStatus: 400,
  },
  {
    method: "GET",
    route: `${P}/render/image/authenticated/:bucket/*`,
    example: (c) => call(c, "GET", "/render/image/authenticated/fuzz/fz/dot.png?width=2&height=2"),
  },
  {
    method: "GET",
    route: `${P}/render/image/public/:bucket/*`,
    example: (c) => call(c, "GET", "/render/image/public/fuzz/fz/dot.png?width=1"),
  },
  {
    method: "GET",
    route: `${P}/render/image/sign/:bucket/*`,
    example: (c) => call(c, "GET", `/render/image/sign/fuzz/fz/dot.png?token=${c.values.renderToken}`),
  },
];

/** Hostile object names in place of the example's. */
const NAMES = [
  "..%2F..%2Fetc%2Fpasswd",
  "fz/%2e%2e/%2e%2e/x",
  "fz/./x",
  "fz//x",
  "%00",
  "fz/a%00b",
  "fz/%E2%80%AEexe.txt",
  "fz/%5C..%5Cx",
  "%ff%fe",
  "x".repeat(1100),
  "fz/%25",
  "🎉/日本/é",
  "",
];

const objectNames: Mutation = (request, random) => ({
  ...request,
  path: request.path.replace(/(\/(?:fuzz|no-such-bucket))\/[^?]*/, `$1/${random.pick(NAMES)}`),
});

/** Storage's own headers with odd values: upsert, ranges, metadata, content types, tokens. */
const storageHeaders: Mutation = (request, random) => {
  const [name, value] = random.pick<[string, string]>([
    ["x-upsert", "maybe"],
    ["range", "bytes=5-2"],
    ["range", "bytes=-0"],
    ["range", "bytes=999999999-"],
    ["range", "lines=1-2"],
    ["x-metadata", "bm90IGpzb24="],
    ["x-metadata", "%%%"],
    ["content-type", "multipart/form-data; boundary=zz"],
    ["content-type", "image"],
    ["content-type", ""],
    ["cache-control", "max-age=-1"],
    ["if-none-match", '"x"'],
    ["content-length", "5"],
    ["authorization", "Bearer not.a.jwt"],
  ]);
  return { ...request, headers: { ...request.headers, [name]: value } };
};

/** Query parameters of downloads, renders and lists. */
const storageQueries: Mutation = (request, random) => {
  const extra = random.pick([
    "width=-1",
    "width=99999",
    "height=abc",
    "resize=stretch",
    "format=bmp",
    "quality=5",
    "download=%E2%80%AE.exe",
    "token=",
    "token=a.b.c",
    "limit=-5",
    "sortColumn=owner;drop",
  ]);
  return { ...request, path: `${request.path}${request.path.includes("?") ? "&" : "?"}${extra}` };
};

/** tus's headers with odd values: lengths, offsets, metadata, versions, extensions, tokens. */
const tusHeaders: Mutation = (request, random) => {
  const [name, value] = random.pick<[string, string]>([
    ["upload-length", "-1"],
    ["upload-length", "abc"],
    ["upload-length", "99999999999999999999"],
    ["upload-length", "0"],
    ["upload-offset", "-5"],
    ["upload-offset", "1e9"],
    ["upload-offset", "10"],
    ["upload-metadata", "bucketName"],
    ["upload-metadata", "bucketName !!!,objectName ???"],
    ["upload-metadata", tusMetadata({ bucketName: "fuzz", objectName: "../../etc/passwd" })],
    ["upload-metadata", tusMetadata({ bucketName: "fuzz", objectName: "fz/a\u0000b" })],
    ["upload-metadata", tusMetadata({ bucketName: "no-such-bucket", objectName: "x" })],
    ["upload-metadata", tusMetadata({ bucketName: "fuzz", objectName: "fz/m", metadata: "[1]" })],
    ["upload-metadata", tusMetadata({ bucketName: "fuzz", objectName: "fz/c", contentType: "image" })],
    ["upload-defer-length", "1"],
    ["upload-concat", "final;/a /b"],
    ["upload-concat", "partial"],
    ["tus-resumable", "0.2.2"],
    ["content-type", "application/offset+octet-stream"],
    ["x-signature", "a.b.c"],
    ["x-http-method-override", "DELETE"],
  ]);
  return { ...request, headers: { ...request.headers, [name]: value } };
};

/** Storage's error body: `{statusCode: "<status>", code, error, message}`; tus answers in text. */
function storageShape(_status: number, body: string, request: FuzzRequest): string | null {
  if (request.path.startsWith(`${P}/upload/resumable`) && !body.startsWith("{")) return null;
  // OPTIONS (the CORS preflight) is answered by the server before the service, in Fastify's shape.
  if (body.includes('"code":"FST_ERR_CTP_INVALID_MEDIA_TYPE"')) return null;
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (
      typeof parsed.statusCode === "string" &&
      typeof parsed.code === "string" &&
      typeof parsed.message === "string"
    ) {
      return null;
    }
  } catch {
    // Not JSON: not Storage's shape.
  }
  return "not a Storage error ({statusCode, code, error, message})";
}

async function storage(
  server: TestServer,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${server.url}${P}${path}`, {
    method,
    headers: { apikey: server.serviceRoleKey, authorization: `Bearer ${server.serviceRoleKey}`, ...headers },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, string>;
}

/** A 1x1 PNG for the render routes. */
const DOT = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

/** Storage: buckets, objects, signed URLs, the quarantine and image rendering. */
export const storageFuzz: FuzzService = {
  name: "storage",
  prefix: P,
  routes: ROUTES,
  mutations: [objectNames, storageHeaders, storageQueries, tusHeaders],
  errorShape: storageShape,
  async setup(server) {
    const json = { "content-type": "application/json" };
    for (const id of ["fuzz", "fuzz-empty"]) {
      // Soft delete on: removes and empties of the fuzz run go through the trash.
      await storage(
        server,
        "POST",
        "/bucket",
        JSON.stringify({ id, public: true, soft_delete_days: 7 }),
        json,
      );
    }
    // A soft-deleted object for the trash routes (its restore example puts it back).
    await storage(server, "POST", "/object/fuzz/fz/corbeille%20🗑.txt", "à jeter", {
      "content-type": "text/plain",
    });
    await storage(server, "DELETE", "/object/fuzz/fz/corbeille%20🗑.txt", "{}", json);
    const [trashed] = (await storage(server, "GET", "/trash?bucket=fuzz")) as unknown as { id: string }[];
    await storage(server, "POST", `/object/fuzz/${OBJECT}`, "bonjour", { "content-type": "text/plain" });
    const response = await fetch(`${server.url}${P}/object/fuzz/fz/dot.png`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.serviceRoleKey}`, "content-type": "image/png" },
      body: DOT,
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status !== 200) throw new Error(`dot.png: ${response.status} ${await response.text()}`);
    const token = (url: string) => new URL(url, "http://x").searchParams.get("token") ?? "";
    const signed = await storage(
      server,
      "POST",
      `/object/sign/fuzz/${OBJECT}`,
      JSON.stringify({ expiresIn: 3600 }),
      json,
    );
    const rendered = await storage(
      server,
      "POST",
      "/object/sign/fuzz/fz/dot.png",
      JSON.stringify({ expiresIn: 3600, transform: { width: 1 } }),
      json,
    );
    const uploadUrl = await storage(server, "POST", `/object/upload/sign/fuzz/${OBJECT}`, "{}", {
      ...json,
      "x-upsert": "true",
    });
    const tusUpload = async (signed: boolean) => {
      const created = await fetch(`${server.url}${P}/upload/resumable${signed ? "/sign" : ""}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${server.serviceRoleKey}`,
          "tus-resumable": "1.0.0",
          "upload-length": "100",
          "upload-metadata": tusMetadata({ bucketName: "fuzz", objectName: TUS_NAME }),
          "x-upsert": "true",
          ...(signed ? { "x-signature": uploadUrl.token ?? "" } : {}),
        },
        signal: AbortSignal.timeout(15_000),
      });
      if (created.status !== 201) throw new Error(`tus creation: ${created.status} ${await created.text()}`);
      return created.headers.get("location")?.split("/").at(-1) ?? "";
    };
    return {
      tusUpload: await tusUpload(false),
      tusSignedUpload: await tusUpload(true),
      trashId: trashed?.id ?? MISSING_ID,
      downloadToken: token(signed.signedURL ?? ""),
      renderToken: token(rendered.signedURL ?? ""),
      uploadToken: uploadUrl.token ?? "",
    };
  },
  async healthy({ server }) {
    const response = await fetch(`${server.url}${P}/object/public/fuzz/fz/dot.png`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200 || !Buffer.from(await response.arrayBuffer()).equals(DOT)) {
      throw new Error(`GET /object/public/fuzz/fz/dot.png answered ${response.status}`);
    }
  },
};
