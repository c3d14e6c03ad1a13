// Keeps docs/security.md true: every test it cites as a proof (`file` › describe › test) still exists under that name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const DOC = 'docs/security.md';

/** One describe block or test: its title as a pattern (jest's %s placeholders and `${…}` match any text), and what it holds. */
interface TitleNode {
  pattern: RegExp;
  children: TitleNode[];
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** jest's .each placeholders (%s, %j, %p, …) and a template literal's `${…}` become lazy captures. */
function titlePattern(node: ts.Expression): RegExp | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    return new RegExp(`^${escape(node.text).replace(/%[sdifjopO#]/g, '(.+?)')}$`);
  }
  if (ts.isTemplateExpression(node)) {
    const parts = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].map(escape);
    return new RegExp(`^${parts.join('(.+?)')}$`);
  }
  return undefined;
}

/** The tree of describe/it/test titles of a test file, read with the TypeScript parser (describe.each and it.each included). */
function titleTree(file: string): TitleNode[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const roots: TitleNode[] = [];
  const visit = (node: ts.Node, into: TitleNode[]) => {
    if (ts.isCallExpression(node) && node.arguments.length > 0) {
      // `it('title', fn)`, `describeWith…('title', fn)`, or `it.each(table)('title', fn)`.
      const callee = ts.isCallExpression(node.expression) && /\.each$/.test(node.expression.expression.getText(source))
        ? node.expression.expression.getText(source).replace(/\.each$/, '')
        : node.expression.getText(source);
      const pattern = /^(describe\w*|it|test)(\.(only|skip|concurrent))?$/.test(callee) ? titlePattern(node.arguments[0]) : undefined;
      if (pattern) {
        const entry: TitleNode = { pattern, children: [] };
        into.push(entry);
        node.arguments.slice(1).forEach((arg) => visit(arg, entry.children));
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, into));
  };
  visit(source, roots);
  return roots;
}

const allNodes = (nodes: TitleNode[]): TitleNode[] => nodes.flatMap((node) => [node, ...allNodes(node.children)]);

/**
 * Does `path` (describe › … › test) name a chain of nested titles, starting at any depth? A title filled from an
 * .each table counts only if the text filling each placeholder is written in the file (the table's case name).
 */
function findsPath(tree: TitleNode[], path: string[], fileText: string): boolean {
  const matches = (node: TitleNode, title: string) => {
    const match = node.pattern.exec(title);
    return match !== null && match.slice(1).every((filled) => fileText.includes(filled.replace(/^"(.*)"$/, '$1')));
  };
  const follows = (node: TitleNode, rest: string[]): boolean =>
    rest.length === 0 || node.children.some((child) => matches(child, rest[0]) && follows(child, rest.slice(1)));
  return allNodes(tree).some((node) => matches(node, path[0]) && follows(node, path.slice(1)));
}

/**
 * The doc's references: a backticked test file, then ` › describe › test`, more tests of the same file after `; › `.
 * A reference runs to the end of its line, its table cell (` |`), or the next backtick.
 */
function citedReferences(doc: string): { file: string; path: string[] }[] {
  const found: { file: string; path: string[] }[] = [];
  for (const line of doc.split('\n')) {
    for (const match of line.matchAll(/`(test\/[\w./-]+\.test\.ts)`( › [^`|]*)?/g)) {
      const span = (match[2] ?? '').replace(/[\s;.]+$/, '');
      if (!span) continue;
      for (const ref of span.slice(' › '.length).split('; › ')) found.push({ file: match[1], path: ref.split(' › ') });
    }
  }
  return found;
}

const doc = readFileSync(join(ROOT, DOC), 'utf8');
const references = citedReferences(doc);
const files = [...new Set([...doc.matchAll(/`(test\/[\w./-]+\.test\.ts)`/g)].map((m) => m[1]))];

it(`${DOC} has no unwritten proofs (TODO) and cites tests`, () => {
  expect(doc).not.toMatch(/TODO/);
  // A parser that lost the references would pass every check below; the doc cites well over a hundred.
  expect(references.length).toBeGreaterThan(100);
});

it.each(files)(`${DOC} cites %s, which exists`, (file) => {
  expect(existsSync(join(ROOT, file))).toBe(true);
});

describe(`every test ${DOC} cites exists under that name`, () => {
  const trees = new Map<string, { tree: TitleNode[]; text: string }>();
  const fileOf = (file: string) => {
    if (!trees.has(file)) trees.set(file, { tree: titleTree(file), text: readFileSync(join(ROOT, file), 'utf8') });
    return trees.get(file)!;
  };
  it.each(references.filter((ref) => existsSync(join(ROOT, ref.file))).map((ref) => [`${ref.file} › ${ref.path.join(' › ')}`, ref] as const))(
    '%s',
    (_, ref) => {
      const { tree, text } = fileOf(ref.file);
      expect(findsPath(tree, ref.path, text)).toBe(true);
    },
  );
});
