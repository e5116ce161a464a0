import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EXAMPLE_PROJECT } from "./templates.js";

/** A throw-away project folder in the Supabase CLI layout. */
export interface TempProject {
  readonly dir: string;
  /** Writes a file relative to the project folder, creating folders as needed. */
  write(relative: string, content: string): string;
  remove(): void;
}

/**
 * Makes a project folder in the temp directory: a copy of the example project, or an empty one
 * with just the given config.toml. Readable by other users (PostgreSQL runs as `postgres` under root).
 */
export function tempProject(options: { copyExample?: boolean; configToml?: string } = {}): TempProject {
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-project-"));
  rmSync(dir, { recursive: true });
  if (options.copyExample) {
    cpSync(EXAMPLE_PROJECT, dir, { recursive: true, filter: (source) => !source.includes(".groundwork") });
  } else {
    mkdirSync(path.join(dir, "supabase", "migrations"), { recursive: true });
  }
  const project: TempProject = {
    dir,
    write(relative, content) {
      const file = path.join(dir, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.configToml !== undefined) project.write("supabase/config.toml", options.configToml);
  return project;
}
