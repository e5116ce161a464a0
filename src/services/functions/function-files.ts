import { existsSync, statSync } from "node:fs";
import path from "node:path";
import type { Config, FunctionConfig } from "../../config/index.js";

/** The Supabase CLI's rule for function names (`supabase functions new`). */
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Entry files tried in order when `[functions.NAME] entrypoint` is not set. */
const DEFAULT_ENTRIES = ["index.ts", "index.js", "index.tsx", "index.jsx", "index.mjs"];

/** Where one function's files are: what a worker is started from. */
export interface FunctionFiles {
  readonly name: string;
  /** `supabase/functions/NAME` (or the entrypoint's folder when it lies elsewhere). */
  readonly dir: string;
  readonly entrypoint: string;
  readonly settings: FunctionConfig;
}

/** True for a name the CLI would create; `_shared` and other `_` folders are never functions. */
export function isFunctionName(name: string): boolean {
  return FUNCTION_NAME.test(name) && name.length <= 128;
}

/** `supabase/functions` of the project. */
export function functionsDir(config: Config): string {
  return path.join(config.projectDir, "supabase", "functions");
}

/**
 * Finds a function's entry module, or null when there is no such (enabled) function. Read on
 * every cold start, so a function created while the server runs is served without a restart.
 */
export function findFunction(config: Config, name: string): FunctionFiles | null {
  if (!config.edgeRuntime.enabled || !isFunctionName(name)) return null;
  const settings: FunctionConfig = config.functions[name] ?? {
    enabled: true,
    verifyJwt: true,
    entrypoint: null,
    importMap: null,
    staticFiles: [],
  };
  if (!settings.enabled) return null;
  const dir = path.join(functionsDir(config), name);
  const entrypoint =
    settings.entrypoint ?? DEFAULT_ENTRIES.map((file) => path.join(dir, file)).find(isFile) ?? null;
  if (entrypoint === null || !isFile(entrypoint)) return null;
  return {
    name,
    dir: settings.entrypoint ? path.dirname(settings.entrypoint) : dir,
    entrypoint,
    settings,
  };
}

/** Whether verify_jwt applies to a function (`functions serve --no-verify-jwt` turns it off). */
export function verifiesJwt(config: Config, files: FunctionFiles): boolean {
  return files.settings.verifyJwt && !config.edgeRuntime.noVerifyJwt;
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}
