/**
 * The migration lint rules (squawk's most important ones), one definition each. A rule sees one
 * parsed statement and the tables created earlier in the same file, which are new and empty, so
 * locking or rewriting them is harmless.
 */

type Node = Record<string, unknown>;

export interface RuleInput {
  /** The statement's parse node kind (`AlterTableStmt`) and body. */
  readonly kind: string;
  readonly node: Node;
  /** `schema.table` names created earlier in this file. */
  readonly newTables: ReadonlySet<string>;
}

export interface MigrationRule {
  readonly id: string;
  readonly what: string;
  readonly why: string;
  readonly fix: string;
  /** Messages for this statement; empty when the rule has nothing to say. */
  readonly check: (input: RuleInput) => string[];
}

/** `schema.table` of a RangeVar, `public` when unqualified. */
export function tableName(relation: unknown): string | null {
  const range = relation as { schemaname?: string; relname?: string } | undefined;
  if (!range?.relname) return null;
  return `${range.schemaname ?? "public"}.${range.relname}`;
}

function existingTable(input: RuleInput): string | null {
  const table = tableName(input.node.relation);
  return table && !input.newTables.has(table) ? table : null;
}

/** The ALTER TABLE subcommands of a statement on an existing table. */
function alterCommands(input: RuleInput): { table: string; commands: Node[] } | null {
  if (input.kind !== "AlterTableStmt" || input.node.objtype !== "OBJECT_TABLE") return null;
  const table = existingTable(input);
  if (!table) return null;
  const commands = ((input.node.cmds as Node[] | undefined) ?? []).map(
    (command) => (command.AlterTableCmd ?? {}) as Node,
  );
  return { table, commands };
}

function constraintsOf(column: Node): Node[] {
  return ((column.constraints as Node[] | undefined) ?? []).map((entry) => (entry.Constraint ?? {}) as Node);
}

