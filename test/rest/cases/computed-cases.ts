import type { Case } from "./case.js";

const REPRESENTATION = { prefer: "return=representation" };

/** Computed columns (functions on the row type) in `select=` after every kind of write. */
export const COMPUTED_CASES: readonly Case[] = [
  {
    name: "computed column on a read",
    path: "/tickets?select=subject,has_low_number",
    status: 200,
    json: [{ subject: "première", has_low_number: true }],
  },
  {
    name: "computed column after INSERT",
    method: "POST",
    path: "/tickets?select=subject,has_low_number",
    headers: REPRESENTATION,
    body: `{"subject":"deuxième ✨","number":50}`,
    status: 201,
    json: [{ subject: "deuxième ✨", has_low_number: false }],
    sql: [`FROM (SELECT "id", "subject", "number" FROM pgrst_source) AS "tickets"`],
  },
  {
    name: "computed column and star after INSERT",
    method: "POST",
    path: "/tickets?select=*,has_low_number",
    headers: REPRESENTATION,
    body: `{"id":90,"subject":"三","number":4}`,
    status: 201,
    json: [{ id: 90, subject: "三", number: 4, has_low_number: true }],
  },
  {
    name: "computed column after UPSERT",
    method: "POST",
    path: "/tickets?select=id,has_low_number",
    headers: { prefer: "return=representation, resolution=merge-duplicates" },
    body: `{"id":90,"subject":"三","number":40}`,
    status: 200,
    json: [{ id: 90, has_low_number: false }],
  },
  {
    name: "computed column after PATCH",
    method: "PATCH",
    path: "/tickets?id=eq.90&select=id,has_low_number",
    headers: REPRESENTATION,
    body: `{"number":1}`,
    status: 200,
    json: [{ id: 90, has_low_number: true }],
  },
  {
    name: "computed column after PUT",
    method: "PUT",
    path: "/tickets?id=eq.90&select=id,has_low_number",
    headers: REPRESENTATION,
    body: `{"id":90,"subject":"三","number":70}`,
    status: 200,
    json: [{ id: 90, has_low_number: false }],
  },
  {
    name: "computed column after DELETE",
    method: "DELETE",
    path: "/tickets?id=eq.90&select=id,has_low_number",
    headers: REPRESENTATION,
    status: 200,
    json: [{ id: 90, has_low_number: false }],
  },
  {
    name: "computed column and an embed after INSERT",
    method: "POST",
    path: "/messages?select=blurb,users(username)",
    headers: { ...REPRESENTATION, accept: "application/vnd.pgrst.object+json" },
    body: `{"message":"Ça va?","username":"renée","channel_id":1}`,
    status: 201,
    json: { blurb: "Ça ", users: { username: "renée" } },
  },
];

/** Upserts and `missing=default` as PostgREST writes them. */
export const UPSERT_CASES: readonly Case[] = [
  {
    name: "upsert whose body holds only the conflict column updates and returns the row, 200",
    method: "POST",
    path: "/users?on_conflict=username&select=username,age",
    headers: { prefer: "resolution=merge-duplicates, return=representation" },
    body: `{"username":"山田"}`,
    status: 200,
    json: [{ username: "山田", age: 41 }],
    sql: [`ON CONFLICT ("username") DO UPDATE SET "username" = EXCLUDED."username"`],
  },
  {
    name: "upsert of only the conflict column inserts a new row, 201",
    method: "POST",
    path: "/users?on_conflict=username&select=username,status",
    headers: { prefer: "resolution=merge-duplicates, return=representation" },
    body: `{"username":"Ōsaka"}`,
    status: 201,
    json: [{ username: "Ōsaka", status: "ONLINE" }],
  },
  {
    name: "missing=default evaluates the default for every row, even rows that give the column",
    method: "POST",
    path: "/counters?columns=id,label&select=id,label",
    headers: { prefer: "missing=default, return=representation" },
    body: `[{"id":100,"label":"donné"},{"label":"suivant"},{}]`,
    status: 201,
    json: [
      { id: 100, label: "donné" },
      { id: 2, label: "suivant" },
      { id: 3, label: "n/a" },
    ],
  },
];
