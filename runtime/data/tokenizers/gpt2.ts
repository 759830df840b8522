// `gpt2`: GPT-2's byte-level BPE (r50k_base) from gpt-tokenizer. V = 50257 (ids 0..50256), EOS is
// <|endoftext|> (50256) and also pads; the mask is appended at 50257. Special-token text in a
// document ('<|endoftext|>') is encoded as plain text, so only the separators we add are EOS.
import { createHash } from 'node:crypto';
import { MASK_MARKER, type Tokenizer } from './types.ts';
import { checkId, decodeRuns } from './ids.ts';

const V = 50257;
const EOS = 50256;
const EOS_TEXT = '<|endoftext|>';
const PLAIN = { disallowedSpecial: new Set<string>() };

type Encoding = typeof import('gpt-tokenizer/encoding/r50k_base');

function showBytes(bytes: readonly number[]): string {
  return bytes.map((b) => (b >= 0x21 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

class Gpt2Tokenizer implements Tokenizer {
  readonly name = 'gpt2';
  readonly id = 'gpt2';
  readonly vocabSize = V;
  readonly eos = EOS;
  readonly pad = EOS;
  readonly maskSlot = { appended: true } as const;
  private index: Map<string, number> | undefined;

  constructor(
    private readonly enc: Encoding,
    private readonly ranks: readonly (string | number[])[],
    readonly sha256: string,
  ) {}

  encode(text: string): Uint32Array {
    return Uint32Array.from(this.enc.encode(text, PLAIN));
  }

  decode(ids: ArrayLike<number>): string {
    return decodeRuns(ids, V, 'gpt2', (run) => this.enc.decode(run), (p) => p.join(''), MASK_MARKER);
  }

  tokenString(id: number): string {
    checkId(id, V, 'gpt2');
    if (id === V) return MASK_MARKER;
    if (id === EOS) return EOS_TEXT;
    const r = this.ranks[id]!;
    // Tokens that are part of a multi-byte character have no text of their own: show the bytes.
    return typeof r === 'string' ? r : showBytes(r);
  }

  lookup(token: string): number | undefined {
    if (!this.index) {
      this.index = new Map();
      this.ranks.forEach((r, i) => typeof r === 'string' && this.index!.set(r, i));
      this.index.set(EOS_TEXT, EOS);
    }
    const hit = this.index.get(token);
    if (hit !== undefined) return hit;
    const ids = this.enc.encode(token, PLAIN);
    return ids.length === 1 ? ids[0] : undefined;
  }
}

let loaded: Promise<Gpt2Tokenizer> | undefined;

/** The GPT-2 tokenizer (loaded once; the BPE tables take a moment). */
export function gpt2Tokenizer(): Promise<Tokenizer> {
  loaded ??= (async () => {
    const enc = await import('gpt-tokenizer/encoding/r50k_base');
    const ranks = (await import('gpt-tokenizer/bpeRanks/r50k_base')).default as (string | number[])[];
    const h = createHash('sha256').update('r50k_base\0');
    for (const r of ranks) h.update(typeof r === 'string' ? `s${r}\0` : `b${r.join(',')}\0`);
    h.update(`special ${EOS_TEXT} ${EOS}`);
    return new Gpt2Tokenizer(enc, ranks, h.digest('hex'));
  })();
  return loaded;
}
