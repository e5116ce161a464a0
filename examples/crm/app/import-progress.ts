/**
 * An import that reports its progress over Realtime broadcast, as an upload-and-process flow does:
 * the worker (with the service key) inserts the rows in batches and, after each committed batch,
 * broadcasts `{done, total}` on the private channel `import:<user id>`; the user's app listens on
 * that channel, which the example's policy on realtime.messages lets only that user read.
 */
import type { SupabaseClient } from "@supabase/supabase-js";

export interface ImportRow {
  readonly first_name: string;
  readonly last_name: string;
  readonly email?: string;
}

export interface Progress {
  readonly done: number;
  readonly total: number;
}

/** The worker's side: inserts `rows` for `userId`'s tenant in batches, broadcasting progress. */
export async function importContacts(
  service: SupabaseClient,
  userId: string,
  tenantId: string,
  rows: readonly ImportRow[],
  batchSize = 25,
): Promise<number> {
  const channel = service.channel(`import:${userId}`, { config: { private: true } });
  let done = 0;
  try {
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize).map((row) => ({ ...row, tenant_id: tenantId }));
      const { error } = await service.from("contacts").insert(batch);
      if (error) throw new Error(error.message);
      done += batch.length;
      await channel.httpSend("progress", { done, total: rows.length } satisfies Progress);
    }
  } finally {
    await service.removeChannel(channel);
  }
  return done;
}

/** The app's side: calls `onProgress` for each report of the user's import until stopped. */
export async function watchImport(
  supabase: SupabaseClient,
  userId: string,
  onProgress: (progress: Progress) => void,
): Promise<{ stop(): Promise<void> }> {
  await supabase.realtime.setAuth();
  const channel = supabase
    .channel(`import:${userId}`, { config: { private: true } })
    .on("broadcast", { event: "progress" }, ({ payload }) => onProgress(payload as Progress));
  await new Promise<void>((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === "SUBSCRIBED") resolve();
      else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") reject(error ?? new Error(status));
    });
  });
  return {
    async stop() {
      await supabase.removeChannel(channel);
    },
  };
}
