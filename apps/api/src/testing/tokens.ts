import { createToken, type CreateTokenInput, type Database } from "@conveyor/db";

/**
 * A token for tests: generous submission limits unless the test sets its
 * own, so only the tests about limits ever meet them.
 */
export async function issueTestToken(db: Database, input: CreateTokenInput): Promise<string> {
  const { token } = await createToken(db, { submitRate: 100_000, submitBurst: 100_000, maxSubscriptions: 1_000, ...input });
  return token;
}
