/**
 * A tiny HTTP server on 127.0.0.1 serving firmware "images" for SimpleUpdate tests: any path ending in .bin is a
 * few bytes, anything else 404. The emulator (test/helpers/sushy-emulator.py) downloads ImageURI like a BMC does,
 * so the requests it made (path and whether basic auth came with it) are recorded here for the tests to check.
 */
export interface ImageServer {
  /** `http://127.0.0.1:port/<name>`, with `user:password@` when given. */
  url(name: string, userinfo?: { user: string; password: string }): string;
  /** Each request: the path and the basic-auth `user:password` it carried (decoded), if any. */
  requests: { path: string; auth?: string }[];
  stop(): void;
}

export function startImageServer(): ImageServer {
  const requests: ImageServer['requests'] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      const header = request.headers.get('authorization');
      requests.push({ path, ...(header?.startsWith('Basic ') ? { auth: Buffer.from(header.slice(6), 'base64').toString() } : {}) });
      return path.endsWith('.bin') ? new Response(`firmware image ${path}\n`) : new Response('not found\n', { status: 404 });
    },
  });
  return {
    url: (name, userinfo) => `http://${userinfo ? `${userinfo.user}:${userinfo.password}@` : ''}127.0.0.1:${server.port}/${name}`,
    requests,
    stop: () => server.stop(true),
  };
}
