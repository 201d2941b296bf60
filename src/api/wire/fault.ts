/**
 * Error bodies: every failure leaves the API as `{"NeutronError": {"type", "message", "detail"}}`
 * with the status of its catalogue entry. Anything that is not a NeutronError is a bug: it is
 * logged with its stack and answered with a generic 500 that leaks nothing.
 */
import { NeutronError } from '../../core/errors.js';

export interface Fault {
  status: number;
  body: { NeutronError: { type: string; message: string; detail: string } };
}

export function renderFault(err: unknown): Fault {
  if (err instanceof NeutronError) {
    return { status: err.status, body: { NeutronError: { type: err.type, message: err.message, detail: err.detail } } };
  }
  return {
    status: 500,
    body: { NeutronError: { type: 'HTTPInternalServerError', message: 'Request Failed: internal server error while processing your request.', detail: '' } },
  };
}
