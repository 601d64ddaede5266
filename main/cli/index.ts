/**
 * `cwb`: the command-line face of the engine. Bad input prints one line on stderr and exits 2; no stack traces
 * unless CWB_DEBUG=1.
 */
import { UserError, isUserError } from '../errors';
import { cmdGenerate, cmdInfo, cmdLogits, type Out } from './commands';

const HELP = `cwb — Circuit Workbench command line (embedded stories260K model unless --model PATH)

  cwb generate [--prompt TEXT | --ids 1,15] [--steps N] [--temperature T] [--top-p P] [--seed S]
  cwb logits (--prompt TEXT | --ids 1,15,27) [--json]
  cwb info [--json]
  cwb import DIR [--prompt-length 32] [--dict DIR …] [--json]   (check a Hugging Face model folder)
  cwb serve [--port P] [--workspace DIR] [--dict DIR] [--open]   (browser mode; workspace default: current directory)
  cwb trace (--prompt TEXT | --ids 1,15) [--target TOKEN | --contrast A,B] [--max-feature-nodes N]
            [--node-threshold 0.8] [--edge-threshold 0.98] [--dict DIR] --out graph.json [--raw graph.safetensors]
  cwb paths GRAPH_FILE --to NODE_ID [--from ID,ID] [--k 10] [--json]
  cwb intervene (--prompt TEXT | --ids 1,15) [--set L:F:POS=V] [--scale L:F:POS=K] [--ablate L:F:POS[,L:-1:POS]]
            [--steer L:F@POS=S] [--edits FILE.json] [--mode frozen|free|constrained] [--generate N]
            [--target TOKEN | --contrast A,B] [--top-k 10] [--json] [--dict DIR]
  cwb explain (--prompt TEXT | --ids 1,15) [trace options] [--test "ablate 3:517:5 => p( Lily) drops >= 50%" …] --out FILE.circuit.json
  cwb verify FILE.circuit.json [--model PATH] [--dict DIR] [--json]     (exit 0 holds, 1 a test fails, 2 bad input)
  cwb diff --base A.bin --candidate B.bin --prompts SUITE.txt|.jsonl --out REPORT.json [--html REPORT.html]
            [--dict DIR] [--explanations DIR] [--patch-prompts 8] [--graph-prompts 2] [--graph-at 1,5] [--feature-rows 30]
  cwb dict train --out DIR [--corpus FILE | --tokens N --seed S] [--features D] [--k K] [--steps N] [--no-skip]
  cwb dict eval --dict DIR [--corpus FILE | --tokens N --seed S] [--json]
  cwb dict index --dict DIR [--corpus FILE | --tokens N --seed S] [--top-k 12]
  cwb corpus sample --tokens N --seed S [--temperature T] [--out FILE.jsonl]
  cwb lens (--prompt TEXT | --ids 1,15) [--target TOKEN] [--top-k 5] [--position P] [--json]
  cwb probe train --hook NAME --data LABELED.jsonl --out PROBE.json [--position last|mean] [--seed S]
  cwb probe eval --probe PROBE.json --data LABELED.jsonl [--json]
  cwb monitor --monitors FILE.json --input STREAM.jsonl [--out ALERTS.jsonl] [--batch N]
  cwb monitor eval --monitors FILE.json --data LABELED.jsonl [--baseline-token TOKEN] [--json]

Common options: --model PATH (llama2.c checkpoint or Hugging Face folder), --tokenizer FILE (llama2.c .bin or tokenizer.json).
`;

const commands: Record<string, (argv: string[], out: Out) => Promise<number>> = {
  generate: cmdGenerate,
  logits: cmdLogits,
  info: cmdInfo,
  import: async (argv, out) => (await import('./import')).cmdImport(argv, out),
  serve: async (argv, out) => (await import('../server/serve')).cmdServe(argv, out),
  corpus: async (argv, out) => (await import('./corpus')).cmdCorpus(argv, out),
  trace: async (argv, out) => (await import('./trace')).cmdTrace(argv, out),
  paths: async (argv, out) => (await import('./trace')).cmdPaths(argv, out),
  intervene: async (argv, out) => (await import('./intervene')).cmdIntervene(argv, out),
  explain: async (argv, out) => (await import('./explain')).cmdExplain(argv, out),
  verify: async (argv, out) => (await import('./explain')).cmdVerify(argv, out),
  diff: async (argv, out) => (await import('./diff')).cmdDiff(argv, out),
  lens: async (argv, out) => (await import('./lens')).cmdLens(argv, out),
  probe: async (argv, out) => (await import('./probe')).cmdProbe(argv, out),
  monitor: async (argv, out) => (await import('./monitor')).cmdMonitor(argv, out),
  dict: async (argv, out) => {
    const [sub, ...rest] = argv;
    if (sub === 'train') return (await import('./dictTrain')).cmdDictTrain(rest, out);
    if (sub === 'eval') return (await import('./dictTrain')).cmdDictEval(rest, out);
    if (sub === 'index') return (await import('./dict')).cmdDictIndex(rest, out);
    throw new UserError(`dict: ${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'} (train, eval, index; see cwb help)`);
  },
};

export async function main(argv: string[], out: Out): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    out.stdout(HELP);
    return cmd ? 0 : 2;
  }
  const run = commands[cmd];
  if (!run) {
    out.stderr(`cwb: unknown command "${cmd}" (commands: ${Object.keys(commands).join(', ')}; see cwb help)\n`);
    return 2;
  }
  try {
    return await run(rest, out);
  } catch (e) {
    if (isUserError(e)) {
      out.stderr(`cwb ${cmd}: ${e.message}\n`);
      return 2;
    }
    if (process.env.CWB_DEBUG === '1') throw e;
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    out.stderr(`cwb ${cmd}: internal error: ${msg} (set CWB_DEBUG=1 for details)\n`);
    return 1;
  }
}

const isEntry = process.argv[1] && /cli[\\/]index\.ts$/.test(process.argv[1]);
if (isEntry || process.env.CWB_BIN === '1') {
  const out: Out = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  };
  main(process.argv.slice(2), out).then(
    (code) => {
      // Let stdout drain before exiting (large --json outputs through a pipe).
      process.stdout.write('', () => process.exit(code));
    },
    (e: unknown) => {
      process.stderr.write(`cwb: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
