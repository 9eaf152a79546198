/** A validation problem named by its place in the request: "input.text", "options.runAt", "" for the request as a whole. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface PlacedIssues {
  /** Messages per field path, for the fields the form shows. */
  byPath: ReadonlyMap<string, readonly string[]>;
  /** Issues no field on the form matches, to show above it ("input.text: …" with their path). */
  unplaced: FieldIssue[];
}

/**
 * Put each issue by the field it names. An issue deeper than any field
 * ("input.headers.X Bad", inside a JSON box) goes to the closest enclosing
 * field, with the rest of its path kept in the message.
 */
export function placeIssues(issues: readonly FieldIssue[], fieldPaths: readonly string[]): PlacedIssues {
  const known = new Set(fieldPaths);
  const byPath = new Map<string, string[]>();
  const unplaced: FieldIssue[] = [];
  for (const issue of issues) {
    const owner = closestField(issue.path, known);
    if (owner === null) {
      unplaced.push(issue);
      continue;
    }
    const rest = issue.path.slice(owner.length + 1);
    const message = rest ? `${rest}: ${issue.message}` : issue.message;
    byPath.set(owner, [...(byPath.get(owner) ?? []), message]);
  }
  return { byPath, unplaced };
}

function closestField(path: string, known: ReadonlySet<string>): string | null {
  for (let candidate = path; candidate; candidate = candidate.slice(0, Math.max(0, candidate.lastIndexOf(".")))) {
    if (known.has(candidate)) return candidate;
    if (!candidate.includes(".")) break;
  }
  return null;
}

/** An issue as one line, for the list above the form. */
export function issueText(issue: FieldIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}
