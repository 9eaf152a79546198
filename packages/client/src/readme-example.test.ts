import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { quickStart } from "./examples/quick-start";
import { startTestStack } from "./testing/stack";

const examplePath = new URL("./examples/quick-start.ts", import.meta.url);
const reactExamplePath = new URL("./examples/react-app.tsx", import.meta.url);
const docPath = new URL("../../../README.md", import.meta.url);

const stack = await startTestStack();
let token: string;

beforeAll(async () => {
  token = await stack.token({ ownerId: "readme", role: "user" });
});

describe("the SDK documentation's main example", () => {
  it("is in the README verbatim, as a ts block (and the React example as a tsx block)", async () => {
    const [doc, example, reactExample] = await Promise.all([
      readFile(docPath, "utf8"),
      readFile(examplePath, "utf8"),
      readFile(reactExamplePath, "utf8"),
    ]);
    expect(doc).toContain(`\`\`\`ts\n${example}\`\`\``);
    // Run in Chromium by react.browser.test.ts.
    expect(doc).toContain(`\`\`\`tsx\n${reactExample}\`\`\``);
  });

  it("runs against the real API and worker: submit, watch, result, cancel", async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      expect(await quickStart({ url: stack.api.url, token })).toEqual({ words: 35_000, cancelled: true });
    } finally {
      log.mockRestore();
    }
    expect(lines.slice(0, 2)).toEqual(["queued", "started"]);
    expect(lines.some((line) => /^\d+% (reading|counting|keywords|scoring)$/.test(line))).toBe(true);
    expect(lines.at(-2)).toBe("completed");
    expect(lines.at(-1)).toMatch(/^35000 words, reading ease -?\d/);
  });
});
