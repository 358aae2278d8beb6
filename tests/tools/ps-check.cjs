#!/usr/bin/env -S node --liftoff-only
// Checks a PowerShell script with a real parser: the tree-sitter PowerShell grammar
// (tree-sitter-powershell, its wasm build) run by web-tree-sitter. Fails (exit 1) on any ERROR or
// MISSING node, and on anything a list of forbidden features names (scripts/powershell-3.0-forbidden.txt:
// what is newer than the PowerShell the script must run on). Exit 2: bad arguments, or the
// packages cannot be loaded (install them: npm install -g web-tree-sitter@0.26 tree-sitter-powershell@0.26;
// the Rust test tests/collection_script.rs sets NODE_PATH to `npm root -g`).
//
// usage: node --liftoff-only tests/tools/ps-check.cjs SCRIPT.ps1 FORBIDDEN.txt
//
// (--liftoff-only: V8 otherwise optimises the grammar's 1 MB of wasm in the background and waits
// for that at exit — a minute of CPU for a parse that takes a tenth of a second.)
//
// The forbidden list: one entry a line, `kind<TAB>what<TAB>since<TAB>source`; `#` lines are comments.
//   command        a command name (case-insensitive), e.g. Compress-Archive
//   parameter      `COMMAND -Name` (COMMAND `*`: any command), e.g. `* -PipelineVariable`
//   node           a node type of the grammar, e.g. class_statement
//   static-member  `Type::name(...)`, e.g. new
//   method         `.name(...)` on any value, e.g. Where
//   comment        a regular expression a comment must not match, e.g. ^#requires\b.*-RunAsAdministrator
'use strict';

const fs = require('fs');

function fail(message) {
  process.stderr.write(`ps-check: ${message}\n`);
  process.exit(2);
}

const [scriptPath, listPath] = process.argv.slice(2);
if (!scriptPath || !listPath) fail('usage: ps-check.cjs SCRIPT.ps1 FORBIDDEN.txt');

let treeSitter;
let wasm;
try {
  treeSitter = require('web-tree-sitter');
  wasm = require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
} catch (e) {
  fail(`cannot load web-tree-sitter and tree-sitter-powershell (${e.message.split('\n')[0]})`);
}

function readList(path) {
  const entries = [];
  fs.readFileSync(path, 'utf8').split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const [kind, what, since, source] = line.split('\t');
    const kinds = ['command', 'parameter', 'node', 'static-member', 'method', 'comment'];
    if (!kinds.includes(kind) || !what || !since || !source) {
      fail(`${path}:${i + 1}: expected kind<TAB>what<TAB>since<TAB>source with kind one of ${kinds.join(', ')}`);
    }
    entries.push({ kind, what, since, source });
  });
  return entries;
}

(async () => {
  const { Parser, Language } = treeSitter;
  await Parser.init();
  const language = await Language.load(wasm);
  const parser = new Parser();
  parser.setLanguage(language);
  let text = fs.readFileSync(scriptPath, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const tree = parser.parse(text);
  const forbidden = readList(listPath);
  const problems = [];
  const at = (node) => `${scriptPath}:${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
  const newer = (node, e, shown) =>
    problems.push(`${at(node)}: ${shown} is PowerShell ${e.since} (${e.source}); this script must run on PowerShell 3.0`);
  const lower = (s) => s.toLowerCase();

  const byKind = (kind) => forbidden.filter((e) => e.kind === kind);
  const nodeKinds = new Map(byKind('node').map((e) => [e.what, e]));
  const commands = new Map(byKind('command').map((e) => [lower(e.what), e]));
  const parameters = byKind('parameter').map((e) => {
    const [cmd, param] = e.what.split(/\s+/);
    return { cmd: lower(cmd), param: lower(param), e };
  });
  const members = { '::': byKind('static-member'), '.': byKind('method') };
  const comments = byKind('comment').map((e) => ({ re: new RegExp(e.what, 'i'), e }));

  const check = (node) => {
    const type = node.type;
    if (type === 'ERROR') {
      problems.push(`${at(node)}: syntax error: ${JSON.stringify(node.text.slice(0, 60))}`);
    } else if (node.isMissing) {
      problems.push(`${at(node)}: syntax error: missing ${type}`);
    }
    const e = nodeKinds.get(type);
    if (e) newer(node, e, `\`${node.text.split('\n')[0].slice(0, 40)}\` (${type})`);
    if (type === 'comment') {
      for (const c of comments) if (c.re.test(node.text)) newer(node, c.e, `\`${node.text.slice(0, 60)}\``);
    } else if (type === 'command') {
      const nameNode = node.childForFieldName('command_name');
      const name = nameNode ? lower(nameNode.text) : '';
      const c = commands.get(name);
      if (c) newer(nameNode, c, `\`${nameNode.text}\``);
      const elements = node.childForFieldName('command_elements');
      if (elements && parameters.length > 0) {
        for (const p of elements.namedChildren) {
          if (p.type !== 'command_parameter') continue;
          const shown = lower(p.text.replace(/:$/, ''));
          for (const q of parameters) {
            if ((q.cmd === '*' || q.cmd === name) && shown === q.param) newer(p, q.e, `\`${nameNode ? nameNode.text : ''} ${p.text}\``);
          }
        }
      }
    } else if (type === 'invokation_expression') {
      let member = null;
      let op = null;
      for (const c of node.children) {
        if (c.type === 'member_name') member = c;
        else if (c.type === '::' || c.type === '.') op = c.type;
      }
      if (member && op) {
        for (const m of members[op]) if (lower(member.text) === lower(m.what)) newer(member, m, `\`${op}${member.text}()\``);
      }
    }
  };
  // A cursor walk: only the nodes worth a look are made into objects (the grammar nests every
  // expression a dozen levels deep).
  const interesting = new Set(['ERROR', 'comment', 'command', 'invokation_expression', ...nodeKinds.keys()]);
  const cursor = tree.walk();
  let depth = 0;
  for (;;) {
    if (interesting.has(cursor.nodeType) || cursor.nodeIsMissing) check(cursor.currentNode);
    if (cursor.gotoFirstChild()) {
      depth++;
      continue;
    }
    while (depth > 0 && !cursor.gotoNextSibling()) {
      cursor.gotoParent();
      depth--;
    }
    if (depth === 0) break;
  }
  for (const p of problems) process.stdout.write(`${p}\n`);
  process.exit(problems.length === 0 ? 0 : 1);
})().catch((e) => fail(e.stack || String(e)));
