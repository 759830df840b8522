// `bytes`: UTF-8 bytes 0..255 and EOS 256 (V = 257; EOS also pads; the mask is appended at 257).
// Decoding replaces broken UTF-8 sequences with U+FFFD, as TextDecoder does.
import { createHash } from 'node:crypto';
import { MASK_MARKER, type Tokenizer } from './types.ts';
import { checkId } from './ids.ts';

const V = 257;
const EOS = 256;
const EOS_TEXT = '<eos>';

export class BytesTokenizer implements Tokenizer {
  readonly name = 'bytes';
  readonly id = 'bytes';
  readonly sha256 = createHash('sha256').update('dlmk.bytes/1: utf-8 bytes 0..255, eos 256').digest('hex');
  readonly vocabSize = V;
  readonly eos = EOS;
  readonly pad = EOS;
  readonly maskSlot = { appended: true } as const;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  encode(text: string): Uint32Array {
    return Uint32Array.from(this.encoder.encode(text));
  }

  decode(ids: ArrayLike<number>): string {
    let out = '';
    let run: number[] = [];
    const flush = () => {
      if (run.length) out += this.decoder.decode(Uint8Array.from(run));
      run = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      checkId(id, V, 'bytes');
      if (id < 256) run.push(id);
      else {
        flush();
        out += id === EOS ? EOS_TEXT : MASK_MARKER;
      }
    }
    flush();
    return out;
  }

  tokenString(id: number): string {
    checkId(id, V, 'bytes');
    if (id === V) return MASK_MARKER;
    if (id === EOS) return EOS_TEXT;
    return id >= 0x21 && id < 0x7f ? String.fromCharCode(id) : `<0x${id.toString(16).toUpperCase().padStart(2, '0')}>`;
  }

  lookup(token: string): number | undefined {
    if (token === EOS_TEXT) return EOS;
    if (token.length === 1 && token.charCodeAt(0) < 0x80) return token.charCodeAt(0);
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
    return m ? parseInt(m[1]!, 16) : undefined;
  }
}
