import { defineConfig } from 'drizzle-kit';

// The directory's schema: `npm run db:generate` writes the SQL that `wrangler d1 migrations apply DIRECTORY` runs.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/directory-schema.ts',
  out: './migrations/directory',
});
