// dlmk diagrams: the syntax diagrams of the .kernel grammar as one self-contained HTML page
// (docs/grammar.html is this output; a test keeps it in step with the grammar).
import type { Command, CommandContext } from '../command.ts';
import { diagramsHtml } from '../../grammar/index.ts';
import { parseCommand, type CommandDecl } from '../options.ts';

const decl = {
  name: 'diagrams',
  summary: 'print the syntax diagrams of the .kernel grammar as HTML',
  positionals: [],
  options: {},
  examples: ['dlmk diagrams > docs/grammar.html'],
} as const satisfies CommandDecl;

const diagrams: Command = {
  name: 'diagrams',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    parseCommand(decl, ctx.argv);
    ctx.stdout(diagramsHtml());
    return 0;
  },
};

export default diagrams;
