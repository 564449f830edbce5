/**
 * Type tests (checked by `npm run typecheck`, never run): an application feature's option is
 * part of `createAuth`'s input type once the feature is passed, typed by its schema's input,
 * exactly like a built-in option — the README's example must type-check as written.
 */
import { z } from 'zod';
import { createAuth, defineFeature } from '../../src/index.ts';

const widget = defineFeature({
  id: 'widget',
  config: { key: 'widget', schema: z.strictObject({ greeting: z.string().default('hi') }).prefault({}) },
  build: ({ options }) => {
    const greeting: string = options.greeting;
    return { api: { greeting } };
  },
});
const gadget = defineFeature({
  id: 'gadget',
  config: { key: 'gadget', schema: z.strictObject({ size: z.int() }) },
  build: () => ({}),
});
const plain = defineFeature({ id: 'plain', build: () => ({}) });

export async function featureOptionsTypeCheck(): Promise<void> {
  await createAuth({ widget: { greeting: 'hello' } }, { features: [widget] });
  await createAuth({ widget: {}, gadget: { size: 2 } }, { features: [widget, gadget, plain] });
  await createAuth({}, { features: [plain] });
  // @ts-expect-error: the option's value has the wrong type
  await createAuth({ widget: { greeting: 42 } }, { features: [widget] });
  // @ts-expect-error: no feature passed declares this option
  await createAuth({ gadget: { size: 1 } }, { features: [widget] });
  // @ts-expect-error: without the feature its option is unknown
  await createAuth({ widget: { greeting: 'hello' } });
}
