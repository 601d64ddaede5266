/** What the engine needs of a tokenizer, whatever its format. */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  encode(text: string, opts?: { bos?: boolean; eos?: boolean }): number[];
  /** Text of a whole id sequence (a leading BOS prints nothing). */
  decode(ids: readonly number[]): string;
  /** Bytes to print for `token` following `prev`, as llama2.c's safe_printf would print them. */
  printablePiece(prev: number, token: number): Uint8Array;
}
