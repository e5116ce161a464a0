import { expect } from "vitest";
import type { Case } from "./case.js";

/** Computed relationships and embed disambiguation, as PostgREST v14 resolves them. */
export const RELATIONSHIP_CASES: readonly Case[] = [
  {
    name: "computed one-to-many: a function from the row to a set of another table",
    path: "/users?select=username,messages:get_messages(id,message)&username=eq.zoë&messages.order=id",
    status: 200,
    json: [
      {
        username: "zoë",
        messages: [
          { id: 1, message: "Bonjour 👋" },
          { id: 3, message: "¿Qué tal?" },
        ],
      },
    ],
    sql: [
      `LEFT JOIN LATERAL (SELECT json_agg("users_messages_1")::jsonb AS "users_messages_1" FROM (SELECT`,
      `FROM "public"."get_messages"("users"::"public"."users") AS "messages_1"`,
    ],
  },
  {
    name: "computed relationship overloaded for another table",
    path: "/channels?select=slug,get_messages(message)&id=eq.2&get_messages.username=eq.zoë",
    status: 200,
    json: [{ slug: "チャンネル", get_messages: [{ message: "¿Qué tal?" }] }],
    sql: [`"public"."get_messages"("channels"::"public"."channels")`],
  },
  {
    // As in PostgreSQL (and so PostgREST), a non-SETOF function's empty result is a row of nulls.
    name: "computed one-to-one: a function returning one row is an object",
    path: "/users?select=username,get_profile(id)&username=in.(zoë,renée)&order=age",
    status: 200,
    json: [
      { username: "renée", get_profile: { id: null } },
      { username: "zoë", get_profile: { id: 1 } },
    ],
  },
  {
    name: "computed relationship with !inner drops rows without a match",
    path: "/users?select=username,get_messages!inner(id)&get_messages.channel_id=eq.1",
    status: 200,
    json: [{ username: "zoë", get_messages: [{ id: 1 }] }],
  },
  {
    name: "computed relationship from a view's row, ROWS 1 makes it to-one",
    path: "/active_users?select=username,first_message(message)&username=eq.zoë",
    status: 200,
    json: [{ username: "zoë", first_message: { message: "Bonjour 👋" } }],
  },
  {
    name: "computed relationship ordering a to-one embed",
    path: "/messages?select=id,author(username)&order=author(username).desc,id&id=in.(1,2)",
    status: 200,
    json: [
      { id: 2, author: { username: "山田" } },
      { id: 1, author: { username: "zoë" } },
    ],
  },
  {
    name: "computed relationship on an RPC result of a table type",
    path: "/rpc/all_users?select=username,get_profile(id)&username=eq.zoë",
    status: 200,
    json: [{ username: "zoë", get_profile: { id: 1 } }],
  },
  {
    name: "computed relationship on a single-row RPC result",
    path: "/rpc/get_row?name_param=山田&select=username,get_messages(message)",
    status: 200,
    json: { username: "山田", get_messages: [{ message: "こんにちは" }] },
  },
  {
    name: "an FK column as the embed name is the many-to-one (views over the table do not compete)",
    path: "/messages?select=id,username(username,age)&id=eq.1",
    status: 200,
    json: [{ id: 1, username: { username: "zoë", age: 30 } }],
  },
  {
    name: "a table embed is not ambiguous with a view carrying the same foreign key",
    path: "/users?select=username,messages(id)&username=eq.山田",
    status: 200,
    json: [{ username: "山田", messages: [{ id: 2 }] }],
  },
  {
    name: "self-reference: the table name is the one-to-many children",
    path: "/collections?select=id,collections(id,description)&id=eq.1",
    status: 200,
    json: [{ id: 1, collections: [{ id: 2, description: "enfant" }] }],
  },
  {
    name: "self-reference: the FK column is the many-to-one parent",
    path: "/collections?select=id,parent_id(id,description)&id=eq.3",
    status: 200,
    json: [{ id: 3, parent_id: { id: 2, description: "enfant" } }],
  },
  {
    name: "self-reference: the referenced column as hint picks the children",
    path: "/collections?select=id,children:collections!parent_id(id)&id=eq.2",
    status: 200,
    json: [{ id: 2, children: [{ id: 3 }] }],
  },
  {
    name: "a view target is found by its name only, not by the FK's constraint",
    path: "/messages?select=id,messages_username_fkey(username)&id=eq.2",
    status: 200,
    json: [{ id: 2, messages_username_fkey: { username: "山田" } }],
  },
  {
    name: "truly ambiguous: PGRST201 lists the candidates in PostgREST's order",
    path: "/users?select=username,best_friends(id)",
    status: 300,
    json: {
      code: "PGRST201",
      message: "Could not embed because more than one relationship was found for 'users' and 'best_friends'",
      details: [
        {
          cardinality: "one-to-many",
          embedding: "users with best_friends",
          relationship: "best_friends_first_user_fkey using users(username) and best_friends(first_user)",
        },
        {
          cardinality: "one-to-many",
          embedding: "users with best_friends",
          relationship: "best_friends_second_user_fkey using users(username) and best_friends(second_user)",
        },
      ],
      hint: "Try changing 'best_friends' to one of the following: 'best_friends!best_friends_first_user_fkey', 'best_friends!best_friends_second_user_fkey'. Find the desired relationship in the 'details' key.",
    },
  },
  {
    name: "a close target name is suggested",
    path: "/users?select=username,mesages(id)",
    status: 400,
    json: {
      code: "PGRST200",
      message: "Could not find a relationship between 'users' and 'mesages' in the schema cache",
      details:
        "Searched for a foreign key relationship between 'users' and 'mesages' in the schema 'public', but no matches were found.",
      hint: "Perhaps you meant 'messages' instead of 'mesages'.",
    },
  },
  {
    name: "no hint when nothing is close",
    path: "/users?select=username,zzzqqq(id)",
    status: 400,
    check: (r) => expect(r.json).toMatchObject({ code: "PGRST200", hint: null }),
  },
];
