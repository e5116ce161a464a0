-- WingmanMatch's photo bucket (its 004_storage_policies.sql): public reads, owner-only writes,
-- images only. The bucket itself and its limits are in config.toml; the file types are also
-- checked against the bytes by the server, not only the declared Content-Type.
--
-- Each user's photos live under their own folder: photos/<user id>/<file>.

create policy "photos: anyone can view" on storage.objects
  for select to anon, authenticated
  using (bucket_id = 'photos');

create policy "photos: owners upload into their folder" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'photos'
    and (storage.foldername(name))[1] = (select auth.uid()::text)
    and lower(storage.extension(name)) in ('jpg', 'jpeg', 'png', 'webp', 'gif')
  );

create policy "photos: owners replace their photos" on storage.objects
  for update to authenticated
  using (bucket_id = 'photos' and owner_id = (select auth.uid()::text))
  with check (bucket_id = 'photos' and (storage.foldername(name))[1] = (select auth.uid()::text));

create policy "photos: owners delete their photos" on storage.objects
  for delete to authenticated
  using (bucket_id = 'photos' and owner_id = (select auth.uid()::text));
