// What the Node integration tests share: their npm dependencies, starting one of the example
// servers on a free port and stopping it, and launching Debian's headless Chromium.
import { spawn, execSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));

export const buildDir =
  process.env.GANNET_BUILD_DIR || join(here, '..', '..', 'build', 'release');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

/// The npm package `name` (from package.json), installed on first use.
export function requireDep(name) {
  if (!existsSync(join(here, 'node_modules', name))) {
    execSync('npm install --no-audit --no-fund', { cwd: here, stdio: 'inherit' });
  }
  return createRequire(join(here, 'package.json'))(name);
}

/// Starts build/<program> with `args` (on a free port) and resolves to { server, port, base }
/// once it announces where it listens.
export async function startServer(program, args) {
  // GANNET_PORT / GANNET_THREADS from outside would override --port 0 / --threads.
  const env = { ...process.env };
  delete env.GANNET_PORT;
  delete env.GANNET_THREADS;
  const server = spawn(join(buildDir, program), ['--port', '0', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], env });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+) \((\d+) workers\)/);
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', (code) => reject(new Error(`${program} exited with ${code}: ${out}`)));
  });
  return { server, port, base: `http://127.0.0.1:${port}` };
}

/// Ends a server from startServer() with SIGTERM (a graceful drain) and waits for it.
export async function stopServer(server) {
  if (!server || server.exitCode !== null) return;
  const done = new Promise((resolve) => server.on('exit', resolve));
  server.kill('SIGTERM');
  await done;
}

/// Headless Chromium with a fresh profile: resolves to { context, profileDir } (the caller
/// removes profileDir).
export async function launchChromium(profilePrefix, options = {}) {
  const { chromium } = requireDep('playwright-core');
  const profileDir = mkdtempSync(join(tmpdir(), profilePrefix));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ...options,
  });
  return { context, profileDir };
}
