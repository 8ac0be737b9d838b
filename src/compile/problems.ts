/** Something stored or reported that is not routed as written, and why; shown in the API. */
export interface RoutingProblem {
  readonly id: string;
  readonly message: string;
}

/** The problems of `next` that `before` did not have: each is logged once, not at every resync. */
export function newProblems(before: readonly RoutingProblem[], next: readonly RoutingProblem[]): RoutingProblem[] {
  const key = (problem: RoutingProblem) => `${problem.id}\u0000${problem.message}`;
  const known = new Set(before.map(key));
  return next.filter((problem) => !known.has(key(problem)));
}
