/**
 * Joins two sockets after a 101 (a WebSocket, or any upgraded protocol): bytes flow both ways
 * with backpressure (`pipe` pauses a side whose peer is not draining), a clean end (FIN) on one
 * side ends the other, an error or reset on either closes both, and an idle timeout closes
 * both when neither direction has carried a byte for `idleMs`. The proxy never reads what it
 * relays, so a WebSocket close frame passes through like any other bytes; a side that closes
 * without one reaches the other as a plain TCP close, which a WebSocket peer reports as an
 * abnormal closure (1006).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface Tunnel {
  /** True once both sockets are closed. */
  readonly closed: boolean;
  /** Closes both sockets now. */
  close(): void;
}

function setNoDelay(socket: Duplex): void {
  const s = socket as Partial<Socket>;
  if (typeof s.setNoDelay === 'function') s.setNoDelay(true);
}

/**
 * Joins `client` and `upstream`. `head` is what the client sent after its request head (bytes
 * already read from its socket), written upstream first. `onClosed` runs once, when both
 * sockets are closed.
 */
export function joinSockets(client: Duplex, upstream: Duplex, head: Buffer, idleMs: number, onClosed: () => void): Tunnel {
  let open = 2;
  let closed = false;
  const destroyBoth = (): void => {
    client.destroy();
    upstream.destroy();
  };
  const onSideClosed = (other: Duplex) => (): void => {
    // This side is gone: end the other after what is queued for it is flushed (a clean
    // close), and destroy it then; an error already destroyed both.
    if (!other.destroyed) {
      if (other.writableFinished) other.destroy();
      else other.end(() => other.destroy());
    }
    if (--open === 0) {
      closed = true;
      onClosed();
    }
  };
  client.on('error', destroyBoth);
  upstream.on('error', destroyBoth);
  // A side already closed before the join (its 'close' event is past) counts as closed now.
  const watchClose = (side: Duplex, other: Duplex): void => {
    if ((side as { closed?: boolean }).closed === true) queueMicrotask(onSideClosed(other));
    else side.once('close', onSideClosed(other));
  };
  watchClose(client, upstream);
  watchClose(upstream, client);

  if (idleMs > 0) {
    // Each socket's timer restarts on any read or write on it, and every relayed byte is a read
    // on one socket and a write on the other: either timer firing means both directions were
    // silent for idleMs.
    const s1 = client as Partial<Socket>;
    const s2 = upstream as Partial<Socket>;
    if (typeof s1.setTimeout === 'function') s1.setTimeout(idleMs, destroyBoth);
    if (typeof s2.setTimeout === 'function') s2.setTimeout(idleMs, destroyBoth);
  }
  setNoDelay(client);
  setNoDelay(upstream);
  if (head.length > 0) upstream.write(head);
  client.pipe(upstream);
  upstream.pipe(client);
  // Already gone by the time we got here: close the other side now.
  if (client.destroyed || upstream.destroyed) destroyBoth();

  return {
    get closed() {
      return closed;
    },
    close: destroyBoth,
  };
}
