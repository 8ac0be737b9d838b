import { FETCHES, type AclRule } from "./model.ts";
import { quoteWord } from "./tokenise.ts";

/**
 * Renders a rule as the one canonical line bamboo writes into the HAProxy config:
 * derived keyword when one exists (`path_beg`, `hdr_end(host)`), otherwise the fetch with
 * `-m`; then `-i`; then `--` when the first pattern starts with '-'; then the patterns,
 * each quoted so HAProxy reads back exactly the model's text. Parsing the output gives the
 * same rule, and rendering is the only way a rule reaches the config.
 *
 * @example renderAcl(parseAcl("req.hdr(Host)  -m beg -i  API.").rule) // "hdr_beg(host) -i API."
 */
export function renderAcl(rule: AclRule): string {
  const spec = FETCHES[rule.fetch];
  const derived = rule.converters.length === 0 ? spec.derived[rule.method] : undefined;
  const keyword = derived ?? spec.name;
  const args = rule.name === null ? "" : `(${rule.name}${rule.occurrence === null ? "" : `,${rule.occurrence}`})`;
  const converters = rule.converters.map((converter) => `,${converter}`).join("");

  const words = [`${keyword}${args}${converters}`];
  if (rule.ignoreCase) words.push("-i");
  // Converters make HAProxy unable to infer a method, so it is always spelled out with them.
  if (derived === undefined && (rule.method !== spec.defaultMethod || rule.converters.length > 0)) words.push("-m", rule.method);
  if (rule.patterns[0]?.startsWith("-")) words.push("--");
  for (const pattern of rule.patterns) words.push(quoteWord(pattern));
  return words.join(" ");
}
