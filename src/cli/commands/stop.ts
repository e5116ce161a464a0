import { isProcessAlive } from "../../db/process-alive.js";
import { readRunningState } from "../../stack/state-file.js";
import { parseCommandArgs } from "../args.js";
import { note, print } from "../output.js";
import { loadProjectConfig } from "../project.js";

export const stopHelp = `Stop the local stack started with groundwork start. Data is kept.

Usage: groundwork stop [--workdir DIR]`;

export async function stopCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    print(stopHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const state = readRunningState(config.stateDir);
  if (!state) {
    note("Groundwork is not running for this project.");
    return 0;
  }
  process.kill(state.pid, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!isProcessAlive(state.pid)) {
      note(`Stopped Groundwork (pid ${state.pid}).`);
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  note(`Groundwork (pid ${state.pid}) did not stop within 30 s. Stop it with: kill -9 ${state.pid}`);
  return 1;
}
