/**
 * Forward benchmark: latency and tokens/s of the onnxruntime forward program against the plain-TS reference
 * on the embedded model, at 16, 128 and 512 tokens. Both are measured in the same process, warm.
 */
import { loadModel } from '../main/model/load';
import { runForward } from '../native/forwardRun';
import { referenceForward } from '../main/reference/forward';
import { Rng } from '../main/engine/sampler';
import { median } from './stats';

async function timeIt(fn: () => Promise<unknown> | unknown, minMs: number, minReps = 3): Promise<{ ms: number; reps: number }> {
  await fn(); // warm-up (session build, JIT)
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minReps || performance.now() - start < minMs) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), reps: times.length };
}

export async function benchForward(): Promise<Record<string, unknown>> {
  const { spec } = await loadModel();
  const rng = new Rng(7);
  const rows = [];
  for (const T of [16, 128, 512]) {
    const ids = [1, ...Array.from({ length: T - 1 }, () => 3 + (rng.u32() % (spec.config.vocabSize - 3)))];
    const ort = await timeIt(() => runForward(spec, { tokens: [ids], outputs: ['logits'] }), 1000);
    const ref = await timeIt(() => referenceForward(spec, [ids], { outputs: ['logits'] }), 1000, 2);
    rows.push({
      tokens: T,
      onnxruntime_ms: +ort.ms.toFixed(3),
      onnxruntime_tokens_per_s: Math.round((T / ort.ms) * 1000),
      reference_ms: +ref.ms.toFixed(3),
      reference_tokens_per_s: Math.round((T / ref.ms) * 1000),
      speedup_vs_reference: +(ref.ms / ort.ms).toFixed(1),
      reps: { onnxruntime: ort.reps, reference: ref.reps },
    });
  }
  return { model: spec.name, sha256: spec.fingerprint, rows };
}
