/**
 * Job types that are Conveyor's own housekeeping, which the submit page offers
 * to admins only. `jobs.types` does not flag them, so they are named here.
 */
const maintenanceTypes: ReadonlySet<string> = new Set(["runs.prune"]);

export function isMaintenanceType(name: string): boolean {
  return maintenanceTypes.has(name);
}

/** A file name without its extension, to name a run after the file it was read from: "report.final.txt" → "report.final". */
export function titleFromFileName(fileName: string): string {
  return fileName.replace(/\.[^.]+$/, "") || fileName;
}
