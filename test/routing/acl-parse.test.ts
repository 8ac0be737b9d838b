import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseAcl } from "../../src/routing/acl/parse.ts";
import { renderAcl } from "../../src/routing/acl/render.ts";
import { tokenise } from "../../src/routing/acl/tokenise.ts";

describe("parseAcl then renderAcl", () => {
  test.each([
    ["a host rule is kept as written", "hdr(host) -i ghost.local", "hdr(host) -i ghost.local"],
    ["extra spaces collapse", "  hdr(host)    -i   ghost.local  ", "hdr(host) -i ghost.local"],
    ["req.hdr is rendered as hdr and header names are lower-cased", "req.hdr(Host) -i ghost.local", "hdr(host) -i ghost.local"],
    ["-m beg on a fetch becomes its derived keyword", "path -i -m beg /static/", "path_beg -i /static/"],
    ["flags may come in any order", "hdr(host) -m end -i .example.com", "hdr_end(host) -i .example.com"],
    ["-m str is the default and is dropped", "path -m str /health", "path /health"],
    ["the default Bamboo rule round-trips", "path_beg -i /shop/web", "path_beg -i /shop/web"],
    ["several patterns are kept in order", "hdr(host) -i a.example.com b.example.com", "hdr(host) -i a.example.com b.example.com"],
    ["a quoted pattern without special characters loses its quotes", `hdr(host) -i "ghost.local"`, "hdr(host) -i ghost.local"],
    ["a regex with backslashes is single-quoted", "hdr_reg(host) -i ^(bbs|forum)\\.test\\.com$", "hdr_reg(host) -i '^(bbs|forum)\\.test\\.com$'"],
    ["a header value with a space is single-quoted", "hdr(x-team) 'red team'", "hdr(x-team) 'red team'"],
    ["a backslash-escaped space joins one word", "hdr(x-team) red\\ team", "hdr(x-team) 'red team'"],
    ["a value with a single quote is backslash-escaped", `hdr(x-team) "it's"`, "hdr(x-team) it\\'s"],
    ["a pattern starting with '-' gets '--' before it", "hdr(x-flag) -- -on", "hdr(x-flag) -- -on"],
    ["presence of a header needs no pattern", "hdr(x-canary) -m found", "hdr(x-canary) -m found"],
    ["a header occurrence number is kept", "hdr(x-forwarded-for,-1) 10.0.0.1", "hdr(x-forwarded-for,-1) 10.0.0.1"],
    ["converters force an explicit method", "hdr(host),lower -m str ghost.local", "hdr(host),lower -m str ghost.local"],
    ["url parameters use -m", "url_param(tenant) -m beg acme", "url_param(tenant) -m beg acme"],
    ["-i means nothing for presence and is dropped", "hdr(x-canary) -i -m found", "hdr(x-canary) -m found"],
    ["base matches host and path together", "base_beg -i ghost.local/api", "base_beg -i ghost.local/api"],
    ["a client network", "src 10.0.0.0/8", "src 10.0.0.0/8"],
    ["an HTTP method", "method PUT", "method PUT"],
    ["always_true parses so that the hijack check can name it", "always_true", "always_true"],
    ["an empty quoted pattern is kept so that the hijack check can refuse it", `path_end ""`, "path_end ''"],
  ])("%s: %p → %p", (_name, input, canonical) => {
    const parsed = parseAcl(input);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(renderAcl(parsed.rule)).toBe(canonical);
    const again = parseAcl(renderAcl(parsed.rule));
    expect(again.ok && again.rule).toEqual(parsed.rule);
  });
});

