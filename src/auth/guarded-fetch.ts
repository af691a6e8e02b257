import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { isIpLiteral, isLocalhostName, isPublicAddress } from './fetch-target.js';

/** The resolver the guard asks (node's `dns.lookup` signature, `all: true`). */
export type Resolve = (hostname: string, options: LookupOptions & { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export interface GuardedFetchOptions {
  /**
   * Allow loopback and private addresses (and `http:`), as `HUB_IDP_ALLOW_PRIVATE_HOSTS`. Default
   * false: only public unicast addresses, over https.
   */
  allowPrivateHosts?: boolean;
  /** Resolves host names. Default `dns.lookup`; tests stand in for DNS here. */
  resolve?: Resolve;
  /** Largest response body read, bytes. Default 512 KiB: a JWK Set of 20 keys is a few KiB. */
  maxBytes?: number;
}

/** Why the guard refused a fetch; jose reports it as "the key set could not be fetched". */
export class FetchRefused extends Error {
  override readonly name = 'FetchRefused';
}

/**
 * A `fetch` for members' JWKS URLs (jose's `customFetch`) that connects only to public
 * addresses. The check runs where the connection is made, not only when the URL was registered:
 * the name is resolved, every address it resolves to is checked, and the socket connects to one of
 * the checked addresses (node's `lookup` hook), so a name that resolves to a public address at
 * registration and to 127.0.0.1 later (DNS rebinding) is refused. The peer's address is checked
 * again once connected. Redirects are never followed: a 3xx is refused, wherever it points.
 *
 * Kept by hand rather than using undici's dispatcher: undici is not a dependency of the hub, and
 * node's `lookup` hook on an https request is the documented place for this check.
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): (url: string, init: RequestInit) => Promise<Response> {
  const allowPrivate = options.allowPrivateHosts ?? false;
  const resolve: Resolve = options.resolve ?? ((host, opts, cb) => dnsLookup(host, opts, cb));
  const maxBytes = options.maxBytes ?? 512 * 1024;

  const lookup = (hostname: string, opts: LookupOptions, callback: (...args: any[]) => void) => {
    resolve(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err);
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused || addresses.length === 0) {
        return callback(new FetchRefused(`${hostname} resolves to a loopback, private or otherwise non-public address`));
      }
      if (opts.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };

  return (url, init) =>
    new Promise<Response>((resolvePromise, reject) => {
      const target = new URL(url);
      if (!allowPrivate) {
        if (target.protocol !== 'https:') return reject(new FetchRefused('only https JWKS URLs are fetched'));
        if (isLocalhostName(target.hostname) || (isIpLiteral(target.hostname) && !isPublicAddress(target.hostname))) {
          return reject(new FetchRefused(`${target.hostname} is not a public address`));
        }
      }
      const transport = target.protocol === 'https:' ? https : http;
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, key) => void (headers[key] = value));
      const request = transport.request(target, { method: 'GET', headers, lookup, agent: false, ...(init.signal ? { signal: init.signal } : {}) }, (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          response.destroy();
          return reject(new FetchRefused(`the JWKS URL answered a redirect (${status}); redirects are not followed`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            response.destroy();
            reject(new FetchRefused(`the JWK Set is larger than ${maxBytes} bytes`));
          } else chunks.push(chunk);
        });
        response.on('end', () => {
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(response.headers)) if (typeof value === 'string') responseHeaders.set(key, value);
          resolvePromise(new Response(status === 200 ? Buffer.concat(chunks) : null, { status, headers: responseHeaders }));
        });
        response.on('error', reject);
      });
      request.on('socket', (socket: Socket) => {
        socket.once('connect', () => {
          if (!allowPrivate && socket.remoteAddress && !isPublicAddress(socket.remoteAddress)) {
            request.destroy(new FetchRefused(`connected to ${socket.remoteAddress}, which is not a public address`));
          }
        });
      });
      request.on('error', reject);
      request.end();
    });
}
