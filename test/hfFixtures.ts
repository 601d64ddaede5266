/** Reading the Hugging Face fixtures (test/fixtures/hf, see PROVENANCE.md) and comparing against them. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const hfFixtureDir = (name: string) => path.join(import.meta.dirname, 'fixtures', 'hf', name);

export interface FixtureTensor {
  readonly shape: number[];
  readonly data: unknown;
  readonly select?: string;
}
export interface FixtureCase {
  readonly name: string;
  readonly input_ids: number[];
  readonly argmax: number[];
  readonly logits: FixtureTensor;
  readonly hooks: Record<string, FixtureTensor>;
}
export interface FixtureExpected {
  readonly storage_dtype: string;
  readonly tolerance: { logits_atol: number; hooks_atol: number; rtol: number };
  readonly cases: FixtureCase[];
  readonly greedy_200_from_bos?: { input_ids: number[]; steps: number; output_ids: number[]; text: string };
}

export function readExpected(name: string): FixtureExpected {
  return JSON.parse(readFileSync(path.join(hfFixtureDir(name), 'expected.json'), 'utf8')) as FixtureExpected;
}

export function flat(t: FixtureTensor): Float64Array {
  return Float64Array.from((t.data as unknown[]).flat(Infinity as 1) as number[]);
}

/** Worst |a − e| / (atol + rtol·|e| above 1): ≤ 1 is within the fixture's tolerance. */
export function worstRatio(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs expected ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const r = Math.abs(actual[i] - e) / (atol + (Math.abs(e) > 1 ? rtol * Math.abs(e) : 0));
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : r;
  }
  return worst;
}
