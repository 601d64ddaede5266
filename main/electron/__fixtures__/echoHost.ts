// Stand-in for main/api/host.ts in engineProcess.test.ts: answers every call over Node IPC with a progress and a
// result echoing its params (plus a typed array, to prove structured-clone serialization), and exits with code 3
// on method "crash".
const send = (m: unknown) => process.send?.(m);

process.on('message', (raw) => {
  const msg = raw as { type: string; id: string; method?: string; params?: unknown };
  if (msg.type !== 'call') return;
  if (msg.method === 'crash') process.exit(3);
  send({ type: 'progress', id: msg.id, progress: { phase: 'echo', done: 1, total: 1 } });
  send({
    type: 'result',
    id: msg.id,
    result: { params: msg.params, floats: new Float32Array([1.5, -2]), runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null, argv: process.argv.slice(2) },
  });
});
process.on('disconnect', () => process.exit(0));
