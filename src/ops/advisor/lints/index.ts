import type { LintDefinition } from "../types.js";
import { exposureLints } from "./exposure.js";
import { functionLints } from "./functions.js";
import { grantLints } from "./grants.js";
import { policyPerformanceLints } from "./policy-performance.js";
import { projectLints } from "./project.js";
import { policyContentLints, rlsStateLints } from "./rls.js";
import { extensionLints, schemaLints } from "./schema.js";
import { tenancyLints } from "./tenancy.js";

/**
 * Every lint `groundwork db lint` runs, in report order within a level. To add one, write its
 * definition (types.ts: LintDefinition) in the file of its area and list it here.
 */
export const LINTS: readonly LintDefinition[] = [
  ...rlsStateLints,
  ...policyContentLints,
  ...tenancyLints,
  ...grantLints,
  ...exposureLints,
  ...functionLints,
  ...policyPerformanceLints,
  ...schemaLints,
  ...extensionLints,
  ...projectLints,
];
