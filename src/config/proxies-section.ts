import net from "node:net";
import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";

/**
 * `groundwork.toml` `[api] trusted_proxies`: the addresses (CIDRs, or single addresses) whose
 * `X-Forwarded-For` is believed. Default none: the default bind is loopback, where every local
 * client would otherwise count as a proxy. `GROUNDWORK_TRUSTED_PROXIES` (comma-separated) wins.
 */
export function readTrustedProxies(
  api: TableReader,
  env: Readonly<Record<string, string | undefined>>,
): readonly string[] {
  const fromEnv = env.GROUNDWORK_TRUSTED_PROXIES;
  const entries =
    fromEnv !== undefined && fromEnv.trim() !== ""
      ? fromEnv.split(",").map((entry) => entry.trim())
      : api.stringList("trusted_proxies", []);
  entries.forEach((entry, index) => {
    if (!isCidr(entry)) {
      throw new ConfigError(
        api.file,
        `api.trusted_proxies[${index}]`,
        'an address or CIDR such as "10.0.0.0/8", "192.168.1.10" or "fd00::/8"',
        JSON.stringify(entry),
      );
    }
  });
  return entries;
}

function isCidr(entry: string): boolean {
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = net.isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
