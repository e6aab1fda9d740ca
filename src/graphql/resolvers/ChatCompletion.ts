import type { ChatCompletionResolvers, ChatStreamEventResolvers } from '../../__generated__/resolvers-types.ts';

export const ChatCompletion: ChatCompletionResolvers = {
  usage: (result) => ({ ...result.usage, estimated: result.usageEstimated }),
};

export const ChatStreamEvent: ChatStreamEventResolvers = {
  usage: (event) => (event.usage ? { ...event.usage, estimated: event.usageEstimated } : null),
};
