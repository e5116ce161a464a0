import { listUsers } from "../admin-users.js";
import { authError } from "../errors.js";
import { queryParam, requestAudience } from "../params.js";
import { goEncodeValues, queryValues } from "../query-string.js";
import { requireAdmin } from "../token-auth.js";
import type { AuthRoute } from "./route.js";

const DEFAULT_PER_PAGE = 50;
const MAX_UINT64 = 2n ** 64n - 1n;

/**
 * `GET /admin/users?page=&per_page=`: `{users, aud}` with `X-Total-Count` and the `Link` header in
 * the shape auth-js parses (reference/auth.md §9): built from the request URL as GoTrue sees it
 * (without `/auth/v1`), only `page` replaced, keys re-encoded in alphabetical order, `next` only
 * when there is a next page, `last` always.
 */
export const adminUsersListRoute: AuthRoute = (scope, runtime) => {
  scope.get("/admin/users", async (request, reply) => {
    await requireAdmin(runtime, request);
    const page = pageNumber(queryParam(request, "page"), 1, "page");
    const perPage = pageNumber(queryParam(request, "per_page"), DEFAULT_PER_PAGE, "per_page");
    if (!Number.isSafeInteger((page - 1) * perPage)) {
      throw authError("validation_failed", "Bad Pagination Parameters: page is out of range");
    }
    const aud = requestAudience(request);
    const { users, total } = await listUsers(runtime, aud, page, perPage, queryParam(request, "filter"));
    const path = (request.url.split("?")[0] ?? "").replace(/^\/auth\/v1/, "");
    const query = queryValues(request.url);
    const totalPages = Math.ceil(total / perPage);
    const links: string[] = [];
    if (totalPages > page) {
      query.set("page", [String(page + 1)]);
      links.push(`<${path}?${goEncodeValues(query)}>; rel="next"`);
    }
    query.set("page", [String(totalPages)]);
    links.push(`<${path}?${goEncodeValues(query)}>; rel="last"`);
    reply.header("Link", links.join(", "));
    reply.header("X-Total-Count", String(total));
    return { users, aud };
  });
};

/** GoTrue's `paginate`: empty means the default; anything but an unsigned integer is 400. */
function pageNumber(text: string, fallback: number, name: string): number {
  if (text === "") return fallback;
  if (!/^\d+$/.test(text)) {
    throw authError(
      "validation_failed",
      `Bad Pagination Parameters: strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`,
    );
  }
  if (BigInt(text) > MAX_UINT64) {
    throw authError(
      "validation_failed",
      `Bad Pagination Parameters: strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range`,
    );
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    // GoTrue takes any uint64; a page past 2^53 can hold no user, and its offset fits no bigint.
    throw authError("validation_failed", `Bad Pagination Parameters: ${name} is out of range`);
  }
  if (name === "per_page" && value === 0) {
    throw authError("validation_failed", "Bad Pagination Parameters: per_page must be greater than 0");
  }
  return name === "page" ? Math.max(1, value) : value;
}
