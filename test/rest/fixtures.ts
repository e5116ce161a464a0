/** Grammar fixtures for the `platform` template: one of each shape the grammar must handle. */
export const GRAMMAR_FIXTURE = `
create table public.directors (id int primary key, name text not null, born date);
create table public.films (
  id int primary key,
  title text not null,
  year int,
  tags text[] not null default '{}',
  meta jsonb,
  during int4range,
  doc tsvector,
  director_id int references public.directors (id),
  rating numeric,
  created_at timestamptz not null default '2024-01-01T00:00:00Z'
);
create table public.actors (id int primary key, name text not null);
create table public.roles (
  film_id int references public.films (id),
  actor_id int references public.actors (id),
  character text,
  primary key (film_id, actor_id)
);
create table public.people (
  id int primary key,
  name text,
  best_friend_id int references public.people (id),
  manager_id int references public.people (id)
);
create table public.items (id serial primary key, name text not null default 'unnamed', qty int default 1);
create view public.film_titles as select f.id, f.title, f.director_id from public.films f;

insert into public.directors values (1, 'Agnes Varda', '1928-05-30'), (2, 'Chris Marker', '1921-07-29'), (3, 'Nobody', null);
insert into public.films (id, title, year, tags, meta, during, doc, director_id, rating) values
  (1, 'Cleo from 5 to 7', 1962, '{paris,drama}', '{"lang":"fr","awards":{"count":2},"cast":[{"name":"Corinne"}]}', '[1962,1963)', to_tsvector('english', 'a singer waits for results'), 1, 8.1),
  (2, 'La Jetee', 1962, '{scifi}', '{"lang":"fr","awards":{"count":1}}', '[1960,1962)', to_tsvector('english', 'time travel photographs'), 2, 8.3),
  (3, 'Sans Soleil', 1983, '{documentary,japan}', '{"lang":"fr"}', '[1980,1984)', to_tsvector('english', 'memory and travel in japan'), 2, null),
  (4, 'Vagabond', 1985, '{drama}', null, null, null, 1, 7.9);
insert into public.actors values (1, 'Corinne Marchand'), (2, 'Helene Chatelain'), (3, 'Sandrine Bonnaire');
insert into public.roles values (1, 1, 'Cleo'), (2, 2, 'The woman'), (4, 3, 'Mona');
insert into public.people values (1, 'ann', null, null), (2, 'bob', 1, 1), (3, 'cid', 2, 1);

create function public.film_count() returns bigint language sql stable as $$ select count(*) from public.films $$;
create function public.films_after(y int) returns setof public.films language sql stable as $$ select * from public.films where year > y $$;
create function public.pick(a int) returns text language sql immutable as $$ select 'int' $$;
create function public.pick(a text) returns text language sql immutable as $$ select 'text' $$;
create function public.add_default(a int, b int default 10) returns int language sql immutable as $$ select a + b $$;
create function public.total(variadic xs int[]) returns int language sql immutable as $$ select sum(x)::int from unnest(xs) x $$;
create function public.echo_json(jsonb) returns jsonb language sql immutable as $$ select $1 $$;
create function public.echo_text(text) returns text language sql immutable as $$ select upper($1) $$;
create function public.pairs(n int) returns table (k int, v text) language sql immutable as $$ select g, 'v' || g from generate_series(1, n) g $$;
create function public.nothing() returns void language sql as $$ select $$;
create function public.numbers() returns setof int language sql immutable as $$ select generate_series(1, 3) $$;
create function public.set_headers() returns int language plpgsql as $$
begin
  perform set_config('response.headers', '[{"Cache-Control":"public, max-age=60"}]', true);
  perform set_config('response.status', '202', true);
  return 1;
end $$;
create function public.bad_headers() returns int language plpgsql as $$
begin
  perform set_config('response.headers', '{"not":"an array"}', true);
  return 1;
end $$;
create function public.teapot() returns int language plpgsql as $$
begin
  raise sqlstate 'PGRST' using message = '{"code":"TEA01","message":"I am a teapot","hint":"brew"}',
    detail = '{"status":418,"headers":{"X-Brew":"green"}}';
end $$;
create function public.pt_error() returns int language plpgsql as $$ begin raise sqlstate 'PT402' using message = 'pay up'; end $$;
create function public.volatile_writer() returns int language sql as $$ insert into public.items (name) values ('x') returning id $$;
create function public.stable_writer() returns int language sql stable as $$ select public.volatile_writer() $$;
create function public.plain_raise() returns int language plpgsql as $$ begin raise exception 'plain failure'; end $$;
`;
