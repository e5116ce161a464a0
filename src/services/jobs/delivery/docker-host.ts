import dns from "node:dns";
import type { LookupFunction } from "node:net";

/**
 * Docker's name for the machine a container runs on. Migrations written for the Supabase CLI's
 * local stack point webhooks, `net.http_*` calls and cron jobs at it
 * (`http://host.docker.internal:54321/functions/v1/NAME`, as Studio writes them locally); here
 * the database and the API already run on that machine, so the name means its loopback address
 * wherever the system resolver does not know it.
 */
const DOCKER_HOST = "host.docker.internal";
const LOOPBACK = "127.0.0.1";

/** `dns.lookup`, except that an unresolvable `host.docker.internal` is the loopback address. */
export const lookupWithDockerHost: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, options, (error, address, family) => {
    if (!error || hostname.toLowerCase() !== DOCKER_HOST) {
      callback(error, address as never, family);
      return;
    }
    if (options.all) callback(null, [{ address: LOOPBACK, family: 4 }] as never);
    else callback(null, LOOPBACK, 4);
  });
};
