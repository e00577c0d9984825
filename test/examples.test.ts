// examples/: the GitHub Actions workflow is parsed as YAML (strictly: duplicate keys and tabs are errors),
// checked for the workflow syntax it uses, and then run here as GitHub would run it: each matrix job in a
// fresh checkout, its `run:` steps in `bash -e` with the ${{ }} expressions it uses filled in, artifacts
// uploaded and downloaded between jobs; only the "Install bgsafe" step is replaced, by this checkout's
// bgsafe on PATH. Its merged report must be the unsharded one and its last step must fail exactly when
// `bgsafe --check` does. examples/parallel-shards.sh is run with GNU parallel where it is installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { bgsafe, bin, fixtureBatch, sortedJson, sortedLines, tempDir, writeTree } from './batch-helpers.js';
import { repoRoot } from './helpers.js';

const WORKFLOW = path.join(repoRoot, 'examples', 'github-actions-shards.yml');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function loadWorkflow(): Json {
  const doc = parseDocument(readFileSync(WORKFLOW, 'utf8'), { strict: true, uniqueKeys: true, prettyErrors: true });
  assert.deepEqual(doc.errors.map(String), [], 'YAML errors');
  assert.deepEqual(doc.warnings.map(String), [], 'YAML warnings');
  return doc.toJS();
}

