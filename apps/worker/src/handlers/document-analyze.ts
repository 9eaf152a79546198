import type { documentAnalyze, JobHandler } from "@conveyor/jobs";
import { analyzeText } from "../analysis/analyze-text";

export const analyzeDocument: JobHandler<typeof documentAnalyze> = async (input, ctx) => {
  ctx.log("analysing document", { characters: input.text.length });
  return analyzeText(input.text, {
    topKeywords: input.topKeywords,
    signal: ctx.signal,
    onProgress: (percent, message, data) => ctx.progress(percent, message, data),
  });
};
