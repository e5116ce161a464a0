// Stands in for `https://deno.land/std/http/server.ts` (unreachable offline): older functions call
// `serve(handler)` from it, which is `Deno.serve` under another name.
export function serve(handler, options = {}) {
  return Deno.serve(options, handler);
}
