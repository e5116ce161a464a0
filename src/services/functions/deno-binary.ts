import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

/**
 * Path of the Deno executable that runs functions: `GROUNDWORK_DENO` when set, otherwise the
 * binary of the npm package `deno` (a dependency, so `npm ci` installs it). The package's install
 * script copies the binary of the platform package (`@deno/linux-x64-glibc`...) into its own
 * folder; where install scripts did not run, the platform package's binary is used directly.
 */
export function denoExecutable(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.GROUNDWORK_DENO?.trim();
  if (configured) return configured;
  const name = process.platform === "win32" ? "deno.exe" : "deno";
  const packageDir = path.dirname(require.resolve("deno/package.json"));
  const copied = path.join(packageDir, name);
  if (existsSync(copied)) return copied;
  const fromPackage = createRequire(path.join(packageDir, "package.json"));
  const platformDir = path.dirname(fromPackage.resolve(`@deno/${platformPackage()}/package.json`));
  return path.join(platformDir, name);
}

function platformPackage(): string {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  if (process.platform === "win32") return `win32-${arch}`;
  if (process.platform === "darwin") return `darwin-${arch}`;
  return `linux-${arch}-glibc`;
}