/** A folder with a `bgsafe` that runs this checkout's binary, for PATH. */
function shimDir(): string {
  const dir = tempDir('shim');
  writeFileSync(path.join(dir, 'bgsafe'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`);
  chmodSync(path.join(dir, 'bgsafe'), 0o755);
  return dir;
}

const KNOWN_ACTIONS = new Set(['actions/checkout', 'actions/setup-node', 'actions/upload-artifact', 'actions/download-artifact']);

describe('examples/github-actions-shards.yml', () => {
  it('is a well-formed workflow: YAML, jobs, steps, needs, expressions', () => {
    const wf = loadWorkflow();
    for (const k of Object.keys(wf)) assert.ok(['name', 'on', 'env', 'jobs', 'permissions', 'concurrency', 'defaults', 'run-name'].includes(k), `top-level key ${k}`);
    assert.ok(wf.on && (wf.on.pull_request !== undefined || wf.on.push !== undefined), 'triggers');
    const jobs = Object.entries(wf.jobs as Record<string, Json>);
    assert.ok(jobs.length >= 2);
    for (const [id, job] of jobs) {
      assert.match(id, /^[A-Za-z_][A-Za-z0-9_-]*$/, 'job id');
      assert.equal(typeof job['runs-on'], 'string', `${id}: runs-on`);
      for (const n of [job.needs ?? []].flat()) assert.ok(n in wf.jobs, `${id} needs ${n}, a job that exists`);
      const matrixKeys = Object.keys(job.strategy?.matrix ?? {});
      assert.ok(Array.isArray(job.steps) && job.steps.length > 0, `${id}: steps`);
      for (const step of job.steps) {
        assert.equal(('uses' in step ? 1 : 0) + ('run' in step ? 1 : 0), 1, `${id}: a step has uses or run: ${JSON.stringify(step)}`);
        if (step.uses) {
          const [action, version] = String(step.uses).split('@');
          assert.ok(KNOWN_ACTIONS.has(action), `${id}: ${step.uses}`);
          assert.match(version ?? '', /^v\d+$/, `${id}: ${step.uses} is pinned to a major version`);
        }
        for (const m of JSON.stringify(step).matchAll(/\$\{\{\s*([^}]*?)\s*\}\}/g)) {
          const expr = m[1];
          if (expr.startsWith('matrix.')) assert.ok(matrixKeys.includes(expr.slice(7)), `${id}: ${expr} is a matrix key`);
          else assert.ok(['strategy.job-total'].includes(expr), `${id}: expression ${expr}`);
        }
      }
    }
  });

  /** Run the workflow over a repository (a folder) and return every step's exit code and output. */
  function simulate(repo: string): { steps: Array<{ job: string; name: string; code: number; stdout: string; stderr: string }>; workspaces: string[] } {
    const wf = loadWorkflow();
    const artifacts = tempDir('artifacts');
    const shim = shimDir();
    const steps: Array<{ job: string; name: string; code: number; stdout: string; stderr: string }> = [];
    const workspaces: string[] = [];
    // Jobs in the order their needs allow.
    const order: string[] = [];
    const visit = (id: string): void => {
      if (order.includes(id)) return;
      for (const n of [wf.jobs[id].needs ?? []].flat()) visit(n);
      order.push(id);
    };
    for (const id of Object.keys(wf.jobs)) visit(id);
    for (const id of order) {
      const job = wf.jobs[id];
      const matrix: Record<string, unknown[]> = job.strategy?.matrix ?? {};
      const keys = Object.keys(matrix);
      assert.ok(keys.length <= 1, 'one matrix dimension (strategy.job-total is then its length)');
      const values = keys.length === 0 ? [undefined] : matrix[keys[0]];
      for (const value of values) {
        const fill = (s: string): string =>
          s.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expr: string) => {
            if (expr === 'strategy.job-total') return String(values.length);
            if (expr.startsWith('matrix.')) return String(value);
            throw new Error(`expression ${expr}`);
          });
        const ws = tempDir('workspace');
        workspaces.push(ws);
        const env = { ...process.env, ...(wf.env ?? {}), ...(job.env ?? {}), PATH: `${shim}${path.delimiter}${process.env.PATH}`, GITHUB_WORKSPACE: ws, CI: 'true' };
        for (const step of job.steps) {
          const name = step.name ? fill(step.name) : step.uses ?? step.run;
          const uses = step.uses ? String(step.uses).split('@')[0] : undefined;
          const w = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, fill(String(v))]));
          if (uses === 'actions/checkout') cpSync(repo, ws, { recursive: true });
          else if (uses === 'actions/setup-node') continue;
          else if (uses === 'actions/upload-artifact') {
            const src = path.join(ws, w.path);
            if (!existsSync(src)) assert.notEqual(w['if-no-files-found'], 'error', `${id}: upload of a missing ${w.path}`);
            else cpSync(src, path.join(artifacts, w.name, path.basename(w.path)));
          } else if (uses === 'actions/download-artifact') {
            const pattern = new RegExp(`^${w.pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
            assert.equal(w['merge-multiple'], 'true');
            mkdirSync(path.join(ws, w.path), { recursive: true });
            for (const a of readdirSync(artifacts).filter((x) => pattern.test(x))) cpSync(path.join(artifacts, a), path.join(ws, w.path), { recursive: true });
          } else if (step.run !== undefined) {
            if (/^Install bgsafe/.test(name)) continue; // the shim on PATH stands in for it
            const script = path.join(tempDir('step'), 'step.sh');
            writeFileSync(script, fill(step.run));
            const r = spawnSync('bash', ['-e', script], { cwd: ws, env, encoding: 'utf8', maxBuffer: 1 << 28 });
            steps.push({ job: id, name, code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
          } else throw new Error(`${id}: a step this simulation does not know: ${JSON.stringify(step)}`);
        }
      }
    }
    return { steps, workspaces };
  }

  it('run as GitHub runs it, its merged report is the unsharded one, and it fails where --check fails', () => {
    const repo = path.join(fixtureBatch('workflow-repo'), '');
    const wf = loadWorkflow();
    const addons: string = wf.env.ADDONS;
    const { steps, workspaces } = simulate(repo);
    const shards = steps.filter((s) => s.job === 'shard');
    assert.equal(shards.length, wf.jobs.shard.strategy.matrix.shard.length, 'one check step per shard');
    for (const s of shards) assert.equal(s.code, 0, `${s.name}: ${s.stderr}`);
    const [keep, annotate] = steps.filter((s) => s.job === 'merge');
    assert.equal(keep.code, 0, keep.stderr);
    const mergeWs = workspaces[workspaces.length - 1];
    const whole = bgsafe(['--format', 'json', addons], repo);
    assert.equal(sortedJson(readFileSync(path.join(mergeWs, 'bgsafe.json'), 'utf8')), sortedJson(whole.stdout));
    const check = bgsafe(['--check', '--format', 'github', addons], repo);
    assert.equal(check.code, 1, 'the project\'s add-ons have findings');
    assert.equal(annotate.code, check.code, 'the last step fails as --check does');
    assert.equal(sortedLines(annotate.stdout), sortedLines(check.stdout), 'with the annotations of the unsharded run');
  });

  it('passes on a repository with nothing to change, and fails (exit 2) when a file cannot be processed', () => {
    const clean = tempDir('workflow-clean');
    writeTree(clean, { 'addons/calm/__init__.py': 'import bpy\n', 'addons/quiet.py': 'import bpy\n', 'addons/still.py': 'x = 1\n' });
    const ok = simulate(clean).steps;
    assert.ok(ok.every((s) => s.code === 0), JSON.stringify(ok.map((s) => [s.name, s.code, s.stderr])));
    writeFileSync(path.join(clean, 'addons', 'broken.py'), 'import gpu\nx = (\n');
    const bad = simulate(clean).steps;
    assert.ok(bad.filter((s) => s.job === 'shard').every((s) => s.code === 0), 'the shards keep their reports');
    const last = bad[bad.length - 1];
    assert.equal(last.code, 2);
    assert.match(last.stdout, /^::error file=addons\/broken\.py,line=2,/m);
  });
});

const hasParallel = spawnSync('parallel', ['--version'], { encoding: 'utf8' }).status === 0;

describe('examples/parallel-shards.sh', { skip: hasParallel ? false : 'GNU parallel is not installed (apt-get install -y parallel)' }, () => {
  it('gives the unsharded report and the exit code of --check', () => {
    const dir = fixtureBatch('parallel');
    const shim = shimDir();
    const env = { ...process.env, PATH: `${shim}${path.delimiter}${process.env.PATH}` };
    const r = spawnSync('bash', [path.join(repoRoot, 'examples', 'parallel-shards.sh'), 'addons', '3'], { cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 28 });
    const whole = bgsafe(['--check', '--format', 'json', 'addons'], dir);
    assert.equal(r.status, whole.code, r.stderr);
    assert.equal(sortedJson(readFileSync(path.join(dir, 'bgsafe.json'), 'utf8')), sortedJson(whole.stdout));
    const summary = bgsafe(['addons'], dir);
    assert.equal(sortedLines(r.stdout), sortedLines(summary.stderr), 'the summary of the whole batch');
  });
});
