import { z } from "zod";

/** What bench/src/subscribers-process.ts prints as its last line. */
export const subscribersReport = z.object({
  /** ctx.progress() → event received, in ms, one per event. */
  samples: z.array(z.number()),
  /** Streams that received their run's completion. */
  completed: z.number().int(),
});

export type SubscribersReport = z.infer<typeof subscribersReport>;
