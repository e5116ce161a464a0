import type { RowContext } from "./values.js";

/** What a table holds, guessed from its name, for columns such as `name` and `title`. */
type TableKind = "person" | "organization" | "product" | "deal" | "other";

const KINDS: readonly [RegExp, TableKind][] = [
  [/organi[sz]ation|compan|account|vendor|supplier|partner|business|firm|^orgs?$|client/, "organization"],
  [
    /contact|person|people|user|member|employee|customer|lead|sales|staff|student|teacher|patient|author|profile/,
    "person",
  ],
  [/product|item|sku|catalog|goods|inventory/, "product"],
  [/opportunit|deal|project|campaign|order|quote|contract/, "deal"],
];

function tableKind(name: string): TableKind {
  return KINDS.find(([pattern]) => pattern.test(name))?.[1] ?? "other";
}

const INDUSTRIES = [
  "retail",
  "hospitality",
  "logistics",
  "manufacturing",
  "healthcare",
  "education",
  "finance",
  "software",
  "agriculture",
  "media",
];

const ACTIONS = [
  "Follow up on",
  "Call about",
  "Send proposal for",
  "Review",
  "Schedule a demo of",
  "Prepare a quote for",
];

/** Generators by column name, first match wins; `name` and `title` depend on the table's kind. */
const BY_NAME: readonly [RegExp, (row: RowContext) => string][] = [
  [
    /e_?mail/,
    (r) => r.faker.internet.exampleEmail({ firstName: r.firstName, lastName: r.lastName }).toLowerCase(),
  ],
  [/^(first_?name|given_?name|forename)$/, (r) => r.firstName],
  [/^(last_?name|family_?name|surname)$/, (r) => r.lastName],
  [/^(full_?name|display_?name|contact_?name)$/, (r) => `${r.firstName} ${r.lastName}`],
  [
    /user_?name|handle|login|nickname/,
    (r) => r.faker.internet.username({ firstName: r.firstName, lastName: r.lastName }),
  ],
  [/phone|mobile|fax|tel/, (r) => r.faker.phone.number({ style: "national" })],
  [/url|website|homepage|link|domain/, (r) => r.faker.internet.url()],
  [/avatar|image|photo|picture|logo/, (r) => r.faker.image.url({ width: 200, height: 200 })],
  [/^city$|_city$|town/, (r) => r.faker.location.city()],
  [/country_?code/, (r) => r.faker.location.countryCode()],
  [/country/, (r) => r.faker.location.country()],
  [/state|province|region/, (r) => r.faker.location.state()],
  [/zip|postal|postcode/, (r) => r.faker.location.zipCode()],
  [/street|address/, (r) => r.faker.location.streetAddress()],
  [/sector|industry|vertical/, (r) => r.faker.helpers.arrayElement(INDUSTRIES)],
  [/company|organi[sz]ation|employer|account_?name/, (r) => r.faker.company.name()],
  [/job|position|role_?title/, (r) => r.faker.person.jobTitle()],
  [
    /sku|code|reference|ref$/,
    (r) => `${r.faker.string.alpha({ length: 3, casing: "upper" })}-${r.faker.string.numeric(4)}`,
  ],
  [/slug/, (r) => r.faker.helpers.slugify(r.faker.lorem.words(2)).toLowerCase()],
  [/categor|department|segment|kind|group/, (r) => r.faker.commerce.department().toLowerCase()],
  [/currency/, (r) => r.faker.finance.currencyCode()],
  [/colou?r/, (r) => r.faker.color.human()],
  [/ip_?addr/, (r) => r.faker.internet.ipv4()],
  [
    /subject|summary|headline|topic/,
    (r) => `${r.faker.helpers.arrayElement(ACTIONS)} ${r.faker.commerce.productName()}`,
  ],
  [
    /descr|body|background|note|text|content|comment|bio|details|message|about/,
    (r) => r.faker.lorem.sentences({ min: 1, max: 3 }),
  ],
  [/tags?$|label|keyword/, (r) => r.faker.word.noun()],
];

/** A realistic text value for a column of `row.table`, by the column's name. */
export function textFor(column: string, row: RowContext): string {
  const name = column.toLowerCase();
  if (name === "name") return nameFor(row);
  if (name === "title")
    return tableKind(row.table.name) === "person" ? row.faker.person.jobTitle() : taskTitle(row);
  const rule = BY_NAME.find(([pattern]) => pattern.test(name));
  if (rule) return rule[1](row);
  if (/name$/.test(name)) return nameFor(row);
  if (/title$/.test(name)) return taskTitle(row);
  return row.faker.lorem.words({ min: 1, max: 3 });
}

function nameFor(row: RowContext): string {
  const { faker } = row;
  switch (tableKind(row.table.name)) {
    case "person":
      return `${row.firstName} ${row.lastName}`;
    case "organization":
      return faker.company.name();
    case "product":
      return faker.commerce.productName();
    case "deal":
      return `${faker.company.name()}: ${faker.commerce.productName()}`;
    case "other":
      return faker.lorem.words({ min: 2, max: 3 }).replace(/^\w/, (c) => c.toUpperCase());
  }
}

function taskTitle(row: RowContext): string {
  return `${row.faker.helpers.arrayElement(ACTIONS)} ${row.faker.company.name()}`;
}
