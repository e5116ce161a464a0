import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";

/**
 * A service's handler of HTTP upgrades (WebSocket handshakes) on the API port. It returns true
 * when the request is its own (it then answers it, accepted or refused), false to leave it to
 * the others.
 */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

const handlersOf = new WeakMap<Server, UpgradeHandler[]>();

/**
 * Adds a service's upgrade handler to the server. The server has one `upgrade` listener that asks
 * each handler in turn; an upgrade no handler claims gets a 404 and is closed. Returns the
 * function that removes the handler (on close).
 */
export function routeUpgrades(server: Server, handler: UpgradeHandler): () => void {
  let handlers = handlersOf.get(server);
  if (handlers === undefined) {
    const all: UpgradeHandler[] = [];
    handlers = all;
    handlersOf.set(server, all);
    server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (all.some((each) => each(request, socket, head))) return;
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
  }
  handlers.push(handler);
  return () => {
    const index = handlers.indexOf(handler);
    if (index !== -1) handlers.splice(index, 1);
  };
}
