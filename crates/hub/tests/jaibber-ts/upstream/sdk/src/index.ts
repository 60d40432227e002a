export { JaibberAgent } from "./agent.js";
export { MessageContext, TaskContext } from "./context.js";
export { AnthropicProvider } from "./providers/anthropic.js";
export { OpenAIProvider } from "./providers/openai.js";
export { GoogleProvider } from "./providers/google.js";
export { ClaudeCLIProvider } from "./providers/claude-cli.js";
export { AGENT_TEMPLATES, getTemplate } from "./templates.js";

export type {
  AgentConfig,
  MessageHandler,
  TaskHandler,
  IncomingMessage,
  Task,
  TaskStatus,
  TaskPriority,
  Project,
  AblyMessage,
  ExecutionMode,
  MessageAttachment,
} from "./types.js";

export type {
  Provider,
  AnthropicProviderOptions,
  OpenAIProviderOptions,
  GoogleProviderOptions,
  ClaudeCLIProviderOptions,
} from "./providers/base.js";

export type { AgentTemplate } from "./templates.js";
