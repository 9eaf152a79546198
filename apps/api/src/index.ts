export type { AppRouter, RouterInputs, RouterOutputs } from "./root";
export type { RunEventMessage } from "./routers/jobs";
export type { SubmitInput } from "./submit-input";
