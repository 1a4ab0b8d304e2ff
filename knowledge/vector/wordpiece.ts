// A BERT WordPiece tokenizer, the one sentence-transformers models (MiniLM, BGE, E5, GTE) ship as
// vocab.txt or tokenizer.json. Written here because the npm tokenizers that read these files pull
// in a whole inference runtime or a native build; this is the documented algorithm only:
// clean → (lowercase, strip accents) → split on whitespace, punctuation and CJK → greedy
// longest-match-first sub-words with "##" continuations → [CLS] … [SEP].
import { readFile } from 'node:fs/promises';
import { KnowledgeError } from '../knowledge-error.js';

export interface WordPieceOptions {
  lowercase?: boolean;
  maxInputCharsPerWord?: number;
}

export interface Encoding {
  ids: number[];
  /** Content tokens dropped because the text was longer than maxTokens. */
  truncated: number;
}

const isPunctuation = (cp: number, ch: string) =>
  (cp >= 33 && cp <= 47) ||
  (cp >= 58 && cp <= 64) ||
  (cp >= 91 && cp <= 96) ||
  (cp >= 123 && cp <= 126) ||
  /\p{P}/u.test(ch);

const isCjk = (cp: number) =>
  (cp >= 0x4e00 && cp <= 0x9fff) ||
  (cp >= 0x3400 && cp <= 0x4dbf) ||
  (cp >= 0x20000 && cp <= 0x2a6df) ||
  (cp >= 0x2a700 && cp <= 0x2b73f) ||
  (cp >= 0x2b740 && cp <= 0x2b81f) ||
  (cp >= 0x2b820 && cp <= 0x2ceaf) ||
  (cp >= 0xf900 && cp <= 0xfaff) ||
  (cp >= 0x2f800 && cp <= 0x2fa1f);

export class WordPieceTokenizer {
  readonly cls: number;
  readonly sep: number;
  readonly pad: number;
  readonly unk: number;
  private readonly lowercase: boolean;
  private readonly maxChars: number;

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    options: WordPieceOptions = {},
  ) {
    const need = (token: string) => {
      const id = vocab.get(token);
      if (id === undefined)
        throw new KnowledgeError(
          'BAD_INPUT',
          `the vocabulary has no ${token} token; is it a BERT WordPiece vocabulary?`,
        );
      return id;
    };
    this.cls = need('[CLS]');
    this.sep = need('[SEP]');
    this.pad = need('[PAD]');
    this.unk = need('[UNK]');
    this.lowercase = options.lowercase ?? true;
    this.maxChars = options.maxInputCharsPerWord ?? 100;
  }

  /** Reads vocab.txt (one token per line) or a Hugging Face tokenizer.json with a WordPiece model. */
  static async fromFile(file: string, options: WordPieceOptions = {}): Promise<WordPieceTokenizer> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new KnowledgeError('NOT_FOUND', `cannot read the tokenizer file ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (file.endsWith('.json')) {
      const json = JSON.parse(text) as {
        model?: { type?: string; vocab?: Record<string, number> };
        normalizer?: { lowercase?: boolean };
      };
      if (json.model?.type !== 'WordPiece' || !json.model.vocab)
        throw new KnowledgeError(
          'BAD_INPUT',
          `${file} is not a WordPiece tokenizer.json (model.type is ${json.model?.type ?? 'missing'})`,
        );
      return new WordPieceTokenizer(new Map(Object.entries(json.model.vocab)), {
        lowercase: json.normalizer?.lowercase ?? true,
        ...options,
      });
    }
    const vocab = new Map<string, number>();
    text.split(/\r?\n/).forEach((token, i) => {
      if (token.length > 0 && !vocab.has(token)) vocab.set(token, i);
    });
    return new WordPieceTokenizer(vocab, options);
  }

  /** Whitespace, punctuation and CJK splitting after cleaning and normalisation. */
  basicTokens(text: string): string[] {
    let cleaned = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || (/\p{Cc}/u.test(ch) && !/\s/.test(ch))) continue;
      cleaned += isCjk(cp) ? ` ${ch} ` : /\s/.test(ch) ? ' ' : ch;
    }
    if (this.lowercase)
      cleaned = cleaned
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '');
    const out: string[] = [];
    for (const word of cleaned.split(' ')) {
      if (!word) continue;
      let current = '';
      for (const ch of word) {
        if (isPunctuation(ch.codePointAt(0)!, ch)) {
          if (current) out.push(current);
          out.push(ch);
          current = '';
        } else {
          current += ch;
        }
      }
      if (current) out.push(current);
    }
    return out;
  }

  private pieces(word: string, into: number[]): void {
    const chars = [...word];
    if (chars.length > this.maxChars) {
      into.push(this.unk);
      return;
    }
    const found: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let id: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        id = this.vocab.get(piece);
        if (id !== undefined) break;
        end--;
      }
      if (id === undefined) {
        into.push(this.unk);
        return;
      }
      found.push(id);
      start = end;
    }
    into.push(...found);
  }

  encode(text: string, maxTokens: number): Encoding {
    const ids: number[] = [];
    for (const word of this.basicTokens(text)) this.pieces(word, ids);
    const room = Math.max(0, maxTokens - 2);
    return { ids: [this.cls, ...ids.slice(0, room), this.sep], truncated: Math.max(0, ids.length - room) };
  }
}
