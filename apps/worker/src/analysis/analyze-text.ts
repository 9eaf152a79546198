import type { JobOutput, JobProgressData } from "@conveyor/jobs";
import type { documentAnalyze } from "@conveyor/jobs";

export type DocumentAnalysis = JobOutput<typeof documentAnalyze>;
export type AnalysisProgress = JobProgressData<typeof documentAnalyze>;
type AnalysisStage = AnalysisProgress["stage"];

export interface AnalyzeTextOptions {
  /** How many keywords to return. */
  topKeywords: number;
  /** Checked before starting and between chunks; aborting rejects with `signal.reason`. */
  signal: AbortSignal;
  /** Called at most once per chunk, with a percent that never goes down. */
  onProgress: (percent: number, message: string, data: AnalysisProgress) => void;
  /** Characters per chunk (default: 64 * 1024). Chunks end where whitespace starts, so they may run a little longer. */
  chunkSize?: number;
}

const defaultChunkSize = 64 * 1024;

/** Silent reading speed of adults used for `readingTimeMinutes`. */
const wordsPerMinute = 238;

/** Keywords shorter than this (in letters) are noise such as "is" or "of". */
const minimumKeywordLetters = 3;
/** Longer "words" are tokens, hashes or base64, not topics (and would bloat the stored result). */
const maximumKeywordLetters = 50;

/**
 * Analyse a document in a single pass over chunks of `chunkSize` characters:
 * counts, Flesch reading ease, Flesch-Kincaid grade, reading time and keywords.
 *
 * Between chunks it yields a macrotask, so the hosting worker's timers and I/O
 * (heartbeats, progress writes, cancellation) keep running during a long document.
 */
export async function analyzeText(text: string, options: AnalyzeTextOptions): Promise<DocumentAnalysis> {
  const chunkSize = options.chunkSize ?? defaultChunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  throwIfAborted(options.signal);

  const total = text.length;
  const report = (stage: AnalysisStage, percent: number, message: string, processed: number): void =>
    options.onProgress(percent, message, { stage, processedCharacters: processed, totalCharacters: total });

  report("reading", 0, `Reading ${describeSize(total)}`, 0);

  const tally = createTally();
  let processed = 0;
  while (processed < total) {
    const end = findChunkEnd(text, processed, chunkSize);
    tallyChunk(tally, text.slice(processed, end));
    processed = end;
    report("counting", countingPercent(processed, total), `Counted ${formatAmount(processed, total)}`, processed);

    await yieldToEventLoop();
    throwIfAborted(options.signal);
  }
  closeSentence(tally); // the end of the text ends a sentence that has words but no full stop

  report("keywords", 90, `Picking the top ${options.topKeywords} keywords`, total);
  const keywords = selectKeywords(tally.wordCounts, options.topKeywords);

  report("scoring", 97, "Scoring readability", total);
  const { letters, syllables } = measureVocabulary(tally.wordCounts);
  return {
    characters: total,
    words: tally.words,
    uniqueWords: tally.wordCounts.size,
    sentences: tally.sentences,
    paragraphs: tally.paragraphs,
    syllables,
    ...readabilityScores({ words: tally.words, sentences: tally.sentences, syllables, letters }),
    keywords,
  };
}

// ---------------------------------------------------------------------------
// Cancellation and scheduling

function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof Error ? reason : new Error("aborted");
}

/** A macrotask (not a microtask), so pending timers and I/O callbacks get their turn. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------
// Chunking

/** A whitespace character right after a non-whitespace one: the start of a whitespace run. */
const whitespaceRunStart = /(?<=\S)\s/g;

/**
 * Where the chunk that starts at `start` should end: at the first whitespace
 * run at or after `start + chunkSize`. Cutting there means no word, "...",
 * "3.14" or blank line is ever split between two chunks (whitespace separates
 * words, and a whole whitespace run goes to the next chunk), so the counts are
 * the same whatever the chunk size. A chunk only grows past `chunkSize` up to
 * the next whitespace, which keeps the pass linear even for odd input.
 */
function findChunkEnd(text: string, start: number, chunkSize: number): number {
  const target = start + chunkSize;
  if (target >= text.length) return text.length;
  whitespaceRunStart.lastIndex = target;
  const match = whitespaceRunStart.exec(text);
  return match === null ? text.length : match.index;
}

