import { describe, expect, it } from "vitest";
import { describeCron } from "./cron";

describe("describeCron", () => {
  it("reads the common shapes", () => {
    expect(describeCron("17 * * * *")).toBe("at minute 17 of every hour");
    expect(describeCron("* * * * *")).toBe("every minute");
    expect(describeCron("*/5 * * * *")).toBe("every 5 minutes");
    expect(describeCron("0 */6 * * *")).toBe("at minute 0 of every 6 hours");
    expect(describeCron("0 9 * * *")).toBe("every day at 09:00 UTC");
    expect(describeCron("30 8 * * 1")).toBe("every Monday at 08:30 UTC");
    expect(describeCron("30 8 * * 1-5")).toBe("every Monday to Friday at 08:30 UTC");
    expect(describeCron("0 0 * * 0,6")).toBe("every Sunday and Saturday at 00:00 UTC");
    expect(describeCron("15 3 1 * *")).toBe("on day 1 of every month at 03:15 UTC");
  });

  it("says nothing about shapes it does not read, rather than something wrong", () => {
    for (const expression of ["0 9 * 1 *", "5,10 * * * *", "0 9 1 * 1", "61 * * * *", "0 25 * * *", "* *", "1-5 * * * *"]) {
      expect(describeCron(expression)).toBeNull();
    }
  });
});
