import { edenGC } from "bun:jsc";
import Handlebars from "handlebars";
import { flatString } from "../system/flat-string.ts";

/**
 * Re-rendering the whole template for one task event cost ~50 ms at 10,000 apps, most of
 * the event→routable budget. An `{{#each}}` body rendered for an item that has not changed
 * gives the same text again, so its text is kept per item and reused.
 *
 * That holds only when the body's output depends on nothing but the item, its position and
 * values bamboo can read at the call (`../Field`, `@root.Field`): this module reads the
 * template once and memoizes exactly the `each` blocks for which it can prove that; every
 * other block renders as Handlebars always does. Template data is immutable and an
 * unchanged app keeps its object (template-data.ts), so object identity tells "unchanged".
 */

type Node = hbs.AST.Node;
type Path = hbs.AST.PathExpression;

/** A value outside the item that the body reads, looked up at the call and made part of the key. */
interface OuterRead {
  readonly from: "context" | "root";
  readonly parts: readonly string[];
}

interface MemoBlock {
  readonly reads: readonly OuterRead[];
  /** Per-iteration data the body uses (`@index`...): part of the key too. */
  readonly frame: readonly ("index" | "first" | "last" | "key")[];
}

const FRAME_NAMES = new Set(["index", "first", "last", "key"]);

/** Blocks that run their body in the same context and data frame: they add no scope. */
const SAME_SCOPE_BLOCKS = new Set(["if", "unless"]);

class NotMemoizable extends Error {}

/**
 * Which `each` blocks (by their `line:column`) may reuse an item's text, and what else keys it.
 *
 * An `each` inside a memoized one is not memoized itself. Its items (an app's ports, tasks,
 * servers) are made anew with their app (routing/template-data.ts), so their texts are
 * reused only when the outer item is rendered again unchanged, which is rare. At 10,000 apps
 * keeping them cost 20,000 texts and two WeakMaps of 10,000 entries, which the engine visits
 * at every young collection (marathon/app-memo.ts).
 */
export function memoizableEachBlocks(source: string): Map<string, MemoBlock> {
  const blocks = new Map<string, MemoBlock>();
  const ast = Handlebars.parse(source);
  // A block parameter may be read from any depth under a name that looks local: no memo at all.
  if (usesBlockParams(ast)) return blocks;
  visitEachBlocks(ast, (block) => {
    try {
      const reads: OuterRead[] = [];
      const frame = new Set<MemoBlock["frame"][number]>();
      readBody(block.program, 0, reads, frame);
      blocks.set(locKey(block.loc), { reads: dedupe(reads), frame: [...frame] });
      return true;
    } catch (error) {
      if (!(error instanceof NotMemoizable)) throw error;
      return false;
    }
  });
  return blocks;
}

/**
 * Walks an each body. `level` counts the nested `each` bodies entered: a path with more
 * `../` than that reaches outside the item.
 */
function readBody(node: Node | undefined | null, level: number, reads: OuterRead[], frame: Set<MemoBlock["frame"][number]>): void {
  if (!node) return;
  const walk = (child: Node | undefined | null, childLevel = level) => readBody(child, childLevel, reads, frame);
  switch (node.type) {
    case "Program":
      for (const statement of (node as hbs.AST.Program).body) walk(statement);
      return;
    case "ContentStatement":
    case "CommentStatement":
    case "StringLiteral":
    case "NumberLiteral":
    case "BooleanLiteral":
    case "UndefinedLiteral":
    case "NullLiteral":
      return;
    case "MustacheStatement":
    case "SubExpression": {
      const call = node as hbs.AST.MustacheStatement;
      walk(call.path);
      for (const param of call.params) walk(param);
      walk(call.hash);
      return;
    }
    case "Hash":
      for (const pair of (node as hbs.AST.Hash).pairs) walk(pair.value);
      return;
    case "BlockStatement": {
      const block = node as hbs.AST.BlockStatement;
      const helper = (block.path as Path).original;
      walk(block.path);
      for (const param of block.params) walk(param);
      walk(block.hash);
      if (helper === "each") {
        walk(block.program, level + 1);
        walk(block.inverse);
      } else if (SAME_SCOPE_BLOCKS.has(helper)) {
        walk(block.program);
        walk(block.inverse);
      } else {
        // `with` and other block helpers may or may not open a scope: unknown depth.
        throw new NotMemoizable();
      }
      return;
    }
    case "PathExpression":
      readPath(node as Path, level, reads, frame);
      return;
    default:
      // Partials and decorators can read anything.
      throw new NotMemoizable();
  }
}

