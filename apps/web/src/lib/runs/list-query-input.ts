import type { QueryKey } from "@tanstack/react-query";
import { filterFromSearchParams, type RunsFilter } from "./runs-filter";

/** The filter and cursor a cached `jobs.list` query was made with, read back from its query key. */
export interface ListQueryInput {
  filter: RunsFilter;
  cursor: string | null;
}

/** tRPC keys a query as `[path, { input, type }]`; the input is whatever the caller passed. */
function inputOf(queryKey: QueryKey): object | null {
  const meta = queryKey[1];
  if (typeof meta !== "object" || meta === null || !("input" in meta)) return null;
  const input = meta.input;
  return typeof input === "object" && input !== null ? input : null;
}

function stringField(input: object, name: string): string | null {
  if (!(name in input)) return null;
  const value: unknown = Reflect.get(input, name);
  return typeof value === "string" ? value : null;
}

export function listQueryInputOf(queryKey: QueryKey): ListQueryInput {
  const input = inputOf(queryKey) ?? {};
  const params = new URLSearchParams();
  for (const name of ["status", "type", "queue", "search"]) {
    const value = stringField(input, name);
    if (value) params.set(name, value);
  }
  return { filter: filterFromSearchParams(params), cursor: stringField(input, "cursor") };
}

/** The run id of a cached `jobs.get` query. */
export function runIdOfGetQuery(queryKey: QueryKey): string | null {
  const input = inputOf(queryKey);
  return input ? stringField(input, "id") : null;
}
