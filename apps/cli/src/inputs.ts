import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/** One thing `hoist upload` was asked to send, after globs are expanded. */
export type UploadInput =
  /** `mtimeMs` with `size` tells a changed file from the one an earlier run sent (see upload-key.ts). */
  | { kind: 'file'; label: string; path: string; size: number; mtimeMs: number }
  | { kind: 'url'; label: string; url: string }
  /** Named on the command line but not sendable (no such file, a directory, a glob matching nothing). */
  | { kind: 'unusable'; label: string; reason: string };

const isUrl = (arg: string) => /^https?:\/\//i.test(arg);

/**
 * The command line's files, globs and URLs as the uploads to make, in the order given: a glob becomes
 * the files it matches (sorted), http(s) URLs are fetched by the API, and anything named twice (the same
 * file through two globs, the same URL) is sent once. An argument that names an existing file is taken
 * literally, glob characters and all (a quoted `photo [1].jpg`); otherwise it is a glob. Labels are paths as the user wrote them, relative
 * to `cwd`.
 */
export async function expandInputs(args: readonly string[], cwd: string): Promise<UploadInput[]> {
  const inputs: UploadInput[] = [];
  const seen = new Set<string>();
  const add = (key: string, input: UploadInput) => {
    if (seen.has(key)) return;
    seen.add(key);
    inputs.push(input);
  };
  for (const arg of args) {
    if (isUrl(arg)) {
      add(`url:${arg}`, { kind: 'url', label: arg, url: arg });
      continue;
    }
    // A name that exists as a file is that file, even when it holds glob characters ("photo [1].jpg").
    if (isDynamicPattern(arg) && !(await isRegularFile(resolve(cwd, arg)))) {
      const matches = (await glob(arg, { cwd, absolute: true, onlyFiles: true, expandDirectories: false })).sort();
      if (matches.length === 0) add(`unusable:${arg}`, { kind: 'unusable', label: arg, reason: 'matches no file' });
      for (const path of matches) add(`file:${path}`, await fileInput(path, cwd));
      continue;
    }
    const path = resolve(cwd, arg);
    add(`file:${path}`, await fileInput(path, cwd, arg));
  }
  return inputs;
}

async function fileInput(path: string, cwd: string, label = displayPath(path, cwd)): Promise<UploadInput> {
  try {
    const stats = await stat(path);
    if (stats.isDirectory()) return { kind: 'unusable', label, reason: 'is a directory (give a glob such as dir/* instead)' };
    if (!stats.isFile()) return { kind: 'unusable', label, reason: 'is not a regular file' };
    return { kind: 'file', label, path, size: stats.size, mtimeMs: stats.mtimeMs };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { kind: 'unusable', label, reason: code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message };
  }
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
