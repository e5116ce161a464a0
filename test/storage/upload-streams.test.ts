import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Md5Stream } from "../../src/services/storage/backend/md5-stream.js";
import { ClamdScanner, ScannerUnavailable } from "../../src/services/storage/scanner.js";
import { EICAR, startClamd, type TestClamd } from "./clamd.js";
import { http, newUser, type StorageTestServer, startStorageServer } from "./helpers.js";

/** Its `[storage] file_size_limit` is 5 MiB: the large bodies here stay under it. */
const PROJECT = path.join(import.meta.dirname, "fixtures/scan-project");
const MB = 1024 * 1024;

/** `bytes` as a stream of uneven chunks (as a socket delivers them). */
function unevenChunks(bytes: Buffer, size = 65_536 + 7): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size)
    chunks.push(bytes.subarray(offset, offset + size));
  return Readable.from(chunks);
}

/** Everything a stream passes on, joined. */
function collector(): { sink: Writable; bytes(): Buffer } {
  const parts: Buffer[] = [];
  return {
    sink: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(chunk);
        callback();
      },
    }),
    bytes: () => Buffer.concat(parts),
  };
}

const md5 = (bytes: Buffer) => createHash("md5").update(bytes).digest("hex");

// The streams an upload's bytes pass through: the ETag hashed on a worker thread, and clamd
// scanning while the bytes are written. Both must pass every byte on unchanged.
describe("upload streams", () => {
  let clamd: TestClamd;
  let shortClamd: TestClamd;

  beforeAll(async () => {
    [clamd, shortClamd] = await Promise.all([startClamd(), startClamd({ streamMaxLength: "1M" })]);
  });
  afterAll(async () => {
    await clamd?.stop();
    await shortClamd?.stop();
  });

  it("hashes bodies of every size like a plain MD5, several at once, passing the bytes on", async () => {
    const sizes = [0, 1, 50 * 1024, MB - 1, MB, MB + 1, 5 * MB + 12_345];
    const bodies = sizes.map((size) => randomBytes(size));
    await Promise.all(
      bodies.map(async (body) => {
        const hash = new Md5Stream();
        const out = collector();
        await pipeline(unevenChunks(body), hash, out.sink);
        expect(await hash.digest()).toBe(md5(body));
        expect(out.bytes().equals(body)).toBe(true);
      }),
    );
  });

  it("scans while the bytes pass: clean, infected, and a clamd that breaks off midway", async () => {
    const scanner = new ClamdScanner(clamd.socket);
    const body = randomBytes(3 * MB);
    const clean = await scanner.open();
    const out = collector();
    await pipeline(unevenChunks(body), clean, out.sink);
    expect(await clean.verdict()).toEqual({ infected: false });
    expect(out.bytes().equals(body)).toBe(true);

    expect(await scanner.scan(Readable.from([Buffer.from(EICAR)]))).toEqual({
      infected: true,
      signature: "Eicar-Test-Signature.UNOFFICIAL",
    });

    // clamd refuses streams over its StreamMaxLength: the bytes still all pass, the verdict fails.
    const cut = await new ClamdScanner(shortClamd.socket).open();
    const rest = collector();
    await pipeline(unevenChunks(body), cut, rest.sink);
    await expect(cut.verdict()).rejects.toBeInstanceOf(ScannerUnavailable);
    expect(rest.bytes().equals(body)).toBe(true);
  });

  it("refuses to open when clamd is out of reach", async () => {
    await expect(new ClamdScanner("/nonexistent/clamd.sock").open()).rejects.toBeInstanceOf(
      ScannerUnavailable,
    );
  });

  describe("through the API", () => {
    let server: StorageTestServer;
    let short: StorageTestServer;
    const user = newUser();

    const setUp = async (target: StorageTestServer) => {
      await target.database.query(`
        create policy "all own" on storage.objects for all to authenticated
          using (owner_id = (select auth.uid()::text)) with check (owner_id = (select auth.uid()::text));
        insert into storage.buckets (id, name, allowed_mime_types)
          values ('uploads', 'uploads', null), ('lenient', 'lenient', null), ('files', 'files', null),
                 ('pictures', 'pictures', '{image/png}')
          on conflict do nothing;`);
    };
    beforeAll(async () => {
      [server, short] = await Promise.all([
        startStorageServer({ projectDir: PROJECT, env: { CLAMD_SOCKET: clamd.socket } }),
        startStorageServer({ projectDir: PROJECT, env: { CLAMD_SOCKET: shortClamd.socket } }),
      ]);
      await Promise.all([setUp(server), setUp(short)]);
    });
    afterAll(async () => {
      await server?.close();
      await short?.close();
    });

    const upload = async (target: StorageTestServer, pathname: string, body: Buffer, type: string) =>
      http(target, "POST", `/object/${pathname}`, {
        token: await target.userToken(user),
        headers: { "content-type": type },
        body,
      });
    const rowOf = async (target: StorageTestServer, bucket: string, name: string) =>
      (
        await target.database.query(
          "select metadata from storage.objects where bucket_id = $1 and name = $2",
          [bucket, name],
        )
      ).rows[0]?.metadata;

    it("stores a large upload with the MD5 of its bytes as ETag and serves it back whole", async () => {
      const body = randomBytes(4 * MB + 12_345);
      const name = `${user}/größe-大きい.bin`;
      const response = await upload(server, `files/${name}`, body, "application/octet-stream");
      expect(response.status).toBe(200);
      expect((await rowOf(server, "files", name)).eTag).toBe(`"${md5(body)}"`);
      const download = await http(server, "GET", `/object/files/${encodeURI(name)}`, {
        token: await server.userToken(user),
      });
      expect(download.headers.get("etag")).toBe(`"${md5(body)}"`);
      expect(Buffer.from(await download.arrayBuffer()).equals(body)).toBe(true);
    });

    it("marks a large scanned upload clean once clamd saw every byte", async () => {
      const body = randomBytes(4 * MB);
      const response = await upload(
        server,
        `uploads/${user}/scanned-🔍.bin`,
        body,
        "application/octet-stream",
      );
      expect(response.status).toBe(200);
      expect((await rowOf(server, "uploads", `${user}/scanned-🔍.bin`)).scanStatus).toBe("clean");
    });

    it("when clamd breaks off midway: a refusing bucket keeps nothing, a lenient one marks the file", async () => {
      const body = randomBytes(3 * MB);
      const refused = await upload(short, `uploads/${user}/too-long.bin`, body, "application/octet-stream");
      expect(refused.status).toBe(503);
      expect(await rowOf(short, "uploads", `${user}/too-long.bin`)).toBeUndefined();
      const accepted = await upload(short, `lenient/${user}/too-long.bin`, body, "application/octet-stream");
      expect(accepted.status).toBe(200);
      expect((await rowOf(short, "lenient", `${user}/too-long.bin`)).scanStatus).toBe("not_scanned");
      const { rows } = await short.database.query(
        "select count(*)::int as n from storage.groundwork_loose_blobs where bucket_id = 'uploads'",
      );
      expect(rows[0]?.n).toBe(0);
    });

    it("refuses a large file of the wrong type from its first bytes, naming both types", async () => {
      const text = Buffer.alloc(4 * MB, "Grüße, ceci n'est pas une image 🙂\n");
      const response = await upload(server, `pictures/${user}/fake.png`, text, "image/png");
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ message: expect.stringContaining("image/png") });
      expect(await rowOf(server, "pictures", `${user}/fake.png`)).toBeUndefined();
    });
  });
});
