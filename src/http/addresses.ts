import net from "node:net";

/** True for 127.0.0.0/8, ::1, IPv4-mapped 127.0.0.0/8 (`::ffff:127.0.0.1`) and "localhost". */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (host.toLowerCase().startsWith("::ffff:") && net.isIPv4(host.slice(7)))
    return host.slice(7).startsWith("127.");
  if (net.isIPv4(host)) return host.startsWith("127.");
  if (net.isIPv6(host)) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}