function countingPercent(processed: number, total: number): number {
  // Counting is nearly all the work, so it spans 5..85; keywords and scoring follow.
  return total === 0 ? 85 : Math.round(5 + (80 * processed) / total);
}

/**
 * "1.2 of 3.4 MB": the unit is chosen from the total so both numbers read alike.
 * Sizes are in characters (1 MB = a million), close to bytes for plain text.
 */
function formatAmount(processed: number, total: number): string {
  const unit = sizeUnitFor(total);
  return `${formatInUnit(processed, unit)} of ${formatInUnit(total, unit)} ${unit.name}`;
}

function describeSize(total: number): string {
  const unit = sizeUnitFor(total);
  return `${formatInUnit(total, unit)} ${unit.name}`;
}

interface SizeUnit {
  name: string;
  characters: number;
}

function sizeUnitFor(total: number): SizeUnit {
  if (total >= 1_000_000) return { name: "MB", characters: 1_000_000 };
  if (total >= 1_000) return { name: "KB", characters: 1_000 };
  return { name: "characters", characters: 1 };
}

function formatInUnit(amount: number, unit: SizeUnit): string {
  return unit.characters === 1 ? String(amount) : (amount / unit.characters).toFixed(1);
}

// ---------------------------------------------------------------------------
// Counting words, sentences and paragraphs

/** Running counts carried from one chunk to the next. */
interface Tally {
  words: number;
  sentences: number;
  paragraphs: number;
  /** Lowercased word -> occurrences; gives unique words, keywords, letters and syllables. */
  wordCounts: Map<string, number>;
  /** Words were seen since the last sentence end (so "?!" or ". . ." end only one sentence). */
  sentenceOpen: boolean;
  /** Words were seen since the last blank line (so several blank lines make one break). */
  paragraphOpen: boolean;
}

function createTally(): Tally {
  return { words: 0, sentences: 0, paragraphs: 0, wordCounts: new Map(), sentenceOpen: false, paragraphOpen: false };
}

/**
 * One regex finds the three things counted, in text order:
 * 1. a word: letters or digits (with their combining marks, e.g. a decomposed "é"),
 *    joined by inner apostrophes or hyphens ("don't", "well-known"; "a--b" is two
 *    words). The lookahead keeps it free of nested quantifiers, which would
 *    overflow the regex backtracking stack on a megabyte of "a-a-a-";
 * 2. a blank line: a line break, then only spaces or tabs, then another line break
 *    ("\r\n\r\n" matches too, since "\r" counts as a space here). Several blank
 *    lines in a row match one after another, which is harmless, and avoids a
 *    nested quantifier that overflows the regex stack on a megabyte of newlines;
 * 3. a sentence end: a run of terminal punctuation ("...", "?!") not followed by a
 *    letter or digit, so "3.14" or "example.com" do not end a sentence.
 */
