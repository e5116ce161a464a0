export { restService } from "./service.js";
