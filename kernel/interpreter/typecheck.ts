/**
 * Type checking, completion and quick info for cells, over a TypeScript LanguageService on virtual files.
 *
 * Every cell is a module of its own, so re-declaring a name in a later cell is never a conflict. A cell sees
 * the names of earlier cells through a one-line prefix: `let`/`var` names are re-declared with the type they
 * had (so they stay assignable), every other name is imported from the cell that last declared it. A cell
 * that ran is kept as `cell_N.ts` with its own names exported. The program's root files stay the same from one
 * check to the next (the globals, cells that augment the global scope, the scratch file), earlier cells come in
 * through the imports of the prefix: a cell whose imports match the last check's reuses the whole program but
 * the scratch file, where a new root file would have made TypeScript process every file again.
 */
import type { CompilerOptions, IScriptSnapshot, LanguageService, LanguageServiceHost, ModuleResolutionCache, ModuleResolutionHost, Node, SourceFile } from 'typescript';
import ts from './typescript.js';
import path from 'node:path';
import { boundNames } from './transform.js';
import { codePointToUtf16, lineAndColumn, utf16ToCodePoint } from './positions.js';
import { explainOperatorDiagnostic, PositionMap, rewriteCell, type CellRewrites, type RewrittenCell, type TypedText } from './operators.js';

/** A problem found in a cell, located in the cell's own text (one-based line, column in code points). */
export interface CellDiagnostic {
  line: number;
  column: number;
  message: string;
  code: number;
}

/** Where cells live and what they see besides each other. */
export interface CheckerOptions {
  /** Bare imports resolve from here first (the kernel's working directory). */
  cwd: string;
  /** Then from this package's own node_modules. */
  packageRoot: string;
  /** An ambient declaration file giving the globals of every cell (`torch`, `display`, ...). */
  globalsDeclaration: string;
}

interface VirtualFile {
  text: string;
  version: number;
}

interface Declared {
  name: string;
  mutable: boolean;
}

const compilerOptions: CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
  strict: true,
  noImplicitAny: false,
  esModuleInterop: true,
  allowSyntheticDefaultImports: true,
  resolveJsonModule: true,
  skipLibCheck: true,
  noEmit: true,
  // Spares looking for @typescript/lib-* packages that would replace the lib files, at every program build.
  libReplacement: false,
};

/** The checker of one kernel session: cells that ran, and the scratch file for the cell at hand. */
export class CellChecker {
  private readonly files = new Map<string, VirtualFile>();
  /** Cells that ran and still matter, oldest first, with the history files their prefix refers to. */
  private history = new Map<string, Set<string>>();
  private committed = 0;
  /** History files with a `declare global` block: roots of the program, since no import brings them in. */
  private readonly globalAugmentations = new Set<string>();
  /** For each name visible to the next cell: the history file that last declared it, and how. */
  private readonly owners = new Map<string, { file: string; mutable: boolean }>();
  private readonly scratchFile: string;
  private readonly globalsFile: string;
  private readonly service: LanguageService;
  private prefixLength = 0;
  /** Leads from the scratch file's rewritten cell (operators on tensors as calls) back to the cell's text. */
  private scratchMap = PositionMap.identity(0);
  /** The last rewrite, by prefix and cell: checking, compiling and committing a cell share it. */
  private lastRewrite: { prefix: string; code: string; cell: RewrittenCell } | undefined;
  /** What the last cell asked about declares: checking, compiling and committing it, or each completion request, parse it once. */
  private lastDeclarations: CellDeclarations | undefined;
  /** The last prefix, for the declarations it left out and the owners it was made from (`ownersVersion`). */
  private lastPrefix: { declared: Set<string>; ownersVersion: number; text: string } | undefined;
  private ownersVersion = 0;
  private readonly runtimeDirectories: string[];

