import type { JobOutput, documentAnalyze } from "@conveyor/jobs";
import { JsonView } from "./runs/json-view";

type Analysis = JobOutput<typeof documentAnalyze>;

/** Flesch reading ease in words a reader understands. */
export function readingEaseLabel(score: number): string {
  if (score >= 90) return "very easy";
  if (score >= 60) return "plain English";
  if (score >= 30) return "difficult";
  return "very difficult";
}

/** A document's analysis for a person: the scores first, then the counts and keywords; the raw result on demand. */
export function AnalysisResult({ analysis }: { analysis: Analysis }) {
  const figures: Array<[string, string, string]> = [
    ["Words", analysis.words.toLocaleString(), "result-words"],
    ["Unique words", analysis.uniqueWords.toLocaleString(), "result-unique-words"],
    ["Sentences", analysis.sentences.toLocaleString(), "result-sentences"],
    ["Paragraphs", analysis.paragraphs.toLocaleString(), "result-paragraphs"],
    ["Characters", analysis.characters.toLocaleString(), "result-characters"],
    ["Reading time", `${analysis.readingTimeMinutes} min`, "result-reading-time"],
    ["Grade level", analysis.gradeLevel.toFixed(1), "result-grade"],
    ["Words per sentence", analysis.averageSentenceLength.toFixed(1), "result-sentence-length"],
  ];
  return (
    <section className="analysis" data-testid="analysis-result">
      <div className="ease">
        <strong data-testid="result-reading-ease">{analysis.readingEase.toFixed(1)}</strong> reading ease: {readingEaseLabel(analysis.readingEase)}
      </div>
      <dl className="figures">
        {figures.map(([name, value, testId]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd data-testid={testId}>{value}</dd>
          </div>
        ))}
      </dl>
      <h3>Top keywords</h3>
      <ul className="keywords" data-testid="result-keywords">
        {analysis.keywords.map((keyword) => (
          <li key={keyword.word}>
            {keyword.word} <span className="muted">{keyword.count}</span>
          </li>
        ))}
      </ul>
      <details className="run-raw">
        <summary>Raw result</summary>
        <JsonView value={analysis} label="raw result" />
      </details>
    </section>
  );
}
