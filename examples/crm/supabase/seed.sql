-- Demo data for local development: two tenants, and the test users of seed 001's sales team
-- created in SQL with pgcrypto the way many Supabase projects seed them (they can sign in with
-- TestPass123!). Their roles are memberships in Groundwork's tenancy kit; the role in
-- user_metadata is only a label (users can edit user_metadata, so no policy reads it).

insert into groundwork.tenants (id, name, slug) values
  ('00000000-0000-4000-8000-00000000a001', 'Acme Foods', 'acme-foods'),
  ('00000000-0000-4000-8000-00000000b001', 'Globex Distribution', 'globex');

insert into auth.users (id, instance_id, email, encrypted_password, email_confirmed_at, created_at, updated_at,
                        raw_app_meta_data, raw_user_meta_data, role, aud)
select extensions.uuid_generate_v5(extensions.uuid_ns_dns(), u.email), '00000000-0000-0000-0000-000000000000', u.email,
       extensions.crypt('TestPass123!', extensions.gen_salt('bf')), now(), now(), now(),
       '{"provider": "email", "providers": ["email"]}'::jsonb,
       jsonb_build_object('full_name', u.full_name, 'role', u.role), 'authenticated', 'authenticated'
from (values
  ('admin@test.local', 'Admin User', 'admin'),
  ('director@test.local', 'Sales Director', 'sales_director'),
  ('manager@test.local', 'Account Manager', 'account_manager'),
  ('globex.admin@test.local', 'Globex Admin', 'admin')
) as u (email, full_name, role);

insert into groundwork.memberships (user_id, tenant_id, role, is_active)
select extensions.uuid_generate_v5(extensions.uuid_ns_dns(), m.email), m.tenant_id, m.role, true
from (values
  ('00000000-0000-4000-8000-00000000a001'::uuid, 'admin@test.local', 'admin'),
  ('00000000-0000-4000-8000-00000000a001'::uuid, 'director@test.local', 'sales_director'),
  ('00000000-0000-4000-8000-00000000a001'::uuid, 'manager@test.local', 'account_manager'),
  ('00000000-0000-4000-8000-00000000b001'::uuid, 'globex.admin@test.local', 'admin')
) as m (tenant_id, email, role);

insert into public.sales (id, tenant_id, user_id, first_name, last_name, email)
select extensions.uuid_generate_v5(extensions.uuid_ns_dns(), 'sales:' || u.email), u.tenant_id,
       extensions.uuid_generate_v5(extensions.uuid_ns_dns(), u.email), u.first_name, u.last_name, u.email
from (values
  ('00000000-0000-4000-8000-00000000a001'::uuid, 'admin@test.local', 'Admin', 'User'),
  ('00000000-0000-4000-8000-00000000a001'::uuid, 'director@test.local', 'Sales', 'Director'),
  ('00000000-0000-4000-8000-00000000a001'::uuid, 'manager@test.local', 'Account', 'Manager'),
  ('00000000-0000-4000-8000-00000000b001'::uuid, 'globex.admin@test.local', 'Globex', 'Admin')
) as u (tenant_id, email, first_name, last_name);

insert into public.products (tenant_id, name, sku, category, unit_price) values
  ('00000000-0000-4000-8000-00000000a001', 'Organic Oat Milk 1L', 'ACME-OAT-1L', 'beverages', 2.49),
  ('00000000-0000-4000-8000-00000000a001', 'Cold Brew Concentrate', 'ACME-CB-500', 'beverages', 7.90),
  ('00000000-0000-4000-8000-00000000a001', 'Granola Clusters', 'ACME-GRN-350', 'snacks', 4.25),
  ('00000000-0000-4000-8000-00000000b001', 'Pallet Logistics Plan', 'GLX-PLP', 'services', 1200.00);

insert into public.organizations (tenant_id, name, sector, size, city, country, annual_revenue, sales_id)
select '00000000-0000-4000-8000-00000000a001', o.name, o.sector, o.size, o.city, o.country, o.revenue,
       extensions.uuid_generate_v5(extensions.uuid_ns_dns(), 'sales:' || o.owner)
from (values
  ('Green Grocers', 'retail', '51-200', 'Portland', 'US', 12500000.00, 'director@test.local'),
  ('Harbor Cafe Group', 'hospitality', '11-50', 'Seattle', 'US', 3400000.00, 'manager@test.local'),
  ('Northwind Markets', 'retail', '201-500', 'Denver', 'US', 48000000.00, 'manager@test.local')
) as o (name, sector, size, city, country, revenue, owner);

insert into public.organizations (tenant_id, name, sector, size, city, country, sales_id) values
  ('00000000-0000-4000-8000-00000000b001', 'Initech Freight', 'logistics', '500+', 'Austin', 'US',
   extensions.uuid_generate_v5(extensions.uuid_ns_dns(), 'sales:globex.admin@test.local'));

insert into public.contacts (tenant_id, organization_id, first_name, last_name, title, email, status, sales_id)
select o.tenant_id, o.id, c.first_name, c.last_name, c.title, c.email, c.status, o.sales_id
from (values
  ('Green Grocers', 'Maya', 'Lopez', 'Category Buyer', 'maya.lopez@greengrocers.example', 'warm'),
  ('Harbor Cafe Group', 'Sam', 'Okafor', 'Operations Lead', 'sam.okafor@harborcafe.example', 'hot'),
  ('Northwind Markets', 'Ines', 'Berg', 'Head of Purchasing', 'ines.berg@northwind.example', 'cold'),
  ('Initech Freight', 'Peter', 'Gibbons', 'Logistics Manager', 'peter@initech.example', 'warm')
) as c (org, first_name, last_name, title, email, status)
join public.organizations o on o.name = c.org;

insert into public.opportunities (tenant_id, organization_id, contact_id, product_id, name, stage, amount, probability, expected_close_date, sales_id)
select c.tenant_id, c.organization_id, c.id, p.id, 'Supply deal: ' || p.name, 'initial_outreach', 25000, 40, current_date + 30, c.sales_id
from public.contacts c
join public.products p on p.tenant_id = c.tenant_id
where p.sku in ('ACME-OAT-1L', 'GLX-PLP');

insert into public.activities (tenant_id, type, subject, contact_id, organization_id, opportunity_id, sales_id)
select o.tenant_id, 'call', 'Intro call about ' || o.name, o.contact_id, o.organization_id, o.id, o.sales_id
from public.opportunities o;

insert into public.tasks (tenant_id, title, type, priority, due_date, contact_id, opportunity_id, sales_id)
select o.tenant_id, 'Send samples for ' || o.name, 'follow_up', 'high', current_date + 7, o.contact_id, o.id, o.sales_id
from public.opportunities o;

insert into public.notes (tenant_id, text, organization_id, sales_id)
select o.tenant_id, 'Prefers email before calls.', o.id, o.sales_id
from public.organizations o;