  constructor(private readonly options: CheckerOptions) {
    this.scratchFile = this.virtualPath('cell.ts');
    this.runtimeDirectories = [path.join(options.packageRoot, 'dist', 'src') + path.sep, path.join(options.packageRoot, 'src') + path.sep];
    this.globalsFile = this.virtualPath('globals.d.ts');
    this.setFile(this.globalsFile, options.globalsDeclaration);
    this.setFile(this.scratchFile, 'export {};');
    const resolutionCache = ts.createModuleResolutionCache(options.cwd, (name) => name, compilerOptions);
    const diskSnapshots = new Map<string, IScriptSnapshot | undefined>();
    const fallbackImporter = path.join(options.packageRoot, 'index.ts');
    // getModuleResolutionCache is read by the service though its host type omits it; it spares re-reading package.json files.
    const host: LanguageServiceHost & ModuleResolutionHost & { getModuleResolutionCache(): ModuleResolutionCache } = {
      getCompilationSettings: () => compilerOptions,
      getScriptFileNames: () => [this.globalsFile, ...this.globalAugmentations, this.scratchFile],
      getScriptVersion: (fileName) => String(this.files.get(fileName)?.version ?? 0),
      getScriptSnapshot: (fileName) => {
        const virtual = this.files.get(fileName);
        if (virtual) return ts.ScriptSnapshot.fromString(virtual.text);
        // The service asks for every file on every check; files on disk are read once per session.
        if (!diskSnapshots.has(fileName)) {
          const text = ts.sys.readFile(fileName);
          diskSnapshots.set(fileName, text === undefined ? undefined : ts.ScriptSnapshot.fromString(text));
        }
        return diskSnapshots.get(fileName);
      },
      getCurrentDirectory: () => options.cwd,
      getDefaultLibFileName: (settings) => ts.getDefaultLibFilePath(settings),
      fileExists: (fileName) => this.files.has(fileName) || ts.sys.fileExists(fileName),
      readFile: (fileName) => this.files.get(fileName)?.text ?? ts.sys.readFile(fileName),
      directoryExists: (directory) => ts.sys.directoryExists(directory),
      getDirectories: (directory) => ts.sys.getDirectories(directory),
      realpath: ts.sys.realpath,
      resolveModuleNames: (moduleNames, containingFile) => moduleNames.map((moduleName) =>
        ts.resolveModuleName(moduleName, containingFile, compilerOptions, host, resolutionCache).resolvedModule
        ?? ts.resolveModuleName(moduleName, fallbackImporter, compilerOptions, host, resolutionCache).resolvedModule),
      getModuleResolutionCache: () => resolutionCache,
      getTypeRootsVersion: () => 0,
    };
    compilerOptions.typeRoots = [path.join(options.packageRoot, 'node_modules', '@types')];
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** Type errors of a cell (syntax errors included), positioned in the cell's text. */
  diagnostics(code: string): CellDiagnostic[] {
    this.useScratch(code);
    const found = [...this.service.getSyntacticDiagnostics(this.scratchFile), ...this.service.getSemanticDiagnostics(this.scratchFile)];
    const typed = this.typedScratch(this.prefixLength);
    return found.map((diagnostic) => {
      const start = this.scratchMap.toOriginal(Math.max(0, (diagnostic.start ?? this.prefixLength) - this.prefixLength));
      const { line, column } = lineAndColumn(code, start);
      const message = explainOperatorDiagnostic(typed, diagnostic) ?? ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      return { line, column, code: diagnostic.code, message };
    });
  }

  /** Records a cell that ran, so later cells see what it declared. */
  commit(code: string): void {
    const { declared, names: own, used, augmentsGlobal } = this.declarations(code);
    if (declared.length === 0) return;
    const fileName = this.virtualPath(`cell_${++this.committed}.ts`);
    const exports = `\nexport { ${[...own].join(', ')} };\n`;
    // The rewrite the check found, behind a prefix of the names the cell uses: their types are the same, and a
    // cell kept importing every name would keep every earlier cell alive.
    const rewritten = this.rewrite(code, this.prefix(own)).text;
    const prefix = this.prefix(own, used);
    this.setFile(fileName, prefix + rewritten + exports);
    this.history.set(fileName, new Set([...this.history.keys()].filter((file) => prefix.includes(`'./${path.basename(file, '.ts')}'`))));
    for (const { name, mutable } of declared) this.owners.set(name, { file: fileName, mutable });
    this.ownersVersion++;
    if (augmentsGlobal) this.globalAugmentations.add(fileName);
    this.forgetUnreachableCells();
  }

  /** Drops cells whose names were all declared again since, unless a cell still in use refers to them. */
  private forgetUnreachableCells(): void {
    const reachable = new Set([...this.owners.values()].map(({ file }) => file).concat(...this.globalAugmentations));
    for (const file of [...this.history.keys()].reverse()) {
      if (reachable.has(file)) for (const referenced of this.history.get(file)!) reachable.add(referenced);
    }
    for (const file of this.history.keys()) {
      if (reachable.has(file)) continue;
      this.history.delete(file);
      this.files.delete(file);
    }
  }

  /** Completions at a code-point cursor position. */
  complete(code: string, cursor: number): { matches: string[]; start: number; end: number; kinds: string[] } {
    const offset = codePointToUtf16(code, cursor);
    let start = offset;
    while (start > 0 && /[\p{ID_Continue}$]/u.test(code[start - 1]!)) start--;
    const typed = code.slice(start, offset);
    this.useScratch(code);
    const completions = this.service.getCompletionsAtPosition(this.scratchFile, this.prefixLength + this.scratchMap.toRewritten(offset), {});
    const entries = (completions?.entries ?? [])
      .filter((entry) => entry.name.startsWith(typed) && !entry.name.startsWith('__tsgrad'))
      .sort((a, b) => a.sortText.localeCompare(b.sortText) || a.name.localeCompare(b.name));
    return {
      matches: entries.map((entry) => entry.name),
      kinds: entries.map((entry) => entry.kind),
      start: utf16ToCodePoint(code, start),
      end: cursor,
    };
  }

  /** The type and documentation of the name under a code-point cursor, or undefined. */
  quickInfo(code: string, cursor: number): { signature: string; documentation: string } | undefined {
    this.useScratch(code);
    const offset = this.scratchMap.toRewritten(codePointToUtf16(code, cursor));
    // The name under the cursor, or the one just before it (a cursor at the end of `Math.max`); the end of the file names nothing.
    let position = this.prefixLength + offset;
    let info = position < this.files.get(this.scratchFile)!.text.length ? this.service.getQuickInfoAtPosition(this.scratchFile, position) : undefined;
    if (!info && offset > 0) info = this.service.getQuickInfoAtPosition(this.scratchFile, --position);
    if (!info) return undefined;
    if (info.kind === ts.ScriptElementKind.alias) {
      // Names from earlier cells are imports here: show them as declared in their own cell.
      const definition = this.service.getDefinitionAtPosition(this.scratchFile, position)?.[0];
      info = (definition && this.service.getQuickInfoAtPosition(definition.fileName, definition.textSpan.start)) ?? info;
    }
    const tags = (info.tags ?? []).map((tag) => `@${tag.name} ${ts.displayPartsToString(tag.text)}`.trimEnd());
    return {
      signature: ts.displayPartsToString(info.displayParts),
      documentation: [ts.displayPartsToString(info.documentation), ...tags].filter(Boolean).join('\n'),
    };
  }

  /** What compiling the cell must rewrite (operators on tensors, float literals), as its last check found. */
  rewrites(code: string): CellRewrites {
    return this.rewrite(code, this.prefix(this.declarations(code).names)).rewrites;
  }

  private useScratch(code: string): void {
    const prefix = this.prefix(this.declarations(code).names);
    const rewritten = this.rewrite(code, prefix);
    this.prefixLength = prefix.length;
    this.scratchMap = rewritten.map;
    this.setScratch(prefix, rewritten.text);
  }

  private setScratch(prefix: string, text: string): void {
    this.setFile(this.scratchFile, prefix + text + (prefix === '' ? '\nexport {};' : ''));
  }

  private typedScratch(offset: number): TypedText {
    const program = this.service.getProgram()!;
    return { sourceFile: program.getSourceFile(this.scratchFile)!, checker: program.getTypeChecker(), offset };
  }

  /** The cell with its operators on tensors rewritten, checked in the scratch file behind `prefix`. */
  private rewrite(code: string, prefix: string): RewrittenCell {
    if (this.lastRewrite?.prefix === prefix && this.lastRewrite.code === code) return this.lastRewrite.cell;
    const cell = rewriteCell(code, (text) => {
      this.setScratch(prefix, text);
      return this.typedScratch(prefix.length);
    }, (fileName) => this.runtimeDirectories.some((directory) => fileName.startsWith(directory)));
    this.lastRewrite = { prefix, code, cell };
    return cell;
  }

  /**
   * One line that brings the names of earlier cells into a cell, except those it declares itself. The cell at
   * hand gets all of them, used or not: its checks, completion and inspect then share one set of imports, so that
   * only a cell that declares something changes the files of the program. A kept cell gets those it `uses`.
   */
  private prefix(declared: Set<string>, used?: Set<string>): string {
    if (!used && this.lastPrefix?.declared === declared && this.lastPrefix.ownersVersion === this.ownersVersion) return this.lastPrefix.text;
    const imports = new Map<string, string[]>();
    const variables: string[] = [];
    for (const [name, owner] of this.owners) {
      if (declared.has(name) || (used && !used.has(name))) continue;
      const specifier = `./${path.basename(owner.file, '.ts')}`;
      if (owner.mutable) variables.push(`declare let ${name}: typeof import('${specifier}').${name};`);
      else imports.set(specifier, [...(imports.get(specifier) ?? []), name]);
    }
    const importLines = [...imports].map(([specifier, names]) => `import { ${names.join(', ')} } from '${specifier}';`);
    const line = [...importLines, ...variables].join(' ');
    const text = line === '' ? '' : `${line} export {};\n`;
    if (!used) this.lastPrefix = { declared, ownersVersion: this.ownersVersion, text };
    return text;
  }

  private declarations(code: string): CellDeclarations {
    if (this.lastDeclarations?.code !== code) this.lastDeclarations = cellDeclarations(code);
    return this.lastDeclarations;
  }

  private setFile(fileName: string, text: string): void {
    const existing = this.files.get(fileName);
    if (existing?.text === text) return;
    this.files.set(fileName, { text, version: (existing?.version ?? 0) + 1 });
  }

  private virtualPath(name: string): string {
    return path.join(this.options.cwd, `__tsgrad_${name}`);
  }
}

/** What a cell declares at top level, the identifiers it uses, and whether it adds to the global scope (`declare global`). */
interface CellDeclarations {
  code: string;
  declared: Declared[];
  names: Set<string>;
  used: Set<string>;
  augmentsGlobal: boolean;
}

function cellDeclarations(code: string): CellDeclarations {
  const sourceFile = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const declared = declaredNames(sourceFile);
  const augmentsGlobal = sourceFile.statements.some((statement) => ts.isModuleDeclaration(statement) && (statement.flags & ts.NodeFlags.GlobalAugmentation) !== 0);
  return { code, declared, names: new Set(declared.map(({ name }) => name)), used: usedIdentifiers(sourceFile), augmentsGlobal };
}

/** Names a cell declares at top level (values, types, imports), and whether each stays assignable. */
function declaredNames(sourceFile: SourceFile): Declared[] {
  const names: Declared[] = [];
  const add = (name: string, mutable = false) => names.push({ name, mutable });
  for (const statement of sourceFile.statements) {
    if (ts.isVariableStatement(statement)) {
      const mutable = (statement.declarationList.flags & (ts.NodeFlags.Const | ts.NodeFlags.Using)) === 0;
      for (const declaration of statement.declarationList.declarations) {
        for (const name of boundNames(declaration.name)) add(name, mutable);
      }
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)
      || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement) || ts.isImportEqualsDeclaration(statement))
      && statement.name) {
      add(statement.name.text);
    } else if (ts.isModuleDeclaration(statement) && ts.isIdentifier(statement.name)) {
      add(statement.name.text);
    } else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) add(element.name.text);
    }
  }
  const unique = new Map(names.map((declared) => [declared.name, declared]));
  return [...unique.values()];
}

function usedIdentifiers(sourceFile: SourceFile): Set<string> {
  const used = new Set<string>();
  const visit = (node: Node): void => {
    if (ts.isIdentifier(node)) used.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return used;
}
