import { expect } from "vitest";
import { type Case, F, ids } from "./case.js";

/** select lists and embedding (reference §3). */
export const SELECT_CASES: readonly Case[] = [
  // select
  {
    name: "columns and a filter",
    path: "/films?select=id,title&id=eq.1",
    status: 200,
    json: [{ id: 1, title: "Cleo from 5 to 7" }],
    sql: [
      `WITH pgrst_source AS (SELECT ${F}."id", ${F}."title" FROM ${F} WHERE ${F}."id" = $1 LIMIT 1000)`,
      "coalesce(json_agg(_postgrest_t), '[]')::text AS body",
      "FROM (SELECT * FROM pgrst_source) _postgrest_t",
    ],
    responseHeaders: { "content-range": "0-0/*", "content-location": "/films?id=eq.1&select=id%2Ctitle" },
  },
  {
    name: "star",
    path: "/directors?select=*&id=eq.3",
    status: 200,
    json: [{ id: 3, name: "Nobody", born: null }],
    sql: [`"public"."directors".*`],
  },
  {
    name: "alias and cast",
    path: "/films?select=name:title,y:year::text&id=eq.2",
    status: 200,
    json: [{ name: "La Jetee", y: "1962" }],
    sql: [`${F}."title" AS "name"`, `CAST(${F}."year" AS text) AS "y"`],
  },
  {
    name: "JSON paths are auto-aliased to the last key",
    path: "/films?select=id,meta->>lang,meta->awards->count,first:meta->cast->0->>name&id=eq.1",
    status: 200,
    json: [{ id: 1, lang: "fr", count: 2, first: "Corinne" }],
    sql: [`${F}."meta"->>$1::text AS "lang"`, `->$5::int->>$6::text AS "first"`],
  },
  {
    name: "an unknown cast type is 42704 before any SQL",
    path: "/films?select=id::nosuchtype",
    status: 400,
    json: { code: "42704", message: 'type "nosuchtype" does not exist', details: null, hint: null },
  },
  // embedding
  {
    name: "many-to-one embed",
    path: "/films?select=title,directors(name)&id=eq.2",
    status: 200,
    json: [{ title: "La Jetee", directors: { name: "Chris Marker" } }],
    sql: [
      `row_to_json("films_directors_1".*)::jsonb AS "directors"`,
      `LEFT JOIN LATERAL (SELECT "directors_1"."name" FROM "public"."directors" AS "directors_1" WHERE "directors_1"."id" = ${F}."director_id") AS "films_directors_1" ON TRUE`,
    ],
  },
  {
    name: "one-to-many embed with embedded order and limit",
    path: "/directors?select=name,films(title)&films.order=year.desc&films.limit=1&id=eq.2",
    status: 200,
    json: [{ name: "Chris Marker", films: [{ title: "Sans Soleil" }] }],
    sql: [
      `COALESCE("directors_films_1"."directors_films_1", '[]') AS "films"`,
      `json_agg("directors_films_1")::jsonb`,
      `ORDER BY "films_1"."year" DESC LIMIT`,
    ],
  },
  {
    name: "many-to-many through a junction table",
    path: "/films?select=title,actors(name)&id=eq.1",
    status: 200,
    json: [{ title: "Cleo from 5 to 7", actors: [{ name: "Corinne Marchand" }] }],
    sql: [
      `"public"."roles" AS "roles_1"`,
      `"roles_1"."actor_id" = "actors_1"."id"`,
      `"roles_1"."film_id" = ${F}."id"`,
    ],
  },
  {
    name: "embedding through a view follows the base table's foreign key",
    path: "/film_titles?select=title,directors(name)&id=eq.4",
    status: 200,
    json: [{ title: "Vagabond", directors: { name: "Agnes Varda" } }],
  },
  {
    name: "!inner drops parents whose embed is filtered out",
    path: "/films?select=id,directors!inner(name)&directors.name=eq.Agnes%20Varda&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([1, 4]),
    sql: ["INNER JOIN LATERAL"],
  },
  {
    name: "embed filter without !inner keeps the parents",
    path: "/films?select=id,directors(name)&directors.name=eq.Agnes%20Varda&order=id",
    status: 200,
    check: (r) => expect((r.json as unknown[]).length).toBe(4),
  },
  {
    name: "embed null filter",
    path: "/directors?select=id,films(id)&films=is.null",
    status: 200,
    json: [{ id: 3, films: [] }],
  },
  {
    name: "empty embed select only filters",
    path: "/directors?select=id,films!inner()&order=id",
    status: 200,
    json: [{ id: 1 }, { id: 2 }],
  },
  {
    name: "spread a to-one embed",
    path: "/films?select=title,...directors(director:name)&id=eq.3",
    status: 200,
    json: [{ title: "Sans Soleil", director: "Chris Marker" }],
  },
  {
    name: "spread a to-many embed into arrays",
    path: "/directors?select=name,...films(titles:title)&id=eq.1&films.order=id",
    status: 200,
    json: [{ name: "Agnes Varda", titles: ["Cleo from 5 to 7", "Vagabond"] }],
  },
  {
    name: "on a self-reference, the table name with a column hint is the one-to-many",
    path: "/people?select=name,befriended_by:people!best_friend_id(name)&id=eq.1",
    status: 200,
    json: [{ name: "ann", befriended_by: [{ name: "bob" }] }],
  },
  {
    name: "on a self-reference, the FK column is the many-to-one",
    path: "/people?select=name,best_friend_id(name)&id=eq.3",
    status: 200,
    json: [{ name: "cid", best_friend_id: { name: "bob" } }],
  },
  {
    name: "ambiguous embed is 300 PGRST201 with the candidates",
    path: "/people?select=name,people(name)",
    status: 300,
    check: (r) => {
      const body = r.json as { code: string; details: { cardinality: string }[]; hint: string };
      expect(body.code).toBe("PGRST201");
      expect(body.details.length).toBeGreaterThan(1);
      expect(body.hint).toContain("'people!people_best_friend_id_fkey'");
    },
  },
  {
    name: "no relationship is 400 PGRST200",
    path: "/actors?select=name,directors(name)",
    status: 400,
    json: {
      code: "PGRST200",
      message: "Could not find a relationship between 'actors' and 'directors' in the schema cache",
      details:
        "Searched for a foreign key relationship between 'actors' and 'directors' in the schema 'public', but no matches were found.",
      hint: null,
    },
  },
  {
    name: "filter on an embed not selected is PGRST108",
    path: "/films?select=id&directors.name=eq.x",
    status: 400,
    check: (r) =>
      expect(r.json).toMatchObject({
        code: "PGRST108",
        message: "'directors' is not an embedded resource in this request",
      }),
  },
  {
    name: "a bad operator on an embed is PGRST120",
    path: "/films?select=id,directors(id)&directors=eq.1",
    status: 400,
    check: (r) => expect(r.json).toMatchObject({ code: "PGRST120" }),
  },
  {
    name: "related order on a to-many is PGRST118",
    path: "/directors?select=id,films(id)&order=films(id)",
    status: 400,
    check: (r) => expect(r.json).toMatchObject({ code: "PGRST118" }),
  },
  {
    name: "related order on a to-one",
    path: "/films?select=id,directors(name)&order=directors(name).desc,id&limit=2",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([2, 3]),
    sql: [`ORDER BY "films_directors_1"."name" DESC`],
  },
  {
    name: "aggregates are off unless enabled",
    path: "/films?select=rating.sum()",
    status: 400,
    json: {
      code: "PGRST123",
      message: "Use of aggregate functions is not allowed",
      details: null,
      hint: null,
    },
  },
];
