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

export function isAllowedRedirect(candidate: string, config: AuthConfig): boolean {
  if (candidate === "") return false;
  const site = hostname(config.siteUrl);
  if (site !== null && hostname(candidate) === site) return true;
  return config.additionalRedirectUrls.some((pattern) => globToRegExp(pattern).test(candidate));
}

/** `http(s)://host/auth/v1` as the client reached this server, for links in emails. */
export function externalUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/auth/v1`;
}

function hostname(text: string): string | null {
  try {
    return new URL(text).hostname;
  } catch {
    return null;
  }
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
    } else {
      source += character.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}
