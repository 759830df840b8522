// dlmk diagrams: the syntax diagrams of the .kernel grammar as one self-contained HTML page
// (docs/grammar.html is this output; a test keeps it in step with the grammar).
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { diagramsHtml } from '../../grammar/index.ts';

const diagrams: Command = {
  name: 'diagrams',
  summary: 'print the syntax diagrams of the .kernel grammar as HTML',
  usage: 'dlmk diagrams > docs/grammar.html',
  async run(ctx: CommandContext): Promise<number> {
    if (ctx.argv.length) throw new UsageError(`diagrams takes no arguments: ${this.usage}`);
    ctx.stdout(diagramsHtml());
    return 0;
  },
};

export default diagrams;
