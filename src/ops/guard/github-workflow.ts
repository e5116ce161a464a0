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

      # Dry-run deploy: a rehearsal against staging that always rolls back. Enable it once
      # \`groundwork db push\` is available in your groundwork version and a STAGING_DATABASE_URL
      # secret is set (the name [targets.staging] url_env gives in groundwork.toml).
      # - name: Deploy rehearsal (staging, rolled back)
      #   if: github.event_name == 'pull_request'
      #   env:
      #     STAGING_DATABASE_URL: \${{ secrets.STAGING_DATABASE_URL }}
      #   run: npx groundwork db push --target staging --dry-run${workdir}
`;
}
