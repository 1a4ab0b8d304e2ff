// The fixture prompts of the MCP conformance suite's reference server, as PromptDefinitions a test
// registers through ServerOptions.extraPrompts. Caelum does not ship them: they let the suite's
// prompt and completion scenarios run through Caelum's own prompts/get and completion/complete.
import type { PromptDefinition } from '../../servers/prompts.js';

/** A valid 1x1 PNG (one translucent blue pixel). */
export const tinyPng =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** What completion offers for test_prompt_with_arguments' arg1. */
export const arg1Values = ['test value', 'testing', 'tested', 'other'];

export const referencePrompts: PromptDefinition[] = [
  {
    name: 'test_simple_prompt',
    description: 'A simple prompt without arguments.',
    arguments: [],
    render: () => 'This is a simple prompt for testing.',
  },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two required arguments.',
    arguments: [
      { name: 'arg1', description: 'First test argument.', required: true },
      { name: 'arg2', description: 'Second test argument.', required: true },
    ],
    completions: { arg1: () => arg1Values },
    render: (args) => `Prompt with arguments: arg1='${args.arg1}', arg2='${args.arg2}'`,
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds the resource it is given.',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed.', required: true }],
    render: (args) => [
      {
        role: 'user',
        content: {
          type: 'resource',
          resource: { uri: args.resourceUri!, mimeType: 'text/plain', text: 'Embedded resource content for testing.' },
        },
      },
      { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
    ],
  },
  {
    name: 'test_prompt_with_image',
    description: 'A prompt with an image.',
    arguments: [],
    render: () => [
      { role: 'user', content: { type: 'image', data: tinyPng, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  },
];
