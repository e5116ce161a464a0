/** `groundwork test rls`: the access matrix of declared (and hand-written) policies, proven live. */

export { MatrixFileError } from "./matrix-file.js";
export { renderJunit } from "./report-junit.js";
export { renderMatrix, summaryLine } from "./report-text.js";
export { type RlsMatrixOptions, RlsMatrixSetupError, runRlsMatrix } from "./run.js";
export type { Cell, MatrixResult, TableSpec } from "./types.js";
