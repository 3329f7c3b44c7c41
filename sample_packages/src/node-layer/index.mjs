// First-party helper module shipped in the pkgscan node-layer sample.
import createDebug from 'debug';
import { v4 as uuidv4 } from 'uuid';

const debug = createDebug('pkgscan-layer');

export function requestId() {
  const id = uuidv4();
  debug('new request id %s', id);
  return id;
}