export const MIGRATION_RULES: readonly MigrationRule[] = [
  {
    id: "require-concurrent-index-creation",
    what: "CREATE INDEX without CONCURRENTLY on an existing table.",
    why: "A plain CREATE INDEX takes a SHARE lock: every insert, update and delete on the table waits until the index is built.",
    fix: "CREATE INDEX CONCURRENTLY, in a migration of its own (it cannot run inside a transaction).",
    check(input) {
      if (input.kind !== "IndexStmt" || input.node.concurrent === true) return [];
      const table = existingTable(input);
      return table
        ? [`index ${String(input.node.idxname ?? "")} on ${table} is built without CONCURRENTLY`]
        : [];
    },
  },
  {
    id: "adding-required-field",
    what: "ADD COLUMN ... NOT NULL without a DEFAULT on an existing table.",
    why: "Existing rows have no value for the column, so the migration fails on any non-empty table, and old application code that inserts without it breaks.",
    fix: "Add the column nullable (or with a DEFAULT), backfill it, then add the NOT NULL constraint safely.",
    check(input) {
      const alter = alterCommands(input);
      if (!alter) return [];
      return alter.commands
        .filter((command) => command.subtype === "AT_AddColumn")
        .map((command) => (command.def as Node | undefined)?.ColumnDef as Node | undefined)
        .filter((column): column is Node => {
          if (!column) return false;
          const types = constraintsOf(column).map((constraint) => constraint.contype);
          const filled = ["CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"].some((t) =>
            types.includes(t),
          );
          return (types.includes("CONSTR_NOTNULL") || types.includes("CONSTR_PRIMARY")) && !filled;
        })
        .map(
          (column) =>
            `column ${String(column.colname)} is added to ${alter.table} as NOT NULL without a default`,
        );
    },
  },
  {
    id: "adding-not-nullable-field",
    what: "ALTER COLUMN ... SET NOT NULL on an existing table.",
    why: "PostgreSQL scans the whole table to check for NULLs while holding an ACCESS EXCLUSIVE lock, blocking reads and writes.",
    fix: "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the check.",
    check(input) {
      const alter = alterCommands(input);
      if (!alter) return [];
      return alter.commands
        .filter((command) => command.subtype === "AT_SetNotNull")
        .map(
          (command) =>
            `SET NOT NULL on ${alter.table}.${String(command.name)} scans the table under ACCESS EXCLUSIVE`,
        );
    },
  },
  {
    id: "changing-column-type",
    what: "ALTER COLUMN ... TYPE on an existing table.",
    why: "Most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock, and clients reading the old type may break.",
    fix: "Add a new column of the new type, backfill it in batches, switch the application, then drop the old column.",
    check(input) {
      const alter = alterCommands(input);
      if (!alter) return [];
      return alter.commands
        .filter((command) => command.subtype === "AT_AlterColumnType")
        .map((command) => `the type of ${alter.table}.${String(command.name)} changes`);
    },
  },
  {
    id: "renaming-column",
    what: "ALTER TABLE ... RENAME COLUMN on an existing table.",
    why: "Running application code and API clients still use the old name and fail until they are redeployed.",
    fix: "Add the new column, write to both, backfill, move readers, then drop the old one (expand and contract).",
    check(input) {
      if (input.kind !== "RenameStmt" || input.node.renameType !== "OBJECT_COLUMN") return [];
      const table = existingTable(input);
      return table
        ? [`column ${table}.${String(input.node.subname)} is renamed to ${String(input.node.newname)}`]
        : [];
    },
  },
  {
    id: "renaming-table",
    what: "ALTER TABLE ... RENAME TO on an existing table.",
    why: "Running application code and API clients still use the old name and fail until they are redeployed.",
    fix: "Create the new table (or a view with the new name over the old table), move clients, then drop the old name.",
    check(input) {
      if (input.kind !== "RenameStmt" || input.node.renameType !== "OBJECT_TABLE") return [];
      const table = existingTable(input);
      return table ? [`table ${table} is renamed to ${String(input.node.newname)}`] : [];
    },
  },
  {
    id: "ban-drop-column",
    what: "ALTER TABLE ... DROP COLUMN on an existing table.",
    why: "Clients still selecting or inserting the column fail, and its data is gone with no undo.",
    fix: "Stop using the column in every client first, deploy that, then drop it in a later migration (and back up first).",
    check(input) {
      const alter = alterCommands(input);
      if (!alter) return [];
      return alter.commands
        .filter((command) => command.subtype === "AT_DropColumn")
        .map((command) => `column ${alter.table}.${String(command.name)} is dropped`);
    },
  },
  {
    id: "ban-drop-table",
    what: "DROP TABLE on a table not created in the same migration.",
    why: "Clients still using the table fail, and its data is gone with no undo.",
    fix: "Stop using the table in every client first, deploy that, then drop it in a later migration (and back up first).",
    check(input) {
      if (input.kind !== "DropStmt" || input.node.removeType !== "OBJECT_TABLE") return [];
      return ((input.node.objects as Node[] | undefined) ?? [])
        .map((object) => ((object.List as Node | undefined)?.items as Node[] | undefined) ?? [])
        .map((items) => items.map((item) => String((item.String as Node | undefined)?.sval ?? "")))
        .map((parts) => (parts.length === 1 ? `public.${parts[0]}` : parts.join(".")))
        .filter((table) => !input.newTables.has(table))
        .map((table) => `table ${table} is dropped`);
    },
  },
  {
    id: "constraint-missing-not-valid",
    what: "ADD CONSTRAINT ... FOREIGN KEY or CHECK without NOT VALID on an existing table.",
    why: "Validating the constraint scans the whole table (and, for a foreign key, the referenced one) while blocking writes.",
    fix: "ADD CONSTRAINT ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later statement (it takes a weaker lock).",
    check(input) {
      const alter = alterCommands(input);
      if (!alter) return [];
      return alter.commands
        .filter((command) => command.subtype === "AT_AddConstraint")
        .map((command) => (command.def as Node | undefined)?.Constraint as Node | undefined)
        .filter(
          (constraint): constraint is Node =>
            !!constraint &&
            (constraint.contype === "CONSTR_FOREIGN" || constraint.contype === "CONSTR_CHECK") &&
            constraint.skip_validation !== true,
        )
        .map(
          (constraint) =>
            `${constraint.contype === "CONSTR_FOREIGN" ? "foreign key" : "check"} constraint ${String(constraint.conname ?? "")} on ${alter.table} is validated immediately`,
        );
    },
  },
];

/** Statements that take an ACCESS EXCLUSIVE or SHARE lock on an existing table; the table's name, or null. */
export function strongLockTarget(input: RuleInput): string | null {
  if (input.kind === "AlterTableStmt" && input.node.objtype === "OBJECT_TABLE") return existingTable(input);
  if (input.kind === "IndexStmt" && input.node.concurrent !== true) return existingTable(input);
  if (
    input.kind === "RenameStmt" &&
    ["OBJECT_TABLE", "OBJECT_COLUMN"].includes(String(input.node.renameType))
  )
    return existingTable(input);
  return null;
}

/** The require-lock-timeout rule: checked across the file rather than per statement. */
export const LOCK_TIMEOUT_RULE = {
  id: "require-lock-timeout",
  what: "A statement that takes a strong lock on an existing table with no `SET lock_timeout` earlier in the file.",
  why: "A lock request waiting behind a long query blocks every later read and write on the table; with lock_timeout the migration fails fast instead and can be retried.",
  fix: "Start the migration with SET lock_timeout = '1s'; (and a statement_timeout), and retry it if it times out.",
} as const;
