/**
 * UI benchmark (`npm run bench -- ui` → bench/results/ui.json): the real server and the renderer (rebuilt first
 * with `npm run build:renderer`) in Debian's Chromium (never a downloaded browser; CWB_CHROMIUM overrides
 * /usr/bin/chromium).
 * (a) Trace on the embedded model: a 16-token prompt, click "Trace" → rendered graph
 *     (`cwbDebug.timings.traceClickToRenderMs`, median of 5 after one warm-up).
 * (b) A ~3,000-node graph of the scale case (random 124M-shaped Llama + 24,576-feature ReLU PLTs, 32 tokens,
 *     built by bench/uiScaleGraph.ts and cached under bench/.cache/) opened through "Open graph…": first render
 *     (`timings.lastRenderMs` and the wall time from the click on the file to `data-node-count`), and the
 *     node-threshold slider round trip (`timings.lastPruneRoundTripMs`) at every position of a sweep up to
 *     0.99 and back down (each move recorded, plus the median and the worst), with the bare engine re-prune of
 *     the same graph at the same thresholds measured in this run as the baseline.
 * Targets: first render ≤ 1.5 s, slider round trip ≤ 100 ms at every slider position.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { DEFAULT_EDGE_THRESHOLD, DEFAULT_NODE_THRESHOLD } from '../shared/api';
import { loadModel } from '../main/model/load';
import { readRawGraph, sidecarPath } from '../main/graph/rawGraph';
import { preparePruning } from '../main/graph/prune';
import { assertChromium, chromiumArgs, chromiumPath } from '../e2e/chromium';
import { repoRoot, startCwbServer, type CwbServer } from '../e2e/server';
import { openWsApi } from '../e2e/wsApi';
import { MAX_VIEW_EDGES } from '../renderer/src/store/actions/graph';
import { STORY } from './story';
import { median } from './stats';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCALE_NODES = 3000;
/** Bump when the scale graph's recipe (or the raw graph format) changes. */
const SCALE_CACHE = path.join(here, '.cache', `ui-scale-${SCALE_NODES}-v1.safetensors`);
/** Node thresholds for the slider moves, up and back down (edge threshold stays at the default). */
const SWEEP_UP = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99];
const SLIDER_THRESHOLDS = [...SWEEP_UP, ...SWEEP_UP.slice(0, -1).reverse()];
/** The thresholds the baselines measure (each once). */
const BASELINE_THRESHOLDS = SWEEP_UP;
const TARGETS = { firstRenderMs: 1500, sliderRoundTripMs: 100 };

