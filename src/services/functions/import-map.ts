import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { FunctionFiles } from "./function-files.js";

/** An import map as Deno reads it (`--import-map`). */
export interface ImportMap {
  imports: Record<string, string>;
  scopes: Record<string, Record<string, string>>;
}

/** supabase-js and its parts, as JSR publishes them under @supabase. */
const SUPABASE_PACKAGES = [
  "supabase-js",
  "functions-js",
  "postgrest-js",
  "storage-js",
  "auth-js",
  "realtime-js",
];

/**
 * Mappings every function gets unless its own import map says otherwise. JSR, esm.sh and
 * deno.land are often unreachable (CI, offline machines), so the forms Supabase's docs use to
 * import supabase-js resolve to the npm package, which Deno fetches from the npm registry;
 * `https://deno.land/std/http/server.ts` resolves to a local `serve` shim.
 */
export function defaultImports(runtimeDir: string): Record<string, string> {
  const runtime = (file: string) => pathToFileURL(path.join(runtimeDir, file)).href;
  const imports: Record<string, string> = {
    "jsr:@supabase/functions-js/edge-runtime.d.ts": runtime("edge-runtime.js"),
    "npm:@supabase/functions-js/edge-runtime.d.ts": runtime("edge-runtime.js"),
    // esm.sh and jsdelivr URLs carry the version after the name: map the whole scope prefix.
    "https://esm.sh/@supabase/": "npm:/@supabase/",
    "https://cdn.jsdelivr.net/npm/@supabase/": "npm:/@supabase/",
    "https://deno.land/std/http/server.ts": runtime("std-http-server.js"),
  };
  for (const name of SUPABASE_PACKAGES) {
    imports[`jsr:@supabase/${name}`] = `npm:@supabase/${name}`;
    imports[`jsr:@supabase/${name}@2`] = `npm:@supabase/${name}@2`;
  }
  for (const version of ["0.168.0", "0.177.0", "0.177.1", "0.182.0", "0.192.0", "0.208.0", "0.224.0"]) {
    imports[`https://deno.land/std@${version}/http/server.ts`] = runtime("std-http-server.js");
  }
  return imports;
}

/**
 * The import map a function's worker runs with: its own (the `import_map` setting, else its
 * deno.json, else `supabase/functions/import_map.json`) with relative addresses made absolute,
 * its package.json dependencies as `npm:` specifiers, then the defaults for keys it leaves open.
 */
export function buildImportMap(files: FunctionFiles, functionsRoot: string, runtimeDir: string): ImportMap {
  const map: ImportMap = { imports: {}, scopes: {} };
  const source = importMapSource(files, functionsRoot);
  if (source !== null) mergeFile(map, source);
  const packageJson = path.join(files.dir, "package.json");
  if (existsSync(packageJson)) {
    const pkg = readJson(packageJson) as { dependencies?: Record<string, string> };
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      map.imports[name] ??= `npm:${name}@${range}`;
      map.imports[`${name}/`] ??= `npm:/${name}@${range}/`;
    }
  }
  for (const [key, value] of Object.entries(defaultImports(runtimeDir))) map.imports[key] ??= value;
  return map;
}

function importMapSource(files: FunctionFiles, functionsRoot: string): string | null {
  if (files.settings.importMap !== null) return files.settings.importMap;
  const candidates = [
    path.join(files.dir, "deno.json"),
    path.join(files.dir, "deno.jsonc"),
    path.join(functionsRoot, "import_map.json"),
  ];
  return candidates.find((file) => existsSync(file)) ?? null;
}

/** Reads an import map or a deno.json (whose `imports`/`scopes`, or `importMap` file, apply). */
function mergeFile(map: ImportMap, file: string): void {
  const json = readJson(file) as {
    imports?: Record<string, string>;
    scopes?: Record<string, Record<string, string>>;
    importMap?: string;
  };
  if (typeof json.importMap === "string" && json.imports === undefined) {
    mergeFile(map, path.resolve(path.dirname(file), json.importMap));
    return;
  }
  const base = pathToFileURL(file).href;
  for (const [key, value] of Object.entries(json.imports ?? {})) {
    map.imports[absoluteKey(key, base)] = absoluteAddress(value, base);
  }
  for (const [scope, entries] of Object.entries(json.scopes ?? {})) {
    const target: Record<string, string> = {};
    for (const [key, value] of Object.entries(entries))
      target[absoluteKey(key, base)] = absoluteAddress(value, base);
    map.scopes[absoluteAddress(scope, base)] = target;
  }
}

const RELATIVE = /^\.{0,2}\//;

function absoluteAddress(value: string, base: string): string {
  return RELATIVE.test(value) ? new URL(value, base).href : value;
}

function absoluteKey(key: string, base: string): string {
  return RELATIVE.test(key) ? new URL(key, base).href : key;
}

function readJson(file: string): unknown {
  const text = readFileSync(file, "utf8");
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(stripJsonComments(text));
  }
}

/** deno.jsonc allows comments and trailing commas; strips both outside strings. */
export function stripJsonComments(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (inString) {
      out += char;
      if (char === "\\") out += text[++i] ?? "";
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (char === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (char === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2);
      if (i === -1) break;
      i++;
    } else {
      out += char;
    }
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}
