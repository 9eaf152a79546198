/**
 * A document long enough to report progress over many chunks (about a
 * second of analysis per 60,000 sentences on these machines), with
 * sentences and paragraphs a test can count.
 */
export function documentOf(sentences: number): string {
  const words = ["Conveyor", "moves", "slow", "work", "into", "the", "background", "and", "reports", "progress"];
  let text = "";
  for (let i = 0; i < sentences; i++) {
    text += `${words.slice(i % 5).join(" ")} number ${i}.`;
    text += i % 7 === 6 ? "\n\n" : " ";
  }
  return text;
}
