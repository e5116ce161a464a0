import { ConfigError } from "./errors.js";
import type { TableReader } from "./reader.js";
import type { TestUserConfig, TestUsersConfig } from "./types.js";

/** Seed 001's password for every test user; public, so printing it reveals nothing. */
export const DEFAULT_TEST_PASSWORD = "TestPass123!";

/**
 * The dedicated test tenant: `uuid_generate_v5(uuid_ns_dns(), 'tenant.test.local')`, so every
 * database and every run agree on it without looking it up.
 */
export const DEFAULT_TEST_TENANT_ID = "57814971-9675-5f2f-b9ec-b993433a54f0";

/** Seed 001's three users and the data each gets (`create-test-users.sh`). */
const DEFAULT_USERS: readonly TestUserConfig[] = [
  {
    key: "admin",
    email: "admin@test.local",
    role: "admin",
    fullName: "Admin User",
    counts: { organizations: 50, contacts: 100, opportunities: 75, activities: 200, products: 100 },
  },
  {
    key: "director",
    email: "director@test.local",
    role: "sales_director",
    fullName: "Sales Director",
    counts: { organizations: 30, contacts: 60, opportunities: 40, activities: 120, products: 0 },
  },
  {
    key: "manager",
    email: "manager@test.local",
    role: "account_manager",
    fullName: "Account Manager",
    counts: { organizations: 20, contacts: 40, opportunities: 25, activities: 80, products: 0 },
  },
];

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USER_KEY = /^[a-z][a-z0-9_]*$/;
const TABLE_KEY = /^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$/;
const MAX_ROWS = 100_000;

/**
 * `groundwork.toml` `[test_users]`. `[test_users.users.KEY]` tables replace seed 001's three users
 * when present; `TEST_<KEY>_EMAIL` and `TEST_USER_PASSWORD` override the file, as seed 001's
 * script reads them.
 */
export function readTestUsers(section: TableReader, env: NodeJS.ProcessEnv): TestUsersConfig {
  const usersSection = section.section("users");
  const keys = usersSection.sectionNames();
  const users = (keys.length === 0 ? DEFAULT_USERS : keys.map((key) => readUser(usersSection, key))).map(
    (user) => withEnvEmail(user, env),
  );
  const seen = new Map<string, string>();
  for (const user of users) {
    const previous = seen.get(user.email.toLowerCase());
    if (previous !== undefined) {
      throw new ConfigError(
        section.file,
        `test_users.users.${user.key}.email`,
        "an email no other test user has",
        `${JSON.stringify(user.email)}, which test_users.users.${previous} also has`,
      );
    }
    seen.set(user.email.toLowerCase(), user.key);
  }
  const fromEnv = env.TEST_USER_PASSWORD;
  const password =
    fromEnv !== undefined && fromEnv !== "" ? fromEnv : section.string("password", DEFAULT_TEST_PASSWORD);
  const bytes = Buffer.byteLength(password);
  if (bytes < 6 || bytes > 72) {
    throw new ConfigError(
      fromEnv ? "environment" : section.file,
      fromEnv ? "TEST_USER_PASSWORD" : "test_users.password",
      "a password of 6 to 72 bytes (bcrypt reads at most 72)",
      `${bytes} bytes`,
    );
  }
  const tenantId = section.string("tenant_id", DEFAULT_TEST_TENANT_ID);
  if (!UUID.test(tenantId) || /^[0-]+$/.test(tenantId)) {
    throw new ConfigError(
      section.file,
      "test_users.tenant_id",
      "a uuid other than the nil uuid",
      JSON.stringify(tenantId),
    );
  }
  const tenantName = section.string("tenant_name", "Test tenant");
  if (tenantName.trim() === "") {
    throw new ConfigError(section.file, "test_users.tenant_name", "a tenant name", "an empty string");
  }
  return {
    users,
    password,
    defaultPassword: password === DEFAULT_TEST_PASSWORD,
    tenantId: tenantId.toLowerCase(),
    tenantName,
    seed: section.integer("seed", 1, { min: 0, max: 2 ** 31 - 1 }),
    parentRows: section.integer("parent_rows", 5, { min: 1, max: 1000 }),
  };
}

function readUser(users: TableReader, key: string): TestUserConfig {
  const at = `test_users.users.${key}`;
  if (!USER_KEY.test(key)) {
    throw new ConfigError(
      users.file,
      at,
      "a key of lower-case letters, digits and _ (it names TEST_<KEY>_EMAIL)",
      JSON.stringify(key),
    );
  }
  const user = users.section(key);
  const email = user.optionalString("email");
  const role = user.optionalString("role");
  if (email === null) throw new ConfigError(users.file, `${at}.email`, "the user's email", "nothing");
  if (role === null || role.trim() === "") {
    throw new ConfigError(
      users.file,
      `${at}.role`,
      "the user's tenant role (e.g. admin)",
      role === null ? "nothing" : "an empty string",
    );
  }
  const countsSection = user.section("counts");
  const counts: Record<string, number> = {};
  for (const table of countsSection.keys()) {
    if (!TABLE_KEY.test(table)) {
      throw new ConfigError(
        users.file,
        `${at}.counts`,
        "table names such as contacts or public.contacts",
        JSON.stringify(table),
      );
    }
    counts[table] = countsSection.integer(table, 0, { min: 0, max: MAX_ROWS });
  }
  return {
    key,
    email: checkedEmail(users.file, `${at}.email`, email),
    role: role.trim(),
    fullName: user.string("full_name", defaultFullName(key)),
    counts,
  };
}

function withEnvEmail(user: TestUserConfig, env: NodeJS.ProcessEnv): TestUserConfig {
  const variable = `TEST_${user.key.toUpperCase()}_EMAIL`;
  const email = env[variable];
  if (email === undefined || email === "") return user;
  return { ...user, email: checkedEmail("environment", variable, email) };
}

function checkedEmail(file: string, key: string, email: string): string {
  if (!EMAIL.test(email)) throw new ConfigError(file, key, "an email address", JSON.stringify(email));
  return email;
}

function defaultFullName(key: string): string {
  const words = key.split("_").filter((word) => word !== "");
  return `${words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join(" ")} User`;
}
