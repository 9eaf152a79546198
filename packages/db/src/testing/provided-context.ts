declare module "vitest" {
  export interface ProvidedContext {
    /** A server where tests may create and drop databases. */
    adminDatabaseUrl: string;
    /** A migrated database that each test file copies (CREATE DATABASE … TEMPLATE). */
    templateDatabase: string;
  }
}

export {};
