import { crc32 } from "node:zlib";
import type { SupabaseClient } from "@supabase/supabase-js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http, newUser, type StorageTestServer, startStorageServer } from "./helpers.js";

/** A PNG whose header claims `size` x `size` pixels (a pixel flood), with almost no data. */
function pixelFlood(size: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// Image transformation through supabase-js: dimensions, resize modes, formats, signed and public.
describe("image transformation", () => {
  let server: StorageTestServer;
  let asUser: SupabaseClient;
  const user = newUser();
  const name = `${user}/photo 🌅.png`;

  beforeAll(async () => {
    server = await startStorageServer();
    asUser = await server.userClient(user);
    await server.database.query(`
      insert into storage.buckets (id, name, public) values ('photos', 'photos', true);
      create policy "own photos" on storage.objects for all to authenticated
        using (owner_id = (select auth.uid()::text)) with check (owner_id = (select auth.uid()::text));`);
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: "#3366cc" } })
      .png()
      .toBuffer();
    const up = await asUser.storage.from("photos").upload(name, png, { contentType: "image/png" });
    expect(up.error).toBeNull();
  });
  afterAll(async () => {
    await server.close();
  });

  async function dimensions(blob: Blob | null | undefined) {
    const metadata = await sharp(Buffer.from(await (blob as Blob).arrayBuffer())).metadata();
    return { width: metadata.width, height: metadata.height, format: metadata.format };
  }

  it("resizes with cover, contain and fill", async () => {
    const cover = await asUser.storage
      .from("photos")
      .download(name, { transform: { width: 100, height: 100 } });
    expect(await dimensions(cover.data)).toEqual({ width: 100, height: 100, format: "png" });
    const contain = await asUser.storage
      .from("photos")
      .download(name, { transform: { width: 100, height: 100, resize: "contain" } });
    expect(await dimensions(contain.data)).toEqual({ width: 100, height: 75, format: "png" });
    const fill = await asUser.storage
      .from("photos")
      .download(name, { transform: { width: 50, height: 200, resize: "fill" } });
    expect(await dimensions(fill.data)).toEqual({ width: 50, height: 200, format: "png" });
  });

  it("converts to WebP when the client accepts it, or when asked", async () => {
    const token = await server.userToken(user);
    const response = await http(
      server,
      "GET",
      `/render/image/authenticated/photos/${encodeURIComponent(name).replace("%2F", "/")}?width=40`,
      {
        token,
        headers: { accept: "image/avif,image/webp,*/*" },
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/webp");
    expect((await sharp(Buffer.from(await response.arrayBuffer())).metadata()).width).toBe(40);
    const origin = await http(
      server,
      "GET",
      `/render/image/authenticated/photos/${encodeURIComponent(name).replace("%2F", "/")}?width=40&format=origin`,
      {
        token,
        headers: { accept: "image/webp" },
      },
    );
    expect(origin.headers.get("content-type")).toBe("image/png");
  });

  it("serves public and signed transformed URLs", async () => {
    const publicUrl = asUser.storage
      .from("photos")
      .getPublicUrl(name, { transform: { width: 64, height: 48 } }).data.publicUrl;
    expect(publicUrl).toContain("/render/image/public/");
    const publicImage = await fetch(publicUrl);
    expect(await dimensions(await publicImage.blob())).toMatchObject({ width: 64, height: 48 });
    const signed = await asUser.storage
      .from("photos")
      .createSignedUrl(name, 60, { transform: { width: 30, height: 30 } });
    expect(signed.data?.signedUrl).toContain("/render/image/sign/");
    const signedImage = await fetch(signed.data?.signedUrl ?? "");
    expect(signedImage.status).toBe(200);
    expect(await dimensions(await signedImage.blob())).toMatchObject({ width: 30, height: 30 });
  });

  it("refuses what is not an image, a pixel flood and bad parameters without a 5xx", async () => {
    const service = server.client(server.serviceRoleKey);
    await service.storage
      .from("photos")
      .upload("text.png", "not an image at all", { contentType: "text/plain" });
    const notImage = await http(server, "GET", "/render/image/public/photos/text.png?width=10");
    expect(notImage.status).toBe(400);
    expect(await notImage.json()).toMatchObject({ statusCode: "400", code: "InvalidRequest" });
    await service.storage
      .from("photos")
      .upload("flood.png", pixelFlood(60_000), { contentType: "image/png" });
    const flood = await http(server, "GET", "/render/image/public/photos/flood.png?width=10");
    expect(flood.status).toBe(400);
    expect(await flood.json()).toMatchObject({ message: "The image has too many pixels to transform" });
    const badResize = await http(server, "GET", "/render/image/public/photos/text.png?resize=stretch");
    expect(await badResize.json()).toMatchObject({ code: "InvalidParameter" });
  });
});
