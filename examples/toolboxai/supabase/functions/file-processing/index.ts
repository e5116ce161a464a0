// file-processing: completes a file record after an upload. Called by the database webhook on
// storage.objects (service role), or by the app with a member's token and
// {"bucket": "files", "objectName": "<org>/<user>/<name>"}.
//   1. reads Storage's scan result (ClamAV ran before the object existed; an infected upload was
//      refused and quarantined, so it never gets here);
//   2. for images, reads the dimensions and asks Storage's image transformation for a thumbnail,
//      stored in the `thumbnails` bucket at the file's path;
//   3. writes size, type, dimensions, checksum, thumbnail and status into public.files.
import "jsr:@supabase/functions-js/edge-runtime.d.ts";
import { corsHeaders } from "../_shared/cors.ts";
import { adminClient, callerClient, callerRole, json } from "../_shared/http.ts";
import { imageSize } from "../_shared/image-size.ts";

const THUMBNAIL_SIZE = Number(Deno.env.get("THUMBNAIL_SIZE") ?? "300");
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/webp", "image/gif"]);
const ACCEPTED_SCANS = new Set(["clean", "not_scanned"]);

interface Target {
  readonly bucket: string;
  readonly name: string;
  /** Storage's metadata of the object, when a webhook sent its row. */
  readonly metadata: Record<string, unknown> | null;
}

/** The object to process: a storage.objects webhook payload, or the app's request. */
function targetOf(body: unknown): Target | null {
  if (typeof body !== "object" || body === null) return null;
  const payload = body as Record<string, unknown>;
  const record = payload.record as Record<string, unknown> | undefined;
  if (record && typeof record.bucket_id === "string" && typeof record.name === "string") {
    return { bucket: record.bucket_id, name: record.name, metadata: (record.metadata as Record<string, unknown>) ?? null };
  }
  if (typeof payload.objectName === "string") {
    return { bucket: typeof payload.bucket === "string" ? payload.bucket : "files", name: payload.objectName, metadata: null };
  }
  return null;
}

Deno.serve(async (req) => {
  if (req.method === "OPTIONS") return new Response("ok", { headers: corsHeaders });
  if (req.method !== "POST") return json({ error: "use POST" }, 405);
  const started = performance.now();
  const target = targetOf(await req.json().catch(() => null));
  if (!target || target.bucket !== "files") {
    return json({ error: 'expected a storage.objects webhook payload or {"bucket": "files", "objectName": ...}' }, 400);
  }

  // A member may ask for their own file (row-level security decides); webhooks come as service role.
  if (callerRole(req) !== "service_role") {
    const { data } = await callerClient(req)
      .from("files").select("id").eq("bucket_id", target.bucket).eq("storage_path", target.name).maybeSingle();
    if (!data) return json({ error: "file not found" }, 404);
  }

  const admin = adminClient();
  const { data: file, error } = await admin
    .from("files").select("*").eq("bucket_id", target.bucket).eq("storage_path", target.name).maybeSingle();
  if (error) return json({ error: error.message }, 500);
  if (!file) return json({ success: true, skipped: "no file record for this object" });

  const scanStatus = String(target.metadata?.scanStatus ?? file.scan_status ?? "not_scanned");
  const virusScanPassed = ACCEPTED_SCANS.has(scanStatus);
  const update: Record<string, unknown> = {
    scan_status: scanStatus,
    status: virusScanPassed ? "available" : "rejected",
    processed_at: new Date().toISOString(),
  };
  let thumbnail: { path: string; width: number; height: number } | null = null;

  if (virusScanPassed) {
    const original = await admin.storage.from(target.bucket).download(target.name);
    if (original.error) return json({ error: `download failed: ${original.error.message}` }, 502);
    const bytes = new Uint8Array(await original.data.arrayBuffer());
    const mimeType = String(target.metadata?.mimetype ?? file.mime_type ?? original.data.type);
    update.file_size = bytes.length;
    update.mime_type = mimeType;
    if (IMAGE_TYPES.has(mimeType)) {
      const size = imageSize(bytes);
      if (size) {
        update.width = size.width;
        update.height = size.height;
        thumbnail = await makeThumbnail(admin, target);
        if (thumbnail) update.thumbnail_path = thumbnail.path;
      }
    }
  }

  const processingTime = Math.round(performance.now() - started);
  update.metadata = { ...file.metadata, processingTimeMs: processingTime, thumbnail };
  const saved = await admin.from("files").update(update).eq("id", file.id).select().single();
  if (saved.error) return json({ error: saved.error.message }, 500);
  console.log(`processed ${target.name}: ${update.status}, ${processingTime} ms`);
  return json({
    success: true,
    fileId: file.id,
    virusScanPassed,
    thumbnailGenerated: thumbnail !== null,
    processingTime,
    file: saved.data,
  });
});

/** Asks Storage's image transformation for a thumbnail and stores it in `thumbnails`. */
async function makeThumbnail(
  admin: ReturnType<typeof adminClient>,
  target: Target,
): Promise<{ path: string; width: number; height: number } | null> {
  const rendered = await admin.storage.from(target.bucket).download(target.name, {
    transform: { width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, resize: "contain" },
  });
  if (rendered.error) {
    console.error(`thumbnail of ${target.name} failed: ${rendered.error.message}`);
    return null;
  }
  const bytes = new Uint8Array(await rendered.data.arrayBuffer());
  const size = imageSize(bytes);
  const stored = await admin.storage.from("thumbnails").upload(target.name, bytes, {
    contentType: rendered.data.type || "image/webp",
    upsert: true,
  });
  if (stored.error) {
    console.error(`storing the thumbnail of ${target.name} failed: ${stored.error.message}`);
    return null;
  }
  return { path: target.name, width: size?.width ?? 0, height: size?.height ?? 0 };
}
