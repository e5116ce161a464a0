-- Attachments (config.toml [storage.buckets.attachments]; groundwork.toml scans them with ClamAV).
-- Each tenant has its own folder, named by its id: `<tenant id>/contacts/42/quote.pdf`. Members
-- of the tenant read its attachments and upload into its folder; only admins replace or delete.
create policy "attachments: members read their tenant's folder" on storage.objects
  for select to authenticated
  using (bucket_id = 'attachments'
         and (storage.foldername(name))[1] = (select groundwork.active_tenant_id())::text);

create policy "attachments: members upload into their tenant's folder" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'attachments'
              and (storage.foldername(name))[1] = (select groundwork.active_tenant_id())::text);

create policy "attachments: admins replace" on storage.objects
  for update to authenticated
  using (bucket_id = 'attachments'
         and (storage.foldername(name))[1] = (select groundwork.active_tenant_for('{admin}'))::text);

create policy "attachments: admins delete" on storage.objects
  for delete to authenticated
  using (bucket_id = 'attachments'
         and (storage.foldername(name))[1] = (select groundwork.active_tenant_for('{admin}'))::text);
