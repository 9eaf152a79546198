import { describe, it, expect } from "vitest";
import { analysisStages, documentAnalyze, maxDocumentLength } from "@conveyor/jobs";
import { analyzeText, type AnalysisProgress, type AnalyzeTextOptions, type DocumentAnalysis } from "./analyze-text";

interface ProgressReport {
  percent: number;
  message: string;
  data: AnalysisProgress;
}

function analyze(text: string, options: Partial<AnalyzeTextOptions> = {}): Promise<DocumentAnalysis> {
  return analyzeText(text, {
    topKeywords: 10,
    signal: new AbortController().signal,
    onProgress: () => {},
    ...options,
  });
}

async function analyzeRecordingProgress(
  text: string,
  options: Partial<AnalyzeTextOptions> = {},
): Promise<{ result: DocumentAnalysis; reports: ProgressReport[] }> {
  const reports: ProgressReport[] = [];
  const result = await analyze(text, {
    ...options,
    onProgress: (percent, message, data) => reports.push({ percent, message, data }),
  });
  return { result, reports };
}

/** About `size` characters of a known paragraph, repeated; returns how many times it was repeated. */
function generateDocument(size: number): { text: string; repeats: number } {
  // 16 distinct words, 2 sentences, 1 paragraph and 27 syllables per repeat
  // (con-veyor: the heuristic reads "eyo" as one vowel group).
  const paragraph =
    "Conveyor workers analyse documents quickly. Every queue keeps its runs in order, and nothing is lost!\n\n";
  const repeats = Math.ceil(size / paragraph.length);
  return { text: paragraph.repeat(repeats), repeats };
}

describe("analyzeText counts", () => {
  it("gives exact, hand-computed counts and scores for a small text", async () => {
    const result = await analyze("The cat sat on the mat. The dog ran!\n\nA happy cat is a good cat.", {
      topKeywords: 3,
    });

    // 16 words (6 + 3 + 7), 45 letters, all one syllable except "happy" (2).
    // Flesch: 206.835 - 1.015 * 16/3 - 84.6 * 17/16 = 111.534...
    // Flesch-Kincaid: 0.39 * 16/3 + 11.8 * 17/16 - 15.59 = -0.9725
    expect(result).toEqual({
      characters: 64,
      words: 16,
      uniqueWords: 11, // "The" and "the" are one word
      sentences: 3,
      paragraphs: 2,
      syllables: 17,
      averageWordLength: 2.81,
      averageSentenceLength: 5.33,
      readingEase: 111.53,
      gradeLevel: -0.97,
      readingTimeMinutes: 0.1,
      keywords: [
        { word: "cat", count: 3 },
        { word: "dog", count: 1 },
        { word: "good", count: 1 },
      ],
    });
  });

  it("ends a sentence once at '...', '?!' or '. . .', and not inside 3.14 or example.com", async () => {
    expect((await analyze("Wait... What?! Really")).sentences).toBe(3);
    expect((await analyze("It ended. . . Then it began again.")).sentences).toBe(2);
    expect((await analyze("Pi is about 3.14 and the site is example.com today.")).sentences).toBe(1);
  });

  it("counts at least one sentence when words have no terminal punctuation", async () => {
    expect(await analyze("no punctuation at all")).toMatchObject({ words: 4, sentences: 1, paragraphs: 1 });
  });

  it("splits paragraphs on blank lines, including whitespace-only and CRLF blank lines", async () => {
    const text = [
      "\n\nFirst paragraph, line one",
      "still the first paragraph.",
      "",
      "Second.",
      "   \t",
      "Third.\r\n\r\nFourth.",
      "",
      "",
      "",
    ].join("\n");
    const result = await analyze(text);
    expect(result.paragraphs).toBe(4);
    expect(result.sentences).toBe(4);
  });

  it("treats a paragraph break as the end of a heading without punctuation", async () => {
    expect(await analyze("Introduction\n\nThis is the text.")).toMatchObject({ sentences: 2, paragraphs: 2 });
  });

  it("counts words in other alphabets, case-insensitively", async () => {
    const decomposedCafe = "cafe\u0301";
    const result = await analyze(`Café ${decomposedCafe} CAFÉ über Straße. Привет, Мир! мир ørsted`);
    expect(result.words).toBe(9);
    expect(result.uniqueWords).toBe(6);
    expect(result.sentences).toBe(3);
    expect(result.keywords).toEqual([
      { word: "café", count: 3 },
      { word: "мир", count: 2 },
      // Ties in dictionary order: accented letters sort with their base letter.
      { word: "ørsted", count: 1 },
      { word: "straße", count: 1 },
      { word: "über", count: 1 },
      { word: "привет", count: 1 },
    ]);
  });

  it("keeps inner apostrophes and hyphens inside a word", async () => {
    const result = await analyze("Don’t say don't; a well-known fact.");
    // don't, say, don't, a, well-known, fact: the curly and straight apostrophes make one word
    expect(result.words).toBe(6);
    expect(result.uniqueWords).toBe(5);
    expect(result.keywords).toEqual([
      { word: "fact", count: 1 },
      { word: "well-known", count: 1 },
    ]);
  });

  it.each([
    ["make", 1],
    ["the", 1],
    ["agree", 2],
    ["table", 2],
    ["tables", 2],
    ["handled", 2],
    ["jumped", 1],
    ["played", 1],
    ["wanted", 2],
    ["agreed", 2],
    ["makes", 1],
    ["boxes", 2],
    ["wishes", 2],
    ["happy", 2],
    ["rhythm", 1],
    ["well-known", 2],
    ["documentation", 5],
    ["café", 2],
    ["страна", 2],
    ["2024", 1],
  ])("counts %s as %i syllable(s)", async (word, syllables) => {
    expect((await analyze(word)).syllables).toBe(syllables);
  });

  it("rounds reading time up to the next tenth of a minute at 238 words per minute", async () => {
    expect((await analyze("word ".repeat(238))).readingTimeMinutes).toBe(1);
    expect((await analyze("word ".repeat(239))).readingTimeMinutes).toBe(1.1);
  });

  it("gives zeros and finite numbers for a text without words", async () => {
    const text = "... !!! ???\n\n--- *** ,,,";
    const result = await analyze(text);
    expect(result).toEqual({
      characters: text.length,
      words: 0,
      uniqueWords: 0,
      sentences: 0,
      paragraphs: 0,
      syllables: 0,
      averageWordLength: 0,
      averageSentenceLength: 0,
      readingEase: 0,
      gradeLevel: 0,
      readingTimeMinutes: 0,
      keywords: [],
    });
    expect(() => documentAnalyze.output.parse(result)).not.toThrow();
  });

  it("returns output that the job's output schema accepts", async () => {
    const text = generateDocument(20_000).text + "Ünïcödé wörds, numbers like 42, and émojis 😀 too.";
    const result = await analyze(text);
    expect(documentAnalyze.output.parse(result)).toEqual(result);
  });
});

