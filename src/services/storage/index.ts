export { storageService } from "./service.js";
