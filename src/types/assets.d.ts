/** Files embedded into the executable with `with { type: "file" }` import as their path. */
declare module "*.hbs" {
  const path: string;
  export default path;
}
