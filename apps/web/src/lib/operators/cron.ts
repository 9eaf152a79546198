/**
 * A short English reading of the common cron shapes ("17 * * * *" → "at
 * minute 17 of every hour"); null for anything else, where the expression
 * is shown alone. Conveyor's schedules are in UTC, so times say so.
 */

const weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export function describeCron(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const [minute = "", hour = "", day = "", month = "", weekday = ""] = fields;
  if (month !== "*") return null;
  const everyMinutes = step(minute);
  const everyHours = step(hour);
  const m = number(minute, 59);
  const h = number(hour, 23);

  if (day === "*" && weekday === "*") {
    if (minute === "*" && hour === "*") return "every minute";
    if (everyMinutes !== null && hour === "*") return everyMinutes === 1 ? "every minute" : `every ${everyMinutes} minutes`;
    if (m !== null && hour === "*") return `at minute ${m} of every hour`;
    if (m !== null && everyHours !== null) return everyHours === 1 ? `at minute ${m} of every hour` : `at minute ${m} of every ${everyHours} hours`;
    if (m !== null && h !== null) return `every day at ${clock(h, m)} UTC`;
    return null;
  }
  if (m === null || h === null) return null;
  if (day === "*") {
    const days = weekdaysOf(weekday);
    return days ? `every ${days} at ${clock(h, m)} UTC` : null;
  }
  const d = number(day, 31);
  if (d !== null && weekday === "*" && d >= 1) return `on day ${d} of every month at ${clock(h, m)} UTC`;
  return null;
}

function number(field: string, max: number): number | null {
  if (!/^\d{1,2}$/.test(field)) return null;
  const value = Number(field);
  return value <= max ? value : null;
}

function step(field: string): number | null {
  const match = /^\*\/(\d{1,2})$/.exec(field);
  return match ? Number(match[1]) : null;
}

function clock(hour: number, minute: number): string {
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

/** "1" → "Monday", "1-5" → "Monday to Friday", "0,6" → "Sunday and Saturday"; null for other shapes. */
function weekdaysOf(field: string): string | null {
  const name = (text: string) => {
    const value = number(text, 7);
    return value === null ? null : (weekdays[value % 7] ?? null);
  };
  const range = /^(\d)-(\d)$/.exec(field);
  if (range) {
    const [from, to] = [name(range[1] ?? ""), name(range[2] ?? "")];
    return from && to ? `${from} to ${to}` : null;
  }
  const names = field.split(",").map(name);
  if (names.some((value) => value === null)) return null;
  return names.length <= 1 ? (names[0] ?? null) : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}
