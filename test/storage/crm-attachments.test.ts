import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACME, GLOBEX, userToken } from "../rest/helpers.js";
import { type StorageTestServer, startStorageServer } from "./helpers.js";

const PDF = Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");

// The example CRM's attachments bucket: per-tenant folders decided by the tenancy helpers, under
// RLS, with the config.toml limits and the scan mark from groundwork.toml.
describe("CRM attachments", () => {
  let server: StorageTestServer;

  beforeAll(async () => {
    server = await startStorageServer({ template: "crm" });
    // config.toml seeds the bucket shortly after start.
    for (let i = 0; i < 100; i++) {
      const { rows } = await server.database.query("select 1 from storage.buckets where id = 'attachments'");
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  afterAll(async () => {
    await server.close();
  });

  it("keeps each tenant's attachments to its members", async () => {
    const acme = server.client(await userToken(server, "admin@test.local"));
    const globex = server.client(await userToken(server, "globex.admin@test.local"));
    const name = `${ACME}/contacts/1/devis n°1 – été.pdf`;
    const up = await acme.storage.from("attachments").upload(name, PDF, { contentType: "application/pdf" });
    expect(up.error).toBeNull();
    expect(await (await acme.storage.from("attachments").download(name)).data?.text()).toBe(PDF.toString());
    expect((await globex.storage.from("attachments").exists(name)).data).toBe(false);
    expect((await globex.storage.from("attachments").list(`${ACME}/contacts/1`)).data).toEqual([]);
    const intrude = await globex.storage
      .from("attachments")
      .upload(`${ACME}/x.pdf`, PDF, { contentType: "application/pdf" });
    expect(intrude.error).toMatchObject({ statusCode: "403" });
    const own = await globex.storage
      .from("attachments")
      .upload(`${GLOBEX}/x.pdf`, PDF, { contentType: "application/pdf" });
    expect(own.error).toBeNull();
    const spoofed = await acme.storage
      .from("attachments")
      .upload(`${ACME}/x.pdf`, "MZ not a pdf", { contentType: "application/pdf" });
    expect(spoofed.error).toMatchObject({ statusCode: "415" });
    const { rows } = await server.database.query(
      "select metadata ->> 'scanStatus' as scan from storage.objects where name = $1",
      [name],
    );
    expect(rows[0]?.scan).toBe("not_scanned");
  });
});