describe("analyzeText keywords", () => {
  const text =
    "Rivers rivers RIVERS flow. Mountains mountains flow. The the the the and and and of of is is it it. " +
    "Ox ox ox ox ox. 2024 2024 2024 2024 2024. Oceans.";

  it("orders keywords by count, breaks ties alphabetically, and skips stop words, short words and numbers", async () => {
    const result = await analyze(text);
    expect(result.keywords).toEqual([
      { word: "rivers", count: 3 },
      { word: "flow", count: 2 },
      { word: "mountains", count: 2 },
      { word: "oceans", count: 1 },
    ]);
  });

  it("returns at most topKeywords keywords", async () => {
    const result = await analyze(text, { topKeywords: 2 });
    expect(result.keywords).toEqual([
      { word: "rivers", count: 3 },
      { word: "flow", count: 2 },
    ]);
  });
});

describe("analyzeText chunking", () => {
  // Words, "...", "?!", "3.14", CRLF and whitespace-only blank lines, surrogate pairs:
  // everything a careless chunk boundary could split or count twice.
  const tricky = [
    "Well-known facts don't lie... Do they?! Pi is 3.14 and example.com is a site.",
    "",
    "  ",
    "Café über Straße — Привет, мир! Ørsted’s 𝒜lgebra 😀 works.\r\n\r\n\r\nA heading",
    "Line one\nline two without a stop",
    "",
    "",
    "***",
    "",
    "Last words. . .",
  ].join("\n");

  it("gives the same full result whatever the chunk size", async () => {
    const reference = await analyze(tricky, { chunkSize: 64 * 1024 });
    expect(reference.paragraphs).toBe(4);
    for (const chunkSize of [1, 2, 3, 7, 13, 50]) {
      expect(await analyze(tricky, { chunkSize }), `chunkSize ${chunkSize}`).toEqual(reference);
    }
  });

  it("gives the same result for a larger document in small and default chunks", async () => {
    const { text } = generateDocument(200_000);
    expect(await analyze(text, { chunkSize: 7 })).toEqual(await analyze(text));
  });

  it("rejects a chunk size that is not a positive integer", async () => {
    await expect(analyze("Hello.", { chunkSize: 0 })).rejects.toThrow(RangeError);
  });
});

