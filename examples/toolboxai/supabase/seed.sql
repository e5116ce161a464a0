-- Demo data for local development: two organizations (schools), an admin, a teacher and
-- students in each, who sign in with TestPass123!. Roles are memberships in Groundwork's tenancy
-- kit; user_metadata only carries display names.

insert into groundwork.tenants (id, name, slug) values
  ('00000000-0000-4000-8000-0000000e7011', 'Lycée Étoile ✨', 'lycee-etoile'),
  ('00000000-0000-4000-8000-00000000a5a1', '東京学園 🏫', 'tokyo-gakuen');

insert into auth.users (id, instance_id, email, encrypted_password, email_confirmed_at, created_at, updated_at,
                        raw_app_meta_data, raw_user_meta_data, role, aud)
select extensions.uuid_generate_v5(extensions.uuid_ns_dns(), u.email), '00000000-0000-0000-0000-000000000000', u.email,
       extensions.crypt('TestPass123!', extensions.gen_salt('bf')), now(), now(), now(),
       '{"provider": "email", "providers": ["email"]}'::jsonb,
       jsonb_build_object('full_name', u.full_name), 'authenticated', 'authenticated'
from (values
  ('admin@etoile.test', 'Amélie Durand'),
  ('teacher@etoile.test', 'Jürgen Müller'),
  ('student@etoile.test', 'Zoë Ngô 🎒'),
  ('student2@etoile.test', '李明'),
  ('admin@tokyo.test', '佐藤 花子'),
  ('teacher@tokyo.test', '田中 先生'),
  ('student@tokyo.test', 'Ōta Ren 🎌')
) as u (email, full_name);

insert into groundwork.memberships (user_id, tenant_id, role, is_active)
select extensions.uuid_generate_v5(extensions.uuid_ns_dns(), m.email), m.tenant_id, m.role, true
from (values
  ('00000000-0000-4000-8000-0000000e7011'::uuid, 'admin@etoile.test', 'admin'),
  ('00000000-0000-4000-8000-0000000e7011'::uuid, 'teacher@etoile.test', 'teacher'),
  ('00000000-0000-4000-8000-0000000e7011'::uuid, 'student@etoile.test', 'student'),
  ('00000000-0000-4000-8000-0000000e7011'::uuid, 'student2@etoile.test', 'student'),
  ('00000000-0000-4000-8000-00000000a5a1'::uuid, 'admin@tokyo.test', 'admin'),
  ('00000000-0000-4000-8000-00000000a5a1'::uuid, 'teacher@tokyo.test', 'teacher'),
  ('00000000-0000-4000-8000-00000000a5a1'::uuid, 'student@tokyo.test', 'student')
) as m (tenant_id, email, role);

insert into public.agent_instances (id, organization_id, user_id, name, agent_type, status)
select a.id, a.organization_id, extensions.uuid_generate_v5(extensions.uuid_ns_dns(), a.owner), a.name, a.agent_type, 'idle'
from (values
  ('00000000-0000-4000-8000-00000000a901'::uuid, '00000000-0000-4000-8000-0000000e7011'::uuid, 'teacher@etoile.test',
   'Générateur de quiz 🧠', 'quiz_builder'),
  ('00000000-0000-4000-8000-00000000a902'::uuid, '00000000-0000-4000-8000-0000000e7011'::uuid, 'teacher@etoile.test',
   'Tuteur de français 📚', 'tutor'),
  ('00000000-0000-4000-8000-00000000a903'::uuid, '00000000-0000-4000-8000-00000000a5a1'::uuid, 'teacher@tokyo.test',
   '数学チューター 🤖', 'tutor')
) as a (id, organization_id, owner, name, agent_type);

-- A few past executions (each one also queues a notification through the webhook).
insert into public.agent_executions (organization_id, agent_id, user_id, task_type, status, input_data,
                                     execution_time_ms, quality_score, created_at, completed_at)
select e.organization_id, e.agent_id, extensions.uuid_generate_v5(extensions.uuid_ns_dns(), e.email), e.task_type,
       e.status, jsonb_build_object('prompt', e.prompt), e.ms, e.quality,
       now() - e.age, now() - e.age + make_interval(secs => e.ms / 1000.0)
from (values
  ('00000000-0000-4000-8000-0000000e7011'::uuid, '00000000-0000-4000-8000-00000000a901'::uuid, 'student@etoile.test',
   'quiz', 'completed', 'Révision : la Révolution française', 1800, 0.92, interval '2 days'),
  ('00000000-0000-4000-8000-0000000e7011'::uuid, '00000000-0000-4000-8000-00000000a902'::uuid, 'student2@etoile.test',
   'tutoring', 'failed', 'Conjugaison du passé simple', 7200, null, interval '1 day'),
  ('00000000-0000-4000-8000-00000000a5a1'::uuid, '00000000-0000-4000-8000-00000000a903'::uuid, 'student@tokyo.test',
   'tutoring', 'completed', '二次方程式の解き方', 2400, 0.88, interval '3 hours')
) as e (organization_id, agent_id, email, task_type, status, prompt, ms, quality, age);
