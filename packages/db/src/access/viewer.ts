import { eq, type SQL } from "drizzle-orm";
import type { TokenRole } from "../schema";
import { runs } from "../schema";

/**
 * Who is asking. Every query that reads or changes runs on someone's behalf
 * takes a viewer: a user reaches only the runs they own, an admin every run.
 * Another owner's run is reported as not found, so its existence never leaks.
 */
export interface Viewer {
  ownerId: string;
  role: TokenRole;
}

/** The owner of scheduled runs and of the platform's own maintenance runs. */
export const systemOwner = "system";

/** For the platform's own work (schedules, maintenance, tests of the data layer): sees every run. */
export const systemViewer: Viewer = Object.freeze({ ownerId: systemOwner, role: "admin" });

export function seesAllRuns(viewer: Viewer): boolean {
  return viewer.role === "admin";
}

/** The Drizzle condition limiting `runs` to what the viewer may reach (none for admins). */
export function visibleRuns(viewer: Viewer): SQL | undefined {
  return seesAllRuns(viewer) ? undefined : eq(runs.ownerId, viewer.ownerId);
}

/** The same as an owner to filter on in hand-written SQL: null means every owner. */
export function ownerFilterOf(viewer: Viewer): string | null {
  return seesAllRuns(viewer) ? null : viewer.ownerId;
}