describe("analyzeText progress", () => {
  it("reports the stages in order with a percent that never goes down, ending at 90 or more", async () => {
    const { text } = generateDocument(5_000);
    const chunkSize = 500;
    const { reports } = await analyzeRecordingProgress(text, { chunkSize });

    const stages = reports.map((report) => report.data.stage);
    expect([...new Set(stages)]).toEqual([...analysisStages]);
    expect(reports[0]).toMatchObject({ percent: 0, data: { stage: "reading", processedCharacters: 0 } });

    const percents = reports.map((report) => report.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBeGreaterThanOrEqual(90);

    for (const report of reports) {
      expect(() => documentAnalyze.progress.parse(report.data)).not.toThrow();
      expect(report.data.totalCharacters).toBe(text.length);
    }
  });

  it("reports counting at most once per chunk, rising from about 5 to about 85 percent", async () => {
    const { text } = generateDocument(5_000);
    const chunkSize = 500;
    const { reports } = await analyzeRecordingProgress(text, { chunkSize });

    const counting = reports.filter((report) => report.data.stage === "counting");
    expect(counting.length).toBeGreaterThan(1);
    expect(counting.length).toBeLessThanOrEqual(Math.ceil(text.length / chunkSize));
    expect(counting[0]?.percent).toBeGreaterThanOrEqual(5);
    expect(counting.at(-1)).toMatchObject({ percent: 85, data: { processedCharacters: text.length } });
    expect(counting[0]?.message).toMatch(/^Counted \d+\.\d of \d+\.\d KB$/);
  });

  it("lets the hosting worker's timers run between chunks", async () => {
    const { text } = generateDocument(1_000_000);
    let timerFired = false;
    const timer = setTimeout(() => {
      timerFired = true;
    }, 0);
    let timerFiredBeforeCountingEnded = false;
    await analyze(text, {
      chunkSize: 4 * 1024,
      onProgress: (_percent, _message, data) => {
        if (data.stage === "counting" && data.processedCharacters === data.totalCharacters) {
          timerFiredBeforeCountingEnded = timerFired;
        }
      },
    });
    clearTimeout(timer);
    expect(timerFiredBeforeCountingEnded).toBe(true);
  });
});

describe("analyzeText cancellation", () => {
  it("rejects with the signal's reason when the signal is already aborted, without reporting progress", async () => {
    const controller = new AbortController();
    const reason = new Error("cancelled before start");
    controller.abort(reason);
    const reports: ProgressReport[] = [];
    const promise = analyze("Some text.", {
      signal: controller.signal,
      onProgress: (percent, message, data) => reports.push({ percent, message, data }),
    });
    await expect(promise).rejects.toBe(reason);
    expect(reports).toEqual([]);
  });

  it("rejects with an Error('aborted') when the reason is not an Error", async () => {
    const controller = new AbortController();
    controller.abort("stop");
    await expect(analyze("Some text.", { signal: controller.signal })).rejects.toThrow(new Error("aborted"));
  });

  it("stops after the current chunk when aborted mid-way through a ~5 MB document", async () => {
    const { text } = generateDocument(5_000_000);
    const controller = new AbortController();
    const reason = new Error("run cancelled");
    const countingReports: AnalysisProgress[] = [];
    const promise = analyze(text, {
      signal: controller.signal,
      onProgress: (_percent, _message, data) => {
        if (data.stage !== "counting") return;
        countingReports.push(data);
        controller.abort(reason);
      },
    });
    await expect(promise).rejects.toBe(reason);
    // Only the first chunk was counted: the rest of the document was never walked.
    expect(countingReports).toHaveLength(1);
    expect(countingReports[0]?.processedCharacters).toBeLessThan(text.length / 10);
  });
});

describe("analyzeText on a large document", () => {
  it("analyses a ~5 MB document", async () => {
    const { text, repeats } = generateDocument(5_000_000);
    expect(text.length).toBeGreaterThanOrEqual(5_000_000);
    const result = await analyze(text);
    expect(result).toMatchObject({
      characters: text.length,
      words: 16 * repeats,
      uniqueWords: 16,
      sentences: 2 * repeats,
      paragraphs: repeats,
      syllables: 27 * repeats,
    });
    expect(documentAnalyze.output.parse(result)).toEqual(result);
  });

  it("copes with the largest accepted documents made of one odd token or only line breaks", async () => {
    // Both once overflowed the regex stack; neither gives a keyword of megabytes.
    const hyphenChain = await analyze("a-".repeat(maxDocumentLength / 2));
    expect(hyphenChain).toMatchObject({ words: 1, sentences: 1, paragraphs: 1, keywords: [] });
    const lineBreaks = await analyze("\n".repeat(maxDocumentLength));
    expect(lineBreaks).toMatchObject({ characters: maxDocumentLength, words: 0, paragraphs: 0 });
  });
});
