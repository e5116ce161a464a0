import type { IncomingMessage } from "node:http";

/** Up to this much of a refused upload's body is read and dropped to keep its answer deliverable. */
const DISCARD_BYTES = 16 * 1024 * 1024;
/** ...and for at most this long. */
const DISCARD_MS = 5_000;

/**
 * An upload refused before its body was read (wrong type, too large, no permission) still has
 * the rest of the body coming. Closing the connection at once makes the kernel answer the bytes
 * still arriving with a reset, and a client still sending (storage-js, curl) then loses the
 * refusal with it: `fetch failed` / EPIPE instead of 415 or 413. So the rest is read and dropped,
 * as Node does for an unread body, but only up to DISCARD_BYTES and DISCARD_MS: past either, the
 * connection is cut, so a client cannot keep a refused upload streaming.
 */
export function discardUnreadBody(request: IncomingMessage): void {
  if (request.complete || request.destroyed) return;
  request.unpipe();
  let discarded = 0;
  const cut = () => request.socket?.destroy();
  const timer = setTimeout(cut, DISCARD_MS);
  timer.unref();
  const stop = () => clearTimeout(timer);
  request.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_BYTES) {
      stop();
      cut();
    }
  });
  request.once("end", stop);
  request.once("close", stop);
  request.on("error", () => {});
  request.resume();
}
