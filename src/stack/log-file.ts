import path from "node:path";
import type { Writable } from "node:stream";
import { createStream } from "rotating-file-stream";

export interface LogFileOptions {
  /** Size at which the file is rotated; default 10 MiB. */
  readonly maxBytes?: number;
  /** Rotated files kept beside it (`server.log.1` is the newest); default 4, so at most 50 MiB in all. */
  readonly keep?: number;
}

/** Where `start --detach` tells the background server to write its log (an absolute path). */
export const LOG_FILE_ENV = "GROUNDWORK_LOG_FILE";

/**
 * The log file of a background server (`.groundwork/server.log`): appended to, and rotated the
 * way logrotate does (`server.log` -> `server.log.1` -> ... up to `keep`, the oldest dropped) when
 * it reaches `maxBytes`, so a server left running cannot fill the disk. rotating-file-stream does
 * the rotation (and buffers while it renames).
 */
export function openLogFile(file: string, options: LogFileOptions = {}): Writable {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  return createStream(path.basename(file), {
    path: path.dirname(file),
    size: `${Math.max(1, Math.ceil(maxBytes / 1024))}K`,
    rotate: options.keep ?? 4,
  });
}
