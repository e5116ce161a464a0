import type { FastifyBaseLogger } from "fastify";
import type { FunctionLogLine } from "./worker.js";

/**
 * Where a function's output goes: the server's log, one entry per line with the function's name
 * and the request id it was handling (`reqId`, the key of the server's own request logs), and,
 * under `groundwork functions serve`, the console as `[name] <request id> message`.
 */
export function functionLogSink(log: FastifyBaseLogger, console: boolean): (line: FunctionLogLine) => void {
  return (line) => {
    const fields =
      line.requestId === null
        ? { function: line.function }
        : { function: line.function, reqId: line.requestId };
    log[line.level](fields, line.message);
    if (console) {
      const id = line.requestId === null ? "" : ` ${line.requestId}`;
      const level = line.level === "info" ? "" : ` ${line.level.toUpperCase()}`;
      process.stderr.write(`[${line.function}]${id}${level} ${line.message}\n`);
    }
  };
}
