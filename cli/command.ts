// The shape of a CLI command. Commands are thin: parse flags, call the library, print.
export interface CommandContext {
  argv: string[];
  debug: boolean;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Command {
  name: string;
  summary: string;
  /** The declared positionals and options (cli/options.ts): parsing, usage and help come from it. */
  decl: import('./options.ts').CommandDecl;
  /** Returns the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** An error the CLI prints as one paragraph (no stack trace) and exits with `code`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, readonly code = 2) {
    super(message);
  }
}
