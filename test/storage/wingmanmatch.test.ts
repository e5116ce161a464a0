import { readFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newUser, type StorageTestServer, startStorageServer } from "./helpers.js";

const PROJECT = path.resolve(import.meta.dirname, "../../examples/wingmanmatch");

// The WingmanMatch example: a public photo bucket, owner-only writes, images only (by their bytes).
describe("WingmanMatch example", () => {
  let server: StorageTestServer;

  beforeAll(async () => {
    server = await startStorageServer({ projectDir: PROJECT });
    await server.database.query(
      await readFile(path.join(PROJECT, "supabase/migrations/20250201000000_storage_policies.sql"), "utf8"),
    );
    for (let i = 0; i < 100; i++) {
      const { rows } = await server.database.query("select 1 from storage.buckets where id = 'photos'");
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  afterAll(async () => {
    await server.close();
  });

  it("lets owners write their folder, everyone read, and images only", async () => {
    const alice = newUser();
    const bob = newUser();
    const asAlice = await server.userClient(alice);
    const asBob = await server.userClient(bob);
    const webp = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#aa3366" } })
      .webp()
      .toBuffer();
    const mine = await asAlice.storage
      .from("photos")
      .upload(`${alice}/avatar.webp`, webp, { contentType: "image/webp" });
    expect(mine.error).toBeNull();
    const publicUrl = server
      .client()
      .storage.from("photos")
      .getPublicUrl(`${alice}/avatar.webp`, {
        transform: { width: 100, height: 100 },
      }).data.publicUrl;
    const thumbnail = await fetch(publicUrl);
    expect(thumbnail.status).toBe(200);
    expect((await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()).width).toBe(100);
    const intruder = await asBob.storage
      .from("photos")
      .upload(`${alice}/evil.png`, webp, { contentType: "image/png" });
    expect(intruder.error).toMatchObject({ statusCode: "403" });
    const overwrite = await asBob.storage.from("photos").remove([`${alice}/avatar.webp`]);
    expect(overwrite.data).toEqual([]);
    const script = await asBob.storage
      .from("photos")
      .upload(`${bob}/photo.jpg`, "<script>alert(1)</script>", { contentType: "image/jpeg" });
    expect(script.error).toMatchObject({ statusCode: "415" });
    const pdf = await asBob.storage
      .from("photos")
      .upload(`${bob}/cv.pdf`, "%PDF-1.4", { contentType: "application/pdf" });
    expect(pdf.error).toMatchObject({
      statusCode: "415",
      message: "mime type application/pdf is not supported",
    });
  });
});
