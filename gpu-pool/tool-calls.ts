// Native tool calling for the cascade: one conversation shape (user and assistant turns, the
// assistant's tool calls, tool results) written to each backend's own wire. Ollama's /api/chat
// takes `tools` as {type: "function", function: {name, description, parameters}}, answers with
// `message.tool_calls[].function.{name, arguments}` (an object) and reads results back as role
// "tool" messages named by `tool_name`. Anthropic's Messages API takes `tools` with an
// `input_schema`, answers with `tool_use` blocks, and reads results back as `tool_result` blocks in
// the next user turn, each naming the `tool_use_id` it answers.
import { randomUUID } from 'node:crypto';
import type { Message as OllamaMessage, Tool as OllamaTool } from 'ollama';

export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  /** Anthropic's tool_use id, or one made up for Ollama's calls (which carry none). */
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type ConversationMessage =
  | { role: 'user' | 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

export function callId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

export function toOllamaTools(tools: readonly ToolDefinition[]): OllamaTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters as never },
  }));
}

export function toOllamaMessages(messages: readonly ConversationMessage[]): OllamaMessage[] {
  return messages.map((message) => {
    if (message.role === 'tool') return { role: 'tool', content: message.content, tool_name: message.name };
    if (message.role === 'assistant' && message.toolCalls?.length)
      return {
        role: 'assistant',
        content: message.content,
        tool_calls: message.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments } })),
      };
    return { role: message.role, content: message.content };
  });
}

/**
 * Ollama's `tool_calls`, tolerating arguments sent as a JSON string (some models' templates do); a
 * call whose arguments are not an object keeps them under `arguments` as they came, so the caller's
 * validation rejects it with a reason instead of the call vanishing.
 */
export function fromOllamaToolCalls(raw: unknown): ToolCall[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item) => {
    const fn = (item as { function?: { name?: unknown; arguments?: unknown } } | null)?.function ?? {};
    let args: unknown = fn.arguments ?? {};
    if (typeof args === 'string') {
      try {
        args = JSON.parse(args);
      } catch {
        // left as the string it is; validation says why it is not an object
      }
    }
    const id = (item as { id?: unknown }).id;
    return {
      id: typeof id === 'string' && /^[\w-]{1,64}$/.test(id) ? id : callId(),
      name: typeof fn.name === 'string' ? fn.name : '',
      arguments: (args && typeof args === 'object' && !Array.isArray(args) ? args : { arguments: args }) as Record<
        string,
        unknown
      >,
    };
  });
}

/**
 * OpenAI's `tool_calls` ({id, type: "function", function: {name, arguments}}), whose arguments
 * arrive as a JSON string. An empty string is a call with no arguments; malformed JSON never
 * throws: it stays a string under `arguments`, so the caller's validation says why.
 */
export function fromOpenAiToolCalls(raw: unknown): ToolCall[] {
  if (!Array.isArray(raw)) return [];
  return fromOllamaToolCalls(
    raw.map((item) => {
      const fn = (item as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
      const args = fn?.arguments;
      return {
        id: (item as { id?: unknown } | null)?.id,
        function: { name: fn?.name, arguments: typeof args === 'string' && args.trim() === '' ? {} : args },
      };
    }),
  );
}

export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: { type: 'object'; [key: string]: unknown };
}

export function toAnthropicTools(tools: readonly ToolDefinition[]): AnthropicTool[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: { ...tool.parameters, type: 'object' },
  }));
}

type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | AnthropicBlock[];
}

/** Tool results that follow one another go back in one user turn, as the API requires. */
export function toAnthropicMessages(messages: readonly ConversationMessage[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  for (const message of messages) {
    if (message.role === 'tool') {
      const block: AnthropicBlock = {
        type: 'tool_result',
        tool_use_id: message.toolCallId,
        content: message.content,
        ...(message.isError ? { is_error: true } : {}),
      };
      const last = out.at(-1);
      if (last?.role === 'user' && Array.isArray(last.content) && last.content.every((b) => b.type === 'tool_result'))
        last.content.push(block);
      else out.push({ role: 'user', content: [block] });
      continue;
    }
    if (message.role === 'assistant' && message.toolCalls?.length) {
      out.push({
        role: 'assistant',
        content: [
          ...(message.content.trim() ? [{ type: 'text' as const, text: message.content }] : []),
          ...message.toolCalls.map((call) => ({
            type: 'tool_use' as const,
            id: call.id,
            name: call.name,
            input: call.arguments,
          })),
        ],
      });
      continue;
    }
    out.push({ role: message.role, content: message.content });
  }
  return out;
}

export function fromAnthropicContent(content: readonly object[]): { text: string; toolCalls: ToolCall[] } {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const item of content) {
    const block = item as { type?: unknown; text?: unknown };
    if (block.type === 'text') text += String(block.text);
    else if (block.type === 'tool_use') {
      const use = item as { id: string; name: string; input: unknown };
      toolCalls.push({
        id: use.id,
        name: use.name,
        arguments: (use.input && typeof use.input === 'object' ? use.input : {}) as Record<string, unknown>,
      });
    }
  }
  return { text, toolCalls };
}
