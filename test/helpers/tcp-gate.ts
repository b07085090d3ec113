// A TCP relay on loopback that can refuse new connections: put between the controller and its broker, it lets a
// test decide when the controller gets back to a restarted broker (e.g. only after every display did). It forwards
// bytes unchanged; when either side closes, so does the other.
import net from 'node:net';

export interface TcpGate {
  url: string;
  port: number;
  /** new connections are relayed (true) or refused at once (false); existing ones are not touched */
  open: boolean;
  /** connections relayed so far */
  readonly relayed: number;
  close(): Promise<void>;
}

export async function startTcpGate(targetPort: number): Promise<TcpGate> {
  const sockets = new Set<net.Socket>();
  let relayed = 0;
  const gate: TcpGate = {
    url: '',
    port: 0,
    open: true,
    get relayed() {
      return relayed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((inbound) => {
    if (!gate.open) {
      inbound.destroy();
      return;
    }
    relayed++;
    const outbound = net.connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => {
        sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
      s.on('error', () => undefined); // a reset on one side just closes both
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  gate.port = (server.address() as net.AddressInfo).port;
  gate.url = `mqtt://127.0.0.1:${gate.port}`;
  return gate;
}
