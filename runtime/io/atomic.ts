// Atomic file replacement: the data goes to a temporary file in the SAME directory (rename is
// atomic only within one file system), is fsynced, renamed over the target, and the directory is
// fsynced so the rename itself survives a crash. A reader sees the old file or the new one, never
// a torn mix; a crash leaves at worst a stray `.NAME.*.tmp` file.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

async function fsyncDir(dir: string): Promise<void> {
  let h;
  try {
    h = await open(dir, 'r');
  } catch (err) {
    // Some platforms (Windows) cannot open a directory; there the rename is as durable as it gets.
    if ((err as NodeJS.ErrnoException).code === 'EISDIR' || (err as NodeJS.ErrnoException).code === 'EPERM') return;
    throw err;
  }
  try {
    await h.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    await h.close();
  }
}

/** Replaces `path` with `data` atomically and durably. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const h = await open(tmp, 'wx', 0o644);
  let done = false;
  try {
    let off = 0;
    while (off < bytes.byteLength) {
      const { bytesWritten } = await h.write(bytes, off, Math.min(bytes.byteLength - off, 1 << 26));
      off += bytesWritten;
    }
    await h.sync();
    await h.close();
    await rename(tmp, path);
    done = true;
  } finally {
    if (!done) {
      await h.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
    }
  }
  await fsyncDir(dir);
}
