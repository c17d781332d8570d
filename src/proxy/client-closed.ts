/** The abort reason when the client goes away mid-exchange: both relays abort the upstream with it. */
export class ClientClosedError extends Error {
  readonly code = 'ERR_CLIENT_CLOSED';
  constructor() {
    super('The client closed the connection');
    this.name = 'ClientClosedError';
  }
}
