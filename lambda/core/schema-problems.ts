import type { z } from 'zod';
import type { FieldProblem } from './errors';

/**
 * Turns zod issues into {@link FieldProblem}s with a readable path (`groups[0].nodes`) and a
 * message that names what arrived where zod knows it.
 */
export function toFieldProblems(error: z.ZodError, root = ''): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: formatPath(root, issue.path),
    problem: issue.message,
  }));
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
