export { Metrics, type MetricsOptions } from "./registry.js";
