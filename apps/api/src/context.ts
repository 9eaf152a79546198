import type { Database } from "@conveyor/db";
import type { EventHub } from "./event-hub";

/** What every procedure can reach; the same for all requests of one API process. */
export interface ApiContext {
  db: Database;
  events: EventHub;
}
