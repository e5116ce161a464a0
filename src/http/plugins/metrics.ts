import type { FastifyInstance } from "fastify";
import type { Metrics } from "../../metrics/index.js";

/** `/rest/v1/*` -> `rest`; routes outside a service (`/health`, `/metrics`) -> `server`. */
function serviceOf(route: string): string {
  return /^\/([a-z]+)\/v1(?:\/|$)/.exec(route)?.[1] ?? "server";
}

/**
 * Times every response into `groundwork_http_request_duration_seconds`, labelled by service, the
 * route as registered (`/rest/v1/*`, never the concrete path, so the labels stay few), method and
 * status. Requests that match no route are labelled `route="unmatched"`.
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  const duration = metrics.histogram(
    "groundwork_http_request_duration_seconds",
    "HTTP requests by service, route, method and status, with their duration in seconds",
    ["service", "route", "method", "status"],
  );
  // The labelled series of each route, method and status, looked up once: prom-client hashes the
  // label set on every observe otherwise, a measurable share of a small request's cost.
  const series = new Map<string, { observe(value: number): void }>();
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url;
    const key = `${route ?? ""} ${request.method} ${reply.statusCode}`;
    let observer = series.get(key);
    if (observer === undefined) {
      observer = duration.labels({
        service: route === undefined ? "none" : serviceOf(route),
        route: route ?? "unmatched",
        method: request.method,
        status: String(reply.statusCode),
      });
      series.set(key, observer);
    }
    observer.observe(reply.elapsedTime / 1000);
    done();
  });
}
