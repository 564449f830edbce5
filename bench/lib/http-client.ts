/**
 * A lean HTTP/1.1 client for load generators that share the server's cores: `node:http` over
 * keep-alive sockets costs the benchmark process about a fifth of the CPU `fetch` does per
 * request, so less of what is measured is the load generator itself.
 */
import { Agent, request } from 'node:http';

export interface LeanClient {
  /** Sends the request and resolves with the status once the whole body is read. */
  send(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<number>;
  /** Closes the kept-alive sockets. */
  close(): void;
}

/** A client for `baseUrl` (`http://host:port`) keeping up to `sockets` connections alive. */
export function leanClient(baseUrl: string, sockets: number): LeanClient {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  return {
    send(method, path, options = {}) {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = { ...options.headers };
        if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
        const req = request({ agent, hostname, port, method, path, headers }, (response) => {
          response.on('data', () => {});
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        });
        req.on('error', reject);
        req.end(options.body);
      });
    },
    close: () => agent.destroy(),
  };
}
