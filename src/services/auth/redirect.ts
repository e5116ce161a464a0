import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";
import type { AuthConfig } from "../../config/index.js";
import { queryParam } from "./params.js";

/**
 * GoTrue's `GetReferrer`: the `redirect_to` query parameter if it is allowed, else the `Referer`
 * header if allowed, else `site_url`. Allowed means on the site's host or matching an
 * `additional_redirect_urls` pattern (globs as GoTrue compiles them: `*` stops at `.` and `/`,
 * `**` does not).
 */
export function redirectTarget(request: FastifyRequest, config: AuthConfig): string {
  const requested = queryParam(request, "redirect_to");
  if (isAllowedRedirect(requested, config)) return requested;
  const referer = request.headers.referer ?? "";
  if (isAllowedRedirect(referer, config)) return referer;
  return config.siteUrl;
}

/**
 * GoTrue's `IsRedirectURLValid`: the site itself (same scheme, host and port; any port on
 * loopback, RFC 8252), a loopback IP, or an `additional_redirect_urls` pattern matched against the
 * URL without its fragment. Hosts written as a bare decimal number and unusual host names are
 * refused. Beyond GoTrue, URLs that parsers disagree on are refused outright: a backslash,
 * credentials before the host (`https://site@evil.example`), control characters or spaces.
 */
export function isAllowedRedirect(candidate: string, config: AuthConfig): boolean {
  if (candidate === "" || candidate.includes("\\") || hasControlOrSpace(candidate)) return false;
  const site = parse(config.siteUrl);
  const target = parse(candidate);
  if (!site || !target || target.username !== "" || target.password !== "") return false;
  // WHATWG URL turns `http://2130706433/` into 127.0.0.1; Go keeps the number, and refuses it.
  if (/^[0-9]+$/.test(rawHost(candidate))) return false;
  const host = bareHost(target.hostname);
  if (
    bareHost(site.hostname) === host &&
    site.protocol === target.protocol &&
    (site.port === target.port || isLoopback(host))
  ) {
    return true;
  }
  const http = target.protocol === "http:" || target.protocol === "https:";
  if (/^[0-9]+$/.test(host)) return false;
  if (isIP(host) !== 0) return isLoopback(host);
  if (http && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(host)) return false;
  const withoutFragment = candidate.split("#")[0] ?? candidate;
  return config.additionalRedirectUrls.some((pattern) => globToRegExp(pattern).test(withoutFragment));
}

function hasControlOrSpace(text: string): boolean {
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** The host as written, between `//` (and any credentials) and the path, port, query or fragment. */
function rawHost(text: string): string {
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(text)?.[1] ?? "";
  return (authority.split("@").at(-1) ?? "").replace(/:\d*$/, "");
}

function parse(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** `[::1]` -> `::1`, so IPv6 hosts compare and parse as Go's `Hostname()` gives them. */
function bareHost(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/** `http(s)://host/auth/v1` as the client reached this server, for links in emails. */
export function externalUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/auth/v1`;
}

function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const character = pattern[i] as string;
    if (character === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (character === "*") {
      source += "[^./]*";
    } else if (character === "?") {
      source += "[^./]";
    } else if (character === "{" && pattern.indexOf("}", i) > i) {
      // gobwas/glob alternatives: {a,b}
      const end = pattern.indexOf("}", i);
      const options = pattern.slice(i + 1, end).split(",");
      source += `(?:${options.map((option) => globToRegExp(option).source.slice(1, -1)).join("|")})`;
      i = end;
    } else {
      source += character.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}