const tokenPattern =
  /([\p{L}\p{N}](?:[\p{L}\p{M}\p{N}]|['-](?=[\p{L}\p{N}]))*)|(\n[^\S\n]*\n)|[.!?…。！？]+(?![\p{L}\p{N}.!?…。！？])/gu;

function tallyChunk(tally: Tally, chunk: string): void {
  // Normalise once per chunk rather than once per word: NFC so a decomposed
  // "café" is the same word as a precomposed one, lowercase for case-insensitive
  // counting, and the typographic apostrophe so "don’t" equals "don't".
  const normalized = chunk.normalize("NFC").toLowerCase().replaceAll("\u2019", "'");
  tokenPattern.lastIndex = 0;
  for (let match = tokenPattern.exec(normalized); match !== null; match = tokenPattern.exec(normalized)) {
    const [, word, blankLine] = match;
    if (word !== undefined) recordWord(tally, word);
    else if (blankLine !== undefined) closeParagraph(tally);
    else closeSentence(tally);
  }
}

function recordWord(tally: Tally, word: string): void {
  tally.words += 1;
  tally.wordCounts.set(word, (tally.wordCounts.get(word) ?? 0) + 1);
  tally.sentenceOpen = true;
  if (!tally.paragraphOpen) {
    // A paragraph is counted at its first word, so blank lines at the start or
    // end, or a block of only "***", do not make empty paragraphs.
    tally.paragraphs += 1;
    tally.paragraphOpen = true;
  }
}

function closeSentence(tally: Tally): void {
  if (!tally.sentenceOpen) return;
  tally.sentences += 1;
  tally.sentenceOpen = false;
}

function closeParagraph(tally: Tally): void {
  // A heading or list item without a full stop is still a sentence of its own.
  closeSentence(tally);
  tally.paragraphOpen = false;
}

// ---------------------------------------------------------------------------
// Letters and syllables (computed once per distinct word, weighted by its count)

function measureVocabulary(wordCounts: ReadonlyMap<string, number>): { letters: number; syllables: number } {
  let letters = 0;
  let syllables = 0;
  for (const [word, count] of wordCounts) {
    letters += countLetters(word) * count;
    syllables += countSyllables(word) * count;
  }
  return { letters, syllables };
}

const notLetterOrDigit = /[^\p{L}\p{N}]/gu;

/** Letters and digits (by code point), not apostrophes, hyphens or combining marks. */
function countLetters(word: string): number {
  let letters = 0;
  // Iterating counts code points, so a letter outside the BMP counts once;
  // no array of matches is built, which matters for a megabyte-long "word".
  for (const _letter of word.replace(notLetterOrDigit, "")) letters += 1;
  return letters;
}

const wordJoiners = /['-]/;
const combiningMarks = /\p{M}/gu;
/** Vowels of English and other Latin-script languages (accents are stripped first), and of Cyrillic. */
const vowelGroups = /[aeiouyæøœаеёиоуыэюяіїєў]+/g;
const plainEnglishWord = /^[a-z]+$/;

/**
 * Syllables of a lowercase word: each hyphenated part counts on its own
 * ("well-known" = well + known), and every word has at least one.
 */
function countSyllables(word: string): number {
  let syllables = 0;
  for (const part of word.split(wordJoiners)) {
    if (part !== "") syllables += countPartSyllables(part);
  }
  return Math.max(1, syllables);
}

function countPartSyllables(part: string): number {
  // The silent-e rules are English spelling; applying them to other languages
  // would undercount ("café" keeps its final e).
  if (plainEnglishWord.test(part)) {
    const groups = countVowelGroups(part);
    return Math.max(1, hasSilentEnding(part) ? groups - 1 : groups);
  }
  // "über" is counted like "uber": an accent does not change the vowel groups.
  const bare = part.normalize("NFD").replace(combiningMarks, "");
  return Math.max(1, countVowelGroups(bare));
}

function countVowelGroups(word: string): number {
  return word.match(vowelGroups)?.length ?? 0;
}

/** Consonant + "le"/"les"/"led" is voiced: "ta-ble", "ta-bles", "han-dled". */
const syllabicLe = /[^aeiouy]l(?:e|es|ed)$/;
/** "make", "rope": an e after a consonant is silent (but "agree", "the" keep theirs). */
const silentFinalE = /[^aeiouy]e$/;
/** "jumped", "played": "-ed" is silent except after t or d ("wanted", "needed"). */
const silentEd = /[^aeioutd]ed$/;
/** "makes", "clothes": "-es" is silent except after s, x, z, ch, sh, ce, ge ("boxes", "wishes", "places"). */
const silentEs = /(?:[^aeiouysxzcgh]|[^cs]h)es$/;

/** Whether the last vowel group of an English word is not pronounced. */
function hasSilentEnding(word: string): boolean {
  if (syllabicLe.test(word)) return false;
  // A word's only vowel group is always voiced ("the", "bed", "yes").
  if (countVowelGroups(word) < 2) return false;
  return silentFinalE.test(word) || silentEd.test(word) || silentEs.test(word);
}

// ---------------------------------------------------------------------------
// Keywords

/** Common English words that say nothing about what a document is about. */
const stopWords: ReadonlySet<string> = new Set(
  `a about above after again against all almost also although always am among an and another any anyone
  anything are aren't around as at be became because become been before being below between both but by
  can can't cannot could couldn't did didn't do does doesn't doing don't done down during each either else
  enough even ever every few for from further get gets getting give given go goes going gone got had hadn't
  has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how how's
  however i i'd i'll i'm i've if in into is isn't it it's its itself just know last least less let let's like
  made make many may maybe me might more most much must mustn't my myself neither never new next no nor not
  now of off often on once one only or other others ought our ours ourselves out over own per perhaps put
  quite rather really said same say says see seem seems several shall shan't she she'd she'll she's should
  shouldn't since so some something still such take than that that's the their theirs them themselves then
  there there's therefore these they they'd they'll they're they've thing things this those though through
  thus to too toward towards under until up upon us use used using very was wasn't way we we'd we'll we're
  we've well were weren't what what's whatever when when's where where's whether which while who who's whom
  whose why why's will with within without won't would wouldn't yes yet you you'd you'll you're you've your
  yours yourself yourselves`.split(/\s+/),
);

const containsLetter = /\p{L}/u;

function isKeywordCandidate(word: string): boolean {
  // Numbers ("2024") are not topics; short words are mostly grammar.
  if (stopWords.has(word) || !containsLetter.test(word)) return false;
  const letters = countLetters(word);
  return letters >= minimumKeywordLetters && letters <= maximumKeywordLetters;
}

interface Keyword {
  word: string;
  count: number;
}

/** Dictionary order, so "über" sorts with the u's rather than after "z" as its code point would. */
const alphabetical = new Intl.Collator("en");

/** More frequent first; equal counts in alphabetical order (code point order if the collator calls them equal), so the result is stable. */
function ranksBefore(a: Keyword, b: Keyword): boolean {
  if (a.count !== b.count) return a.count > b.count;
  const order = alphabetical.compare(a.word, b.word);
  return order !== 0 ? order < 0 : a.word < b.word;
}

/**
 * The `limit` best keywords. A document can have hundreds of thousands of
 * distinct words, so rather than sorting them all this keeps a small ranked
 * list and skips every word that does not beat its last entry.
 */
function selectKeywords(wordCounts: ReadonlyMap<string, number>, limit: number): Keyword[] {
  const top: Keyword[] = [];
  for (const [word, count] of wordCounts) {
    const candidate = { word, count };
    const last = top[top.length - 1];
    if (top.length >= limit && (last === undefined || !ranksBefore(candidate, last))) continue;
    if (!isKeywordCandidate(word)) continue;
    insertRanked(top, candidate);
    if (top.length > limit) top.pop();
  }
  return top;
}

function insertRanked(ranked: Keyword[], keyword: Keyword): void {
  let index = ranked.length;
  while (index > 0) {
    const previous = ranked[index - 1];
    if (previous === undefined || !ranksBefore(keyword, previous)) break;
    index -= 1;
  }
  ranked.splice(index, 0, keyword);
}

// ---------------------------------------------------------------------------
// Scores

interface ScoreInputs {
  words: number;
  sentences: number;
  syllables: number;
  letters: number;
}

type Scores = Pick<
  DocumentAnalysis,
  "averageWordLength" | "averageSentenceLength" | "readingEase" | "gradeLevel" | "readingTimeMinutes"
>;

function readabilityScores({ words, sentences, syllables, letters }: ScoreInputs): Scores {
  // Without words every ratio would be 0/0 (NaN, which the output schema rejects).
  if (words === 0 || sentences === 0) {
    return { averageWordLength: 0, averageSentenceLength: 0, readingEase: 0, gradeLevel: 0, readingTimeMinutes: 0 };
  }
  const wordsPerSentence = words / sentences;
  const syllablesPerWord = syllables / words;
  return {
    averageWordLength: roundToHundredths(letters / words),
    averageSentenceLength: roundToHundredths(wordsPerSentence),
    readingEase: roundToHundredths(206.835 - 1.015 * wordsPerSentence - 84.6 * syllablesPerWord),
    gradeLevel: roundToHundredths(0.39 * wordsPerSentence + 11.8 * syllablesPerWord - 15.59),
    readingTimeMinutes: readingTimeMinutes(words),
  };
}

/** Rounded up to a tenth, so a short text never shows 0 minutes. Integer math avoids 0.30000000000000004. */
function readingTimeMinutes(words: number): number {
  return Math.ceil((words * 10) / wordsPerMinute) / 10;
}

function roundToHundredths(value: number): number {
  return Math.round(value * 100) / 100;
}
