export { createTestDatabase, type TestDatabase } from "./test-database";
export { withDatabase } from "./database-url";
export { waitFor } from "./wait-for";
export { spawnEmbeddedPostgres } from "./spawn-embedded-postgres";
export { startOwnPostgres, type OwnPostgres } from "./own-postgres";
