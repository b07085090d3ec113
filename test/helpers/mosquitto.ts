// Spawns the real Mosquitto from the Debian package on a free loopback port with its own config file.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { freePort, MOSQUITTO, requireBinary, tempDir, waitUntil } from './env.js';
import { SecretStore } from '../../controller/store/secrets.js';
import { MqttAccess } from '../../controller/gateways/mqtt/access.js';

export interface RunningMosquitto {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Mosquitto with Wegweiser's password and ACL files (written from `dataDir`'s secrets, as an admin would) and
 * exactly the mosquitto.conf lines `wegweiser mqtt-files` prints. `port`: a given one (e.g. to restart a broker
 * on the port its clients reconnect to).
 */
export async function startSecuredMosquitto(dataDir: string, prefix: string, displayIds: string[], opts: { port?: number } = {}): Promise<RunningMosquitto> {
  const secrets = await SecretStore.open(dataDir, displayIds);
  const files = await new MqttAccess(prefix, secrets).writeMosquittoFiles(path.join(dataDir, 'mosquitto'));
  // Started as root, Mosquitto would switch to its own user, who cannot read our 0600 files.
  const asUser = process.getuid?.() === 0 ? 'user root\n' : '';
  return startMosquitto(`${asUser}${MqttAccess.mosquittoConf(files).join('\n')}\n`, opts);
}

export async function startMosquitto(extraConfig = 'allow_anonymous true\n', opts: { port?: number } = {}): Promise<RunningMosquitto> {
  const bin = requireBinary(MOSQUITTO, 'mosquitto');
  const { dir, cleanup } = await tempDir('wegweiser-mosquitto-');
  const port = opts.port ?? (await freePort());
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(conf, `listener ${port} 127.0.0.1\npersistence false\nlog_dest stderr\n${extraConfig}`);
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitUntil(async () => {
      if (exited) throw new Error(`mosquitto exited: ${stderr}`);
      return canConnect(port);
    }, 'mosquitto to listen', 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    await cleanup();
    throw err;
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
        if (!exited) {
          child.kill('SIGKILL');
          await gone; // its port is free once it is gone
        }
      }
      await cleanup();
    },
  };
}
