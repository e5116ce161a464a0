import path from "node:path";
import { type Config, loadConfig } from "../config/index.js";

/** Loads the project in `--workdir` (default: the current folder). */
export function loadProjectConfig(workdir: string | undefined): Promise<Config> {
  return loadConfig(path.resolve(workdir ?? process.cwd()));
}