function readPath(path: Path, level: number, reads: OuterRead[], frame: Set<MemoBlock["frame"][number]>): void {
  if (path.data) {
    const [name, ...rest] = path.parts;
    if (path.depth > 0) throw new NotMemoizable();
    if (name === "root") reads.push({ from: "root", parts: rest });
    else if (FRAME_NAMES.has(name!) && rest.length === 0) {
      if (level === 0) frame.add(name as MemoBlock["frame"][number]);
    } else throw new NotMemoizable();
    return;
  }
  if (path.depth <= level) return;
  // depth level+1 is the context `each` was called in: the helper's `this`. Beyond it, unreachable.
  if (path.depth === level + 1) reads.push({ from: "context", parts: path.parts });
  else throw new NotMemoizable();
}

function usesBlockParams(node: unknown): boolean {
  if (node === null || typeof node !== "object") return false;
  if ((node as { blockParams?: unknown[] }).blockParams?.length) return true;
  return Object.values(node).some((value) => (Array.isArray(value) ? value.some(usesBlockParams) : typeof value === "object" && usesBlockParams(value)));
}

/** Visits `each` blocks outermost first; inside a block `visit` answers true for, none is visited. */
function visitEachBlocks(node: unknown, visit: (block: hbs.AST.BlockStatement) => boolean): void {
  if (node === null || typeof node !== "object") return;
  const candidate = node as Partial<hbs.AST.BlockStatement>;
  if (candidate.type === "BlockStatement" && (candidate.path as Path | undefined)?.original === "each" && visit(candidate as hbs.AST.BlockStatement)) return;
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) for (const item of value) visitEachBlocks(item, visit);
    else if (typeof value === "object") visitEachBlocks(value, visit);
  }
}

function dedupe(reads: OuterRead[]): OuterRead[] {
  const seen = new Map(reads.map((read) => [`${read.from}:${read.parts.join(".")}`, read]));
  return [...seen.values()];
}

function locKey(loc: { start: { line: number; column: number } } | undefined): string {
  return loc ? `${loc.start.line}:${loc.start.column}` : "";
}

const NO_VALUES: readonly unknown[] = [];

/**
 * Rendering an item leaves several times its text behind as garbage (Handlebars' frames and
 * intermediate strings). The collector lets garbage pile up in proportion to the heap, and
 * the first render of 10,000 apps grew bamboo's peak memory by about 35 MB. Collecting the
 * young objects after each this much freshly rendered text keeps the pile small, for well
 * under a millisecond each time; a task event renders one item and never gets there. At
 * 256 KB the first render still grew JSC's heap by 12 MB, at 64 KB by 4, in as much time.
 */
const COLLECT_EVERY_RENDERED = 64 * 1024;

interface Remembered {
  readonly outer: readonly unknown[];
  readonly frame: readonly unknown[];
  readonly text: string;
}

/** Renders a template as pieces: see {@link registerMemoizingEach}. */
export type RenderPieces = (render: () => string) => string[];

/**
 * Registers an `each` that reuses an item's text when the item, its frame values and the
 * outer values the body reads are all the same (===) as last time, and a whole list's texts
 * when the list and those outer values are: a list that did not change (10,000 service-port
 * binds) is then one comparison, not 10,000 lookups. Arrays only; everything else goes to
 * Handlebars' own `each`.
 *
 * The returned function renders in pieces: the outermost memoized blocks hand their items'
 * texts out as separate strings (through a marker in the output) instead of concatenating
 * them. A 3 MB config is then never built for a task event: allocating it cost ~15 ms of
 * page faults on its own, and the pieces of unchanged items compare by identity.
 */