describe("parseAcl refuses", () => {
  test.each([
    ["an empty rule", "   ", "the rule is empty"],
    ["an injected config line", "hdr(host) -i ghost.local\n    stats enable", "control character 0x0a at character 25"],
    ["a carriage return", "hdr(host) -i ghost.local\r", "control character 0x0d"],
    ["a tab", "hdr(host)\t-i ghost.local", "control character 0x09"],
    ["a comment", "hdr(host) -i ghost.local # mine", "'#' at character 26"],
    ["an inline block", "path_beg { /a }", "'{' at character 10"],
    ["a regex repetition count", "path_reg ^/a{2}", "braces"],
    ["non-ASCII text", "hdr(host) -i café.local", "non-ASCII character 'é'"],
    ["an unknown fetch", "hdrx(host) ghost.local", "unknown fetch 'hdrx(host)' at position 1: allowed fetches are hdr(<header>)"],
    ["an unknown fetch in capitals", "HDR(host) ghost.local", "unknown fetch 'HDR(host)'"],
    ["a file of patterns", "path_beg -f /etc/haproxy/paths.lst", "flag '-f' at position 2 is not accepted: it loads patterns from a file"],
    ["an ACL id", "path_beg -u 3 /a", "flag '-u' at position 2"],
    ["a map file", "hdr(host) -M -f hosts.map", "flag '-M'"],
    ["an unknown flag", "hdr(host) -x ghost.local", "unknown flag '-x' at position 2: allowed flags are -i, -m <method> and --"],
    ["an or-combination", "hdr(host) -i a.com || path_beg /x", "'||' at position 4 would combine conditions"],
    ["a negation", "! hdr(host) -i a.com", "'!' at position 1"],
    ["two criteria pasted together", "hdr(host) -i a.com path_beg /x", "'path_beg' at position 4 looks like a second criterion"],
    ["an unknown match method", "path -m glob /a", "unknown or unusable match method 'glob' at position 3 for path: allowed methods are str, beg"],
    ["-m without a method", "path -m", "'-m' at position 2 needs a method"],
    ["-m after a derived keyword", "path_beg -m str /a", "cannot follow a keyword that already sets the method"],
    ["two -m flags", "path -m beg -m end /a", "a second '-m'"],
    ["a header fetch without a name", "hdr ghost.local", "'hdr' at position 1 needs a header name"],
    ["a header name with odd characters", "hdr(ho/st) a", "is not a header name"],
    ["arguments to a fetch that takes none", "path(x) /a", "takes no argument"],
    ["an unknown converter", "hdr(host),regsub(a,b) -m str a", "unknown fetch"],
    ["a converter not on the list", "hdr(host),base64 -m str a", "unknown converter 'base64'"],
    ["converters on a derived keyword", "hdr_beg(host),lower api.", "converters cannot follow the derived keyword 'hdr_beg'"],
    ["converters without -m", "hdr(host),lower ghost.local", "converters need an explicit match method"],
    ["a rule without a pattern", "hdr(host) -i", "the rule has no pattern"],
    ["a pattern after -m found", "hdr(x-a) -m found yes", "'-m found' takes no pattern"],
    ["a pattern after always_true", "always_true yes", "'always_true' takes no pattern"],
    ["a path without its slash", "path_beg api", "a path always starts with '/': did you mean '/api'?"],
    ["a query string in a path", "path_beg /a?b=1", "never contains the query string"],
    ["a wildcard host", "hdr(host) -i *.example.com", "not wildcards"],
    ["a host with a slash", "hdr(host) -i a.com/x", "a host name may only contain"],
    ["an unusable regex", "path_reg ^/(a", "not a regex we can check"],
    ["a lookahead", "path_reg ^/api(?=/)", "lookarounds"],
    ["a bad address", "src 10.0.0.300", "expected an IPv4 or IPv6 address"],
    ["an unterminated quote", "hdr(host) 'ghost.local", "unterminated single quote"],
    ["an environment variable in double quotes", `hdr(host) "$HOST"`, "'$' inside double quotes"],
    ["an escape that makes a newline", "hdr(x-a) a\\nb", "escape '\\n'"],
    ["a hex escape", "hdr(x-a) a\\x0ab", "escape '\\x'"],
    ["a trailing backslash", "hdr(x-a) a\\", "a lone backslash"],
  ])("%s: %p", (_name, input, message) => {
    const parsed = parseAcl(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(message);
  });
});

describe("tokenise follows HAProxy's quoting", () => {
  test.each([
    ["single quotes keep backslashes", "a 'b\\c'", ["a", "b\\c"]],
    ["adjacent quoted and bare parts join", `a'b'"c"d`, ["abcd"]],
    ["an unknown escape is kept, as regexes need", "\\d\\.", ["\\d\\."]],
    ["an escaped quote is literal", "a\\'b", ["a'b"]],
    ["an empty quoted word is a word", "a ''", ["a", ""]],
  ])("%s", (_name, input, words) => {
    const result = tokenise(input);
    expect(result.ok && result.words.map((word) => word.text)).toEqual(words);
  });

  // Text without quotes or escapes takes a shorter path; an empty quoted part at the end of its
  // last word changes no word but sends it down the character-by-character one.
  test("text without quotes or escapes splits as the quoting rules would", () => {
    const plain = fc.string({ unit: fc.constantFrom(..."ab-_./:()|,  !?=*%09AZ"), maxLength: 40 }).filter((text) => /[^ ]$/.test(text));
    fc.assert(
      fc.property(plain, (text) => {
        expect(tokenise(text)).toEqual(tokenise(`${text}''`));
      }),
      { numRuns: 500, seed: 16 },
    );
  });
});
