import { describe, expect, it } from "vitest";
import { isoWithOffset, localDateTimeToIso, toLocalDateTimeValue } from "./local-date-time";

describe("isoWithOffset", () => {
  it("writes the wall-clock time at the offset, with the offset", () => {
    const instant = new Date("2030-01-01T08:00:00Z");
    expect(isoWithOffset(instant, 60)).toBe("2030-01-01T09:00:00+01:00");
    expect(isoWithOffset(instant, 0)).toBe("2030-01-01T08:00:00+00:00");
    expect(isoWithOffset(instant, -330)).toBe("2030-01-01T02:30:00-05:30");
    expect(isoWithOffset(instant, 345)).toBe("2030-01-01T13:45:00+05:45");
    // Crossing midnight backwards.
    expect(isoWithOffset(new Date("2030-01-01T02:00:00Z"), -300)).toBe("2029-12-31T21:00:00-05:00");
  });
});

describe("localDateTimeToIso", () => {
  it("reads a datetime-local value in this machine's zone, keeping the wall-clock time and adding the offset", () => {
    for (const value of ["2030-01-01T09:00", "2030-07-15T23:30", "2030-03-10T12:05:30"]) {
      const iso = localDateTimeToIso(value);
      expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
      expect(iso?.startsWith(value.length === 16 ? `${value}:00` : value)).toBe(true);
      // The same instant as the browser's own reading of the local time.
      expect(new Date(iso ?? "").getTime()).toBe(new Date(value).getTime());
    }
  });

  it("refuses anything else", () => {
    for (const value of ["", "tomorrow", "2030-01-01", "2030-01-01 09:00", "2030-01-01T09:00Z"]) expect(localDateTimeToIso(value)).toBeNull();
  });

  it("round-trips through the control's value", () => {
    const value = toLocalDateTimeValue(new Date(2030, 4, 6, 7, 8));
    expect(value).toBe("2030-05-06T07:08");
  });
});
