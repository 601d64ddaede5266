/**
 * Writes a random-weight Hugging Face Llama or Gemma-2 folder (config.json + BF16 safetensors shards + index) of any size,
 * streaming tensor by tensor so that a 1B-parameter model never sits in memory as a whole. Weights are uniform
 * with std 1/√fan-in (norm gains 1), generated with mulberry32 and rounded to BF16 directly (bit truncation
 * after adding half an ulp: round-to-nearest, ties away — fine for random data).
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../shared/prng';

export interface LlamaShape {
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly mlp: number;
  readonly vocab: number;
  /** gemma2: sandwich norms, and norm weights stored as w with gain 1 + w (written as 0 for a unit gain). */
  readonly family?: 'llama' | 'gemma2';
}

type Spec = { name: string; shape: number[]; std: number };

/** std −1 marks a norm weight: 1 (Llama gain) or 0 (Gemma stores w of the gain 1 + w). */
const NORM = -1;

function tensorsOf(s: LlamaShape): Spec[] {
  const { hidden: d, heads: H, kvHeads: K, headDim: dh, mlp: m, vocab: V } = s;
  const gemma = s.family === 'gemma2';
  const out: Spec[] = [{ name: 'model.embed_tokens.weight', shape: [V, d], std: 1 }];
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}.`;
    out.push(
      { name: `${p}input_layernorm.weight`, shape: [d], std: NORM },
      { name: `${p}self_attn.q_proj.weight`, shape: [H * dh, d], std: 1 / Math.sqrt(d) },
      { name: `${p}self_attn.k_proj.weight`, shape: [K * dh, d], std: 1 / Math.sqrt(d) },
      { name: `${p}self_attn.v_proj.weight`, shape: [K * dh, d], std: 1 / Math.sqrt(d) },
      { name: `${p}self_attn.o_proj.weight`, shape: [d, H * dh], std: 1 / Math.sqrt(H * dh) },
      { name: `${p}post_attention_layernorm.weight`, shape: [d], std: NORM },
      ...(gemma
        ? [{ name: `${p}pre_feedforward_layernorm.weight`, shape: [d], std: NORM }, { name: `${p}post_feedforward_layernorm.weight`, shape: [d], std: NORM }]
        : []),
      { name: `${p}mlp.gate_proj.weight`, shape: [m, d], std: 1 / Math.sqrt(d) },
      { name: `${p}mlp.up_proj.weight`, shape: [m, d], std: 1 / Math.sqrt(d) },
      { name: `${p}mlp.down_proj.weight`, shape: [d, m], std: 1 / Math.sqrt(m) },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [d], std: NORM });
  return out;
}

/** BF16 bits of random values, or a unit norm gain (1, or 0 for Gemma's 1 + w). */
function fill(buf: Uint16Array, rand: () => number, std: number, gemma: boolean): void {
  if (std === NORM) return void buf.fill(gemma ? 0 : 0x3f80);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const a = Math.sqrt(3) * std;
  for (let i = 0; i < buf.length; i++) {
    f[0] = (2 * rand() - 1) * a;
    buf[i] = (u[0] + 0x8000) >>> 16;
  }
}

/** Writes the folder; `config` is merged into config.json. Returns the bytes written. */
export function writeRandomLlamaFolder(dir: string, s: LlamaShape, config: Record<string, unknown>, shards = 2, seed = 1): number {
  mkdirSync(dir, { recursive: true });
  const tensors = tensorsOf(s);
  const numel = (t: Spec) => t.shape.reduce((a, b) => a * b, 1);
  const total = tensors.reduce((a, t) => a + 2 * numel(t), 0);
  // Contiguous runs of tensors of about total/shards bytes each.
  const groups: Spec[][] = [[]];
  let acc = 0;
  for (const t of tensors) {
    if (acc >= (total / shards) * groups.length && groups.length < shards) groups.push([]);
    groups[groups.length - 1].push(t);
    acc += 2 * numel(t);
  }
  const rand = mulberry32(seed);
  const weightMap: Record<string, string> = {};
  let written = 0;
  groups.forEach((group, i) => {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let off = 0;
    for (const t of group) {
      header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [off, off + 2 * numel(t)] };
      off += 2 * numel(t);
      weightMap[t.name] = file;
    }
    let json = JSON.stringify(header);
    json = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
    const fd = openSync(path.join(dir, file), 'w');
    try {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      writeSync(fd, len);
      writeSync(fd, Buffer.from(json));
      for (const t of group) {
        const n = numel(t);
        const chunk = 1 << 24;
        for (let o = 0; o < n; o += chunk) {
          const buf = new Uint16Array(Math.min(chunk, n - o));
          fill(buf, rand, t.std, s.family === 'gemma2');
          writeSync(fd, new Uint8Array(buf.buffer));
        }
      }
      written += 8 + json.length + off;
    } finally {
      closeSync(fd);
    }
  });
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      architectures: [s.family === 'gemma2' ? 'Gemma2ForCausalLM' : 'LlamaForCausalLM'], model_type: s.family ?? 'llama', hidden_size: s.hidden, num_hidden_layers: s.layers,
      num_attention_heads: s.heads, num_key_value_heads: s.kvHeads, head_dim: s.headDim, intermediate_size: s.mlp,
      vocab_size: s.vocab, hidden_act: 'silu', torch_dtype: 'bfloat16', ...config,
    }, null, 2),
  );
  return written;
}
