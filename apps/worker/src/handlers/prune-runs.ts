import { createDatabase, closeDatabase, pruneRuns } from "@conveyor/db";
import { catalog, type JobHandler, type pruneFinishedRuns } from "@conveyor/jobs";
import { readEnv } from "../env";

/** Delete finished runs past their job type's retention (see `pruneRuns`). */
export const pruneFinished: JobHandler<typeof pruneFinishedRuns> = async (_input, ctx) => {
  const db = createDatabase(readEnv().DATABASE_URL, { max: 1 });
  try {
    const { deleted } = await pruneRuns(db.$client, catalog);
    ctx.log("pruned finished runs", { deleted });
    return { deleted };
  } finally {
    await closeDatabase(db);
  }
};
