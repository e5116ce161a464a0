import path from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import { matchesGlob } from "./glob.js";
import { lineOfPointer } from "./json-pointer-line.js";
import { lineAndColumn, readTextFile } from "./text-files.js";
import type { Finding, GuardCheck, GuardContext } from "./types.js";

/** Every tracked `.json` parses; files mapped in `[guard.json_schemas]` match their schema. */
export const jsonFilesCheck: GuardCheck = {
  id: "json",
  what: "Every tracked .json file parses, and files matched by a `[guard.json_schemas.NAME]` entry validate against that JSON Schema.",
  why: "A broken tasks.json or config file fails at run time, far from the commit that broke it (seed 000's tasks.json validation).",
  fix: "Correct the syntax at the reported line and column, or the value at the reported JSON pointer.",
  run: checkJsonFiles,
};

function checkJsonFiles(context: GuardContext): Finding[] {
  const findings: Finding[] = [];
  const validators = new Map<string, ValidateFunction | string>();
  for (const file of context.files.filter((name) => name.endsWith(".json") && !isJsonWithComments(name))) {
    const text = readTextFile(context.root, file);
    if (text === null) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      findings.push(syntaxFinding(file, text, error as Error));
      continue;
    }
    for (const mapping of context.config.jsonSchemas) {
      if (!matchesGlob(file, mapping.files)) continue;
      const validate = validatorFor(context, mapping.schema, validators);
      if (typeof validate === "string") {
        findings.push({
          rule: "json-schema",
          level: "ERROR",
          file: mapping.schema,
          line: null,
          message: `The schema for ${mapping.files} cannot be used: ${validate}`,
          fix: `Fix ${mapping.schema} or the path in groundwork.toml [guard.json_schemas.${mapping.name}].`,
        });
        continue;
      }
      if (validate(value)) continue;
      for (const error of validate.errors ?? [])
        findings.push(schemaFinding(file, text, mapping.schema, error));
    }
  }
  return findings;
}

/**
 * Files whose tools accept comments and trailing commas (JSONC), so a strict parse would be a
 * false alarm: TypeScript's and jsconfig files, editor and dev-container settings.
 */
export function isJsonWithComments(file: string): boolean {
  const base = path.posix.basename(file);
  return (
    /^(?:tsconfig|jsconfig)(?:\..+)?\.json$/.test(base) ||
    /(?:^|\/)\.(?:vscode|devcontainer)\//.test(file) ||
    base === "devcontainer.json"
  );
}

function syntaxFinding(file: string, text: string, error: Error): Finding {
  const position = /position (\d+)/.exec(error.message);
  const offset = position
    ? Number(position[1])
    : /end of JSON input/.test(error.message)
      ? text.trimEnd().length
      : 0;
  const where = lineAndColumn(text, offset);
  return {
    rule: "json-syntax",
    level: "ERROR",
    file,
    line: where.line,
    message: `${file}:${where.line}:${where.column}: invalid JSON: ${error.message.replace(/ in JSON at position \d+.*$/, "")}`,
    fix: "Correct the JSON syntax at that position (trailing commas and comments are not JSON).",
  };
}

function validatorFor(
  context: GuardContext,
  schemaFile: string,
  cache: Map<string, ValidateFunction | string>,
): ValidateFunction | string {
  const cached = cache.get(schemaFile);
  if (cached) return cached;
  let result: ValidateFunction | string;
  const text = readTextFile(context.root, schemaFile);
  if (text === null) result = `${path.normalize(schemaFile)} was not found`;
  else {
    try {
      const schema = JSON.parse(text) as { $schema?: string };
      // Draft 2020-12 needs its own validator class; drafts 6 and 7 are Ajv's default.
      const draft2020 = typeof schema.$schema === "string" && schema.$schema.includes("2020-12");
      const ajv = draft2020
        ? new Ajv2020({ allErrors: true, strict: false })
        : new Ajv({ allErrors: true, strict: false });
      result = ajv.compile(schema);
    } catch (error) {
      result = (error as Error).message;
    }
  }
  cache.set(schemaFile, result);
  return result;
}

function schemaFinding(file: string, text: string, schema: string, error: ErrorObject): Finding {
  const pointer = error.instancePath || "/";
  return {
    rule: "json-schema",
    level: "ERROR",
    file,
    line: lineOfPointer(text, error.instancePath),
    message: `${file} at ${pointer}: ${error.message ?? "does not match"} (schema ${schema}, ${error.schemaPath})`,
    fix: `Change the value at ${pointer} to match ${schema}.`,
  };
}
