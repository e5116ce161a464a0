export { functionsService } from "./service.js";
