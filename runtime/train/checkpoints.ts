// A run's checkpoints: <out>/checkpoints/step-NNNNNNNN/, each written whole before its manifest
// (runtime/io), so a folder without a manifest is an interrupted write and is ignored (and cleaned
// up). The newest `keep` are kept. Resume picks the newest one whose manifest reads.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST, readManifest } from '../io/index.ts';
import type { CheckpointManifest } from '../../specs/types/checkpoint.ts';

export const CHECKPOINTS = 'checkpoints';

export function checkpointDir(out: string, step: number): string {
  return join(out, CHECKPOINTS, `step-${String(step).padStart(8, '0')}`);
}

/** Complete checkpoints (a manifest present), oldest first. */
export function listCheckpoints(out: string): { step: number; dir: string }[] {
  const root = join(out, CHECKPOINTS);
  if (!existsSync(root)) return [];
  const found: { step: number; dir: string }[] = [];
  for (const name of readdirSync(root)) {
    const m = /^step-(\d{8,})$/.exec(name);
    if (!m) continue;
    const dir = join(root, name);
    if (existsSync(join(dir, MANIFEST))) found.push({ step: Number(m[1]), dir });
  }
  return found.sort((a, b) => a.step - b.step);
}

/** Folders left by an interrupted write (no manifest): removed. */
export function removeIncomplete(out: string): string[] {
  const root = join(out, CHECKPOINTS);
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (/^step-\d{8,}$/.test(name) && !existsSync(join(dir, MANIFEST))) {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

/** Deletes all but the newest `keep` complete checkpoints. */
export function prune(out: string, keep: number): void {
  const all = listCheckpoints(out);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) rmSync(c.dir, { recursive: true, force: true });
}

/** The newest checkpoint whose manifest validates, with the reasons others were passed over. */
export async function latestCheckpoint(out: string): Promise<{ dir: string; manifest: CheckpointManifest; skipped: string[] } | null> {
  const skipped: string[] = [];
  for (const c of listCheckpoints(out).reverse()) {
    try {
      return { dir: c.dir, manifest: await readManifest(c.dir), skipped };
    } catch (err) {
      skipped.push(`${c.dir}: ${(err as Error).message}`);
    }
  }
  return null;
}
