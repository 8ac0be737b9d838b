import { sanitizeAppId } from "../routing/app-id.ts";

/** `bamboo sanitize-id <name>`: prints a valid Marathon app id for any service name. */
export function sanitizeIdCommand(positional: readonly string[]): number {
  if (positional.length !== 1) {
    console.error("usage: bamboo sanitize-id NAME   (quote a name with spaces)");
    return 2;
  }
  const result = sanitizeAppId(positional[0]!);
  if (!result.ok) {
    console.error(`bamboo: ${result.message}`);
    return 1;
  }
  console.log(result.id);
  return 0;
}
