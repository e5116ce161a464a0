import { forRequestLine } from "./mutate.js";
import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService } from "./types.js";

const BUCKET = "fuzz-files";
const PUBLIC_BUCKET = "fuzz-public";

function req(
  method: string,
  path: string,
  context: FuzzContext,
  body?: unknown,
  contentType = "application/json",
): FuzzRequest {
  const key = context.server.serviceRoleKey;
  return {
    method,
    path,
    headers: {
      apikey: key,
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": contentType }),
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  };
}

const S = "/storage/v1";
const FILE = "dossier/caf%C3%A9.txt";
const signed = (c: FuzzContext) => c.values.signedPath as string;

const ROUTES: readonly FuzzRoute[] = [
  { method: "GET", route: `${S}/bucket`, example: (c) => req("GET", `${S}/bucket`, c) },
  { method: "GET", route: `${S}/bucket/:id`, example: (c) => req("GET", `${S}/bucket/${BUCKET}`, c) },
  {
    method: "POST",
    route: `${S}/bucket`,
    example: (c) => req("POST", `${S}/bucket`, c, { name: "fuzz-new", public: false }),
  },
  {
    method: "PUT",
    route: `${S}/bucket/:id`,
    example: (c) => req("PUT", `${S}/bucket/${BUCKET}`, c, { public: false, file_size_limit: 1048576 }),
  },
  {
    method: "POST",
    route: `${S}/bucket/:id/empty`,
    example: (c) => req("POST", `${S}/bucket/fuzz-new/empty`, c, {}),
  },
  {
    method: "DELETE",
    route: `${S}/bucket/:id`,
    example: (c) => req("DELETE", `${S}/bucket/no-such-bucket`, c),
    exampleStatus: 400,
  },
  {
    method: "POST",
    route: `${S}/object/:bucket/*`,
    example: (c) => req("POST", `${S}/object/${BUCKET}/upload/z%C3%B6e.txt`, c, "Zoë 👋 日本", "text/plain"),
  },
  {
    method: "PUT",
    route: `${S}/object/:bucket/*`,
    example: (c) => req("PUT", `${S}/object/${BUCKET}/${FILE}`, c, "Åland, Curaçao", "text/plain"),
  },
  {
    method: "GET",
    route: `${S}/object/:bucket/*`,
    example: (c) => req("GET", `${S}/object/${BUCKET}/${FILE}`, c),
  },
  {
    method: "GET",
    route: `${S}/object/authenticated/:bucket/*`,
    example: (c) => req("GET", `${S}/object/authenticated/${BUCKET}/${FILE}`, c),
  },
  {
    method: "GET",
    route: `${S}/object/public/:bucket/*`,
    example: (c) => req("GET", `${S}/object/public/${PUBLIC_BUCKET}/hello.txt`, c),
  },
  {
    method: "GET",
    route: `${S}/object/info/:bucket/*`,
    example: (c) => req("GET", `${S}/object/info/${BUCKET}/${FILE}`, c),
  },
  {
    method: "GET",
    route: `${S}/object/info/authenticated/:bucket/*`,
    example: (c) => req("GET", `${S}/object/info/authenticated/${BUCKET}/${FILE}`, c),
  },
  {
    method: "GET",
    route: `${S}/object/info/public/:bucket/*`,
    example: (c) => req("GET", `${S}/object/info/public/${PUBLIC_BUCKET}/hello.txt`, c),
  },
  {
    method: "POST",
    route: `${S}/object/sign/:bucket/*`,
    example: (c) => req("POST", `${S}/object/sign/${BUCKET}/${FILE}`, c, { expiresIn: 60 }),
  },
  {
    method: "POST",
    route: `${S}/object/sign/:bucket`,
    example: (c) =>
      req("POST", `${S}/object/sign/${BUCKET}`, c, { expiresIn: 60, paths: ["dossier/café.txt"] }),
  },
  { method: "GET", route: `${S}/object/sign/:bucket/*`, example: (c) => req("GET", signed(c), c) },
  {
    method: "POST",
    route: `${S}/object/upload/sign/:bucket/*`,
    example: (c) => req("POST", `${S}/object/upload/sign/${BUCKET}/up/signed.txt`, c, {}),
  },
  {
    method: "PUT",
    route: `${S}/object/upload/sign/:bucket/*`,
    example: (c) => req("PUT", `${S}/object/upload/sign/${BUCKET}/up/x.txt?token=bad`, c, "x", "text/plain"),
    exampleStatus: 400,
  },
  {
    method: "POST",
    route: `${S}/object/list/:bucket`,
    example: (c) => req("POST", `${S}/object/list/${BUCKET}`, c, { prefix: "dossier", limit: 10, offset: 0 }),
  },
  {
    method: "DELETE",
    route: `${S}/object/:bucket`,
    example: (c) => req("DELETE", `${S}/object/${BUCKET}`, c, { prefixes: ["nothing/here.txt"] }),
  },
  {
    method: "DELETE",
    route: `${S}/object/:bucket/*`,
    example: (c) => req("DELETE", `${S}/object/${BUCKET}/nothing.txt`, c),
    exampleStatus: 400,
  },
  {
    method: "POST",
    route: `${S}/object/move`,
    example: (c) =>
      req("POST", `${S}/object/move`, c, {
        bucketId: BUCKET,
        sourceKey: "none.txt",
        destinationKey: "other.txt",
      }),
    exampleStatus: 400,
  },
  {
    method: "POST",
    route: `${S}/object/copy`,
    example: (c) =>
      req("POST", `${S}/object/copy`, c, {
        bucketId: BUCKET,
        sourceKey: "dossier/café.txt",
        destinationKey: "copies/café.txt",
      }),
  },
  {
    method: "GET",
    route: `${S}/render/image/authenticated/:bucket/*`,
    example: (c) => req("GET", `${S}/render/image/authenticated/${BUCKET}/${FILE}?width=10`, c),
    exampleStatus: 400,
  },
  {
    method: "GET",
    route: `${S}/render/image/public/:bucket/*`,
    example: (c) => req("GET", `${S}/render/image/public/${PUBLIC_BUCKET}/hello.txt?width=10`, c),
    exampleStatus: 400,
  },
  {
    method: "GET",
    route: `${S}/render/image/sign/:bucket/*`,
    example: (c) => req("GET", `${S}/render/image/sign/${BUCKET}/${FILE}?token=bad`, c),
    exampleStatus: 400,
  },
  { method: "GET", route: `${S}/quarantine`, example: (c) => req("GET", `${S}/quarantine`, c) },
  {
    method: "POST",
    route: `${S}/quarantine/:id/release`,
    example: (c) => req("POST", `${S}/quarantine/00000000-0000-4000-8000-000000000000/release`, c, {}),
    exampleStatus: 400, // Storage's not-found, a 404 inside a 400
  },
  {
    method: "DELETE",
    route: `${S}/quarantine/:id`,
    example: (c) => req("DELETE", `${S}/quarantine/00000000-0000-4000-8000-000000000000`, c),
    exampleStatus: 400,
  },
];

async function call(
  context: { url: string; key: string },
  method: string,
  path: string,
  body?: string,
  type = "application/json",
) {
  const response = await fetch(`${context.url}${path}`, {
    method,
    headers: {
      apikey: context.key,
      authorization: `Bearer ${context.key}`,
      ...(body === undefined ? {} : { "content-type": type }),
    },
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text;
}

/** Storage: buckets and objects (Supabase Storage's API under /storage/v1). */
export const storageFuzz: FuzzService = {
  name: "storage",
  prefix: "/storage/v1",
  routes: ROUTES,
  async setup(server) {
    const c = { url: server.url, key: server.serviceRoleKey };
    await call(c, "POST", `${S}/bucket`, JSON.stringify({ name: BUCKET, public: false }));
    await call(c, "POST", `${S}/bucket`, JSON.stringify({ name: PUBLIC_BUCKET, public: true }));
    await call(c, "POST", `${S}/object/${BUCKET}/${FILE}`, "Åland", "text/plain");
    await call(c, "POST", `${S}/object/${PUBLIC_BUCKET}/hello.txt`, "hello", "text/plain");
    const sign = JSON.parse(
      await call(c, "POST", `${S}/object/sign/${BUCKET}/${FILE}`, '{"expiresIn":3600}'),
    ) as { signedURL: string };
    return { signedPath: forRequestLine(`${S}${sign.signedURL}`) };
  },
  errorShape(_status, body) {
    if (body === "") return null;
    try {
      const keys = Object.keys(JSON.parse(body) as object);
      return keys.includes("error") || keys.includes("message") ? null : `keys ${keys.join(",")}`;
    } catch {
      return "not JSON";
    }
  },
  async healthy({ server }) {
    const c = { url: server.url, key: server.serviceRoleKey };
    await call(c, "POST", `${S}/object/${BUCKET}/after/ok.txt`, "still here 👋", "text/plain");
    const text = await call(c, "GET", `${S}/object/${BUCKET}/after/ok.txt`);
    if (text !== "still here 👋") throw new Error(`the object read back as ${JSON.stringify(text)}`);
  },
};
