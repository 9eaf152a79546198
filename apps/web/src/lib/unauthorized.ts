import { TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import type { AppRouter } from "@conveyor/api";

/** The API refused the token (missing, unknown, expired or revoked); the message says which. */
export function isUnauthorized(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError && error.data?.code === "UNAUTHORIZED";
}

/**
 * A link that watches every operation (queries, mutations and the live
 * subscription alike) and reports a refused token once, wherever it shows up
 * first, so the app can go back to the sign-in page with the API's reason.
 * The error still reaches the caller unchanged.
 */
export function reportUnauthorized(onUnauthorized: (reason: string) => void): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (error) => {
            if (isUnauthorized(error)) onUnauthorized(error.message);
            observer.error(error);
          },
          complete: () => observer.complete(),
        }),
      );
}
