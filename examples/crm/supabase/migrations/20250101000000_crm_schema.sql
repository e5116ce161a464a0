-- The CRM of a sales team, multi-tenant: each tenant is a company using the CRM, and every
-- tenant table carries tenant_id (also the distribution column if the data ever moves to Citus).
-- Tenants and who belongs to them with which role live in Groundwork's tenancy kit
-- (groundwork.tenants, groundwork.memberships; docs/tenancy.md); the next migration protects
-- these tables with it.

-- A sales person of a tenant: the people the CRM's records are assigned to (sales_id). user_id
-- links them to a login; their role in the tenant is their membership's (groundwork.memberships).
create table public.sales (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references groundwork.tenants (id) on delete cascade,
  user_id uuid references auth.users (id) on delete set null,
  first_name text not null,
  last_name text not null,
  email text not null check (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  disabled boolean not null default false,
  created_at timestamptz not null default now(),
  unique (tenant_id, email),
  unique (tenant_id, user_id)
);

create table public.organizations (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references groundwork.tenants (id) on delete cascade,
  name text not null check (length(trim(name)) > 0),
  sector text,
  size text check (size in ('1', '2-10', '11-50', '51-200', '201-500', '500+')),
  website text,
  phone text,
  address text,
  city text,
  country text,
  annual_revenue numeric(14, 2) check (annual_revenue >= 0),
  sales_id uuid references public.sales (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.contacts (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references groundwork.tenants (id) on delete cascade,
  organization_id bigint references public.organizations (id) on delete set null,
  first_name text not null,
  last_name text not null,
  title text,
  email text check (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  phone text,
  status text not null default 'cold' check (status in ('cold', 'warm', 'hot', 'in-contract')),
  background text,
  tags text[] not null default '{}',
  sales_id uuid references public.sales (id) on delete set null,
  first_seen timestamptz not null default now(),
  last_seen timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.products (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references groundwork.tenants (id) on delete cascade,
  name text not null check (length(trim(name)) > 0),
  sku text not null,
  category text,
  unit_price numeric(12, 2) not null check (unit_price >= 0),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  unique (tenant_id, sku)
);

create type public.opportunity_stage as enum (
  'new_lead', 'initial_outreach', 'sample_visit_offered', 'awaiting_response',
  'feedback_logged', 'demo_scheduled', 'closed_won', 'closed_lost'
);

create table public.opportunities (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references groundwork.tenants (id) on delete cascade,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  contact_id bigint references public.contacts (id) on delete set null,
  product_id bigint references public.products (id) on delete set null,
  name text not null check (length(trim(name)) > 0),
  stage public.opportunity_stage not null default 'new_lead',
  category text not null default 'new_business' check (category in ('new_business', 'upsell', 'renewal')),
  amount numeric(12, 2) not null default 0 check (amount >= 0 and amount <= 1000000),
  probability integer not null default 50 check (probability between 0 and 100),
  expected_close_date date,
  sales_id uuid references public.sales (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.activities (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references groundwork.tenants (id) on delete cascade,
  type text not null check (type in ('call', 'email', 'meeting', 'demo', 'follow_up')),
  subject text not null,
  body text,
  occurred_at timestamptz not null default now(),
  contact_id bigint references public.contacts (id) on delete cascade,
  organization_id bigint references public.organizations (id) on delete cascade,
  opportunity_id bigint references public.opportunities (id) on delete cascade,
  sales_id uuid references public.sales (id) on delete set null,
  created_at timestamptz not null default now()
);

create table public.tasks (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references groundwork.tenants (id) on delete cascade,
  title text not null check (length(trim(title)) > 0),
  type text not null default 'todo' check (type in ('todo', 'call', 'email', 'meeting', 'follow_up')),
  priority text not null default 'medium' check (priority in ('low', 'medium', 'high', 'urgent')),
  due_date date,
  done_at timestamptz,
  contact_id bigint references public.contacts (id) on delete cascade,
  opportunity_id bigint references public.opportunities (id) on delete cascade,
  sales_id uuid references public.sales (id) on delete set null,
  created_at timestamptz not null default now()
);

create table public.notes (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references groundwork.tenants (id) on delete cascade,
  text text not null check (length(trim(text)) > 0),
  contact_id bigint references public.contacts (id) on delete cascade,
  organization_id bigint references public.organizations (id) on delete cascade,
  opportunity_id bigint references public.opportunities (id) on delete cascade,
  sales_id uuid references public.sales (id) on delete set null,
  created_at timestamptz not null default now(),
  check (num_nonnulls(contact_id, organization_id, opportunity_id) >= 1)
);

-- Indexes for tenant filters (every policy uses tenant_id) and for every foreign key.
create index sales_tenant_id_idx on public.sales (tenant_id);
create index sales_user_id_idx on public.sales (user_id);
create index organizations_tenant_id_idx on public.organizations (tenant_id);
create index organizations_sales_id_idx on public.organizations (sales_id);
create index contacts_tenant_id_idx on public.contacts (tenant_id);
create index contacts_organization_id_idx on public.contacts (organization_id);
create index contacts_sales_id_idx on public.contacts (sales_id);
create index products_tenant_id_idx on public.products (tenant_id);
create index opportunities_tenant_id_idx on public.opportunities (tenant_id);
create index opportunities_organization_id_idx on public.opportunities (organization_id);
create index opportunities_contact_id_idx on public.opportunities (contact_id);
create index opportunities_product_id_idx on public.opportunities (product_id);
create index opportunities_sales_id_idx on public.opportunities (sales_id);
create index activities_tenant_id_idx on public.activities (tenant_id);
create index activities_contact_id_idx on public.activities (contact_id);
create index activities_organization_id_idx on public.activities (organization_id);
create index activities_opportunity_id_idx on public.activities (opportunity_id);
create index activities_sales_id_idx on public.activities (sales_id);
create index tasks_tenant_id_idx on public.tasks (tenant_id);
create index tasks_contact_id_idx on public.tasks (contact_id);
create index tasks_opportunity_id_idx on public.tasks (opportunity_id);
create index tasks_sales_id_idx on public.tasks (sales_id);
create index notes_tenant_id_idx on public.notes (tenant_id);
create index notes_contact_id_idx on public.notes (contact_id);
create index notes_organization_id_idx on public.notes (organization_id);
create index notes_opportunity_id_idx on public.notes (opportunity_id);
create index notes_sales_id_idx on public.notes (sales_id);

create function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create trigger organizations_updated_at before update on public.organizations
  for each row execute function public.set_updated_at();
create trigger contacts_updated_at before update on public.contacts
  for each row execute function public.set_updated_at();
create trigger opportunities_updated_at before update on public.opportunities
  for each row execute function public.set_updated_at();
