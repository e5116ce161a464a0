/** Template databases built once per test run by global-setup.ts. */
export const TEMPLATES = {
  /** Platform schema only. */
  platform: "gw_template_platform",
  /** Platform schema, the example CRM's migrations and its seed.sql. */
  crm: "gw_template_crm",
} as const;

export type TemplateName = keyof typeof TEMPLATES;

export const EXAMPLE_PROJECT = new URL("../../examples/crm/", import.meta.url).pathname;

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the `postgres` database on the test cluster. */
    clusterUrl: string;
  }
}
