import type { NodeAPI } from 'node-red';
import type { Problem } from '../../core/problem';

/** How a node type words problems from its catalog. */
export interface ProblemWords {
  /** The short text a node status holds: `<type>.<section>.<code>`. */
  brief(problem: Problem): string;
  /** The brief text and, where the catalog has it, what to do (`<type>.advice.<code>`): for the log and Catch nodes. */
  full(problem: Problem): string;
}

/**
 * Words problems from the catalog of `type`: the short text and the advice are separate entries, so a translation
 * may word each freely and a status never has to cut a message apart.
 */
export function problemWords(RED: NodeAPI, type: string, section: string): ProblemWords {
  const brief = (problem: Problem) => RED._(`${type}.${section}.${problem.code}`, problem.params ?? {});
  return {
    brief,
    full(problem) {
      const key = `${type}.advice.${problem.code}`;
      const advice = RED._(key, problem.params ?? {});
      // A key the catalog lacks comes back as the key itself (with or without its namespace).
      const missing = advice === key || advice.endsWith(`:${key}`);
      return missing ? brief(problem) : `${brief(problem)} — ${advice}`;
    },
  };
}
