import { z } from "zod";
import { defineJob } from "../define-job";

/** Largest document accepted, in characters (about 8 MB of plain text). */
export const maxDocumentLength = 8_000_000;

export const analysisStages = ["reading", "counting", "keywords", "scoring"] as const;

export const documentAnalyze = defineJob({
  name: "document.analyze",
  description:
    "Analyse a text document: counts, reading ease and grade level, reading time and top keywords.",
  // Strict: a misspelt field ("topKeyword") is refused by name, not silently ignored.
  input: z.strictObject({
    // Descriptions travel into jobs.types' JSON Schemas: the web app's generated form shows them as hints.
    title: z.string().trim().max(200).optional().describe("Shown in lists; the document's first words when empty"),
    text: z
      .string()
      .min(1, "the document is empty")
      .max(maxDocumentLength, `the document is longer than ${maxDocumentLength} characters`)
      .describe("The document's plain text"),
    /** How many keywords to return (default: 10). */
    topKeywords: z.number().int().min(1).max(50).default(10).describe("How many keywords to return"),
  }),
  output: z.object({
    characters: z.number().int().nonnegative(),
    words: z.number().int().nonnegative(),
    uniqueWords: z.number().int().nonnegative(),
    sentences: z.number().int().nonnegative(),
    paragraphs: z.number().int().nonnegative(),
    syllables: z.number().int().nonnegative(),
    averageWordLength: z.number().nonnegative(),
    averageSentenceLength: z.number().nonnegative(),
    /** Flesch reading ease: higher is easier (about 60-70 is plain English). */
    readingEase: z.number(),
    /** Flesch-Kincaid grade level: the school grade needed to follow the text. */
    gradeLevel: z.number(),
    /** At 238 words per minute, rounded up to a tenth. */
    readingTimeMinutes: z.number().nonnegative(),
    /** The most frequent words that are not stop words, most frequent first. */
    keywords: z.array(z.object({ word: z.string(), count: z.number().int().positive() })),
  }),
  progress: z.object({
    stage: z.enum(analysisStages),
    processedCharacters: z.number().int().nonnegative(),
    totalCharacters: z.number().int().nonnegative(),
  }),
  // JSON takes up to 6 bytes per UTF-16 unit (3 for most non-Latin text, 6 for an escaped control
  // character or lone surrogate), so a maximum-length document always fits; 64 KiB covers the title and keys.
  defaults: { timeoutMs: 5 * 60 * 1000, maxAttempts: 3, maxInputBytes: 6 * maxDocumentLength + 64 * 1024 },
  label: (input) => input.title || `${input.text.slice(0, 60).replace(/\s+/g, " ").trim()}…`,
});
