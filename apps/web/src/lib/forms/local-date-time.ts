/**
 * `<input type="datetime-local">` gives the user's wall-clock time without a
 * zone ("2030-01-01T09:00"); the API accepts only instants with one. These
 * turn one into the other in the browser's time zone, offset included, so
 * the value sent reads as the user typed it ("2030-01-01T09:00:00+01:00").
 */

const localPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/** The ISO 8601 instant a datetime-local value stands for here; null when the value is not one. */
export function localDateTimeToIso(value: string): string | null {
  const parts = localPattern.exec(value.trim());
  if (!parts) return null;
  const [year, month, day, hour, minute, second] = parts.slice(1).map((part) => Number(part ?? 0));
  if ([year, month, day, hour, minute, second].some((part) => part === undefined || Number.isNaN(part))) return null;
  const date = new Date(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0);
  if (Number.isNaN(date.getTime())) return null;
  // The offset in force at that instant (it differs across daylight-saving changes), east of UTC positive.
  return isoWithOffset(date, -date.getTimezoneOffset());
}

/** `date` written as the wall-clock time at `offsetMinutes` east of UTC, with that offset: "2030-01-01T09:00:00+01:00". */
export function isoWithOffset(date: Date, offsetMinutes: number): string {
  const shifted = new Date(date.getTime() + offsetMinutes * 60_000);
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  const sign = offsetMinutes < 0 ? "-" : "+";
  const offset = Math.abs(offsetMinutes);
  return (
    `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}`
  );
}

/** The datetime-local value (to the minute) for an instant, in the browser's time zone: for `min` and presets. */
export function toLocalDateTimeValue(date: Date): string {
  return isoWithOffset(date, -date.getTimezoneOffset()).slice(0, 16);
}
