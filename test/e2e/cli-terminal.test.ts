import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, largePng } from '../support/fixtures.js';
import { HOIST_BIN } from '../support/hoist-cli.js';
import { TcpForwarder } from '../support/tcp-forwarder.js';
import { Stack } from '../support/stack.js';
import { tmuxAvailable, TmuxTerminal } from '../support/tmux.js';

// `hoist upload` and `hoist login` on a terminal, as a user sees them: typed into a tmux session (120×40) and read back
// from the screen. CI installs tmux (scripts/ensure-tmux.sh); without it this file is skipped.

const MB = 1_000_000;
const HAS_TMUX = tmuxAvailable();
if (!HAS_TMUX) process.stderr.write('cli-terminal.test.ts: tmux is not installed (scripts/ensure-tmux.sh installs it); the terminal tests are skipped\n');

describe.skipIf(!HAS_TMUX)('hoist on a terminal (tmux)', () => {
  let stack: Stack;
  let proxy: TcpForwarder;
  let dir: string;
  let terminal: TmuxTerminal | undefined;

  beforeAll(async () => {
    stack = await Stack.start();
    // ~8 MB/s: the large file takes a few seconds, long enough to see its bar move.
    proxy = await TcpForwarder.toUrl(stack.apiUrl, { clientBytesPerSecond: 8 * MB });
    dir = await mkdtemp(join(tmpdir(), 'hoist-cli-tty-'));
    await copyFile(fixturePath('logo.png'), join(dir, 'logo.png'));
    await copyFile(fixturePath('photo.jpg'), join(dir, 'photo.jpg'));
    await writeFile(join(dir, 'notes.sh'), '#!/bin/sh\necho not an image\n');
    await writeFile(join(dir, 'big.png'), largePng(24 * MB));
    // Another large file: the CLI replays a file it already sent (same file, API and options), so Ctrl-C needs a new one.
    await mkdir(join(dir, 'again'));
    await writeFile(join(dir, 'again', 'big.png'), largePng(24 * MB));
    terminal = await TmuxTerminal.start({ cwd: dir, env: { HOME: join(dir, 'home'), HOIST_URL: proxy.url } });
  }, 90_000);
  afterAll(async () => {
    await terminal?.stop();
    await proxy?.stop();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows a bar per file and one for the total while it works, then each file’s end and the summary table; exit 1 for the refused file', async () => {
    await terminal!.type(`clear; node ${HOIST_BIN} upload '*.png' photo.jpg notes.sh --wait; echo "exit=$?"`);
    // Mid-way: the large file's bar part filled, the total's bar above the files'.
    const during = await terminal!.waitForScreen(/^big\.png +\[#+\.+\] +[1-9]\d?% +[\d.]+ MB \/ 24\.0 MB +sending/m);
    expect(during).toMatch(/^Total +\[[#.]+\] +\d+% .+\d\/4 files/m);
    const after = await terminal!.waitForScreen(/^exit=\d+$/m, 60_000);
    expect(after).toMatch(/^exit=1$/m);
    // The bars as they ended.
    expect(after).toMatch(/^big\.png +\[#{24}\] +100% +24\.0 MB \/ 24\.0 MB +succeeded https?:\/\//m);
    expect(after).toMatch(/^notes\.sh +\[[#.]+\] .*refused unsupported-file-type/m);
    expect(after).toMatch(/^Total .*4\/4 files/m);
    // The summary table.
    expect(after).toMatch(/^FILE +ID +STATUS +URL \/ ERROR$/m);
    for (const file of ['big.png', 'logo.png', 'photo.jpg']) expect(after).toMatch(new RegExp(`^${file.replace('.', '\\.')} +[0-9a-f-]{36} +succeeded +https?://`, 'm'));
    expect(after).toMatch(/^notes\.sh +- +refused +unsupported-file-type: /m);
    expect(after).toMatch(/^3 of 4 ok, 1 failed$/m);
  }, 90_000);

  it('Ctrl-C stops an upload cleanly: the summary says interrupted, exit 130, and running it again resumes', async () => {
    // Each run's exit line is marked, so the screen of one run is never read for the next.
    await terminal!.type(`clear; node ${HOIST_BIN} upload again/big.png; echo "exit-stopped=$?"`);
    await terminal!.waitForScreen(/^again\/big\.png +\[#{3,}\.+\] +[1-9]\d?% /m);
    await terminal!.press('C-c');
    const stopped = await terminal!.waitForScreen(/^exit-stopped=\d+$/m, 20_000);
    expect(stopped).toMatch(/^exit-stopped=130$/m);
    expect(stopped).toMatch(/^again\/big\.png +\[#+\.+\] +[1-9]\d?% .* interrupted$/m);
    expect(stopped).toMatch(/^again\/big\.png +- +interrupted +stopped while sending \(Ctrl-C\)$/m);
    expect(stopped).toMatch(/run the same command again to resume/);

    await terminal!.type(`clear; node ${HOIST_BIN} upload again/big.png; echo "exit-resumed=$?"`);
    const resumed = await terminal!.waitForScreen(/^exit-resumed=\d+$/m, 60_000);
    expect(resumed).toMatch(/^exit-resumed=0$/m);
    expect(resumed).toMatch(/^again\/big\.png +\[#{24}\] +100% .*queued [0-9a-f-]{36}/m);
    expect(resumed).toMatch(/^again\/big\.png +[0-9a-f-]{36} +queued \(resumed\)/m);
  }, 90_000);

  it('a second Ctrl-C ends it at once and gives the terminal back its cursor and line wrapping', async () => {
    // The terminal's handling alone, with wrapping turned off as the bars turn it off (ESC[?7l); the
    // first Ctrl-C asks for a clean stop (which this script never makes), the second exits at once.
    const terminalJs = join(HOIST_BIN, '..', 'terminal.js');
    const script = `import(${JSON.stringify(terminalJs)}).then((m) => { const t = m.processTerminal(); t.signal.onabort = () => process.stdout.write("stopping\\n"); process.stdout.write("\\x1b[?7lready\\n"); setInterval(() => {}, 1000); })`;
    await terminal!.type(`clear; node -e '${script}'; echo "exit-fast=$?"`);
    await terminal!.waitForScreen(/^ready$/m);
    await terminal!.press('C-c');
    // Two signals sent at once may arrive as one: the second goes once the first was taken.
    await terminal!.waitForScreen(/stopping$/m);
    await terminal!.press('C-c');
    await terminal!.waitForScreen(/^exit-fast=130$/m, 20_000);
    // 150 characters on a 120-column screen: with wrapping back on, the last 30 go to the next line.
    await terminal!.type(`clear; printf '%0150d\\n' 0`);
    const screen = await terminal!.waitForScreen(/^0{30}$/m, 10_000);
    expect(screen).toMatch(/^0{120}$/m);
  }, 60_000);

  it('login asks for the URL and the key, never shows the key, and saves both (0600)', async () => {
    const secret = 'hoist_sk_typed_in_secret';
    await terminal!.type(`clear; node ${HOIST_BIN} login; echo "exit=$?"`);
    // The URL it suggests is HOIST_URL's; Enter takes it.
    await terminal!.waitForScreen(new RegExp(`Hoist API URL.*${proxy.url.replace(/[.]/g, '\\.')}`));
    await terminal!.press('Enter');
    await terminal!.waitForScreen(/API key/);
    await terminal!.type(secret);
    const done = await terminal!.waitForScreen(/^exit=\d+$/m, 30_000);
    expect(done).toMatch(/^exit=0$/m);
    expect(done).toMatch(/logged in to http:\/\/127\.0\.0\.1:\d+ with an API key; saved to .*config\.json/);
    expect(done).not.toContain(secret);
    const file = join(dir, 'home', '.config', 'hoist', 'config.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: proxy.url, key: secret });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  }, 60_000);
});
