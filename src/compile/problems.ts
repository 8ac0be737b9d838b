/** Something stored or reported that is not routed as written, and why; shown in the API. */
export interface RoutingProblem {
  readonly id: string;
  readonly message: string;
}
