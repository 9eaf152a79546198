import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["apps/*/src/**/*.test.{ts,tsx}", "packages/*/src/**/*.test.ts", "bench/src/**/*.test.ts"],
    // One PostgreSQL for the whole run (DATABASE_URL, or an embedded one); each file clones its own database.
    globalSetup: ["packages/db/src/testing/global-setup.ts"],
    // A secrets key for tests only (sensitive input fields are refused without one); every process the
    // tests spawn inherits it. Tests of a missing or rotated key set their own.
    env: { CONVEYOR_SECRETS_KEY: "So6beD1KyYh71DZl7zrz++7aCYweCex6TSjy5YNqsyY=" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
