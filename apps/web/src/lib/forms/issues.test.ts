import { describe, expect, it } from "vitest";
import { issueText, placeIssues } from "./issues";

describe("placeIssues", () => {
  it("puts each issue by its field, the deeper ones by the closest enclosing field, and the rest above the form", () => {
    const placed = placeIssues(
      [
        { path: "input.text", message: "the document is empty" },
        { path: "options.runAt", message: "must be an ISO 8601 date-time with a time zone" },
        { path: "input.headers.X Bad", message: "header names are letters, digits and '-'" },
        { path: "input", message: "is 1.2 MiB as JSON" },
        { path: "input.topKeyword", message: "unknown field" },
        { path: "", message: "the request is not valid JSON" },
        { path: "input.text", message: "a second problem" },
      ],
      ["input.title", "input.text", "input.headers", "options.runAt"],
    );
    expect(Object.fromEntries(placed.byPath)).toEqual({
      "input.text": ["the document is empty", "a second problem"],
      "options.runAt": ["must be an ISO 8601 date-time with a time zone"],
      "input.headers": ["X Bad: header names are letters, digits and '-'"],
    });
    expect(placed.unplaced.map(issueText)).toEqual(["input: is 1.2 MiB as JSON", "input.topKeyword: unknown field", "the request is not valid JSON"]);
  });

  it("does not mistake a field for another that starts with the same letters", () => {
    const placed = placeIssues([{ path: "input.textual", message: "x" }], ["input.text"]);
    expect(placed.unplaced).toHaveLength(1);
  });
});
