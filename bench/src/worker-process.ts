/** A Conveyor worker for the bench catalogue, in its own process so its RSS can be measured. */
import { benchCatalog, benchHandlers } from "./catalog";
import { serveBenchWorker } from "./serve-bench-worker";

await serveBenchWorker(benchCatalog, benchHandlers);