export function registerMemoizingEach(handlebars: typeof Handlebars, source: string): RenderPieces {
  const blocks = memoizableEachBlocks(source);
  const builtin = handlebars.helpers.each!;
  // Per block, per item: texts live exactly as long as the items they were rendered from.
  const remembered = new Map<string, WeakMap<object, Remembered>>();
  // Per block, the last list it rendered and that list's texts.
  const lastLists = new Map<string, { readonly items: readonly unknown[]; readonly outer: readonly unknown[]; readonly pieces: readonly string[] }>();
  // No memoized block runs inside another (memoizableEachBlocks), so every one hands its pieces out.
  let handedOut: (readonly string[])[] | null = null;
  let renderedSinceCollect = 0;
  const rendered = (text: string): void => {
    renderedSinceCollect += text.length;
    if (renderedSinceCollect < COLLECT_EVERY_RENDERED) return;
    renderedSinceCollect = 0;
    edenGC();
  };
  const body = (options: Handlebars.HelperOptions, item: unknown, data: unknown, index: number): string => options.fn(item, { data, blockParams: [item, index] });

  handlebars.registerHelper("each", function (this: unknown, items: unknown, options: Handlebars.HelperOptions & { loc?: hbs.AST.SourceLocation }) {
    const where = locKey(options?.loc);
    const block = blocks.get(where);
    if (!block || !Array.isArray(items) || items.length === 0) return builtin.call(this, items, options);
    const outer = block.reads.length === 0 ? NO_VALUES : block.reads.map((read) => lookup(read.from === "root" ? options.data?.root : this, read.parts));
    const handOut = (pieces: readonly string[]): string => (handedOut === null ? concat(pieces) : marker(handedOut.push(pieces) - 1));
    const lastList = lastLists.get(where);
    if (lastList !== undefined && lastList.items === items && sameValues(lastList.outer, outer)) return handOut(lastList.pieces);
    let texts = remembered.get(where);
    if (!texts) remembered.set(where, (texts = new WeakMap()));
    const data = options.data ? Handlebars.createFrame(options.data) : undefined;
    const pieces: string[] = [];
    for (let index = 0; index < items.length; index++) {
      const item: unknown = items[index];
      if (data) {
        // Set one by one: an object literal to assign from would be one more object per item and render.
        data.key = index;
        data.index = index;
        data.first = index === 0;
        data.last = index === items.length - 1;
      }
      // An item that is its own context would not open a scope (Handlebars compares them): no memo.
      if (item === null || typeof item !== "object" || item === this) {
        pieces.push(body(options, item, data, index));
        continue;
      }
      const frame = block.frame.length === 0 ? NO_VALUES : block.frame.map((name) => frameValue(name, index, items.length));
      const known = texts.get(item);
      if (known && sameValues(known.outer, outer) && sameValues(known.frame, frame)) {
        pieces.push(known.text);
        continue;
      }
      const fresh = flatString(body(options, item, data, index));
      texts.set(item, { outer, frame, text: fresh });
      pieces.push(fresh);
      rendered(fresh);
    }
    lastLists.set(where, { items, outer, pieces });
    return handOut(pieces);
  });

  return (render) => {
    const collected: (readonly string[])[] = [];
    handedOut = collected;
    try {
      return splitAtMarkers(render(), collected);
    } finally {
      handedOut = null;
    }
  };
}

/**
 * A marker nothing else can write: Handlebars' lexer refuses NUL in a template, template
 * data has its control characters replaced (template-data.ts) and app ids with them are
 * refused when Marathon's answer is read (normalise.ts).
 */
const MARK = "\u0000";
const MARKER = /\u0000(\d+)\u0000/g;

function marker(index: number): string {
  return `${MARK}${index}${MARK}`;
}

function splitAtMarkers(top: string, handedOut: readonly (readonly string[])[]): string[] {
  const pieces: string[] = [];
  let last = 0;
  for (const match of top.matchAll(MARKER)) {
    if (match.index > last) pieces.push(top.slice(last, match.index));
    for (const piece of handedOut[Number(match[1])]!) pieces.push(piece);
    last = match.index + match[0].length;
  }
  if (last < top.length) pieces.push(top.slice(last));
  return pieces;
}

/** Concatenation, not join: the engine then copies each piece once, when the whole is read. */
function concat(pieces: readonly string[]): string {
  let text = "";
  for (const piece of pieces) text += piece;
  return text;
}

function frameValue(name: MemoBlock["frame"][number], index: number, length: number): unknown {
  if (name === "first") return index === 0;
  if (name === "last") return index === length - 1;
  return index;
}

function lookup(from: unknown, parts: readonly string[]): unknown {
  let value = from;
  for (const part of parts) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
