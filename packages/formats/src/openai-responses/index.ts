export type { DecodedResponsesRequest, ResponsesEcho, ResponsesIdMinter, ResponsesItem, ResponsesResponse } from './responses-types.ts';
export { decodeResponsesRequest } from './decode-responses-request.ts';
export { responsesItemsToMessages, type ResponsesItemsToMessagesOptions } from './responses-items-to-messages.ts';
export { encodeResponsesResponse, INCLUDE_ENCRYPTED_REASONING, itemForClient, REDACTED_REASONING_PREFIX, responseForClient, type ResponsesEncodeOptions } from './encode-responses-response.ts';
export { createResponsesStreamEncoder, type ResponsesStreamEncoder } from './encode-responses-stream.ts';
