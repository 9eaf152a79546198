import { z } from "zod";

/**
 * A cron schedule declared with a job type: each firing is an ordinary run
 * of that type with this input. Times are UTC.
 *
 * Slots missed while no worker was running are skipped, unless `backfillMs`
 * is set: then, when a worker starts, each slot missed within that period
 * (and since the schedule was first seen) fires once.
 */
export interface ScheduleConfig<Input> {
  /** Unique across the catalogue; names the schedule's runs and its state (default: "<job type>@<cron>"). */
  name?: string;
  /** Five fields, UTC: minute hour day-of-month month day-of-week, e.g. "0 9 * * *" (daily at 09:00). */
  cron: string;
  input: Input;
  /** How far back missed slots are fired when a worker starts (default: 0, none). */
  backfillMs?: number;
}

export interface Schedule {
  name: string;
  cron: string;
  input: unknown;
  backfillMs: number;
}

const cronField = String.raw`(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*`;

/** Each field's name and the values it takes (day-of-week: 0 is Sunday). */
const cronFields = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day-of-week", min: 0, max: 6 },
] as const;

export const cronSchema = z
  .string()
  .regex(new RegExp(`^${cronField}( ${cronField}){4}$`), "must be 5 cron fields: minute hour day-of-month month day-of-week")
  .superRefine((cron, ctx) => {
    const problem = cronRangeProblem(cron);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** The first value of a (well-shaped) cron expression outside its field's range, said for people. */
function cronRangeProblem(cron: string): string | null {
  const fields = cron.split(" ");
  for (const [index, field] of cronFields.entries()) {
    for (const part of fields[index]?.split(",") ?? []) {
      const [range = "", step] = part.split("/");
      if (step !== undefined && Number(step) < 1) return `${field.name} step "/${step}" must be at least 1`;
      if (range === "*") continue;
      const [from, to = from] = range.split("-").map(Number);
      for (const value of [from, to]) {
        if (value === undefined || value < field.min || value > field.max) {
          return `${field.name} ${value} is out of range ${field.min}-${field.max}`;
        }
      }
      if (from !== undefined && to !== undefined && from > to) return `${field.name} range ${range} runs backwards`;
    }
  }
  return null;
}

const scheduleNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@*/ -]*$/, "letters, digits, spaces and . _ @ * / -");

/** Check a job type's schedules: the cron, the name, and the input against the contract. */
export function checkSchedules(
  jobName: string,
  input: z.ZodType,
  schedules: readonly ScheduleConfig<unknown>[],
): Schedule[] {
  return schedules.map((schedule, index) => {
    const name = schedule.name ?? `${jobName}@${schedule.cron}`;
    const where = `defineJob(${jobName}): schedules.${index}`;
    const checks = [
      ["cron", cronSchema.safeParse(schedule.cron)],
      ["name", scheduleNameSchema.safeParse(name)],
      ["backfillMs", z.number().int().min(0).max(366 * 24 * 60 * 60 * 1000).optional().safeParse(schedule.backfillMs)],
      ["input", input.safeParse(schedule.input)],
    ] as const;
    for (const [field, result] of checks) {
      if (!result.success) throw new Error(`${where}.${field} (schedule "${name}"): ${z.prettifyError(result.error)}`);
    }
    return { name, cron: schedule.cron, input: schedule.input, backfillMs: schedule.backfillMs ?? 0 };
  });
}
