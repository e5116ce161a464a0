export { denoExecutable } from "./deno-binary.js";
export { isFunctionName } from "./function-files.js";
export { functionsService } from "./service.js";