interface Timings {
  traceClickToRenderMs?: number;
  lastRenderMs?: number;
  lastPruneRoundTripMs?: number;
  lastEdgeDrawMs?: number;
  lastPruneCompleteMs?: number;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** The cached scale graph, built in a child process (≈ 40 s and ~2 GB of random weights) when missing. */
function ensureScaleGraph(): { file: string; built: Record<string, unknown> | null } {
  if (existsSync(SCALE_CACHE) && existsSync(sidecarPath(SCALE_CACHE))) return { file: SCALE_CACHE, built: null };
  process.stderr.write(`building the ${SCALE_NODES}-node scale graph into ${path.relative(repoRoot, SCALE_CACHE)}…\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'uiScaleGraph.ts'), SCALE_CACHE, String(SCALE_NODES)], { encoding: 'utf8', cwd: repoRoot, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`building the scale graph failed: ${r.stderr}`);
  return { file: SCALE_CACHE, built: JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown> };
}

/** The bare engine on the same graph: read, prepare, re-prune at the slider's thresholds (median of 7 each). */
async function engineBaseline(file: string) {
  let t = performance.now();
  const g = await readRawGraph(file);
  const readMs = performance.now() - t;
  t = performance.now();
  const prepared = preparePruning(g);
  const prepareMs = performance.now() - t;
  const rows = BASELINE_THRESHOLDS.map((nt) => {
    const times: number[] = [];
    let nodes = 0;
    let edges = 0;
    for (let i = 0; i < 7; i++) {
      const s = performance.now();
      const r = prepared.prune(nt, DEFAULT_EDGE_THRESHOLD);
      times.push(performance.now() - s);
      nodes = r.stats.nodesKept;
      edges = r.stats.edgesKept;
    }
    return { nodeThreshold: nt, pruneMs: r1(median(times)), nodesKept: nodes, edgesKept: edges };
  });
  return { nodes: Math.round(Math.sqrt(g.adjacency.length)), readMs: Math.round(readMs), prepareMs: Math.round(prepareMs), pruneMsMedian: r1(median(rows.map((r) => r.pruneMs))), rows };
}

const timings = (page: Page) => page.evaluate(() => ({ ...(window.cwbDebug?.timings ?? {}) }) as Timings);
const nodeCountAttr = (page: Page) => page.getByTestId('graph').getAttribute('data-node-count');

/** Waits until `key` in cwbDebug.timings differs from `prev` (a new measurement landed), returns it. */
async function nextTiming(page: Page, key: keyof Timings, prev: number | undefined, timeoutMs = 120_000): Promise<number> {
  await page.waitForFunction(
    ([k, p]) => {
      const v = (window.cwbDebug?.timings as Record<string, number | undefined> | undefined)?.[k as string];
      return typeof v === 'number' && v !== p;
    },
    [key, prev ?? null] as const,
    { timeout: timeoutMs, polling: 'raf' },
  );
  return (await timings(page))[key]!;
}

/** A prefix of the benchmark story that is exactly `n` tokens with BOS. */
async function promptOfTokens(n: number): Promise<string> {
  const { tokenizer } = await loadModel();
  const words = STORY.split(' ');
  for (let k = 1; k <= words.length; k++) {
    const text = words.slice(0, k).join(' ');
    const len = tokenizer.encode(text, { bos: true }).length;
    if (len === n) return text;
    if (len > n) break;
  }
  throw new Error(`no word prefix of the story has exactly ${n} tokens`);
}

async function benchTrace(page: Page) {
  const prompt = await promptOfTokens(16);
  await page.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
  const trace = page.getByRole('button', { name: 'Trace', exact: true });
  const runs: number[] = [];
  let nodes = 0;
  for (let i = 0; i < 6; i++) {
    const prev = (await timings(page)).traceClickToRenderMs;
    await trace.click();
    const ms = await nextTiming(page, 'traceClickToRenderMs', prev);
    await page.waitForFunction(() => !!document.querySelector('[data-testid=graph][data-node-count]'));
    nodes = Number(await nodeCountAttr(page));
    await trace.waitFor({ state: 'visible' });
    await page.waitForFunction(() => {
      const b = [...document.querySelectorAll('button')].find((x) => x.textContent?.trim() === 'Trace');
      return !!b && !b.disabled;
    });
    if (i > 0) runs.push(ms); // the first is a warm-up (programs built, sessions created)
  }
  return { prompt, tokens: 16, visibleNodes: nodes, runsMs: runs.map(r1), traceClickToRenderMsMedian: r1(median(runs)), lastRenderMs: r1((await timings(page)).lastRenderMs ?? NaN) };
}

async function openGraphFile(page: Page, name: string): Promise<number> {
  await page.getByRole('button', { name: /open graph/i }).click();
  const dialog = page.getByRole('dialog');
  const entry = dialog.getByRole('button', { name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).first();
  await entry.waitFor({ state: 'visible' });
  const before = await nodeCountAttr(page);
  const t0 = Date.now();
  await entry.click();
  await page.waitForFunction(
    (prev) => {
      const el = document.querySelector('[data-testid=graph]');
      const v = el?.getAttribute('data-node-count');
      return !!v && v !== prev && Number(v) > 0;
    },
    before,
    { timeout: 120_000, polling: 'raf' },
  );
  return Date.now() - t0;
}

async function benchScaleGraph(page: Page, fileName: string) {
  const prevRender = (await timings(page)).lastRenderMs;
  const wallMs = await openGraphFile(page, fileName);
  const renderMs = await nextTiming(page, 'lastRenderMs', prevRender);
  const visibleNodes = Number(await nodeCountAttr(page));
  const slider = page.getByRole('slider', { name: 'Node threshold' });
  const moves: { nodeThreshold: number; roundTripMs: number; completeMs: number; renderMs: number; edgeDrawMs: number; visibleNodes: number; visibleEdges: number; edgesKept: number; header: string }[] = [];
  const prunedEdgeTotal = () => page.evaluate(() => document.querySelector('[data-testid=graph]')?.getAttribute('data-edge-total') ?? null);
  // CWB_UI_PROFILE=FILE: a CPU profile of the renderer over the slider moves (open in Chrome DevTools).
  const profileFile = process.env.CWB_UI_PROFILE;
  const cdp = profileFile ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  for (const nt of SLIDER_THRESHOLDS) {
    const before = await timings(page);
    await slider.fill(String(nt));
    const ms = await nextTiming(page, 'lastPruneRoundTripMs', before.lastPruneRoundTripMs, 30_000);
    // Big views draw their weakest edges over a few more frames: slider → every edge on screen.
    const completeMs = await nextTiming(page, 'lastPruneCompleteMs', before.lastPruneCompleteMs, 30_000);
    const t = await timings(page);
    const visibleEdges = Number(await page.getByTestId('graph').getAttribute('data-edge-count'));
    moves.push({
      nodeThreshold: nt,
      roundTripMs: r1(ms),
      completeMs: r1(completeMs),
      renderMs: r1(t.lastRenderMs ?? NaN),
      edgeDrawMs: r1(t.lastEdgeDrawMs ?? NaN),
      visibleNodes: Number(await nodeCountAttr(page)),
      visibleEdges,
      edgesKept: Number((await prunedEdgeTotal()) ?? visibleEdges),
      header: (await page.locator('.graph-summary').innerText()).replace(/\s+/g, ' ').trim(),
    });
    process.stderr.write(`  node threshold ${nt}: round trip ${r1(ms)} ms, all edges ${r1(completeMs)} ms (render ${r1(t.lastRenderMs ?? NaN)} ms, edges drawn ${visibleEdges})\n`);
  }
  await slider.fill(String(DEFAULT_NODE_THRESHOLD));
  if (cdp && profileFile) writeFileSync(profileFile, JSON.stringify((await cdp.send('Profiler.stop')).profile));
  const worst = moves.reduce((a, b) => (b.roundTripMs > a.roundTripMs ? b : a));
  return {
    openToNodeCountWallMs: wallMs,
    lastRenderMs: r1(renderMs),
    visibleNodesAtDefault: visibleNodes,
    maxViewEdges: MAX_VIEW_EDGES,
    sliderMoves: moves,
    sliderRoundTripMsMedian: r1(median(moves.map((m) => m.roundTripMs))),
    sliderRoundTripMsMax: worst.roundTripMs,
    sliderCompleteMsMax: r1(Math.max(...moves.map((m) => m.completeMs))),
    sliderRoundTripWorst: { nodeThreshold: worst.nodeThreshold, roundTripMs: worst.roundTripMs, visibleEdges: worst.visibleEdges },
  };
}

/**
 * The same operations through the engine's API over the WebSocket (no page): what the UI adds on top of the
 * engine and the transport. Run after the page's measurements, on the same server.
 */
async function apiBaseline(server: CwbServer, prompt: string, fileName: string) {
  const api = await openWsApi(server);
  const now = () => performance.now();
  try {
    const traceMs: number[] = [];
    const attributionMs: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = now();
      const g = await api.call('graph.trace', { prompt, target: { kind: 'salient' } });
      await api.call('graph.prune', { graphId: g.graphId, nodeThreshold: DEFAULT_NODE_THRESHOLD, edgeThreshold: DEFAULT_EDGE_THRESHOLD, maxEdges: MAX_VIEW_EDGES });
      if (i === 0) continue;
      traceMs.push(now() - t0);
      attributionMs.push(g.attributionMs ?? NaN);
    }
    const openMs: number[] = [];
    let graphId = '';
    for (let i = 0; i < 3; i++) {
      const t0 = now();
      const g = await api.call('graph.open', { path: fileName });
      await api.call('graph.prune', { graphId: g.graphId, nodeThreshold: DEFAULT_NODE_THRESHOLD, edgeThreshold: DEFAULT_EDGE_THRESHOLD, maxEdges: MAX_VIEW_EDGES });
      openMs.push(now() - t0);
      graphId = g.graphId;
    }
    const prune = [];
    for (const nt of BASELINE_THRESHOLDS) {
      const rt: number[] = [];
      const engine: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = now();
        const v = await api.call('graph.prune', { graphId, nodeThreshold: nt, edgeThreshold: DEFAULT_EDGE_THRESHOLD, maxEdges: MAX_VIEW_EDGES });
        rt.push(now() - t0);
        engine.push(v.ms);
      }
      // The first call computes the view (what a slider move costs); repeats may be answered from a cache.
      prune.push({ nodeThreshold: nt, firstRoundTripMs: r1(rt[0]), firstEngineMs: r1(engine[0]), repeatRoundTripMsMedian: r1(median(rt.slice(1))) });
    }
    return {
      trace: { runsMs: traceMs.map(r1), traceAndPruneMsMedian: r1(median(traceMs)), attributionMsMedian: r1(median(attributionMs)) },
      openAndPruneMs: openMs.map(Math.round),
      prune,
      pruneRoundTripMsMedian: r1(median(prune.map((p) => p.firstRoundTripMs))),
      pruneRoundTripMsMax: r1(Math.max(...prune.map((p) => p.firstRoundTripMs))),
    };
  } finally {
    api.close();
  }
}

export async function benchUi(): Promise<Record<string, unknown>> {
  assertChromium();
  // Measure the current renderer source, not a stale build (the build takes about a second).
  const build = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build:renderer'], { cwd: repoRoot, encoding: 'utf8' });
  if (build.status !== 0 || !existsSync(path.join(repoRoot, 'renderer', 'dist', 'index.html'))) throw new Error(`npm run build:renderer failed: ${build.stderr || build.stdout}`);
  const scale = ensureScaleGraph();
  const sidecar = JSON.parse(readFileSync(sidecarPath(scale.file), 'utf8')) as { nodeCount: number; featureCount: number; nPos: number; nLayers: number; targets: unknown[] };
  const baseline = await engineBaseline(scale.file);

  const server = await startCwbServer();
  const fileName = 'scale-3000.safetensors';
  copyFileSync(scale.file, path.join(server.workspace, fileName));
  copyFileSync(sidecarPath(scale.file), sidecarPath(path.join(server.workspace, fileName)));
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.getByRole('textbox', { name: 'Prompt' }).waitFor();
    const trace = await benchTrace(page);
    process.stderr.write(`trace 16 tokens: click → render ${trace.traceClickToRenderMsMedian} ms (median of ${trace.runsMs.length})\n`);
    const ui = await benchScaleGraph(page, fileName);
    process.stderr.write(`scale graph: render ${ui.lastRenderMs} ms, open → node count ${ui.openToNodeCountWallMs} ms, slider ${ui.sliderRoundTripMsMedian} ms\n`);
    await page.close();
    const api = await apiBaseline(server, trace.prompt, fileName);
    return {
      chromium: `${chromiumPath} ${browser.version()}`,
      viewport: '1400x900',
      targets: TARGETS,
      trace,
      scaleGraph: {
        recipe: 'random Llama d768 L12 H12 MLP3072 V50k; ReLU PLT D24576 ~50 active/token; 32 tokens (bench/attribution.ts scale case)',
        nodes: sidecar.nodeCount,
        features: sidecar.featureCount,
        logits: sidecar.targets.length,
        built: scale.built,
        ...ui,
        meetsTargets: {
          lastRenderMs: ui.lastRenderMs <= TARGETS.firstRenderMs,
          openToNodeCountWallMs: ui.openToNodeCountWallMs <= TARGETS.firstRenderMs,
          sliderRoundTripMsMedian: ui.sliderRoundTripMsMedian <= TARGETS.sliderRoundTripMs,
          sliderRoundTripMsMax: ui.sliderRoundTripMsMax <= TARGETS.sliderRoundTripMs,
        },
      },
      // Same run, same graph and thresholds: the bare engine in this process, then the engine through its API.
      engineBaseline: baseline,
      apiBaseline: api,
      overheadRatios: {
        sliderUiOverBarePrune: +(ui.sliderRoundTripMsMedian / Math.max(baseline.pruneMsMedian, 0.1)).toFixed(1),
        sliderUiOverApi: +(ui.sliderRoundTripMsMedian / Math.max(api.pruneRoundTripMsMedian, 0.1)).toFixed(1),
        traceUiOverApi: +(trace.traceClickToRenderMsMedian / Math.max(api.trace.traceAndPruneMsMedian, 0.1)).toFixed(1),
        openWallOverApi: +(ui.openToNodeCountWallMs / Math.max(median(api.openAndPruneMs), 0.1)).toFixed(1),
      },
      pageErrors,
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}
