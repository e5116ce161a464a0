/** A client app's env file with secrets in client-side variables, for the env-file lint. */

/** The Supabase CLI's well-known local service_role key (a JWT with role service_role). */
export const SERVICE_ROLE_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";
const ANON_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";

/** A fake URL with a password (marked so `groundwork guard` on this repository allows it). */
const DATABASE_URL = "postgresql://postgres:hunter2secret@db.example.com:5432/postgres"; // groundwork:allow

export const CLIENT_ENV = `# the browser app
VITE_SUPABASE_URL=http://127.0.0.1:54321
VITE_SUPABASE_ANON_KEY=${ANON_KEY}
VITE_SUPABASE_SERVICE_KEY=${SERVICE_ROLE_KEY}
NEXT_PUBLIC_DATABASE_URL="${DATABASE_URL}"
export EXPO_PUBLIC_DB_PASSWORD=hunter3secret # a comment
SERVICE_ROLE_KEY=${SERVICE_ROLE_KEY}
`;
