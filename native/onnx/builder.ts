/**
 * A small typed builder for ONNX graphs over onnx-proto. The engine writes its programs (forward with hooks,
 * linearized backward, training steps) as ordinary TypeScript calls on this builder; nothing is exported from
 * another framework and no .onnx file is shipped.
 */
import onnxProto from 'onnx-proto';
import type { Tensor } from '../../shared/tensor';

const { onnx } = onnxProto;

/** The opset the programs are written against (ReduceMean still takes `axes` as an attribute here). */
export const OPSET = 17;
const IR_VERSION = 8;

export type DType = 'float32' | 'int64' | 'int32' | 'bool';
const DTYPE_CODE: Record<DType, number> = { float32: 1, int64: 7, int32: 6, bool: 9 };

/** A symbolic value in the graph under construction. */
export interface Value {
  readonly name: string;
}

/**
 * A built program: the ONNX bytes plus the tensors its `ext:` inputs take on every run. Weights travel as
 * inputs, not initializers: onnxruntime reads the JS buffers in place, so several programs over one model share
 * one copy of its weights, and no protobuf 2 GB limit applies.
 */
export interface BuiltProgram {
  readonly bytes: Uint8Array;
  readonly externals: ReadonlyMap<string, Tensor>;
}

/** A dimension: a fixed size or a named symbolic one (e.g. 'B', 'T'). */
export type Dim = number | string;

type AttrValue = number | number[] | string | { ints: number[] } | { float: number };

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('ints' in v) return { name, type: T.INTS, ints: v.ints };
  return { name, type: T.FLOAT, f: v.float };
}

function valueInfo(name: string, dtype: DType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DTYPE_CODE[dtype],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function bytesOf(a: Float32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly inputNames = new Set<string>();
  private readonly externalTensors = new Map<string, Tensor>();
  private counter = 0;

  constructor(readonly name: string) {}

  private fresh(hint: string): string {
    return `${hint}__${this.counter++}`;
  }

  input(name: string, dtype: DType, dims: readonly Dim[]): Value {
    if (this.inputNames.has(name)) throw new Error(`duplicate graph input ${name}`);
    this.inputNames.add(name);
    this.inputs.push(valueInfo(name, dtype, dims));
    return { name };
  }

  /** A weight fed on every run from the given tensor (see BuiltProgram); one input per key. */
  external(key: string, t: Tensor): Value {
    const name = `ext:${key}`;
    if (!this.externalTensors.has(name)) {
      this.externalTensors.set(name, t);
      this.input(name, 'float32', t.shape);
    } else if (this.externalTensors.get(name) !== t) throw new Error(`external ${key} bound to two tensors`);
    return { name };
  }

  /** x·Wᵀ for W stored (out, in), any leading dims of x; Gemm's transB reads W in place (no transpose copy). */
  linearT(x: Value, w: Value, outDim: number, inDim: number): Value {
    const lead = this.op('Shape', [x], { start: 0, end: -1 });
    const y = this.op('Gemm', [this.reshape(x, [-1, inDim]), w], { transB: 1 });
    return this.reshape(y, this.concat([lead, this.constI64([outDim])], 0));
  }

  build(): BuiltProgram {
    return { bytes: this.toBytes(), externals: new Map(this.externalTensors) };
  }

  /** Marks `v` as a graph output called `name` (through an Identity so inputs can be outputs too). */
  output(v: Value, name: string, dtype: DType, dims: readonly Dim[]): void {
    this.nodes.push({ opType: 'Identity', input: [v.name], output: [name], name: this.fresh('out') });
    this.outputs.push(valueInfo(name, dtype, dims));
  }

  /** A constant float32 tensor stored as an initializer (weights, tables). */
  constF(data: Float32Array | readonly number[], dims: readonly number[], hint = 'cf'): Value {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    const name = this.fresh(hint);
    this.inits.push({ name, dataType: DTYPE_CODE.float32, dims: [...dims], rawData: bytesOf(arr) });
    return { name };
  }

  constI64(data: readonly number[], dims: readonly number[] = [data.length], hint = 'ci'): Value {
    const name = this.fresh(hint);
    const arr = BigInt64Array.from(data.map((x) => BigInt(x)));
    this.inits.push({ name, dataType: DTYPE_CODE.int64, dims: [...dims], rawData: bytesOf(arr) });
    return { name };
  }

  scalarF(x: number): Value {
    return this.constF([x], [], 'sf');
  }

  op(opType: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrValue> = {}, hint?: string): Value {
    return this.opN(opType, inputs, 1, attrs, hint)[0];
  }

  opN(opType: string, inputs: readonly (Value | null)[], nOut: number, attrs: Record<string, AttrValue> = {}, hint?: string): Value[] {
    const outs = Array.from({ length: nOut }, () => this.fresh(hint ?? opType));
    this.nodes.push({
      opType,
      input: inputs.map((v) => (v ? v.name : '')),
      output: outs,
      name: this.fresh(`n_${opType}`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs.map((name) => ({ name }));
  }

  // Thin wrappers for the ops the programs use most: they keep program code readable.
  add(a: Value, b: Value): Value { return this.op('Add', [a, b]); }
  sub(a: Value, b: Value): Value { return this.op('Sub', [a, b]); }
  mul(a: Value, b: Value): Value { return this.op('Mul', [a, b]); }
  div(a: Value, b: Value): Value { return this.op('Div', [a, b]); }
  matMul(a: Value, b: Value): Value { return this.op('MatMul', [a, b]); }
  transpose(a: Value, perm: number[]): Value { return this.op('Transpose', [a], { perm }); }
  reshape(a: Value, shape: Value | readonly number[]): Value {
    const s = Array.isArray(shape) ? this.constI64(shape as number[]) : (shape as Value);
    return this.op('Reshape', [a, s]);
  }
  unsqueeze(a: Value, axes: number[]): Value { return this.op('Unsqueeze', [a, this.constI64(axes)]); }
  concat(vs: readonly Value[], axis: number): Value { return this.op('Concat', vs, { axis }); }
  where(cond: Value, a: Value, b: Value): Value { return this.op('Where', [cond, a, b]); }
  softmax(a: Value, axis = -1): Value { return this.op('Softmax', [a], { axis }); }
  sqrt(a: Value): Value { return this.op('Sqrt', [a]); }
  sigmoid(a: Value): Value { return this.op('Sigmoid', [a]); }
  meanLast(a: Value): Value { return this.op('ReduceMean', [a], { axes: { ints: [-1] }, keepdims: 1 }); }

  /** Slice along one axis: [start, end). */
  slice(a: Value, axis: number, start: number, end: number): Value {
    return this.op('Slice', [a, this.constI64([start]), this.constI64([end]), this.constI64([axis])]);
  }

  /** One dimension of a value's runtime shape, as an int64 tensor of shape [1]. */
  dim(a: Value, axis: number): Value {
    return this.op('Shape', [a], { start: axis, end: axis + 1 });
  }

  toModel(): onnxProto.onnx.IModelProto {
    return {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'circuit-workbench',
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    };
  }

  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.toModel())).finish();
  }
}
