/**
 * Our nodes with their message catalogs, as Node-RED runs them. node-red-node-test-helper hands nodes a RED._ that
 * returns the key it is given, so a test that reads a status or an error in words loads these instead of ourNodes:
 * each node type words from its own built catalog (nodes/locales/en-US/<type>.json), as in Node-RED, where a node's
 * RED._ sees only its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { busNode, inNode, outNode } from '../support/node-red';

type NodeModule = (RED: Record<string, unknown>) => unknown;

/** RED._ over one catalog: `__name__` filled from the parameters, the key itself when the catalog lacks it. */
function translator(type: string): (key: string, params?: Record<string, unknown>) => string {
  const catalog = JSON.parse(readFileSync(join(__dirname, '../../nodes/locales/en-US', `${type}.json`), 'utf8'));
  return (key, params = {}) => {
    const entry = key.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], catalog);
    if (typeof entry !== 'string') return key;
    return entry.replace(/__(\w+)__/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  };
}

function worded(module: NodeModule, type: string): NodeModule {
  const _ = translator(type);
  // Everything else of RED is the helper's, read through the prototype as it changes.
  return (RED) => module(Object.create(RED, { _: { value: _ } }));
}

export const wordedNodes = [worded(busNode, 'multicast-bus'), worded(inNode, 'multicast-in'), worded(outNode, 'multicast-out')];
