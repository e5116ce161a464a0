/**
 * The GitHub Actions workflow `groundwork init --ci github` writes. It assumes groundwork is a
 * devDependency of the project (`npx groundwork`); `projectDir` is the project folder relative to
 * the repository root ("" for the root itself).
 */
export function githubWorkflow(projectDir: string): string {
  const workdir = projectDir === "" || projectDir === "." ? "" : ` --workdir ${projectDir}`;
  return `# Written by groundwork init --ci github (docs/cli/init.md). Edit freely.
name: groundwork

on:
  pull_request:
  push:
    branches: [main]

jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    # A bare PostgreSQL for the deploy rehearsal (the other steps use the embedded one).
    services:
      postgres:
        image: postgres:17
        env:
          POSTGRES_PASSWORD: postgres
        ports:
          - 5432:5432
        options: >-
          --health-cmd pg_isready --health-interval 2s --health-timeout 5s --health-retries 30
    steps:
      - uses: actions/checkout@v4
        with:
          # guard compares with the base branch, so it needs the history.
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      - run: npm ci

      - name: Guard (protected paths, JSON, secrets, migrations)
        run: npx groundwork guard --base origin/\${{ github.base_ref || 'main' }}${workdir}

      - name: Database from the migrations and seed
        run: npx groundwork db reset${workdir}

      - name: Database lint
        run: npx groundwork db lint${workdir}

      - name: Row-level security matrix
        run: npx groundwork test rls${workdir}

      # Dry-run deploy: the whole first deploy (platform schema, every migration, db lint and
      # test rls inside the transaction) rehearsed on the bare PostgreSQL above, then rolled back.
      - name: Deploy rehearsal (bare PostgreSQL, rolled back)
        run: npx groundwork db push --db-url postgresql://postgres:postgres@localhost:5432/postgres --dry-run${workdir}

      # To rehearse against staging as well, set a STAGING_DATABASE_URL repository secret (the
      # variable [targets.staging] url_env names in groundwork.toml) and uncomment:
      # - name: Deploy rehearsal (staging, rolled back)
      #   if: github.event_name == 'pull_request'
      #   env:
      #     STAGING_DATABASE_URL: \${{ secrets.STAGING_DATABASE_URL }}
      #   run: npx groundwork db push --target staging --dry-run${workdir}
`;
}
