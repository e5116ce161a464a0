// Stands in for `jsr:@supabase/functions-js/edge-runtime.d.ts`, which functions import only for
// its type declarations; at run time the globals come from bootstrap.js.
export {};
