import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/errors.js";
import { TableReader } from "../../../src/config/reader.js";
import { DEFAULT_TEST_TENANT_ID, readTestUsers } from "../../../src/config/test-users-section.js";
import { parseCheck } from "../../../src/ops/seed-data/checks.js";
import { isComputedDefault } from "../../../src/ops/seed-data/columns.js";
import { uuidV5 } from "../../../src/ops/test-users/uuid-v5.js";

const read = (table: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  readTestUsers(new TableReader("groundwork.toml", table, "test_users", env), env);

describe("[test_users] in groundwork.toml", () => {
  it("defaults to seed 001's three users, counts and password", () => {
    const config = read({});
    expect(config.users.map((u) => [u.email, u.role])).toEqual([
      ["admin@test.local", "admin"],
      ["director@test.local", "sales_director"],
      ["manager@test.local", "account_manager"],
    ]);
    expect(config.users[1]?.counts).toEqual({
      organizations: 30,
      contacts: 60,
      opportunities: 40,
      activities: 120,
      products: 0,
    });
    expect(config).toMatchObject({ password: "TestPass123!", defaultPassword: true, seed: 1, parentRows: 5 });
    expect(config.tenantId).toBe(DEFAULT_TEST_TENANT_ID);
    expect(uuidV5("tenant.test.local")).toBe(DEFAULT_TEST_TENANT_ID);
  });

  it("takes TEST_<KEY>_EMAIL and TEST_USER_PASSWORD over the file", () => {
    const config = read(
      {
        password: "FromFile-1",
        users: { lead: { email: "lead@x.test", role: "editor", counts: { posts: 3 } } },
      },
      { TEST_LEAD_EMAIL: "chief@x.test", TEST_USER_PASSWORD: "FromEnv-22" },
    );
    expect(config.users).toEqual([
      { key: "lead", email: "chief@x.test", role: "editor", fullName: "Lead User", counts: { posts: 3 } },
    ]);
    expect(config).toMatchObject({ password: "FromEnv-22", defaultPassword: false });
    expect(read({}, { TEST_ADMIN_EMAIL: "root@test.local" }).users[0]?.email).toBe("root@test.local");
  });

  it.each([
    [
      { users: { a: { email: "not-an-email", role: "x" } } },
      /test_users\.users\.a\.email: expected an email address/,
    ],
    [{ users: { a: { email: "a@x.test" } } }, /test_users\.users\.a\.role: expected the user's tenant role/],
    [
      { users: { a: { email: "a@x.test", role: "x", counts: { t: -1 } } } },
      /test_users\.users\.a\.counts\.t: expected an integer >= 0/,
    ],
    [
      { users: { a: { email: "a@x.test", role: "x" }, b: { email: "A@x.test", role: "y" } } },
      /test_users\.users\.b\.email: expected an email no other test user has/,
    ],
    [
      { tenant_id: "00000000-0000-0000-0000-000000000000" },
      /test_users\.tenant_id: expected a uuid other than the nil uuid/,
    ],
    [{ password: "short" }, /test_users\.password: expected a password of 6 to 72 bytes/],
    [
      { users: { "Bad-Key": { email: "a@x.test", role: "x" } } },
      /test_users\.users\.Bad-Key: expected a key of lower-case/,
    ],
  ])("refuses %j with a ConfigError naming the key", (table, message) => {
    expect(() => read(table)).toThrow(ConfigError);
    expect(() => read(table)).toThrow(message);
  });
});

describe("reading CHECK constraints as pg_get_constraintdef prints them", () => {
  it.each([
    [
      "CHECK ((status = ANY (ARRAY['cold'::text, 'warm'::text, 'in-contract'::text])))",
      [{ column: "status", allowed: ["cold", "warm", "in-contract"] }],
    ],
    ["CHECK ((d = 'x'::text))", [{ column: "d", allowed: ["x"] }]],
    [
      "CHECK (((amount >= (0)::numeric) AND (amount <= (1000000)::numeric)))",
      [
        { column: "amount", min: { value: 0, exclusive: false } },
        { column: "amount", max: { value: 1000000, exclusive: false } },
      ],
    ],
    [
      "CHECK ((((e >= '-3'::integer) AND (e < 3)) OR (e IS NULL)))",
      [
        { column: "e", min: { value: -3, exclusive: false } },
        { column: "e", max: { value: 3, exclusive: true } },
      ],
    ],
    ["CHECK ((length((b)::text) <= 5))", [{ column: "b", maxLength: 5 }]],
    ["CHECK ((length(TRIM(BOTH FROM name)) > 0))", [{ column: "name", minLength: 1 }]],
    [
      "CHECK (((char_length(f) >= 2) AND (char_length(f) <= 4)))",
      [
        { column: "f", minLength: 2 },
        { column: "f", maxLength: 4 },
      ],
    ],
    ["CHECK ((num_nonnulls(a, b) >= 1))", []],
    ["CHECK (((a > 1) OR (a < -1)))", []],
  ])("%s", (definition, rules) => {
    expect(parseCheck(definition)).toEqual(rules);
  });

  it("reads a regular expression check into a JavaScript pattern", () => {
    const [rule] = parseCheck("CHECK ((email ~ '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'::text))");
    expect(rule?.pattern?.test("a@b.co")).toBe(true);
    expect(rule?.pattern?.test("nope")).toBe(false);
  });

  it("tells computed defaults (left to PostgreSQL) from constants (overwritten)", () => {
    expect(
      ["now()", "gen_random_uuid()", "nextval('s'::regclass)", "CURRENT_TIMESTAMP"].map(isComputedDefault),
    ).toEqual([true, true, true, true]);
    expect(
      ["'cold'::text", "50", "true", "'{}'::text[]", "(0)::numeric", "'f(x)'::text"].map(isComputedDefault),
    ).toEqual([false, false, false, false, false, false]);
  });
});
