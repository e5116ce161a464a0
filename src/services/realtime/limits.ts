/**
 * Per-socket and per-process limits (reference/realtime.md §10: Supabase's paid-plan quotas,
 * applied per socket here since one process serves one project).
 */
export const LIMITS = {
  /** Largest frame a client may send (Supabase: 5,000,000 bytes). */
  maxFrameBytes: 5_000_000,
  /** Largest broadcast payload (Supabase's paid plans: 3,000 KB). */
  maxBroadcastBytes: 3_000 * 1024,
  /** Largest presence track payload. */
  maxPresenceBytes: 64 * 1024,
  /** Channels one socket may have joined at once (Supabase: 100). */
  channelsPerSocket: 100,
  /** Joins per second one socket may make. */
  joinsPerSecond: 100,
  /** Messages (broadcast, presence, access_token) per second one socket may send. */
  messagesPerSecond: 1_000,
  /** Presence messages per second one socket may send. */
  presencePerSecond: 50,
  /** Concurrent sockets one process accepts (Supabase Team/Enterprise: 10,000). */
  socketsPerProcess: 10_000,
  /**
   * Bytes queued to a socket that does not read: past this the socket is closed with an error
   * instead of queueing more (a slow or stuck client must not grow the server's memory).
   */
  maxBufferedBytes: 8 * 1024 * 1024,
  /** realtime-js beats every 25 s; a socket silent for longer than this is closed. */
  idleTimeoutMs: 60_000,
  /** `in` filters take at most this many values (Supabase: 100). */
  maxInValues: 100,
  /** A postgres_changes record above this many bytes is sent as Supabase does: 413, small fields only. */
  maxRecordBytes: 1024 * 1024,
} as const;
